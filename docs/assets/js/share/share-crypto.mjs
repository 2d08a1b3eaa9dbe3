// @ts-check
// End-to-end encryption of a shared snapshot with WebCrypto (format version 1).
//
//   link key K        32 random bytes; travels only in the link's #fragment
//   passphrase (opt.) P = PBKDF2-SHA-256(NFC(passphrase), salt, 600,000 iterations, 32 bytes),
//                     salt = HKDF-SHA-256(K, info "tsw-share-v1 passphrase salt", 16 bytes)
//   input key         IKM = K, or K || P with a passphrase
//   encryption key    HKDF-SHA-256(IKM, info "tsw-share-v1 encryption", 32 bytes), AES-256-GCM
//   claim token       HKDF-SHA-256(IKM, info "tsw-share-v1 claim", 32 bytes); the server keeps SHA-256 of it
//   envelope          [version 1][flags: 1 = passphrase][IV, 12 bytes][AES-GCM ciphertext + 16-byte tag],
//                     with the 14 header bytes as additional data, so version and flags cannot be altered
//
// The HKDF salt is empty (K is already uniformly random). sync_server/envelope.py documents the same
// layout; tests/share/vectors/share-envelope-v1.json holds vectors that a Python implementation also checks.
import { fromBase64url, toBase64url } from "../core/bytes.mjs";
import { DecryptionError, linkCheck } from "../core/sealed.mjs";
import { ENVELOPE_VERSION, ENVELOPE_HEADER_BYTES as HEADER_BYTES } from "../core/facts.mjs";

export const PBKDF2_ITERATIONS = 600_000;
const FLAG_PASSPHRASE = 1;
const encoder = new TextEncoder();

async function hkdf(ikm, info, length) {
  const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(info) }, key, length * 8);
  return new Uint8Array(bits);
}

async function inputKey(linkKey, passphrase) {
  if (!passphrase) return linkKey;
  const salt = await hkdf(linkKey, "tsw-share-v1 passphrase salt", 16);
  const material = await crypto.subtle.importKey("raw", encoder.encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveBits"]);
  const stretched = new Uint8Array(await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations: PBKDF2_ITERATIONS }, material, 256));
  const combined = new Uint8Array(linkKey.length + stretched.length);
  combined.set(linkKey);
  combined.set(stretched, linkKey.length);
  return combined;
}

/** The secrets both sides derive from the link key (and passphrase): encryption key and claim token. */
export async function deriveSecrets(linkKey, passphrase = "") {
  const ikm = await inputKey(linkKey, passphrase);
  const keyBytes = await hkdf(ikm, "tsw-share-v1 encryption", 32);
  const claimToken = await hkdf(ikm, "tsw-share-v1 claim", 32);
  const key = await crypto.subtle.importKey("raw", keyBytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  const claimHash = new Uint8Array(await crypto.subtle.digest("SHA-256", claimToken));
  return { key, claimToken: toBase64url(claimToken), claimHash: toBase64url(claimHash) };
}

/** Encrypt a snapshot. `fixed` ({linkKey, iv}) is only for making test vectors. */
export async function seal(plaintext, passphrase = "", fixed = {}) {
  const linkKey = fixed.linkKey || crypto.getRandomValues(new Uint8Array(32));
  const iv = fixed.iv || crypto.getRandomValues(new Uint8Array(12));
  const { key, claimToken, claimHash } = await deriveSecrets(linkKey, passphrase);
  const header = new Uint8Array(HEADER_BYTES);
  header[0] = ENVELOPE_VERSION;
  header[1] = passphrase ? FLAG_PASSPHRASE : 0;
  header.set(iv, 2);
  const sealed = new Uint8Array(await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: header, tagLength: 128 }, key, encoder.encode(plaintext)));
  const envelope = new Uint8Array(HEADER_BYTES + sealed.length);
  envelope.set(header);
  envelope.set(sealed, HEADER_BYTES);
  return { envelope: toBase64url(envelope), linkKey: toBase64url(linkKey), claimToken, claimHash };
}

/** Decrypt an envelope with the secrets derived for it; throws DecryptionError if it was altered. */
export async function open(envelopeText, key) {
  let envelope;
  try {
    envelope = fromBase64url(envelopeText);
  } catch {
    throw new DecryptionError("the envelope is not base64url");
  }
  if (envelope.length < HEADER_BYTES + 16 || envelope[0] !== ENVELOPE_VERSION) throw new DecryptionError("unknown envelope version");
  const header = envelope.slice(0, HEADER_BYTES);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: header.slice(2), additionalData: header, tagLength: 128 }, key, envelope.slice(HEADER_BYTES));
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch {
    throw new DecryptionError("the envelope does not decrypt: it was altered or the key is wrong");
  }
}

// --- the link's fragment: #id=<share id>&k=<link key>&c=<check>[&p=1] -------------------------------------

export async function linkFragment(id, linkKey, hasPassphrase) {
  const fields = new URLSearchParams({ id, k: linkKey, c: await linkCheck(id, linkKey) });
  if (hasPassphrase) fields.set("p", "1");
  return fields.toString();
}

/** Read a fragment; returns {id, linkKey (bytes), hasPassphrase} or null if it is missing or damaged. */
export async function readFragment(fragment) {
  const fields = new URLSearchParams(fragment.replace(/^#/, ""));
  const id = fields.get("id");
  const key = fields.get("k");
  if (!id || !key || fields.get("c") !== (await linkCheck(id, key))) return null;
  let linkKey;
  try {
    linkKey = fromBase64url(key);
  } catch {
    return null;
  }
  return linkKey.length === 32 ? { id, linkKey, hasPassphrase: fields.get("p") === "1" } : null;
}
