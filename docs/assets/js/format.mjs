// Dates and times as the person's own browser writes them.
export function formatDateTime(iso) {
  return new Date(iso).toLocaleString([], { dateStyle: "long", timeStyle: "short" });
}
