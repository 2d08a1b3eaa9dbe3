"""The interactive worksheet in Debian's Chromium: saving, restoring, Python, files, tabs, offline, a11y."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from playwright.sync_api import expect

from py_client import answers
from tests.support import worksheets
from tests.support.browser import RequestLog, eventually, run_axe
from tests.support.worksheet_page import PYTHON_TIMEOUT, STORAGE_KEY, VERSION_1_DOCUMENT, fill_everything, open_worksheet, stored

WORKSHEET = worksheets.trust()

pytestmark = pytest.mark.browser


def test_fill_every_part_reload_and_find_everything(watched_page, live_server):
    page = watched_page
    open_worksheet(page, live_server.url)
    typed = fill_everything(page)
    saved = stored(page)
    assert saved["answers"]["exercise.helpfulness"] == "7"
    page.reload()
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    for section in WORKSHEET.sections:
        for index, item in enumerate(section.items):
            assert page.get_by_label(f"{item.label}. {item.explanation}").is_checked() == (index % 2 == 0)
    for name, value in typed.items():
        assert page.locator(f'[name="{name}"]').input_value() == value
    assert page.get_by_role("group", name="How helpful was this exercise?").get_by_label("7", exact=True).is_checked()
    rows = page.locator("[data-ws-session]")
    assert rows.count() == 2
    # Reordered by date: the January session comes first.
    assert rows.nth(0).get_by_label("Date").input_value() == "2026-01-12"
    assert rows.nth(0).get_by_label("Topic").input_value() == "Family history"
    assert rows.nth(1).get_by_label("Therapist Role").input_value() == "Ask before moving on"
    assert "Session 1, 12 January 2026" in rows.nth(0).locator("legend").inner_text()
    description = page.locator("#ws-progress-description")
    assert "2 sessions logged, from 12 January 2026 to 9 February 2026" in description.inner_text()
    assert "Trust: average 4.5 out of 10, first 3, latest 6, rising" in description.inner_text()
    chart = page.locator("#ws-chart svg[role=img]")
    assert chart.locator("circle").count() == 2
    assert not page.request_log.errors


def test_rows_can_be_edited_and_deleted(watched_page, live_server):
    page = watched_page
    open_worksheet(page, live_server.url)
    fill_everything(page)
    first = page.locator("[data-ws-session]").first
    first.get_by_label("Date").fill("2026-03-01")  # now the latest: moves to the end once the date is left
    expect(page.locator("[data-ws-session]").nth(0).get_by_label("Date")).to_have_value("2026-03-01")
    first.get_by_label("Date").blur()
    expect(page.locator("[data-ws-session]").nth(1).get_by_label("Date")).to_have_value("2026-03-01")
    assert [row["date"] for row in stored(page)["sessions"]] == ["2026-02-09", "2026-03-01"]
    page.get_by_role("button", name=re.compile(r"Delete session 1 ")).click()
    assert page.locator("#ws-confirm").is_visible()
    page.get_by_role("button", name="Delete session", exact=True).click()
    eventually(lambda: [row["date"] for row in stored(page)["sessions"]] == ["2026-03-01"])
    assert page.locator("[data-ws-session]").count() == 1


def test_answers_are_saved_while_pyodide_is_blocked(browser, live_server):
    context = browser.new_context(service_workers="block")
    context.route(re.compile(r".*/pyodide/.*"), lambda route: route.abort())
    page = context.new_page()
    open_worksheet(page, live_server.url, wait_for_python=False)
    page.get_by_label("What does trust mean to you?").fill("Saved without Python")
    page.get_by_label("Limited Disclosure. You are hesitant", exact=False).check()
    assert stored(page)["answers"] == {"reflections.trust-meaning": "Saved without Python", "signs.limited-disclosure": True}
    page.wait_for_selector("article[data-python=failed]", timeout=PYTHON_TIMEOUT)
    assert "saved in this browser" in page.locator("#ws-status").inner_text().lower()
    assert (
        "tools (the progress chart, downloads and restoring a backup) could not load" in page.locator("#ws-notice").inner_text()
    )
    page.reload()
    assert page.get_by_label("What does trust mean to you?").input_value() == "Saved without Python"
    context.close()


def test_first_change_is_saved_before_python_is_ready(browser, live_server):
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    open_worksheet(page, live_server.url, wait_for_python=False)
    page.get_by_label("What does trust mean to you?").fill("Typed at once")
    assert page.locator("article").get_attribute("data-python") is None
    assert stored(page)["answers"]["reflections.trust-meaning"] == "Typed at once"
    context.close()


def test_corrupt_stored_data_is_kept_aside_and_reported(watched_page, live_server):
    page = watched_page
    open_worksheet(page, live_server.url, wait_for_python=False)
    page.evaluate(f'localStorage.setItem(\'{STORAGE_KEY}\', \'{{"format": "trust-safety-worksheet", "version": 2, "answ\')')
    page.reload()
    notice = page.locator("#ws-notice")
    notice.wait_for()
    assert "could not be read (it is not valid JSON)" in notice.inner_text()
    assert "kept aside on this device, not deleted" in notice.inner_text()
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.includes('kept-aside')).map(k => localStorage.getItem(k))")
    assert kept == ['{"format": "trust-safety-worksheet", "version": 2, "answ']
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the kept-aside data").click()
    assert "answ" in download.value.path().read_text()
    page.get_by_label("What does trust mean to you?").fill("A fresh start")
    assert stored(page)["answers"]["reflections.trust-meaning"] == "A fresh start"


def test_older_saved_data_is_migrated_and_shown(watched_page, live_server):
    page = watched_page
    open_worksheet(page, live_server.url, wait_for_python=False)
    page.evaluate(
        "doc => localStorage.setItem('trust-safety-worksheet/worksheets/building-trust-and-safety/answers', JSON.stringify(doc))",
        VERSION_1_DOCUMENT,
    )
    page.reload()
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    assert page.locator('[name="reflections.feedback"]').input_value() == "Gently, at the end"
    assert page.locator("[data-ws-session]").first.get_by_label("Therapist Role").input_value() == "Explain more"
    assert stored(page)["version"] == answers.VERSION
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.includes('kept-aside')).length")
    assert kept == 1  # the original is kept until the person deletes everything


def test_two_tabs_do_not_overwrite_each_other(context, live_server):
    context.set_default_timeout(10_000)
    first, second = context.new_page(), context.new_page()
    open_worksheet(first, live_server.url)
    open_worksheet(second, live_server.url)
    first.get_by_label("What does trust mean to you?").fill("Written in the first tab")
    second.get_by_label("What specific conditions do you need in therapy to feel safe?").fill("Written in the second tab")
    second.get_by_role("button", name="Add a session").click()
    first.get_by_label("What does safety mean to you?").fill("First tab again")
    saved = stored(first)["answers"]
    assert saved["reflections.trust-meaning"] == "Written in the first tab"
    assert saved["reflections.safety-conditions"] == "Written in the second tab"
    assert saved["reflections.safety-meaning"] == "First tab again"
    assert len(stored(first)["sessions"]) == 1
    expect(first.locator("[data-ws-session]")).to_have_count(1)
    assert first.locator('[name="reflections.safety-conditions"]').input_value() == "Written in the second tab"


def test_a_write_from_a_tab_that_had_not_seen_this_tabs_change_does_not_lose_it(context, live_server):
    """Each tab reads its own cached copy of localStorage, which another tab's write reaches a moment later
    (CI once lost a word this way). Here the other tab's write is made stale on purpose: it is built on the
    copy from before this tab's change. This tab puts its change back on top; where the other tab changed
    the same field after it, the other tab's value stands."""
    context.set_default_timeout(10_000)
    first, second = context.new_page(), context.new_page()
    open_worksheet(first, live_server.url)
    open_worksheet(second, live_server.url)
    first.get_by_label("What does trust mean to you?").fill("Before")
    first.get_by_role("button", name="Add a session").click()
    eventually(lambda: len(stored(second)["sessions"]) == 1)
    stale = stored(second)
    first.get_by_label("What does trust mean to you?").fill("Written in the first tab")
    first.locator("[data-ws-session] [name=topic]").fill("A topic from the first tab")
    first.get_by_label("What does safety mean to you?").fill("Also the first tab")
    stale["answers"]["reflections.safety-conditions"] = "Written in the second tab"
    stale["answers"]["reflections.safety-meaning"] = "Changed later in the second tab"
    second.evaluate(
        "doc => localStorage.setItem('trust-safety-worksheet/worksheets/building-trust-and-safety/answers', JSON.stringify(doc))",
        stale,
    )

    def merged() -> bool:
        answers = stored(second)["answers"]
        return answers.get("reflections.trust-meaning") == "Written in the first tab"

    eventually(merged)
    final = stored(second)
    assert final["answers"]["reflections.safety-conditions"] == "Written in the second tab"
    assert final["answers"]["reflections.safety-meaning"] == "Changed later in the second tab"
    assert [s["topic"] for s in final["sessions"]] == ["A topic from the first tab"]
    expect(first.get_by_label("What specific conditions do you need in therapy to feel safe?")).to_have_value(
        "Written in the second tab"
    )
    saved_at = final["saved_at"]
    first.wait_for_timeout(500)
    assert stored(second)["saved_at"] == saved_at  # settled: the tabs do not keep writing back and forth


