// @ts-check
// The answers in localStorage, each worksheet's under keys of its own (`open` names the worksheet). Every
// change is written at once, as a small edit applied to the latest stored copy, so two open tabs each add
// their own edits instead of overwriting each other's document.
// With a passcode set (passcode.mjs), the answers are stored only encrypted, under `KEYS.locked`: while
// unlocked, each change is applied to the copy in memory and sealed into storage at once, synchronously, on
// top of what another tab may have saved meanwhile: a change is stored before its event handler returns, as
// it is without a passcode, so leaving the page the moment after a keystroke loses nothing.
//
// Besides the answers, the store keeps everything else the person's use leaves behind (ITEMS: the one-time
// links made, with their manage tokens; when a backup was last made; how the log is shown; the lock's idle
// time). Plain, each has a key of its own; under a passcode they are sealed with the answers, so that while
// locked the storage says only that a lock exists.
import * as passcode from "../core/passcode.mjs";
import { ANSWERS_FORMAT, ANSWERS_VERSION, LEGACY_WORKSHEET, WORKSHEET_ID_PATTERN, WORKSHEET_LIMITS, WORKSHEETS_FOLDER } from "../core/facts.mjs";

export const FORMAT = ANSWERS_FORMAT;
export const VERSION = ANSWERS_VERSION;
// Every key this site uses in localStorage starts with the format's name; a worksheet's keys go on as its
// page's address does.
const PREFIX = `${FORMAT}/`;
const WORKSHEETS_PREFIX = `${PREFIX}${WORKSHEETS_FOLDER}/`;
// Each key's name after its worksheet's prefix.
const KEY_NAMES = {
  answers: "answers",
  lastBackup: "last-backup",
  logView: "log-view",
  asideMarker: "kept-aside/",
  locked: "answers-locked",
  lockAfterSeconds: "lock-after-seconds",
  shares: "shares",
};
// The items kept beside the answers: their names (their keys are KEYS[name]).
const ITEMS = Object.freeze(["shares", "lastBackup", "logView", "lockAfterSeconds"]);

/** The keys of the worksheet `open` named. */
export let KEYS = /** @type {Record<keyof KEY_NAMES, string>} */ ({});
/** The id of the worksheet whose answers this store holds. */
export let worksheetId = "";

/** Hold the answers of worksheet `id` (the page's): one page, one worksheet. Answers saved before each worksheet
 *  had keys of their own are the first worksheet's, and move under its keys here, losing nothing: returns
 *  how many copies the move kept aside, for the page to report. */
export function open(id) {
  if (!new RegExp(WORKSHEET_ID_PATTERN).test(id) || id.length > WORKSHEET_LIMITS.worksheet_id_length) {
    throw new Error(`store: ${JSON.stringify(id)} is no worksheet id`);
  }
  if (worksheetId === id) return 0;
  if (worksheetId) throw new Error(`store: already holds ${worksheetId}`);
  worksheetId = id;
  KEYS = /** @type {typeof KEYS} */ (Object.fromEntries(Object.entries(KEY_NAMES).map(([name, key]) => [name, `${WORKSHEETS_PREFIX}${id}/${key}`])));
  return id === LEGACY_WORKSHEET ? moveLegacyKeys() : 0;
}

/** Each other worksheet whose answers on this device are locked with a passcode, by id (each has its own lock). */
export function lockedElsewhere() {
  const locked = new RegExp(`^${WORKSHEETS_PREFIX}([^/]+)/${KEY_NAMES.locked}$`);
  return Object.keys(localStorage).map((key) => locked.exec(key)?.[1]).filter((id) => id && id !== worksheetId);
}

/** Hold the answers of the worksheet on this page (its status bar names it: worksheet/status.html). */
export function openPageWorksheet() {
  const named = /** @type {HTMLElement | null} */ (document.querySelector("[data-ws-worksheet]"));
  if (!named) throw new Error("store: this page names no worksheet ([data-ws-worksheet])");
  return open(/** @type {string} */ (named.dataset.wsWorksheet));
}

