// @ts-check
// A therapist's request: a key pair made in the therapist's browser, and answers sealed to its public key
// with HPKE (RFC 9180, @hpke/core) in base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, or
// DHKEM(P-256, HKDF-SHA256) where the browser has no X25519. The private key is made non-extractable: no
// script, this site's included, can read it out of the browser, and it never travels anywhere.
//
//   sealed answers   [version 2][KEM byte][encapsulated key][AES-GCM ciphertext + tag], with the first two
//                    bytes as additional data and SEALED_INFO + the request's id as HPKE's info, so answers
//                    sealed for one request never open as another's
//   request link     #r=<request id>&k=<public key>[&l=<label>][&d=<session date>]&c=<check>
//
// sync_server/envelope.py documents the same layout; the tests check this module against RFC 9180's test
// vectors and against a Python implementation (pyhpke).
import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, DhkemX25519HkdfSha256, HkdfSha256 } from "../../../vendor/hpke.mjs";
import { KEMS, SEALED_INFO, SEALED_VERSION } from "../core/facts.mjs";
import { fromBase64url, toBase64url } from "../core/bytes.mjs";
import { DecryptionError, linkCheck } from "../core/sealed.mjs";
import { isRequestLink, REQUEST_ID_FIELD } from "../core/request-link.mjs";

const encoder = new TextEncoder();
const ALGORITHMS = {
  X25519: { generate: { name: "X25519" }, kem: () => new DhkemX25519HkdfSha256() },
  "P-256": { generate: { name: "ECDH", namedCurve: "P-256" }, kem: () => new DhkemP256HkdfSha256() },
};

