// The request suite without a browser, against RFC 9180's vectors (request/request-crypto.mjs). Node's
// WebCrypto is the same API the page uses.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { siteModule } from "../support/site.mjs";

const request = await import(siteModule("request/request-crypto.mjs"));
const { DecryptionError } = await import(siteModule("core/sealed.mjs"));
const vectors = (name) => JSON.parse(readFileSync(new URL(`vectors/${name}`, import.meta.url), "utf8"));
const hex = (text) => Uint8Array.from(text.match(/../g) || [], (pair) => parseInt(pair, 16));
const toHex = (bytes) => [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, "0")).join("");

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
    await assert.rejects(request.openAnswers(sealed, { requestId, kem: keys.kem, keys: keys.keys }), DecryptionError);
  }
  assert.equal(await request.openAnswers(sealed, { requestId: "one", kem: first.kem, keys: first.keys }), "private");
  assert.equal(first.keys.privateKey.extractable, false);
});