/** @returns {number} how many legacy copies were kept aside, another copy being under the new key already */
function moveLegacyKeys() {
  let keptAside = 0;
  const legacy = Object.keys(localStorage).filter((key) =>
    Object.values(KEY_NAMES).some((name) => (name.endsWith("/") ? key.startsWith(PREFIX + name) : key === PREFIX + name)));
  for (const key of legacy) {
    const moved = `${WORKSHEETS_PREFIX}${LEGACY_WORKSHEET}/${key.slice(PREFIX.length)}`;
    const value = /** @type {string} */ (localStorage.getItem(key));
    // Both there (a tab of the earlier version wrote after another tab moved its copy): the copy under the
    // new key stays, the other is kept aside, where the page reports it. Neither is lost.
    const free = localStorage.getItem(moved) === null || localStorage.getItem(moved) === value;
    localStorage.setItem(free ? moved : `${KEYS.asideMarker}${new Date().toISOString()} ${key.slice(PREFIX.length)}`, value);
    localStorage.removeItem(key);
    if (!free) keptAside += 1;
  }
  return keptAside;
}

export function emptyDocument() {
  return { format: FORMAT, version: VERSION, worksheet: worksheetId, saved_at: null, answers: {}, sessions: [] };
}

export class StorageFullError extends Error {}
/** A change was made while the answers are locked (another tab may have just set a passcode). */
export class LockedError extends Error {}

// While unlocked with a passcode: the lock (key and salt), the answers, what is kept aside, the items and
// the record this tab wrote last.
let unlocked = null;

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
  if (doc.version === VERSION && doc.worksheet !== worksheetId) return { unreadable: "it holds the answers to another worksheet" };
  if (doc.version === VERSION && (typeof doc.answers !== "object" || !Array.isArray(doc.sessions))) {
    return { unreadable: "parts of it are missing" };
  }
  return { doc };
}

/** Keep a copy of data that could not be read under its own key, so nothing is ever silently dropped. */
export function keepAside(raw, reason) {
  const key = `${KEYS.asideMarker}${new Date().toISOString()}`;
  mode().keepAside({ key, text: raw });
  return { key, reason };
}

export function keptAside() {
  return mode().keptAside();
}

// What this tab has written of the answers (`mine`, the document as it last wrote or read it) and every value
// it has given each field (`had`: a hash of each, by field), in either mode. Tabs run in different processes
// and each reads its own cached copy of localStorage, which another tab's write reaches a moment later: a tab
// that edits in that moment writes a document (plain or sealed) built on an older copy, without the other's
// latest change. So a tab that meets a foreign write puts its own values back wherever the foreign document
// holds a value this tab itself had there before (the other tab had not seen the change); a value this tab
// never had is the other tab's own change, and stands. Forgotten when the answers lock.
let history = null;
// The plain answers as this tab last wrote or read them, to tell another tab's write from its own.
let plainRaw = null;

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
/** The answers and sessions, in an order that does not depend on how they were edited. */
const content = (doc) => JSON.stringify([...fieldsOf(doc)].sort(([a], [b]) => (a < b ? -1 : 1)));

/** Every field of a document by a name of its own: answers, each session's being there, each session field. */
function fieldsOf(doc) {
  const fields = new Map(Object.entries(doc.answers).map(([name, value]) => [`answer ${name}`, value]));
  for (const session of doc.sessions) {
    fields.set(`session ${session.id}`, true);
    for (const [column, value] of Object.entries(session)) fields.set(`session ${session.id} ${column}`, value);
  }
  return fields;
}

