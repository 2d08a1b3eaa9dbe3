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

/** The calendar date (YYYY-MM-DD) of `date` where the person is: UTC's is already tomorrow's on an American
 *  evening. */
export function localDateStamp(date = new Date()) {
  const pad = (number) => String(number).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** How far the person's clock is ahead of UTC, in minutes: Python writes dates with it. */
export function utcOffsetMinutes() {
  return -new Date().getTimezoneOffset();
}
