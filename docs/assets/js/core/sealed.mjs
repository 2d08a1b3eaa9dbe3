// @ts-check
// What both kinds of sealed answers share, a one-time link's envelope (share/share-crypto.mjs) and a
// request's HPKE (request/request-crypto.mjs): the error for what does not open, and a link's check field.
import { toBase64url } from "./bytes.mjs";

const encoder = new TextEncoder();

/** Sealed answers that do not open: altered, cut short, or sealed with another key. */
export class DecryptionError extends Error {}

/** A link's check field: the start of SHA-256 over its parts, so a link cut short or altered is caught. */
export async function linkCheck(...parts) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(parts.join("~"))));
  return toBase64url(digest.slice(0, 6));
}