def test_backup_download_and_restore(watched_page, live_server, tmp_path):
    page = watched_page
    open_worksheet(page, live_server.url)
    typed = fill_everything(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download a backup (JSON)").click()
    backup = json.loads(download.value.path().read_text())
    assert backup["answers"]["reflections.trust-meaning"] == typed["reflections.trust-meaning"]
    assert backup["answers"]["exercise.helpfulness"] == 7
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as Markdown").click()
    markdown = download.value.path().read_text()
    assert "## Session log" in markdown and "| 12 Jan 2026 | Family history | 3 | 4 | Slow down |" in markdown
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the session log (CSV)").click()
    assert download.value.path().read_text().splitlines()[1] == "2026-01-12,Family history,3,4,Slow down"

    page.get_by_label("What does trust mean to you?").fill("Changed after the backup")
    backup_file = tmp_path / "backup.json"
    backup_file.write_text(json.dumps(backup))
    page.get_by_label("Restore answers from a backup file").set_input_files(backup_file)
    page.locator("#ws-confirm").wait_for()
    assert run_axe(page) == []  # the confirmation dialog is accessible too
    page.get_by_role("button", name="Replace my answers").click()
    expect_value = typed["reflections.trust-meaning"]
    expect(page.locator('[name="reflections.trust-meaning"]')).to_have_value(expect_value)
    assert stored(page)["answers"]["reflections.trust-meaning"] == expect_value


@pytest.mark.parametrize(
    "content, message",
    [
        ("{ this is not json", "not valid JSON"),
        (
            '{"format": "trust-safety-worksheet", "version": 2, "answers": {"exercise.helpfulness": 42}, "sessions": []}',
            "'How helpful was this exercise?' must be a whole number from 1 to 10",
        ),
        ('{"name": "something else"}', "This is not a worksheet backup"),
    ],
)
def test_a_bad_backup_gets_a_clear_error_and_changes_nothing(watched_page, live_server, tmp_path, content, message):
    page = watched_page
    open_worksheet(page, live_server.url)
    page.get_by_label("What does trust mean to you?").fill("Keep me")
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    page.get_by_label("Restore answers from a backup file").set_input_files(bad)
    notice = page.locator("#ws-notice")
    notice.wait_for()
    assert "“bad.json” could not be restored. Nothing was changed." in notice.inner_text()
    assert message in notice.inner_text()
    assert stored(page)["answers"]["reflections.trust-meaning"] == "Keep me"


def test_delete_everything_asks_first(watched_page, live_server):
    page = watched_page
    open_worksheet(page, live_server.url)
    page.get_by_label("What does trust mean to you?").fill("Private")
    page.get_by_role("button", name="Delete everything on this device").click()
    page.get_by_role("button", name="Cancel").click()
    assert stored(page)["answers"]["reflections.trust-meaning"] == "Private"
    page.get_by_role("button", name="Delete everything on this device").click()
    page.get_by_role("button", name="Delete everything", exact=True).click()
    eventually(lambda: stored(page) is None)
    assert page.get_by_label("What does trust mean to you?").input_value() == ""


def test_full_storage_is_reported_and_damages_nothing(watched_page, live_server):
    page = watched_page
    open_worksheet(page, live_server.url)
    page.get_by_label("What does trust mean to you?").fill("Saved before the disk filled")
    page.evaluate("""() => {
        let chunk = 'x'.repeat(512 * 1024), n = 0;
        try { for (;;) localStorage.setItem('filler-' + n++, chunk); } catch (e) {}
        chunk = 'x'.repeat(1024);
        try { for (;;) localStorage.setItem('filler-' + n++, chunk); } catch (e) {}
    }""")
    page.get_by_label("What does safety mean to you?").fill("x" * 5000)
    assert page.locator("#ws-status").get_attribute("data-state") == "error"
    assert "storage is full" in page.locator("#ws-notice").inner_text()
    assert stored(page)["answers"]["reflections.trust-meaning"] == "Saved before the disk filled"


def test_no_answer_text_in_any_request(browser, live_server):
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    log = RequestLog(page, live_server.url)
    open_worksheet(page, live_server.url)
    typed = fill_everything(page)
    page.wait_for_timeout(500)
    seen = " ".join(f"{r.url} {r.post_data or ''} {json.dumps(r.headers)}" for r in log.requests)
    for value in typed.values():
        for fragment in value.split("\n"):
            assert fragment not in seen
    assert all(r.method == "GET" for r in log.requests)
    context.close()


def test_keyboard_only(watched_page, live_server):
    page = watched_page
    open_worksheet(page, live_server.url)
    page.locator("#field-reflections--trust-meaning").focus()
    page.keyboard.type("Typed with the keyboard")
    page.keyboard.press("Tab")  # to the next prompt
    page.keyboard.type("Next answer")
    assert page.evaluate("document.activeElement.name") == "reflections.trust-experience"
    page.locator("#ws-add-session").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.type") == "date"  # focus moves into the new row
    for _ in range(5):  # past the date's day, month and year parts
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "topic":
            break
    page.keyboard.type("Keyboard topic")
    saved = stored(page)
    assert saved["answers"]["reflections.trust-meaning"] == "Typed with the keyboard"
    assert saved["answers"]["reflections.trust-experience"] == "Next answer"
    assert saved["sessions"][0]["topic"] == "Keyboard topic"
    # Every control is reachable: none is taken out of the tab order.
    assert page.locator("article [tabindex='-1']:is(input, textarea, select, button)").count() == 0


def test_axe_clean_with_the_chart_shown(watched_page, live_server):
    page = watched_page
    open_worksheet(page, live_server.url)
    fill_everything(page)
    page.locator("#ws-chart svg").wait_for()
    assert run_axe(page) == []


def test_phone_sized_screen_has_no_sideways_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, service_workers="block")
    page = context.new_page()
    open_worksheet(page, live_server.url)
    page.get_by_role("button", name="Add a session").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_works_offline_after_the_first_visit(browser, live_server):
    context = browser.new_context(service_workers="allow")
    page = context.new_page()
    open_worksheet(page, live_server.url)
    page.evaluate("navigator.serviceWorker.ready")
    cached = "async () => (await Promise.all((await caches.keys()).map(async k => (await caches.open(k)).keys()))).flat().map(r => r.url)"
    eventually(lambda: any(url.endswith("pyodide.asm.wasm") for url in page.evaluate(cached)), timeout=60)
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    assert "offline" in page.locator("#ws-status").inner_text().lower()
    page.get_by_label("What does trust mean to you?").fill("Written offline")
    assert stored(page)["answers"]["reflections.trust-meaning"] == "Written offline"
    page.goto(f"{live_server.url}/article/")
    assert "safe place" in page.locator("article").inner_text()
    context.close()


