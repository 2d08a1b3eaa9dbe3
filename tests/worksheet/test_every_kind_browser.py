"""Any worksheet, with no code of its own: the tests' fixture (every kind of section, prompt and log column,
three ratings, a scale from 0), built from its content file alone, used end to end in a real browser by the
person and their therapist: listed, filled, kept per worksheet, printed, exported, locked, shared, asked for
and opened."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from py_client.answers import FORMAT
from tests.support import worksheets
from tests.support.ask_page import AskPage
from tests.support.browser import run_axe
from tests.support.therapist_page import TherapistPage
from tests.support.worksheet_page import (
    PYTHON_TIMEOUT,
    STORAGE_KEY,
    SharePanel,
    add_session,
    open_request_link,
    open_worksheet,
    set_passcode,
    unlock,
)

pytestmark = pytest.mark.browser

FIXTURE = worksheets.fixture()
FIXTURE_KEY = f"{FORMAT}/worksheets/{FIXTURE.id}/answers"
FREE_TEXT = "Fixture words – with <em>markup</em> & “quotes”"


def fill_fixture(page) -> None:
    """One answer of every kind, through the labels the content file gave."""
    page.get_by_label("First tick. The first statement of the fixture.").check()
    page.get_by_label("A free-text question of the fixture?", exact=True).fill(FREE_TEXT)
    lines = page.get_by_role("group", name="Two short lines for the fixture.")
    lines.get_by_label("1.").fill("Line one")
    lines.get_by_label("2.").fill("Line two")
    page.get_by_role("group", name="A rating from zero to five?").get_by_label("0", exact=True).check()
    for day, place, energy, calm, focus in [("2026-03-02", "Home", "2", "5", "1"), ("2026-03-09", "Park", "4", "3", "")]:
        row = add_session(page)
        row.get_by_label("Day").fill(day)
        row.get_by_label("Place").fill(place)
        row.get_by_label("Energy (1-5)").select_option(energy)
        row.get_by_label("Calm (1-5)").select_option(calm)
        if focus:
            row.get_by_label("Focus (1-5)").select_option(focus)
        row.get_by_label("Notes").fill(f"Notes of {day}")


def test_the_fixture_is_listed_filled_kept_printed_exported_and_locked(person, live_server):
    page = person
    page.goto(f"{live_server.url}/worksheets/")
    cards = page.locator("article .grid.cards")
    expect(cards.get_by_role("link", name="Every Kind Fixture")).to_have_attribute("href", f"{FIXTURE.id}/")
    expect(cards).to_contain_text("A worksheet for the tests, with one of every kind")
    expect(cards.get_by_role("link", name="Building Trust and Safety in Therapy")).to_be_visible()
    cards.get_by_role("link", name="Every Kind Fixture").click()
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    # What every worksheet has around it, placed by the build: the title, the safety note, status, lock, share.
    expect(page.locator("h1")).to_have_text("Every Kind Fixture")
    expect(page.locator(".tsw-safety-note")).to_contain_text("If you are in danger now")
    expect(page.get_by_role("heading", name="Passcode lock")).to_be_visible()
    expect(page.get_by_role("heading", name="Share with my therapist")).to_be_visible()
    expect(page.locator("[data-ws-section]")).to_have_count(3)

    fill_fixture(page)
    saved = json.loads(page.evaluate(f"localStorage.getItem('{FIXTURE_KEY}')"))
    assert saved["worksheet"] == FIXTURE.id and saved["answers"]["questions.mood"] == "0"
    assert page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')") is None  # the other worksheet's answers are apart
    expect(page.locator("#ws-progress-description")).to_contain_text("Energy: average 3 out of 5", timeout=PYTHON_TIMEOUT)
    chart = page.locator("#ws-chart svg")
    expect(chart.locator("title")).to_have_text("Energy, calm and focus over your days")
    expect(chart.locator("text.legend")).to_have_text(["Energy", "Calm", "Focus"])
    expect(page.locator("[data-ws-session-figures]").first).to_contain_text("Energy: 2, Calm: 5, Focus: 1")
    assert run_axe(page) == []  # every kind's markup, filled, and a chart of three series

    page.reload()
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    expect(page.get_by_label("A free-text question of the fixture?", exact=True)).to_have_value(FREE_TEXT)
    expect(page.get_by_role("group", name="A rating from zero to five?").get_by_label("0", exact=True)).to_be_checked()
    expect(page.get_by_label("First tick. The first statement of the fixture.")).to_be_checked()

    with page.expect_download() as download:
        page.get_by_role("button", name="Download as Markdown").click()
    markdown = download.value.path().read_text()
    assert markdown.startswith("# Every Kind Fixture\n") and "0 out of 5" in markdown and "1. Line one" in markdown
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the session log (CSV)").click()
    assert download.value.path().read_text().splitlines()[0] == "Day,Place,Energy (1-5),Calm (1-5),Focus (1-5),Notes"

    page.emulate_media(media="print")
    for section in FIXTURE.sections:
        expect(page.get_by_role("heading", name=section.title, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Share with my therapist")).to_be_hidden()
    page.emulate_media(media="screen")

    set_passcode(page)
    stored = page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert "Fixture words" not in stored and "Line one" not in stored and "Park" not in stored
    page.reload()
    expect(page.get_by_label("A free-text question of the fixture?", exact=True)).to_have_value("")
    unlock(page)
    expect(page.get_by_label("A free-text question of the fixture?", exact=True)).to_have_value(FREE_TEXT, timeout=20_000)
    # Each worksheet has its own lock, and another worksheet's page says this one's does not cover it.
    open_worksheet(page, live_server.url)
    expect(page.locator("#ws-lock-elsewhere")).to_be_visible()
    expect(page.locator("#ws-lock-elsewhere")).to_contain_text("Each worksheet has its own lock")


def test_the_fixture_is_shared_asked_for_and_opened(person, therapist, live_server):
    open_worksheet(person, live_server.url, worksheet=FIXTURE.id)
    fill_fixture(person)
    link = SharePanel(person).create_link(sections={"questions", "diary"}, note="From the fixture")
    reader = TherapistPage(therapist)
    reader.read(link)
    expect(reader.answers).to_contain_text("Answers to the worksheet “Every Kind Fixture”.")
    expect(reader.answers).to_contain_text(FREE_TEXT)
    expect(reader.answers).to_contain_text("0 out of 5")
    expect(reader.answers.locator("svg title")).to_have_text("Energy, calm and focus over your days")
    expect(reader.answers).not_to_contain_text("First tick")  # the checklist was not chosen

    ask = AskPage(therapist, live_server.url)
    request_link, _ = ask.make_request(private_name="Fixture request", worksheet="Every Kind Fixture")
    assert re.search(rf"/worksheets/{FIXTURE.id}/#r=", request_link)
    expect(ask.inbox).to_contain_text("For “Every Kind Fixture”.")
    open_request_link(person, request_link)
    expect(person.locator("h1")).to_have_text("Every Kind Fixture")
    expect(person.locator("#ws-request")).to_be_visible()
    person.get_by_role("button", name="Send to your therapist").click()
    expect(person.locator("#ws-share-message")).to_contain_text("Your answers were sent", timeout=PYTHON_TIMEOUT)
    ask.open_first_answer()
    expect(ask.answers).to_contain_text("Answers to the worksheet “Every Kind Fixture”.")
    expect(ask.answers).to_contain_text("Line two")


def test_an_old_address_and_its_request_link_still_open_the_first_worksheet(person, live_server):
    """The first worksheet moved from /worksheet/ to its own address: the old one forwards, fragment and all,
    without a history entry of its own."""
    person.goto(f"{live_server.url}/")
    person.goto(f"{live_server.url}/worksheet/#r=abc&k=def")
    person.wait_for_url(re.compile(r"/worksheets/building-trust-and-safety/#r=abc&k=def$"))
    person.go_back()
    person.wait_for_url(f"{live_server.url}/")


def test_answers_sent_from_another_worksheets_page_say_so(person, therapist, live_server):
    """A request link names its worksheet by its path, which anyone can edit: the therapist is told when the
    answers are to another worksheet than the one asked for."""
    ask = AskPage(therapist, live_server.url)
    request_link, _ = ask.make_request(worksheet="Every Kind Fixture")
    edited = request_link.replace(f"/worksheets/{FIXTURE.id}/", f"/worksheets/{worksheets.TRUST_ID}/")
    open_request_link(person, edited)
    person.get_by_label("What does trust mean to you?", exact=True).fill("Sent from the other page")
    person.get_by_role("button", name="Send to your therapist").click()
    expect(person.locator("#ws-share-message")).to_contain_text("Your answers were sent", timeout=PYTHON_TIMEOUT)
    ask.open_first_answer()
    expect(therapist.locator("#ws-ask-warning")).to_contain_text(
        "These are answers to “Building Trust and Safety in Therapy”, not to the worksheet this request asked for (“Every Kind Fixture”)."
    )


def test_without_javascript_the_fixture_reads_and_prints_whole(browser, live_server):
    """The form is plain HTML made at build, so any worksheet reads, and prints as a blank form, without
    JavaScript: every section, item, prompt, line and rating, and the log's blank table."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + worksheets.page_path(FIXTURE.id))
    article = page.locator("article")
    page.emulate_media(media="print")
    for section in FIXTURE.sections:
        expect(article.get_by_role("heading", name=section.title, exact=True)).to_be_visible()
        for item in section.items:
            expect(article.get_by_label(f"{item.label}. {item.explanation}")).to_be_visible()
        for prompt in section.prompts:
            expect(article.get_by_text(prompt.label, exact=True)).to_be_visible()
    expect(article.get_by_role("group", name="Two short lines for the fixture.").get_by_role("textbox")).to_have_count(2)
    expect(article.get_by_role("group", name="A rating from zero to five?").get_by_role("radio")).to_have_count(6)
    headers = article.locator("table.ws-blank-log th")
    expect(headers).to_have_text([column.label for column in FIXTURE.log.columns])
    context.close()
