// @ts-check
// Dates and times as the site writes them, one way everywhere: "2 December 2026" (or "2 Dec 2026" where room is
// short), the form Python writes too (py_client/dates.py; a test holds the two to the same text). Day, month
// spelled out, year reads the same in every English locale; the time of day follows the person's own clock
// (2:14 PM or 14:14).
const LONG = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });

/** A calendar date (YYYY-MM-DD, or a Date) written out: "2 December 2026". A date that is no date (hand-edited
 *  storage, "2026-13-40") is shown as it was written, for the page's list of problems to point at. */
export function formatLongDate(day) {
  const date = typeof day === "string" ? new Date(`${day}T00:00:00`) : day;
  return Number.isNaN(date.getTime()) ? String(day) : LONG.format(date);
}

/** A calendar date (YYYY-MM-DD) in the short form that keeps tables narrow: "2 Dec 2026". Made from the long
 *  form, since en-GB's own short month for September is "Sept". */
export function formatShortDate(iso) {
  const parts = formatLongDate(iso).split(" ");
  return parts.length === 3 ? `${parts[0]} ${parts[1].slice(0, 3)} ${parts[2]}` : parts.join(" ");
}

/** A moment (an ISO timestamp from the server) on the person's clock: "2 December 2026 at 2:14 PM". */
export function formatDateTime(iso) {
  const moment = new Date(iso);
  return `${formatLongDate(moment)} at ${formatTime(moment)}`;
}

export function formatTime(date) {
  return date.toLocaleTimeString([], { timeStyle: "short" });
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
