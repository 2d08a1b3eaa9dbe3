// The store's merge between tabs (store.mjs), plain and under the passcode, without a browser. Each tab is a
// module instance of its own; another tab that had not yet seen this tab's change is played by writing a
// record made before it.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { siteModule } from "../support/site.mjs";

const PASSCODE = "a long passcode nobody guesses 7";

beforeEach(() => localStorage.clear());

/** The store as one tab has it (a module instance of its own), holding one worksheet's answers. */
async function storeTab(tab, worksheet = "a-worksheet") {
  const store = await import(siteModule("worksheet/store.mjs", tab));
  store.open(worksheet);
  return store;
}

test("plain: a stale write from another tab does not lose this tab's change, and the other's new values stand", async () => {
  const tab = await storeTab("plain-a");
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
  const tab = await storeTab("plain-b");
  tab.edit(tab.emptyDocument(), (d) => tab.setAnswer(d, "trust", "Mine"));
  const theirs = JSON.parse(localStorage.getItem(tab.KEYS.answers));
  theirs.answers.trust = "Changed later in the other tab";
  localStorage.setItem(tab.KEYS.answers, JSON.stringify(theirs));
  assert.equal(tab.load().doc.answers.trust, "Changed later in the other tab");
});

test("sealed: a stale record from another tab does not lose this tab's change", async () => {
  const [one, other] = await Promise.all([storeTab("sealed-a"), storeTab("sealed-b")]);
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
  const [one, other] = await Promise.all([storeTab("sealed-c"), storeTab("sealed-d")]);
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
  const tab = await storeTab("locking");
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

test("answers saved before worksheets had keys of their own move under the first worksheet's, losing nothing", async () => {
  const { LEGACY_WORKSHEET } = await import(siteModule("core/facts.mjs"));
  const before = {
    "trust-safety-worksheet/answers": JSON.stringify({ format: "trust-safety-worksheet", version: 2, answers: { "a.b": "Kept" }, sessions: [] }),
    "trust-safety-worksheet/answers-locked": "{\"sealed\": true}",
    "trust-safety-worksheet/shares": "[]",
    "trust-safety-worksheet/kept-aside/2026-01-01T00:00:00.000Z": "damaged",
  };
  for (const [key, value] of Object.entries(before)) localStorage.setItem(key, value);
  localStorage.setItem("another-site/answers", "theirs");

  const other = await storeTab("legacy-other"); // another worksheet moves nothing
  assert.equal(localStorage.getItem("trust-safety-worksheet/answers"), before["trust-safety-worksheet/answers"]);
  assert.notEqual(other.KEYS.answers, "trust-safety-worksheet/answers");

  const tab = await import(siteModule("worksheet/store.mjs", "legacy"));
  assert.equal(tab.open(LEGACY_WORKSHEET), 0); // nothing was kept aside
  for (const [key, value] of Object.entries(before)) {
    assert.equal(localStorage.getItem(key), null, key);
    const moved = `trust-safety-worksheet/worksheets/${LEGACY_WORKSHEET}/${key.slice("trust-safety-worksheet/".length)}`;
    assert.equal(localStorage.getItem(moved), value, moved);
  }
  assert.equal(localStorage.getItem(tab.KEYS.answers), before["trust-safety-worksheet/answers"]);
  assert.equal(localStorage.getItem("another-site/answers"), "theirs");

  // A tab of the earlier version writes again after the move: its copy is kept aside, and the page told.
  localStorage.setItem("trust-safety-worksheet/answers", "written after the move");
  const later = await import(siteModule("worksheet/store.mjs", "legacy-later"));
  assert.equal(later.open(LEGACY_WORKSHEET), 1);
  assert.equal(localStorage.getItem(later.KEYS.answers), before["trust-safety-worksheet/answers"]);
  const aside = Object.keys(localStorage).filter((key) => key.startsWith(later.KEYS.asideMarker)).sort();
  assert.deepEqual(aside.map((key) => localStorage.getItem(key)), ["damaged", "written after the move"]);
});

test("one store holds one worksheet, named by a valid id", async () => {
  const tab = await storeTab("one-only");
  tab.open("a-worksheet"); // the same again is no change
  assert.throws(() => tab.open("another-worksheet"), /already holds a-worksheet/);
  const fresh = await import(siteModule("worksheet/store.mjs", "bad-id"));
  assert.throws(() => fresh.open("../answers"), /no worksheet id/);
  const { WORKSHEET_LIMITS } = await import(siteModule("core/facts.mjs"));
  assert.throws(() => fresh.open("a".repeat(WORKSHEET_LIMITS.worksheet_id_length + 1)), /no worksheet id/);
  assert.equal(tab.emptyDocument().worksheet, "a-worksheet");
});
