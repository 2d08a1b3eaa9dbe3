"""Helpers for driving the worksheet page as a person would."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from py_client.answers import FORMAT
from tests.support import worksheets
from tests.support.worksheets import TRUST_ID

WORKSHEET = worksheets.trust()


# The first worksheet's answers (store.mjs keeps each worksheet's under keys of its own).
STORAGE_KEY = f"{FORMAT}/worksheets/{TRUST_ID}/answers"
# Answers as the first drafts of the site saved them (format version 1), for the migration tests.
VERSION_1_DOCUMENT = {
    "format": FORMAT,
    "version": 1,
    "saved_at": "2025-12-01T09:00:00Z",
    "fields": {"reflections.feedback": "Gently, at the end"},
    "log": [{"id": "old1", "date": "2025-11-20", "topic": "First", "trust": "2", "safety": "3", "role": "Explain more"}],
}
PYTHON_TIMEOUT = 60_000
PASSCODE = "blue door 1987"


def open_worksheet(page, server_url, wait_for_python=True, worksheet=TRUST_ID):
    page.goto(server_url + worksheets.page_path(worksheet))
    if wait_for_python:
        page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)


def add_session(page):
    """Add a session to the log; its card, where focus lands (on its date)."""
    page.get_by_role("button", name="Add a session").click()
    return page.locator("[data-ws-session]").filter(has=page.locator("input:focus"))


def open_request_link(page, link: str) -> None:
    """Load the worksheet from a request link afresh (a new #fragment alone would not load the page again)."""
    page.goto("about:blank")
    page.goto(link)
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)


def stored(page) -> dict | None:
    raw = page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')")
    return json.loads(raw) if raw else None


def text_prompts():
    for section in WORKSHEET.sections:
        for prompt in section.prompts:
            if prompt.kind == "text":
                yield section, prompt


def fill_everything(page):
    """Fill every part of the worksheet through its visible labels, as a person would. Returns the texts."""
    typed = {}
    for section in WORKSHEET.sections:
        for item in section.items[::2]:
            page.get_by_label(f"{item.label}. {item.explanation}").check()
    for section, prompt in text_prompts():
        value = f"My answer to {prompt.id} – with <em>markup</em> & “quotes”\nand a second line"
        page.get_by_label(prompt.label, exact=True).fill(value)
        typed[f"{section.id}.{prompt.id}"] = value
    needs = page.get_by_role("group", name="List three things you need to feel safe in the therapeutic relationship.")
    for n in (1, 2, 3):
        needs.get_by_label(f"{n}.").fill(f"Need number {n}")
        typed[f"reflections.relationship-needs.{n}"] = f"Need number {n}"
    page.get_by_role("group", name="How helpful was this exercise?").get_by_label("7", exact=True).check()
    for date, topic, trust, safety, role in [
        ("2026-02-09", "Work stress", "6", "7", "Ask before moving on"),
        ("2026-01-12", "Family history", "3", "4", "Slow down"),
    ]:
        row = add_session(page)
        row.get_by_label("Date").fill(date)
        row.get_by_label("Topic").fill(topic)
        row.get_by_label("Trust (1-10)").select_option(trust)
        row.get_by_label("Safety (1-10)").select_option(safety)
        row.get_by_label("Therapist Role").fill(role)
    return typed


class SharePanel:
    """The worksheet's "Share with my therapist" panel, used through its labels as the person would."""

    def __init__(self, page):
        self.page = page
        self.panel = page.locator("#ws-share")
        self.link = self.panel.get_by_label("Link for your therapist")

    def create_link(self, *, passphrase: str = "", lifetime: str = "", sections: set[str] | None = None, note: str = "") -> str:
        """Make a one-time link of the chosen parts (all by default) and return it as shown."""
        if sections is not None:
            for box in self.panel.get_by_role("group", name="What to include").get_by_role("checkbox").all():
                box.set_checked(box.get_attribute("value") in sections)
        if lifetime:
            self.panel.get_by_label(lifetime, exact=True).check()
        if passphrase:
            self.panel.get_by_label("Passphrase (optional)").fill(passphrase)
        if note:
            self.panel.get_by_label("A note for your therapist (optional)").fill(note)
        before = self.link.input_value()
        self.panel.get_by_role("button", name="Create a one-time link").click()
        expect(self.link).to_have_value(re.compile(r"/open/#id="), timeout=30_000)
        expect(self.link).not_to_have_value(before or "-")
        return self.link.input_value()


# --- the passcode lock, as a person sets and opens it ---------------------------------------------------


def passcode_field(page):
    """The one "Passcode" field on show: setting a passcode and unlocking each have one."""
    return page.get_by_label("Passcode", exact=True).filter(visible=True)


def type_words(page, first: str, second: str):
    page.get_by_label("What does trust mean to you?", exact=True).fill(first)
    add_session(page).get_by_label("Topic").fill(second)


def set_passcode(page, code=PASSCODE):
    page.get_by_role("button", name="Lock with a passcode").click()
    passcode_field(page).fill(code)
    page.get_by_label("Repeat passcode").fill(code)
    page.get_by_role("button", name="Lock", exact=True).click()
    expect(page.get_by_role("button", name="Lock now")).to_be_visible(timeout=20_000)


def unlock(page, code=PASSCODE):
    passcode_field(page).fill(code)
    page.get_by_role("button", name="Unlock").click()


# --- Python's kept memory (core/python-memory.mjs) ---------------------------------------------------------

KEPT_MEMORY_PREFIX = "trust-safety-python-"
# Reads the kept copy in the page (it is 30 MiB unpacked) and reports which words it holds, in the ways
# Python or JavaScript could hold them: UTF-8, Latin-1 (Python's compact strings) and UTF-16. With no words, its
# sizes packed and unpacked (bench/pages.py).
SEARCH_KEPT_MEMORY = """async ([prefix, words]) => {
  const names = (await caches.keys()).filter((name) => name.startsWith(prefix));
  if (names.length !== 1) return { names };
  const cache = await caches.open(names[0]);
  const [request] = await cache.keys();
  const packed = await (await cache.match(request)).arrayBuffer();
  const unpacked = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
  const memory = new Uint8Array(await new Response(unpacked).arrayBuffer());
  const forms = {
    "UTF-8": (word) => new TextEncoder().encode(word),
    "Latin-1": (word) => Uint8Array.from(word, (char) => char.charCodeAt(0) & 255),
    "UTF-16": (word) => Uint8Array.from([...word].flatMap((char) => [char.charCodeAt(0) & 255, char.charCodeAt(0) >> 8])),
  };
  const found = [];
  for (const word of words) {
    for (const [form, encode] of Object.entries(forms)) {
      const needle = encode(word);
      search: for (let at = memory.indexOf(needle[0]); at !== -1; at = memory.indexOf(needle[0], at + 1)) {
        for (let index = 1; index < needle.length; index++) if (memory[at + index] !== needle[index]) continue search;
        found.push(`${word} (${form})`);
        break;
      }
    }
  }
  return { names, packed: packed.byteLength, unpacked: memory.length, found };
}"""