/** @param {string} kem */
export function cipherSuite(kem) {
  return new CipherSuite({ kem: ALGORITHMS[kem].kem(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
}

/**
 * A new key pair for a request: X25519 where the browser has it, else P-256. `preferred` lets a test
 * choose. The private key is not extractable. With `sealable`, it is made extractable only to be exported
 * at once as PKCS#8 (`pkcs8`, for the inbox's passcode lock to seal) and imported again not extractable.
 * @returns {Promise<{kem: string, keys: CryptoKeyPair, publicKey: Uint8Array, pkcs8?: Uint8Array}>}
 */
export async function newKeyPair(preferred = ["X25519", "P-256"], { sealable = false } = {}) {
  for (const kem of preferred) {
    try {
      const made = /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey(ALGORITHMS[kem].generate, sealable, ["deriveBits"]));
      const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", made.publicKey));
      if (!sealable) return { kem, keys: made, publicKey };
      const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", made.privateKey));
      return { kem, keys: await importKeyPair(kem, pkcs8, publicKey), publicKey, pkcs8 };
    } catch (error) {
      if (!(error instanceof DOMException) || error.name !== "NotSupportedError") throw error;
    }
  }
  throw new Error("This browser cannot make the keys a request needs (X25519 or P-256).");
}

/** A request's key pair from its private key (PKCS#8) and raw public key, the private key not extractable. */
export async function importKeyPair(kem, pkcs8, publicKey) {
  const algorithm = ALGORITHMS[kem].generate;
  return {
    privateKey: await crypto.subtle.importKey("pkcs8", pkcs8, algorithm, false, ["deriveBits"]),
    publicKey: await crypto.subtle.importKey("raw", publicKey, algorithm, true, []),
  };
}

/** The KEM a raw public key belongs to, by its length; null for a key of no known kind. */
export function kemOf(publicKey) {
  return Object.keys(KEMS).find((kem) => KEMS[kem].key_bytes === publicKey.length) || null;
}

function header(kem) {
  return Uint8Array.of(SEALED_VERSION, KEMS[kem].byte);
}

function info(requestId) {
  return encoder.encode(`${SEALED_INFO}${requestId}`);
}

/**
 * Seal text to a request's public key; the base64url envelope. `ekm` (an ephemeral key pair) is only for
 * checking against test vectors.
 * @param {string} text
 * @param {{requestId: string, publicKey: Uint8Array, ekm?: CryptoKeyPair}} request
 */
export async function sealAnswers(text, { requestId, publicKey, ekm }) {
  const kem = kemOf(publicKey);
  if (!kem) throw new Error("the request's key is of no known kind");
  const hpke = cipherSuite(kem);
  const recipientPublicKey = await hpke.kem.importKey("raw", publicKey.slice().buffer, true);
  const sender = await hpke.createSenderContext({ recipientPublicKey, info: info(requestId), ...(ekm ? { ekm } : {}) });
  const sealed = new Uint8Array(await sender.seal(encoder.encode(text).buffer, header(kem).buffer));
  const enc = new Uint8Array(sender.enc);
  const envelope = new Uint8Array(2 + enc.length + sealed.length);
  envelope.set(header(kem));
  envelope.set(enc, 2);
  envelope.set(sealed, 2 + enc.length);
  return toBase64url(envelope);
}

/**
 * Open sealed answers with the request's key pair; throws DecryptionError if they were altered, or sealed
 * for another request or key.
 * @param {string} envelopeText
 * @param {{requestId: string, kem: string, keys: CryptoKeyPair}} request
 */
export async function openAnswers(envelopeText, { requestId, kem, keys }) {
  let envelope;
  try {
    envelope = fromBase64url(envelopeText);
  } catch {
    throw new DecryptionError("the answers are not base64url");
  }
  const keyBytes = KEMS[kem].key_bytes;
  if (envelope.length < 2 + keyBytes + 16 || envelope[0] !== SEALED_VERSION || envelope[1] !== KEMS[kem].byte) {
    throw new DecryptionError("these are not answers sealed for this request");
  }
  try {
    const recipient = await cipherSuite(kem).createRecipientContext({
      recipientKey: keys, enc: envelope.slice(2, 2 + keyBytes).buffer, info: info(requestId),
    });
    const plain = await recipient.open(envelope.slice(2 + keyBytes).buffer, header(kem).buffer);
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch {
    throw new DecryptionError("the answers do not open with this request's key: they were altered or sealed for another");
  }
}

// Letters and digits that cannot be mistaken for one another when read aloud or copied by hand.
const RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789";

/**
 * A receipt code for sealed answers, made from their bytes exactly as sent (SHA-256 of the envelope): the
 * person sees it after sending, the therapist beside the answers they open. The same code means these are
 * the bytes that person sent; anyone with the request link can send answers, so a different code, or
 * answers whose code nobody was shown, were sent by someone else. 8 characters, about 39 bits.
 * @param {string} envelopeText the base64url envelope
 */
export async function receiptCode(envelopeText) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", fromBase64url(envelopeText)));
  const code = [...digest.slice(0, 8)].map((byte) => RECEIPT_ALPHABET[byte % RECEIPT_ALPHABET.length]).join("");
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** A short fingerprint of a public key, for the therapist and the person to compare: 16 hex digits. */
export async function fingerprint(publicKey) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", publicKey));
  const hex = [...digest.slice(0, 8)].map((byte) => byte.toString(16).padStart(2, "0")).join("").toUpperCase();
  return hex.match(/.{4}/g)?.join(" ") ?? hex;
}

// --- the request link's fragment ----------------------------------------------------------------------

function check(fields) {
  return linkCheck(...["r", "k", "l", "d"].map((name) => fields.get(name) || ""));
}

/** @param {{id: string, publicKey: Uint8Array, label?: string, sessionDate?: string}} request */
export async function requestFragment({ id, publicKey, label, sessionDate }) {
  const fields = new URLSearchParams({ [REQUEST_ID_FIELD]: id, k: toBase64url(publicKey) });
  if (label) fields.set("l", label);
  if (sessionDate) fields.set("d", sessionDate);
  fields.set("c", await check(fields));
  return fields.toString();
}

/**
 * Read a request link's fragment: {id, publicKey, label, sessionDate}; null when it is no request link,
 * "damaged" when it is one that was cut or changed.
 * @returns {Promise<null | "damaged" | {id: string, publicKey: Uint8Array, label: string, sessionDate: string}>}
 */
export async function readRequestFragment(fragment) {
  if (!isRequestLink(fragment)) return null;
  const fields = new URLSearchParams(fragment.replace(/^#/, ""));
  const id = fields.get(REQUEST_ID_FIELD) || "";
  let publicKey;
  try {
    publicKey = fromBase64url(fields.get("k") || "");
  } catch {
    return "damaged";
  }
  if (!id || !kemOf(publicKey) || fields.get("c") !== (await check(fields))) return "damaged";
  const sessionDate = /^\d{4}-\d{2}-\d{2}$/.test(fields.get("d") || "") ? fields.get("d") || "" : "";
  return { id, publicKey, label: fields.get("l") || "", sessionDate };
}
