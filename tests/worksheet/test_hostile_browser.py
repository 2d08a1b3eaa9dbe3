"""Hostile browser state: crafted backups, hand-edited storage, altered ciphertext, and the strict CSP."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from py_client import answers
from py_client.exports import as_text
from tests.support.browser import eventually, run_axe
from tests.support.worksheet_page import PYTHON_TIMEOUT, open_worksheet, stored
from tests.support.worksheets import TRUST_ID, trust

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>"\'&lt;b&gt;|=cmd'
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__violations.push(event.violatedDirective + " " + event.blockedURI));
"""


def crafted_backup() -> dict:
    specs = answers.field_specs(trust())
    crafted = {}
    for name, spec in specs.items():
        crafted[name] = {"check": True, "scale": 5}.get(spec.kind, PAYLOAD)
    sessions = [{"id": "s1", "date": "2026-01-05", "topic": PAYLOAD, "trust": 3, "safety": 4, "therapist_role": PAYLOAD}]
    return {
        "format": answers.FORMAT,
        "version": answers.VERSION,
        "worksheet": TRUST_ID,
        "saved_at": "2026-01-06T10:00:00Z",
        "answers": crafted,
        "sessions": sessions,
    }


@pytest.fixture
def strict_context(browser):
    context = browser.new_context(service_workers="block")
    context.add_init_script(RECORD_VIOLATIONS)
    yield context
    context.close()


def no_script_ran(page):
    assert page.evaluate("window.__pwned") is None
    assert page.locator("article img[src='x']").count() == 0


def test_crafted_backup_is_text_everywhere(strict_context, live_server, tmp_path):
    person = strict_context.new_page()
    open_worksheet(person, live_server.url)
    backup = tmp_path / "crafted.json"
    backup.write_text(json.dumps(crafted_backup()))
    person.get_by_label("Restore answers from a backup file").set_input_files(backup)
    expect(person.locator('[name="reflections.trust-meaning"]')).to_have_value(PAYLOAD)
    expect(person.locator("[data-ws-session] [name=topic]")).to_have_value(PAYLOAD)
    expect(person.locator("#ws-chart svg")).to_be_visible()
    no_script_ran(person)
    with person.expect_download() as download:
        person.get_by_role("button", name="Download as Markdown").click()
    assert as_text(PAYLOAD) in download.value.path().read_text()  # shown as typed by any Markdown viewer

    person.get_by_role("button", name="Create a one-time link").click()
    link = person.get_by_label("Link for your therapist")
    expect(link).to_have_value(re.compile("/open/#"), timeout=30_000)
    therapist = strict_context.browser.new_context(service_workers="block")
    therapist.add_init_script(RECORD_VIOLATIONS)
    view = therapist.new_page()
    view.goto(link.input_value())
    view.get_by_role("button", name="Reveal answers").click()
    shown = view.locator("#ws-open-answers")
    expect(shown).to_contain_text("window.__pwned=1", timeout=PYTHON_TIMEOUT)
    assert shown.locator("img, script").count() == 0
    assert PAYLOAD in shown.locator("table td").nth(1).inner_text()
    assert view.evaluate("window.__pwned") is None
    assert view.evaluate("window.__violations") == [] and person.evaluate("window.__violations") == []
    therapist.close()


def test_huge_backup_is_refused_with_a_clear_message(watched_page, live_server, tmp_path):
    page = watched_page
    open_worksheet(page, live_server.url)
    page.get_by_label("What does trust mean to you?").fill("Keep me")
    huge = tmp_path / "huge.json"
    huge.write_text(
        '{"format": "trust-safety-worksheet", "version": 2, "answers": {}, "sessions": [], "pad": "'
        + "x" * (6 * 1024 * 1024)
        + '"}'
    )
    page.get_by_label("Restore answers from a backup file").set_input_files(huge)
    expect(page.locator("#ws-notice")).to_contain_text("too large to be a worksheet backup. Nothing was changed.")
    assert stored(page)["answers"]["reflections.trust-meaning"] == "Keep me"


