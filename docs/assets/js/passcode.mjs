// @ts-check
// The answers at rest under a passcode (WebCrypto), when the person has set one.
//
//   key      PBKDF2-SHA-256(NFC(passcode), salt: 16 random bytes, 600,000 iterations) → AES-256-GCM,
//            imported non-extractable: script can use it while the page is unlocked but never read it
//   record   JSON {format, lock: 1, iterations, salt, iv, data}, base64url; data = AES-GCM(JSON payload)
//            under a fresh 12-byte IV for every save, with the record's header as additional data
//   payload  {doc, kept_aside: [{key, text}]}: the answers and any data kept aside, so nothing typed is
//            readable in storage while a passcode is set
import { PBKDF2_ITERATIONS, fromBase64url, toBase64url } from "./share-crypto.mjs";

export const LOCK_FORMAT_VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class WrongPasscodeError extends Error {}
export class UnreadableLockError extends Error {}

export async function deriveKey(passcode, salt, iterations = PBKDF2_ITERATIONS) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(passcode.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material,
    { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

function header(format, iterations, salt) {
  return encoder.encode(`${format}/lock-v${LOCK_FORMAT_VERSION}/${iterations}/${toBase64url(salt)}`);
}

/** A new lock: a random salt and the key derived from the passcode. */
export async function newLock(passcode) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { salt, iterations: PBKDF2_ITERATIONS, key: await deriveKey(passcode, salt) };
}

/** The record to store for `payload` under `lock`. */
export async function seal(lock, format, payload) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: header(format, lock.iterations, lock.salt) },
    lock.key, encoder.encode(JSON.stringify(payload)));
  return JSON.stringify({ format, lock: LOCK_FORMAT_VERSION, iterations: lock.iterations, salt: toBase64url(lock.salt),
    iv: toBase64url(iv), data: toBase64url(new Uint8Array(data)) });
}

function readRecord(raw, format) {
  let record;
  try {
    record = JSON.parse(raw);
  } catch {
    throw new UnreadableLockError("the locked answers are not valid JSON");
  }
  if (!record || record.format !== format || record.lock !== LOCK_FORMAT_VERSION || !Number.isInteger(record.iterations)) {
    throw new UnreadableLockError("the locked answers are not in a format this site knows");
  }
  return { ...record, salt: fromBase64url(record.salt), iv: fromBase64url(record.iv), data: fromBase64url(record.data) };
}

async function decrypt(record, key, format) {
  let plain;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: record.iv, additionalData: header(format, record.iterations, record.salt) },
      key, record.data);
  } catch {
    throw new WrongPasscodeError("That passcode is not right.");
  }
  return JSON.parse(decoder.decode(plain));
}

/** Unlock a stored record with the passcode: the lock (to seal later saves with) and the payload. */
export async function unlock(raw, format, passcode) {
  const record = readRecord(raw, format);
  const key = await deriveKey(passcode, record.salt, record.iterations);
  return { lock: { salt: record.salt, iterations: record.iterations, key }, payload: await decrypt(record, key, format) };
}

/** Open a record saved by another tab with the key already held. */
export async function reopen(raw, format, lock) {
  return decrypt(readRecord(raw, format), lock.key, format);
}