/** A short hash of a field's value (FNV-1a over its JSON), so a long history costs a few bytes a value. */
function hashOf(value) {
  const text = JSON.stringify(value === undefined ? null : value);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Record in `had` the values of every field that differs between `before` and `after`, old and new. */
function remember(before, after) {
  const had = history?.had ?? new Map();
  const [old, now] = [fieldsOf(before), fieldsOf(after)];
  for (const field of new Set([...old.keys(), ...now.keys()])) {
    if (same(old.get(field), now.get(field))) continue;
    const values = had.get(field) ?? new Set();
    values.add(hashOf(old.get(field))).add(hashOf(now.get(field)));
    had.set(field, values);
  }
  history = { mine: structuredClone(after), had };
  return after;
}

/** `theirs` with this tab's values put back wherever `theirs` holds one this tab had before. */
function withMyValues(theirs) {
  if (!history) return theirs;
  const { mine, had } = history;
  const merged = structuredClone(theirs);
  const [ours, current] = [fieldsOf(mine), fieldsOf(theirs)];
  const missed = (field) => !same(ours.get(field), current.get(field)) && had.get(field)?.has(hashOf(current.get(field)));
  for (const [field, value] of ours) {
    if (!field.startsWith("answer ") || !missed(field)) continue;
    merged.answers[field.slice("answer ".length)] = value;
  }
  for (const field of current.keys()) {
    if (field.startsWith("answer ") && !ours.has(field) && missed(field)) delete merged.answers[field.slice("answer ".length)];
  }
  for (const session of mine.sessions) {
    const there = merged.sessions.find((other) => other.id === session.id);
    if (!there) {
      if (missed(`session ${session.id}`)) merged.sessions.push(structuredClone(session)); // added here
      continue;
    }
    for (const [column, value] of Object.entries(session)) {
      if (missed(`session ${session.id} ${column}`)) there[column] = value;
    }
  }
  merged.sessions = merged.sessions.filter((session) => ours.has(`session ${session.id}`) || !missed(`session ${session.id}`)); // deleted here
  return merged;
}

/** The latest plain answers, with this tab's own values put back if another tab's write missed them (and
 *  then written again). `raw` is what storage holds now. */
function latestWithMine(raw, latest) {
  if (!history || raw === plainRaw || latest.version !== VERSION) return latest;
  const merged = withMyValues(latest);
  plainRaw = raw;
  if (content(merged) === content(latest)) {
    history.mine = structuredClone(latest);
    return latest; // nothing of ours was missed: no write (and no echo between the tabs)
  }
  return writePlain(latest, merged);
}

/** Read the saved answers. Unreadable data is kept aside and reported in `problem`; while a passcode
 *  keeps them locked, `locked` is true and the document is empty. */
export function load() {
  return mode().load();
}

/** Apply one edit to the latest stored copy (another tab may have changed it) and save it. */
export function edit(fallback, change) {
  return mode().edit(fallback, change);
}

/** The saved answers as they are stored now, to keep a copy aside before an update: the plain text, or under
 *  the passcode the document as this tab unlocked it (never the sealed record). */
export function storedText() {
  return mode().storedText();
}

/** Empty the saved answers (after keeping a copy aside), plain or under the passcode. */
export function clearAnswers() {
  mode().clearAnswers();
}

/** Store a whole new document (a restored backup, or one brought up to this version). */
export function replace(doc) {
  return mode().replace(doc);
}

export function setAnswer(doc, name, value) {
  if (value === "" || value === false || value === null) delete doc.answers[name];
  else doc.answers[name] = value;
}

export function setSessionField(doc, id, column, value) {
  const session = doc.sessions.find((row) => row.id === id);
  if (session) session[column] = value === "" ? null : value;
}

/** Delete everything this site keeps in this browser's storage: every worksheet's answers and items. */
export function deleteEverything() {
  lock();
  history = null;
  plainRaw = null;
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(PREFIX)) localStorage.removeItem(key);
  }
}

// --- the items beside the answers -------------------------------------------------------------------------

function readPlainItem(name) {
  const raw = localStorage.getItem(KEYS[name]);
  if (raw === null) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw; // written by an earlier version as plain text
  }
}

function plainItems() {
  return Object.fromEntries(ITEMS.map((name) => [name, readPlainItem(name)]).filter(([, value]) => value !== null));
}

/** An item's value (null when there is none, or while the answers are locked: nothing is readable then). */
export function getItem(name) {
  if (!ITEMS.includes(name)) throw new Error(`store: no item named ${name}`);
  return mode().getItem(name);
}

/** Keep an item (null removes it); sealed with the answers while a passcode is set. */
export function setItem(name, value) {
  if (!ITEMS.includes(name)) throw new Error(`store: no item named ${name}`);
  mode().setItem(name, value);
}

// --- one store object per mode --------------------------------------------------------------------------

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

/** Write `after`, a change of `before`, as the plain answers, and remember it as this tab's. */
function writePlain(before, after) {
  remember(before, write(after));
  plainRaw = localStorage.getItem(KEYS.answers);
  return after;
}