def test_installable_manifest(page, live_server):
    page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.evaluate("async href => (await fetch(href)).json()", href)
    assert manifest["display"] == "standalone" and manifest["icons"]
    assert manifest["start_url"] == "worksheets/"  # the list of worksheets


def test_markup_the_module_needs_is_missing_fails_loudly_by_name(page, live_server):
    """A page whose HTML lacks an element its module needs stops at start with an error naming it."""

    def without_add_button(route):
        html = route.fetch().text()
        assert 'id="ws-add-session"' in html
        route.fulfill(status=200, content_type="text/html", body=html.replace('id="ws-add-session"', 'id="renamed"'))

    page.route(re.compile(r".*/worksheets/building-trust-and-safety/$"), without_add_button)
    errors = []
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    eventually(lambda: errors)
    assert errors == ["MissingMarkupError: The page's markup has no #ws-add-session, which this module needs."]


def test_dates_are_the_persons_own_late_in_a_far_west_evening(browser, live_server):
    """At 23:56 on 1 December in New York it is already 2 December in UTC: a new session, the export's
    "saved on" and the download's name all say the 1st, as the person's own calendar does."""
    context = browser.new_context(timezone_id="America/New_York", service_workers="block")
    try:
        page = context.new_page()
        page.clock.set_system_time(dt.datetime(2026, 12, 2, 4, 56, tzinfo=dt.UTC))
        open_worksheet(page, live_server.url)
        page.get_by_label("What does trust mean to you?", exact=True).fill("Late thoughts")
        page.get_by_role("button", name="Add a session").click()
        expect(page.locator("[data-ws-session] input[type=date]").first).to_have_value("2026-12-01")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download as Markdown").click()
        assert download.value.suggested_filename.endswith("2026-12-01.md")
        assert "_Answers as saved on 1 December 2026._" in download.value.path().read_text()
    finally:
        context.close()