def test_hand_edited_storage_is_reported_and_kept(watched_page, live_server):
    page = watched_page
    open_worksheet(page, live_server.url, wait_for_python=False)
    edited = {
        "format": answers.FORMAT,
        "version": answers.VERSION,
        "worksheet": TRUST_ID,
        "saved_at": None,
        "answers": {"exercise.helpfulness": "eleven", "reflections.feedback": "Kind and direct"},
        "sessions": [{"id": "s1", "date": "2026-13-40", "topic": "x", "trust": 3, "safety": 99, "therapist_role": None}],
    }
    page.evaluate(
        "doc => localStorage.setItem('trust-safety-worksheet/worksheets/building-trust-and-safety/answers', JSON.stringify(doc))",
        edited,
    )
    page.reload()
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    problems = page.locator("#ws-problems")
    expect(problems).to_contain_text("'How helpful was this exercise?' must be a whole number from 1 to 10; it was 'eleven'")
    expect(problems).to_contain_text("'Session 1: Safety (1-10)' must be a whole number from 1 to 10")
    assert page.locator('[name="reflections.feedback"]').input_value() == "Kind and direct"
    assert stored(page)["answers"]["exercise.helpfulness"] == "eleven"  # kept as it was, for the person to fix
    page.locator("[data-ws-session] [name=safety]").select_option("9")
    page.locator("[data-ws-session] [name=date]").fill("2026-01-04")
    page.get_by_role("group", name="How helpful was this exercise?").get_by_label("8", exact=True).check()
    expect(problems).to_be_hidden()
    assert run_axe(page) == []


def test_altered_ciphertext_is_refused_with_a_clear_message(strict_context, live_server):
    person = strict_context.new_page()
    open_worksheet(person, live_server.url)
    person.get_by_label("What does trust mean to you?").fill("Private words")
    person.get_by_role("button", name="Create a one-time link").click()
    link = person.get_by_label("Link for your therapist")
    expect(link).to_have_value(re.compile("/open/#"), timeout=30_000)
    therapist = strict_context.browser.new_context(service_workers="block")
    view = therapist.new_page()

    def alter(route):
        response = route.fetch()
        body = response.json()
        flipped = "A" if body["ciphertext"][-5] != "A" else "B"
        body["ciphertext"] = body["ciphertext"][:-5] + flipped + body["ciphertext"][-4:]
        route.fulfill(response=response, json=body)

    view.route(re.compile(r".*/claim$"), alter)
    view.goto(link.input_value())
    view.get_by_role("button", name="Reveal answers").click()
    expect(view.locator("#ws-open-message")).to_contain_text("arrived damaged and cannot be decrypted")
    assert "Private words" not in view.locator("article").inner_text()
    therapist.close()


def test_strict_csp_is_sent_and_the_whole_flow_runs_under_it(strict_context, live_server):
    page = strict_context.new_page()
    response = page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    page.get_by_role("button", name="Add a session").click()
    page.locator("[data-ws-session] [name=trust]").select_option("6")
    expect(page.locator("#ws-chart svg")).to_be_visible()
    with page.expect_download():
        page.get_by_role("button", name="Download a backup (JSON)").click()
    page.get_by_role("button", name="Create a one-time link").click()
    expect(page.get_by_label("Link for your therapist")).to_have_value(re.compile("/open/#"), timeout=30_000)
    assert page.evaluate("window.__violations") == []  # each new document starts its own record
    page.goto(page.get_by_label("Link for your therapist").input_value())
    page.get_by_role("button", name="Reveal answers").click()
    expect(page.locator("#ws-open-answers")).to_be_visible(timeout=PYTHON_TIMEOUT)
    assert page.evaluate("window.__violations") == []
    page.goto(f"{live_server.url}/article/")
    page.get_by_role("link", name="Privacy").first.click()  # instant navigation
    eventually(lambda: "privacy" in page.url)
    assert page.evaluate("window.__violations") == []
