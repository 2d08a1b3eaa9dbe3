// The share envelope without a browser, against its vectors (share/share-crypto.mjs). Node's WebCrypto is
// the same API the page uses.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { siteModule } from "../support/site.mjs";

const share = await import(siteModule("share/share-crypto.mjs"));
const { fromBase64url, toBase64url } = await import(siteModule("core/bytes.mjs"));
const { DecryptionError } = await import(siteModule("core/sealed.mjs"));
const vectors = (name) => JSON.parse(readFileSync(new URL(`vectors/${name}`, import.meta.url), "utf8"));

for (const vector of vectors("share-envelope-v1.json").vectors) {
  test(`the share envelope matches its vector: ${vector.name}`, async () => {
    const fixed = { linkKey: fromBase64url(vector.link_key), iv: fromBase64url(vector.iv) };
    const sealed = await share.seal(vector.plaintext, vector.passphrase, fixed);
    assert.equal(sealed.envelope, vector.envelope);
    assert.equal(sealed.claimHash, vector.claim_hash);
    const { key } = await share.deriveSecrets(fromBase64url(vector.link_key), vector.passphrase);
    assert.equal(await share.open(vector.envelope, key), vector.plaintext);
  });
}

test("an altered share envelope is refused with a clear message", async () => {
  const [vector] = vectors("share-envelope-v1.json").vectors;
  const bytes = fromBase64url(vector.envelope);
  bytes[bytes.length - 1] ^= 1;
  const { key } = await share.deriveSecrets(fromBase64url(vector.link_key), vector.passphrase);
  await assert.rejects(
    share.open(toBase64url(bytes), key),
    (error) => error instanceof DecryptionError && error.message === "the envelope does not decrypt: it was altered or the key is wrong",
  );
});
