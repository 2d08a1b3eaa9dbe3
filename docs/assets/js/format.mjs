// @ts-check
// Dates and times as the person's own browser writes them, one way everywhere on the site.
export function formatDateTime(iso) {
  return new Date(iso).toLocaleString([], { dateStyle: "long", timeStyle: "short" });
}

export function formatTime(date) {
  return date.toLocaleTimeString([], { timeStyle: "short" });
}

/** A calendar date (YYYY-MM-DD) in a short form that keeps tables narrow, e.g. "12 Jan 2026". */
export function formatShortDate(iso) {
  return new Date(`${iso}T00:00:00`).toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" });
}
