// @ts-check
// The answers at rest under a passcode, when the person has set one.
//
//   key      Argon2id(NFC(passcode), salt: 16 random bytes; KDF below) → 32 bytes for AES-256-GCM, held by
//            this page only while it is unlocked and zeroed when it locks (forget())
//   record   JSON {format, lock: 2, kdf: {name, memory_kib, passes, parallelism}, salt, iv, data}, base64url;
//            data = AES-GCM(JSON payload) under a fresh 12-byte IV for every save, with the record's header
//            (format, version, KDF and salt) as additional data
//   payload  what the store keeps (store.mjs), so nothing the person made is readable while locked
//
// Sealing and opening are synchronous (@noble/ciphers' audited AES-GCM, which writes the same bytes as
// WebCrypto's): a change is sealed into storage before the keystroke's handler returns, so closing the tab
// the moment after cannot lose it. WebCrypto answers only in a later task, which a closing tab never runs.
// Only the key derivation, once per unlock, is asynchronous.
//
// Version 1 records (PBKDF2-SHA-256, 600,000 iterations) still open; the store seals them again under
// version 2 on unlock. PBKDF2 fell to an offline guesser at 2.67 passcodes a second per core: 4 digits in
// under an hour. Argon2id makes each guess cost 64 MiB of memory and, here, about 0.37 s of a core even in
// native code (libargon2, 2,700 guesses in a core-hour) and about 0.55 s in this page (WebAssembly).
import { gcm } from "../../../vendor/aes-gcm.mjs";
import { fromBase64url, toBase64url } from "./bytes.mjs";

export const LOCK_FORMAT_VERSION = 2;
// Argon2id's cost, chosen by measurement (bench/passcode_kdf.py): at least half a second in the browser on
// this project's 2-core machine; a mid-range phone takes two to three times as long, once per unlock.
export const KDF = Object.freeze({ name: "argon2id", memory_kib: 64 * 1024, passes: 8, parallelism: 1 });
const KDF_NAMES = Object.freeze(["argon2id"]);
// What one core guesses in a day with native Argon2id at KDF (libargon2 took 0.365 s a guess here): a
// passcode is refused when a guesser would find it, on average (half its guesses), in less than that.
export const GUESSES_PER_CORE_DAY = Math.round(86_400 / 0.365);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class WrongPasscodeError extends Error {}
export class UnreadableLockError extends Error {}

/** The 32-byte key for `passcode` under `kdf` (a version 2 record's) or, for a version 1 record, PBKDF2. */
export async function deriveKey(passcode, salt, kdf) {
  const password = passcode.normalize("NFC");
  if (kdf.name === "pbkdf2-sha256") {
    const material = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
    return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: kdf.iterations }, material, 256));
  }
  // Loaded when first needed: a visit that never locks or unlocks does not download it.
  const { argon2id } = await import("../../../vendor/argon2.mjs");
  return argon2id({
    password, salt, parallelism: kdf.parallelism, iterations: kdf.passes, memorySize: kdf.memory_kib, hashLength: 32, outputType: "binary",
  });
}

/** Zero a lock's key: the page keeps nothing that opens the record once it locks. */
export function forget(lock) {
  lock.key.fill(0);
}

function header(format, version, kdf, salt) {
  const cost = version === 1 ? `${kdf.iterations}` : `${kdf.name}/${kdf.memory_kib}/${kdf.passes}/${kdf.parallelism}`;
  return encoder.encode(`${format}/lock-v${version}/${cost}/${toBase64url(salt)}`);
}

function roughly(days) {
  const hours = days * 24;
  if (hours < 1) return "less than an hour";
  return hours < 2 ? "about an hour" : `about ${Math.round(hours)} hours`;
}

/** Why `passcode` would not hold against someone with a copy of this browser's data, and what would; null
 *  when it would take one core more than a day. The estimator (zxcvbn-ts, with lists of common passwords,
 *  names and words, dates and keyboard patterns) loads only when someone sets a passcode. */
export async function weakness(passcode) {
  const { estimate } = await import(/* online-only */ "../../../vendor/passcode-strength.mjs");
  const { guesses, known } = estimate(passcode.normalize("NFC"));
  const days = guesses / 2 / GUESSES_PER_CORE_DAY;
  if (days >= 1) return null;
  const better = "Use two or three words you will remember, with spaces between them, or a longer mix of letters and numbers.";
  if (known) {
    return `This passcode is among those people choose most often, or follows a simple pattern (like 1234, a date or a single word), so it would be tried first. ${better}`;
  }
  return `Someone with a copy of this browser’s data could find this passcode in ${roughly(days)} with one computer. ${better}`;
}

