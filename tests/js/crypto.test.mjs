// The crypto modules without a browser: the share envelope against its vectors (share-crypto.mjs), and the
// request suite against RFC 9180's (request-crypto.mjs). Node's WebCrypto is the same API the page uses.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { siteModule } from "./site.mjs";

const share = await import(siteModule("share-crypto.mjs"));
const request = await import(siteModule("request-crypto.mjs"));
const vectors = (name) => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), "utf8"));
const hex = (text) => Uint8Array.from(text.match(/../g) || [], (pair) => parseInt(pair, 16));
const toHex = (bytes) => [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, "0")).join("");

for (const vector of vectors("share-envelope-v1.json").vectors) {
  test(`the share envelope matches its vector: ${vector.name}`, async () => {
    const fixed = { linkKey: share.fromBase64url(vector.link_key), iv: share.fromBase64url(vector.iv) };
    const sealed = await share.seal(vector.plaintext, vector.passphrase, fixed);
    assert.equal(sealed.envelope, vector.envelope);
    assert.equal(sealed.claimHash, vector.claim_hash);
    const { key } = await share.deriveSecrets(share.fromBase64url(vector.link_key), vector.passphrase);
    assert.equal(await share.open(vector.envelope, key), vector.plaintext);
  });
}

test("an altered share envelope is refused with a clear message", async () => {
  const [vector] = vectors("share-envelope-v1.json").vectors;
  const bytes = share.fromBase64url(vector.envelope);
  bytes[bytes.length - 1] ^= 1;
  const { key } = await share.deriveSecrets(share.fromBase64url(vector.link_key), vector.passphrase);
  await assert.rejects(
    share.open(share.toBase64url(bytes), key),
    (error) => error instanceof share.DecryptionError && error.message === "the envelope does not decrypt: it was altered or the key is wrong",
  );
});

for (const vector of vectors("hpke-rfc9180.json").vectors) {
  const kem = { 0x20: "X25519", 0x10: "P-256" }[vector.kem_id];
  test(`the request suite matches RFC 9180's vector for ${kem}`, async () => {
    const suite = request.cipherSuite(kem);
    assert.deepEqual([suite.kem.id, suite.kdf.id, suite.aead.id], [vector.kem_id, vector.kdf_id, vector.aead_id]);
    const recipient = await suite.kem.deriveKeyPair(hex(vector.ikmR).buffer);
    const ekm = await suite.kem.deriveKeyPair(hex(vector.ikmE).buffer);
    assert.equal(toHex(await suite.kem.serializePublicKey(recipient.publicKey)), vector.pkRm);
    const info = hex(vector.info).buffer;
    const sender = await suite.createSenderContext({ recipientPublicKey: recipient.publicKey, info, ekm });
    assert.equal(toHex(sender.enc), vector.enc);
    const opener = await suite.createRecipientContext({ recipientKey: recipient, enc: sender.enc, info });
    for (const encryption of vector.encryptions) {
      assert.equal(toHex(await sender.seal(hex(encryption.pt).buffer, hex(encryption.aad).buffer)), encryption.ct);
      assert.equal(toHex(await opener.open(hex(encryption.ct).buffer, hex(encryption.aad).buffer)), encryption.pt);
    }
  });
}

test("answers sealed for one request never open with another key or for another request", async () => {
  const first = await request.newKeyPair();
  const second = await request.newKeyPair();
  assert.equal(first.kem, "X25519");
  const sealed = await request.sealAnswers("private", { requestId: "one", publicKey: first.publicKey });
  for (const [keys, requestId] of [[second, "one"], [second, "two"], [first, "two"]]) {
    await assert.rejects(request.openAnswers(sealed, { requestId, kem: keys.kem, keys: keys.keys }), share.DecryptionError);
  }
  assert.equal(await request.openAnswers(sealed, { requestId: "one", kem: first.kem, keys: first.keys }), "private");
  assert.equal(first.keys.privateKey.extractable, false);
});
