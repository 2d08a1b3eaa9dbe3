// @ts-check
// The therapist's requests, kept in this browser's IndexedDB (idb-keyval) by request id: each with its key
// pair, manage token and what the link said.
//
// Plain, each record is stored as it is, the private key a non-extractable CryptoKey: the page cannot read
// it, but it sits in the browser profile's files, so whoever copies the profile can read every answer.
// Under a passcode (passcode.mjs, the worksheet's lock: Argon2id, AES-GCM), IndexedDB holds one sealed record
// (under LOCKED_KEY) and nothing else: the requests' notes, dates, tokens and keys. Each private key was
// made extractable only to be exported once and sealed at once, on its own (KEY_FORMAT), so that while
// unlocked this page holds the keys only sealed or as non-extractable CryptoKeys, imported after unlock.
import { createStore, del, get, promisifyRequest, set, values } from "../../../vendor/idb-keyval.mjs";
import * as passcode from "../core/passcode.mjs";
import { importKeyPair } from "../request/request-crypto.mjs";
import { fromBase64url, toBase64url } from "../core/bytes.mjs";

const FORMAT = "tsw-requests";
const KEY_FORMAT = "tsw-request-key";
// An array key: never equal to a request id (a string), so it cannot collide with a plain record.
const LOCKED_KEY = ["locked"];
const requests = createStore("tsw-requests", "requests");

/** Requests made before the inbox had a passcode: their keys cannot be sealed (they never leave the browser). */
export class UnsealableRequestsError extends Error {
  constructor(count) {
    super(`${count} request(s) made before a passcode`);
    this.count = count;
  }
}
export class InboxLockedError extends Error {}

// While unlocked: the lock (key and salt) and the requests as the page uses them, keys imported.
let unlocked = null;

async function lockedRecord() {
  return /** @type {string | undefined} */ (await get(LOCKED_KEY, requests));
}

export async function isLocked() {
  return (await lockedRecord()) !== undefined;
}

export function isUnlocked() {
  return unlocked !== null;
}

/** A sealed request as the page uses it: the private key unsealed and imported not extractable. */
async function opened(entry, lock) {
  const { pkcs8 } = passcode.reopen(entry.sealed_key, KEY_FORMAT, lock);
  const raw = fromBase64url(pkcs8);
  try {
    const { sealed_key: _sealed, ...record } = entry;
    return { ...record, keys: await importKeyPair(record.kem, raw, fromBase64url(record.public_key)) };
  } finally {
    raw.fill(0);
  }
}

/** Open the sealed inbox with the lock held, and make it this page's. Keys already imported are kept, so a
 *  change to one request unseals and imports no other's key. */
async function take(lock, payload, imported = new Map()) {
  const records = await Promise.all(payload.requests.map((entry) => {
    const known = imported.get(entry.id);
    if (!known) return opened(entry, lock);
    const { sealed_key: _sealed, ...record } = entry;
    return { ...record, keys: known.keys };
  }));
  unlocked = { lock, records: new Map(records.map((record) => [record.id, record])) };
}

/** Apply `change` to the latest sealed list (another tab may have written) and seal it again. */
async function changeSealed(change) {
  const state = unlocked;
  const raw = await lockedRecord();
  if (raw === undefined) throw new InboxLockedError("the inbox's passcode was removed in another tab");
  const payload = passcode.reopen(raw, FORMAT, state.lock);
  change(payload.requests);
  await set(LOCKED_KEY, passcode.seal(state.lock, FORMAT, payload), requests);
  await take(state.lock, payload, state.records);
}

/** Every request made in this browser; throws InboxLockedError while the inbox is locked. */
export async function list() {
  if (unlocked) return [...unlocked.records.values()];
  if (await isLocked()) throw new InboxLockedError("the inbox is locked");
  return /** @type {Promise<any[]>} */ (values(requests));
}

/** Keep a new request. Under a passcode, `pkcs8` (its private key, exported once) is sealed and zeroed. */
export async function add(record, pkcs8) {
  if (!unlocked) {
    if (await isLocked()) throw new InboxLockedError("the inbox is locked");
    await set(record.id, record, requests);
    return;
  }
  const { keys: _keys, ...rest } = record;
  const sealedKey = passcode.seal(unlocked.lock, KEY_FORMAT, { pkcs8: toBase64url(pkcs8) });
  pkcs8.fill(0);
  await changeSealed((list) => list.push({ ...rest, sealed_key: sealedKey }));
}

/** Change what this browser keeps about a request (its private name, the answers already looked at); a
 *  request no longer here is left alone. */
export async function update(id, change) {
  if (unlocked) {
    await changeSealed((list) => list.filter((entry) => entry.id === id).forEach(change));
    return;
  }
  if (await isLocked()) throw new InboxLockedError("the inbox is locked");
  // In one transaction, so another tab's change in between is not lost; a request deleted meanwhile stays
  // deleted (idb-keyval's own update() would write it back as undefined).
  await requests("readwrite", (store) => {
    const read = store.get(id);
    read.onsuccess = () => {
      if (read.result === undefined) return;
      change(read.result);
      store.put(read.result, id);
    };
    return promisifyRequest(store.transaction);
  });
}

/** Forget a request (and with it, its key). */
export async function remove(id) {
  if (unlocked) await changeSealed((list) => list.splice(0, list.length, ...list.filter((entry) => entry.id !== id)));
  else await del(id, requests);
}

/** Lock the inbox. Refused with UnsealableRequestsError while requests made without a passcode remain. */
export async function setPasscode(code) {
  const plain = await values(requests);
  if (plain.length) throw new UnsealableRequestsError(plain.length);
  const lock = await passcode.newLock(code);
  const payload = { requests: [] };
  await set(LOCKED_KEY, passcode.seal(lock, FORMAT, payload), requests);
  await take(lock, payload);
}

/** Unlock with the passcode; a wrong one throws passcode.WrongPasscodeError and changes nothing. */
export async function unlock(code) {
  const raw = await lockedRecord();
  if (raw === undefined) return;
  const { lock, payload, renewed } = await passcode.unlock(raw, FORMAT, code);
  if (renewed) throw new passcode.UnreadableLockError("the inbox's lock is of an older kind than this page seals");
  await take(lock, payload);
}

/** Forget the key and the requests in memory. */
export function lock() {
  if (!unlocked) return;
  passcode.forget(unlocked.lock);
  unlocked = null;
}

/** Store every request plain again, each private key imported not extractable (as one made without a lock). */
export async function removePasscode() {
  const state = unlocked;
  for (const record of state.records.values()) await set(record.id, record, requests);
  await del(LOCKED_KEY, requests);
  lock();
}

/** Erase the locked inbox (a forgotten passcode): its requests can no longer be read or deleted from here. */
export async function eraseLocked() {
  lock();
  await del(LOCKED_KEY, requests);
}