/** Without a passcode: the answers, each item and each kept-aside copy under a key of its own. */
const plain = Object.freeze({
  keepAside(entry) {
    localStorage.setItem(entry.key, entry.text);
  },
  keptAside() {
    return Object.keys(localStorage)
      .filter((key) => key.startsWith(KEYS.asideMarker))
      .sort()
      .map((key) => ({ key, text: localStorage.getItem(key) }));
  },
  load() {
    const raw = localStorage.getItem(KEYS.answers);
    if (raw === null) return { doc: emptyDocument() };
    const { doc, unreadable } = parse(raw);
    if (doc) return { doc: latestWithMine(raw, doc) };
    const aside = keepAside(raw, unreadable);
    localStorage.removeItem(KEYS.answers);
    return { doc: emptyDocument(), problem: aside };
  },
  edit(fallback, change) {
    const raw = localStorage.getItem(KEYS.answers);
    const stored = raw === null ? null : parse(raw).doc;
    const latest = stored && stored.version === VERSION ? latestWithMine(raw, stored) : null;
    const before = latest ?? structuredClone(fallback); // parsed afresh (or merged) here: this call's own copy
    const doc = structuredClone(before);
    change(doc);
    return writePlain(before, doc);
  },
  storedText() {
    return localStorage.getItem(KEYS.answers);
  },
  clearAnswers() {
    localStorage.removeItem(KEYS.answers);
  },
  replace(doc) {
    history = null; // a whole new document (a restored backup): nothing of an earlier one is put back
    plainRaw = null;
    return write(structuredClone(doc));
  },
  getItem(name) {
    return readPlainItem(name);
  },
  setItem(name, value) {
    try {
      if (value === null) localStorage.removeItem(KEYS[name]);
      else localStorage.setItem(KEYS[name], JSON.stringify(value));
    } catch (error) {
      throw new StorageFullError(String(error && error.name));
    }
  },
});

/** Under a passcode, opened in this tab: everything in memory, sealed into one record at every change. */
const sealed = Object.freeze({
  keepAside(entry) {
    saveSealed((_doc, _items, keptAside) => keptAside.push(entry));
  },
  keptAside() {
    return [...unlocked.keptAside];
  },
  load() {
    return { doc: unlocked.doc };
  },
  edit(_fallback, change) {
    saveSealed((doc) => {
      change(doc);
      doc.saved_at = new Date().toISOString();
    });
    return unlocked.doc;
  },
  storedText() {
    return JSON.stringify(unlocked.doc);
  },
  clearAnswers() {
    sealed.replace(emptyDocument());
  },
  replace(doc) {
    const copy = structuredClone(doc);
    return sealed.edit(copy, (target) => Object.assign(target, structuredClone(copy)));
  },
  getItem(name) {
    return structuredClone(unlocked.items[name] ?? null);
  },
  setItem(name, value) {
    saveSealed((_doc, items) => {
      if (value === null) delete items[name];
      else items[name] = structuredClone(value);
    });
  },
});

const refuse = () => {
  throw new LockedError("The answers are locked.");
};

/** Under a passcode this tab has not opened: nothing the person made can be read, changed or kept. */
const shut = Object.freeze({
  keepAside: refuse,
  keptAside: () => [],
  load: () => ({ doc: emptyDocument(), locked: true }),
  edit: refuse,
  storedText: () => null,
  clearAnswers: refuse,
  replace: refuse,
  getItem: () => null,
  setItem: refuse,
});

/** The store object for the mode the answers are in now. */
function mode() {
  if (!isLocked()) return plain;
  return unlocked ? sealed : shut;
}

// --- the passcode lock ----------------------------------------------------------------------------------

export function isLocked() {
  return localStorage.getItem(KEYS.locked) !== null;
}

export function isUnlocked() {
  return unlocked !== null;
}

/** Locked and not opened in this tab: nothing the person made can be read or kept. */
export function isShut() {
  return isLocked() && !isUnlocked();
}

/** Take what another tab sealed as the base: its answers with this tab's own values put back where it
 *  missed them, its items, and its kept-aside data with this tab's. Whether this tab put anything back. */
function adopt(state, raw) {
  const latest = passcode.reopen(raw, FORMAT, state.lock);
  const merged = latest.doc.version === VERSION ? withMyValues(latest.doc) : latest.doc; // an old one is migrated first
  state.doc = merged;
  state.items = latest.items || {};
  const theirs = new Set(latest.kept_aside.map((entry) => entry.key));
  state.keptAside = [...latest.kept_aside, ...state.keptAside.filter((entry) => !theirs.has(entry.key))];
  state.written = raw;
  if (history) history.mine = structuredClone(merged);
  return content(merged) !== content(latest.doc) || state.keptAside.length !== latest.kept_aside.length;
}

