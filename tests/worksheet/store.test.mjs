// The store's merge between tabs (store.mjs), plain and under the passcode, without a browser. Each tab is a
// module instance of its own; another tab that had not yet seen this tab's change is played by writing a
// record made before it.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { siteModule } from "../support/site.mjs";

const PASSCODE = "a long passcode nobody guesses 7";

beforeEach(() => localStorage.clear());

test("plain: a stale write from another tab does not lose this tab's change, and the other's new values stand", async () => {
  const tab = await import(siteModule("worksheet/store.mjs", "plain-a"));
  const doc = tab.edit(tab.emptyDocument(), (d) => tab.setAnswer(d, "trust", "Before"));
  const stale = localStorage.getItem(tab.KEYS.answers); // what the other tab still sees
  tab.edit(doc, (d) => tab.setAnswer(d, "trust", "Written in this tab"));
  const theirs = JSON.parse(stale);
  theirs.answers.safety = "Written in the other tab";
  localStorage.setItem(tab.KEYS.answers, JSON.stringify(theirs));

  const { doc: loaded } = tab.load();
  assert.deepEqual(loaded.answers, { trust: "Written in this tab", safety: "Written in the other tab" });
  assert.deepEqual(JSON.parse(localStorage.getItem(tab.KEYS.answers)).answers, loaded.answers); // written back
  const settled = localStorage.getItem(tab.KEYS.answers);
  tab.load();
  assert.equal(localStorage.getItem(tab.KEYS.answers), settled); // and settled: no write when nothing was missed
});

test("plain: a value this tab never had is the other tab's later change, and stands", async () => {
  const tab = await import(siteModule("worksheet/store.mjs", "plain-b"));
  tab.edit(tab.emptyDocument(), (d) => tab.setAnswer(d, "trust", "Mine"));
  const theirs = JSON.parse(localStorage.getItem(tab.KEYS.answers));
  theirs.answers.trust = "Changed later in the other tab";
  localStorage.setItem(tab.KEYS.answers, JSON.stringify(theirs));
  assert.equal(tab.load().doc.answers.trust, "Changed later in the other tab");
});

test("sealed: a stale record from another tab does not lose this tab's change", async () => {
  const [one, other] = await Promise.all([import(siteModule("worksheet/store.mjs", "sealed-a")), import(siteModule("worksheet/store.mjs", "sealed-b"))]);
  one.edit(one.emptyDocument(), (d) => one.setAnswer(d, "trust", "Before"));
  await one.setPasscode(PASSCODE);
  await other.unlock(PASSCODE);
  const stale = localStorage.getItem(one.KEYS.locked);
  one.edit(null, (d) => one.setAnswer(d, "trust", "Written in this tab"));
  const current = localStorage.getItem(one.KEYS.locked);
  localStorage.setItem(one.KEYS.locked, stale); // the other tab's view: this tab's record has not reached it
  other.edit(null, (d) => other.setAnswer(d, "safety", "Written in the other tab"));
  assert.notEqual(localStorage.getItem(one.KEYS.locked), current);

  one.edit(null, (d) => one.setAnswer(d, "rupture", "Later in this tab"));
  const expected = { trust: "Written in this tab", safety: "Written in the other tab", rupture: "Later in this tab" };
  assert.deepEqual(one.load().doc.answers, expected);
  assert.deepEqual(other.reload().answers, expected);
  one.lock();
  other.lock();
});

test("sealed: reading another tab's stale record puts this tab's change back and seals it again", async () => {
  const [one, other] = await Promise.all([import(siteModule("worksheet/store.mjs", "sealed-c")), import(siteModule("worksheet/store.mjs", "sealed-d"))]);
  await one.setPasscode(PASSCODE);
  await other.unlock(PASSCODE);
  const stale = localStorage.getItem(one.KEYS.locked);
  one.edit(null, (d) => one.setAnswer(d, "trust", "Written in this tab"));
  localStorage.setItem(one.KEYS.locked, stale);
  other.edit(null, (d) => other.setAnswer(d, "safety", "Written in the other tab"));

  assert.deepEqual(one.reload().answers, { trust: "Written in this tab", safety: "Written in the other tab" });
  assert.deepEqual(other.reload().answers, { trust: "Written in this tab", safety: "Written in the other tab" });
  const settled = localStorage.getItem(one.KEYS.locked);
  one.reload();
  assert.equal(localStorage.getItem(one.KEYS.locked), settled);
  one.lock();
  other.lock();
});

test("locking forgets the answers this tab wrote, and a locked tab reads nothing", async () => {
  const tab = await import(siteModule("worksheet/store.mjs", "locking"));
  tab.edit(tab.emptyDocument(), (d) => tab.setAnswer(d, "trust", "Private"));
  await tab.setPasscode(PASSCODE);
  tab.lock();
  assert.equal(tab.isShut(), true);
  assert.deepEqual(tab.load(), { doc: tab.emptyDocument(), locked: true });
  assert.throws(() => tab.edit(null, () => {}), tab.LockedError);
  assert.throws(() => tab.setItem("logView", "table"), tab.LockedError);
  assert.throws(() => tab.replace(tab.emptyDocument()), tab.LockedError);
  assert.equal(tab.getItem("logView"), null);
  assert.deepEqual(tab.keptAside(), []);
  assert.ok(!localStorage.getItem(tab.KEYS.locked).includes("Private"));
  assert.equal((await tab.unlock(PASSCODE)).answers.trust, "Private");
  tab.lock();
});
