"""Helpers for driving the worksheet page as a person would."""

from __future__ import annotations

import json
import time

from py_client.content import WORKSHEET

STORAGE_KEY = "trust-safety-worksheet/answers"
PYTHON_TIMEOUT = 60_000


def open_worksheet(page, server_url, wait_for_python=True):
    page.goto(f"{server_url}/worksheet/")
    if wait_for_python:
        page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)


def stored(page) -> dict | None:
    raw = page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')")
    return json.loads(raw) if raw else None


def eventually(check, timeout=10.0):
    """Wait for a condition read from outside the page (the page's CSP forbids Playwright's string predicates)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


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
        page.get_by_role("button", name="Add a session").click()
        row = page.locator("[data-ws-session]").filter(has=page.locator("input:focus"))
        row.get_by_label("Date").fill(date)
        row.get_by_label("Topic").fill(topic)
        row.get_by_label("Trust (1-10)").select_option(trust)
        row.get_by_label("Safety (1-10)").select_option(safety)
        row.get_by_label("Therapist Role").fill(role)
    return typed