/** Make `change` (to the answers, the items and what is kept aside) and seal the result on top of the latest
 *  record: another tab may have saved since. A full storage throws StorageFullError and leaves the stored
 *  record as it was (the change stays in memory). */
function saveSealed(change) {
  const state = unlocked;
  const raw = localStorage.getItem(KEYS.locked);
  if (raw === null) return; // the passcode was removed in another tab: that tab wrote the answers out
  if (raw !== state.written) adopt(state, raw);
  const before = state.doc.version === VERSION ? structuredClone(state.doc) : null; // an old one: being migrated
  change(state.doc, state.items, state.keptAside);
  if (before && state.doc.version === VERSION) remember(before, state.doc);
  writeSealed(state, passcode.seal(state.lock, FORMAT, sealedPayload(state)));
}

function writeSealed(state, record) {
  try {
    localStorage.setItem(KEYS.locked, record);
  } catch (error) {
    throw new StorageFullError(String(error && error.name));
  }
  state.written = record;
}

function unlockedState(lock, payload, written) {
  return { lock, doc: payload.doc, keptAside: payload.kept_aside || [], items: payload.items || {}, written };
}

/** What a sealed record holds: the answers, what was kept aside and the items. */
function sealedPayload(state) {
  return { doc: state.doc, kept_aside: state.keptAside, items: state.items };
}

/** Set a passcode: from now on the answers (and anything kept aside) are stored only encrypted. */
export async function setPasscode(code) {
  const lock = await passcode.newLock(code);
  // Read after the key is made (which takes a moment), so a change made meanwhile is sealed too.
  const { doc } = load();
  const aside = keptAside();
  const items = plainItems();
  const record = passcode.seal(lock, FORMAT, { doc, kept_aside: aside, items });
  localStorage.setItem(KEYS.locked, record); // first the sealed copy, then the plain one goes
  localStorage.removeItem(KEYS.answers);
  for (const entry of aside) localStorage.removeItem(entry.key);
  for (const name of ITEMS) localStorage.removeItem(KEYS[name]);
  unlocked = unlockedState(lock, { doc, kept_aside: aside, items }, record);
  return unlocked.doc;
}

/** Unlock with the passcode; a wrong one throws passcode.WrongPasscodeError and changes nothing. */
export async function unlock(code) {
  const raw = localStorage.getItem(KEYS.locked);
  const { lock, payload, renewed } = await passcode.unlock(raw, FORMAT, code);
  const latest = localStorage.getItem(KEYS.locked);
  unlocked = unlockedState(lock, payload, raw);
  if (renewed && latest === raw) {
    // A record under an older, weaker KDF is sealed again at once (unless another tab wrote meanwhile).
    writeSealed(unlocked, passcode.seal(lock, FORMAT, sealedPayload(unlocked)));
  }
  return unlocked.doc;
}

/** Read what another tab sealed, with the key this tab holds (sealed again at once if it had missed a change
 *  of this tab's). */
export function reload() {
  const state = unlocked;
  const raw = localStorage.getItem(KEYS.locked);
  if (!state || raw === null || raw === state.written) return state?.doc;
  if (adopt(state, raw)) writeSealed(state, passcode.seal(state.lock, FORMAT, sealedPayload(state)));
  return state.doc;
}

/** Forget the key and the answers in memory (every change is already sealed). */
export function lock() {
  if (!unlocked) return;
  passcode.forget(unlocked.lock);
  unlocked = null;
  history = null; // it holds the answers as this tab wrote them: nothing is readable while locked
}

/** Back to plain storage: the answers and anything kept aside are written out as they were before. */
export function removePasscode() {
  const state = unlocked;
  reload();
  write(state.doc);
  for (const entry of state.keptAside) localStorage.setItem(entry.key, entry.text);
  for (const [name, value] of Object.entries(state.items)) {
    if (ITEMS.includes(name)) localStorage.setItem(KEYS[name], JSON.stringify(value));
  }
  localStorage.removeItem(KEYS.locked);
  lock();
  return state.doc;
}

export function hasAnswers(doc) {
  return Object.keys(doc.answers).length > 0 || doc.sessions.length > 0;
}
