// The answers in localStorage. Every change is written at once, as a small edit applied to the latest
// stored copy, so two open tabs each add their own edits instead of overwriting each other's document.
const PREFIX = "trust-safety-worksheet/";
export const KEYS = {
  answers: `${PREFIX}answers`,
  lastBackup: `${PREFIX}last-backup`,
  logView: `${PREFIX}log-view`,
  asideMarker: `${PREFIX}kept-aside/`,
};
export const FORMAT = "trust-safety-worksheet";
export const VERSION = 2;

export function emptyDocument() {
  return { format: FORMAT, version: VERSION, saved_at: null, answers: {}, sessions: [] };
}

export class StorageFullError extends Error {}

function parse(raw) {
  // Returns {doc} for a document of this format (any version) or {unreadable: reason}.
  let doc;
  try {
    doc = JSON.parse(raw);
  } catch {
    return { unreadable: "it is not valid JSON" };
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc) || doc.format !== FORMAT) {
    return { unreadable: "it is not in the worksheet's format" };
  }
  if (!Number.isInteger(doc.version) || doc.version < 1) return { unreadable: "it has no valid version" };
  if (doc.version > VERSION) return { unreadable: "it was saved by a newer version of this site" };
  if (doc.version === VERSION && (typeof doc.answers !== "object" || !Array.isArray(doc.sessions))) {
    return { unreadable: "parts of it are missing" };
  }
  return { doc };
}

/** Keep a copy of data that could not be read under its own key, so nothing is ever silently dropped. */
export function keepAside(raw, reason) {
  const key = `${KEYS.asideMarker}${new Date().toISOString()}`;
  localStorage.setItem(key, raw);
  return { key, reason };
}

export function keptAside() {
  return Object.keys(localStorage)
    .filter((key) => key.startsWith(KEYS.asideMarker))
    .sort()
    .map((key) => ({ key, text: localStorage.getItem(key) }));
}

/** Read the saved answers. Unreadable data is kept aside and reported in `problem`. */
export function load() {
  const raw = localStorage.getItem(KEYS.answers);
  if (raw === null) return { doc: emptyDocument() };
  const { doc, unreadable } = parse(raw);
  if (doc) return { doc };
  const aside = keepAside(raw, unreadable);
  localStorage.removeItem(KEYS.answers);
  return { doc: emptyDocument(), problem: aside };
}

function write(doc) {
  doc.saved_at = new Date().toISOString();
  try {
    localStorage.setItem(KEYS.answers, JSON.stringify(doc));
  } catch (error) {
    // A failed setItem leaves the previous copy as it was: nothing saved before is damaged.
    throw new StorageFullError(String(error && error.name));
  }
  return doc;
}

/** Apply one edit to the latest stored copy (another tab may have changed it) and save it. */
export function edit(fallback, change) {
  const raw = localStorage.getItem(KEYS.answers);
  const latest = raw === null ? null : parse(raw).doc;
  const doc = latest && latest.version === VERSION ? latest : structuredClone(fallback);
  change(doc);
  return write(doc);
}

export function replace(doc) {
  return write(structuredClone(doc));
}

export function setAnswer(doc, name, value) {
  if (value === "" || value === false || value === null) delete doc.answers[name];
  else doc.answers[name] = value;
}

export function setSessionField(doc, id, column, value) {
  const session = doc.sessions.find((row) => row.id === id);
  if (session) session[column] = value === "" ? null : value;
}

export function deleteEverything() {
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(PREFIX)) localStorage.removeItem(key);
  }
}

export function hasAnswers(doc) {
  return Object.keys(doc.answers).length > 0 || doc.sessions.length > 0;
}
