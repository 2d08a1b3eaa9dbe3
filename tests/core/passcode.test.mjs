// The passcode format (passcode.mjs) without a browser: what a record holds, what opens it, what it refuses.
import assert from "node:assert/strict";
import { test } from "node:test";

import { siteModule } from "../support/site.mjs";

const passcode = await import(siteModule("core/passcode.mjs"));
const { toBase64url } = await import(siteModule("core/bytes.mjs"));
const FORMAT = "test-format";
const PASSCODE = "a long passcode nobody guesses 7";
const lock = await passcode.newLock(PASSCODE);
const record = passcode.seal(lock, FORMAT, { doc: { answers: { trust: "Private words" } } });

test("a record holds the KDF, a salt, a fresh IV and ciphertext: nothing of what it seals", () => {
  const fields = JSON.parse(record);
  assert.deepEqual(Object.keys(fields).sort(), ["data", "format", "iv", "kdf", "lock", "salt"]);
  assert.equal(fields.lock, passcode.LOCK_FORMAT_VERSION);
  assert.deepEqual(fields.kdf, passcode.KDF);
  assert.ok(!record.includes("Private"));
  assert.notEqual(JSON.parse(passcode.seal(lock, FORMAT, {})).iv, fields.iv); // a new IV for every save
});

test("the right passcode opens it; a wrong one throws WrongPasscodeError", async () => {
  const opened = await passcode.unlock(record, FORMAT, PASSCODE);
  assert.deepEqual(opened.payload, { doc: { answers: { trust: "Private words" } } });
  assert.equal(opened.renewed, false);
  assert.deepEqual(passcode.reopen(record, FORMAT, opened.lock), opened.payload);
  await assert.rejects(passcode.unlock(record, FORMAT, `${PASSCODE}!`), passcode.WrongPasscodeError);
});

test("the header is bound: a record moved to another format, or given another salt, does not open", async () => {
  const moved = JSON.stringify({ ...JSON.parse(record), format: "other-format" });
  assert.throws(() => passcode.reopen(moved, "other-format", lock), passcode.WrongPasscodeError);
  const resalted = JSON.stringify({ ...JSON.parse(record), salt: toBase64url(new Uint8Array(16)) });
  assert.throws(() => passcode.reopen(resalted, FORMAT, lock), passcode.WrongPasscodeError);
  const flipped = JSON.parse(record);
  flipped.data = `${flipped.data[0] === "A" ? "B" : "A"}${flipped.data.slice(1)}`;
  assert.throws(() => passcode.reopen(JSON.stringify(flipped), FORMAT, lock), passcode.WrongPasscodeError);
});

test("records it cannot read are refused before any key is derived", async () => {
  const unreadable = [
    "not json",
    JSON.stringify({ ...JSON.parse(record), format: "another" }),
    JSON.stringify({ ...JSON.parse(record), lock: 3 }),
    JSON.stringify({ ...JSON.parse(record), kdf: { ...passcode.KDF, name: "scrypt" } }),
    JSON.stringify({ ...JSON.parse(record), kdf: { ...passcode.KDF, memory_kib: 4 * 1024 * 1024 } }), // 4 GiB
  ];
  for (const raw of unreadable) await assert.rejects(passcode.unlock(raw, FORMAT, PASSCODE), passcode.UnreadableLockError, raw);
});

test("a version 1 record (PBKDF2) opens and comes back renewed under today's KDF", async () => {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iterations = 1000; // the record says how many; the real ones said 600,000
  const key = await passcode.deriveKey(PASSCODE, salt, { name: "pbkdf2-sha256", iterations });
  const old = passcode.seal({ salt, version: 1, kdf: { name: "pbkdf2-sha256", iterations }, key }, FORMAT, { doc: "old" });
  const { kdf, ...fields } = JSON.parse(old); // a version 1 record names only its iterations
  assert.equal(kdf.name, "pbkdf2-sha256");
  const v1 = JSON.stringify({ ...fields, iterations });
  const opened = await passcode.unlock(v1, FORMAT, PASSCODE);
  assert.deepEqual(opened.payload, { doc: "old" });
  assert.equal(opened.renewed, true);
  assert.deepEqual(opened.lock.kdf, passcode.KDF);
});

test("forget zeroes the key", () => {
  const copy = { ...lock, key: Uint8Array.from(lock.key) };
  passcode.forget(copy);
  assert.ok(copy.key.every((byte) => byte === 0));
});

test("the unlock form says what went wrong and selects the field for another try", async () => {
  const field = { value: "wrong", selected: false, select() { this.selected = true; } };
  const message = { textContent: "" };
  const words = { locked: "The answers", kept: "They are kept as they were." };
  const wrong = await passcode.unlockFromForm(field, message, (code) => passcode.unlock(record, FORMAT, code), words);
  assert.deepEqual(wrong, { unlocked: false });
  assert.equal(message.textContent, "That passcode is not right. Nothing was changed; try again.");
  assert.equal(field.selected, true);
  field.value = PASSCODE;
  const right = await passcode.unlockFromForm(field, message, (code) => passcode.unlock(record, FORMAT, code), words);
  assert.equal(right.unlocked, true);
  assert.equal(field.value, "");
  const damaged = await passcode.unlockFromForm({ value: PASSCODE }, message, () => passcode.unlock("{}", FORMAT, PASSCODE), words);
  assert.deepEqual(damaged, { unlocked: false });
  assert.match(message.textContent, /^The answers could not be read \(.+\)\. They are kept as they were\.$/);
});