/** Why a new passcode (typed twice) is refused, and which of the two fields to correct; null when it will do. */
export async function refusal(code, repeated) {
  if (code !== repeated) return { field: "repeat", text: "The two passcodes are not the same. Type the same passcode in both fields." };
  let why;
  try {
    why = await weakness(code);
  } catch (error) {
    console.warn("passcode checker unavailable:", error.message);
    return { field: "new", text: "The passcode could not be checked: this page’s passcode checker did not load (are you offline?). Nothing was changed; please try again when you are online." };
  }
  return why ? { field: "new", text: why } : null;
}

/**
 * An unlock form's submit, the same on every page: "Unlocking…", then what went wrong, or nothing. A wrong
 * passcode selects the field for another try; any other error leaves the locked record as it is and says so.
 * @template T
 * @param {HTMLInputElement} field the passcode field (emptied once unlocked)
 * @param {Element} message where the form says how it went
 * @param {(code: string) => Promise<T>} open unlocks with the passcode typed
 * @param {{ locked: string, kept: string }} words what is locked, and how it is kept after an error
 * @returns {Promise<{ unlocked: true, value: T } | { unlocked: false }>}
 */
export async function unlockFromForm(field, message, open, words) {
  message.textContent = "Unlocking…";
  try {
    const value = await open(field.value);
    field.value = "";
    message.textContent = "";
    return { unlocked: true, value };
  } catch (error) {
    if (!(error instanceof WrongPasscodeError)) {
      message.textContent = `${words.locked} could not be read (${error.message}). ${words.kept}`;
      return { unlocked: false };
    }
    message.textContent = "That passcode is not right. Nothing was changed; try again.";
    field.select();
    return { unlocked: false };
  }
}

/** A new lock: a random salt and the key derived from the passcode under today's KDF. */
export async function newLock(passcode) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { salt, version: LOCK_FORMAT_VERSION, kdf: KDF, key: await deriveKey(passcode, salt, KDF) };
}

/** The record to store for `payload` under `lock` (always today's version: an old lock is never sealed with). */
export function seal(lock, format, payload) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = gcm(lock.key, iv, header(format, lock.version, lock.kdf, lock.salt)).encrypt(encoder.encode(JSON.stringify(payload)));
  return JSON.stringify({ format, lock: lock.version, kdf: lock.kdf, salt: toBase64url(lock.salt), iv: toBase64url(iv),
    data: toBase64url(data) });
}

function knownKdf(record) {
  if (record.lock === 1) return Number.isInteger(record.iterations) && record.iterations > 0;
  const kdf = record.kdf;
  return record.lock === 2 && kdf && KDF_NAMES.includes(kdf.name) &&
    [kdf.memory_kib, kdf.passes, kdf.parallelism].every((value) => Number.isInteger(value) && value > 0) &&
    kdf.memory_kib <= 1024 * 1024; // at most 1 GiB: a record cannot make this page ask for more
}

function readRecord(raw, format) {
  let record;
  try {
    record = JSON.parse(raw);
  } catch {
    throw new UnreadableLockError("the locked answers are not valid JSON");
  }
  if (!record || record.format !== format || !knownKdf(record)) {
    throw new UnreadableLockError("the locked answers are not in a format this site knows");
  }
  const kdf = record.lock === 1 ? { name: "pbkdf2-sha256", iterations: record.iterations } : record.kdf;
  return { version: record.lock, kdf, salt: fromBase64url(record.salt), iv: fromBase64url(record.iv), data: fromBase64url(record.data) };
}

function decrypt(record, key, format) {
  let plain;
  try {
    plain = gcm(key, record.iv, header(format, record.version, record.kdf, record.salt)).decrypt(record.data);
  } catch {
    throw new WrongPasscodeError("That passcode is not right.");
  }
  return JSON.parse(decoder.decode(plain));
}

/** Unlock a stored record with the passcode: the payload, and the lock to seal later saves with. A record
 *  under an older KDF comes back with a new lock (new salt, today's KDF) and `renewed`, to be sealed again. */
export async function unlock(raw, format, passcode) {
  const record = readRecord(raw, format);
  const key = await deriveKey(passcode, record.salt, record.kdf);
  let payload;
  try {
    payload = decrypt(record, key, format);
  } catch (error) {
    key.fill(0);
    throw error;
  }
  if (record.version === LOCK_FORMAT_VERSION) {
    return { lock: { salt: record.salt, version: record.version, kdf: record.kdf, key }, payload, renewed: false };
  }
  key.fill(0);
  return { lock: await newLock(passcode), payload, renewed: true };
}

/** Open a record saved by another tab with the key already held. */
export function reopen(raw, format, lock) {
  return decrypt(readRecord(raw, format), lock.key, format);
}
