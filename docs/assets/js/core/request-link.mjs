// @ts-check
// Whether a page was opened from a therapist's request link (#r=…&k=…), told without loading the request's
// cryptography (request-crypto.mjs, which brings HPKE and reads the whole link): the worksheet asks on
// every visit, and only a request link needs the rest.
export const REQUEST_ID_FIELD = "r";

/** @param {string} fragment a URL's fragment, with or without its "#" */
export function isRequestLink(fragment) {
  return new URLSearchParams(fragment.replace(/^#/, "")).has(REQUEST_ID_FIELD);
}
