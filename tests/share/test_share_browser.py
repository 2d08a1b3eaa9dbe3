"""Sharing end to end: the person and the therapist in two separate browser contexts, a real server."""

from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.browser import run_axe, separate_page
from tests.support.therapist_page import TherapistPage
from tests.support.worksheet_page import PYTHON_TIMEOUT, SharePanel, fill_everything, open_worksheet

pytestmark = pytest.mark.browser


def separate_browser(browser, live_server):
    with separate_page(browser, live_server.url) as page:
        yield page


person = pytest.fixture(separate_browser, name="person")
therapist = pytest.fixture(separate_browser, name="therapist")


def make_link(page, server_url, passphrase="", lifetime="1 day", sections=None, fill=True):
    """Open the worksheet, answer every part (unless ``fill`` is false) and make a link; return it with the
    answers typed."""
    open_worksheet(page, server_url)
    typed = fill_everything(page) if fill else {}
    return SharePanel(page).create_link(passphrase=passphrase, lifetime=lifetime, sections=sections), typed


def fragment_fields(link):
    return {name: values[0] for name, values in parse_qs(urlsplit(link).fragment).items()}


def test_share_open_and_find_every_answer(person, therapist, live_server):
    link, typed = make_link(person, live_server.url)
    TherapistPage(therapist).reveal(link)
    answers = therapist.locator("#ws-open-answers")
    expect(answers).to_be_visible(timeout=PYTHON_TIMEOUT)
    text = answers.inner_text()
    for value in typed.values():
        for line in value.split("\n"):
            assert line in text
    assert "Limited Disclosure." in text and "Checked:" in text
    rows = answers.locator("table tbody tr")
    assert rows.count() == 2 and "Family history" in rows.first.inner_text()
    assert answers.locator("svg[role=img]").count() == 1
    assert "7 out of 10" in text
    assert "deleted from the server" in therapist.locator("#ws-open-warning").inner_text()
    with therapist.expect_download() as download:
        therapist.get_by_role("button", name="Download as a file the worksheet can open (JSON)").click()
    backup = json.loads(download.value.path().read_text())
    assert backup["format"] == "trust-safety-worksheet" and backup["answers"]["exercise.helpfulness"] == 7
    with therapist.expect_download() as download:
        therapist.get_by_role("button", name="Download as Markdown").click()
    assert "| 12 Jan 2026 | Family history | 3 | 4 | Slow down |" in download.value.path().read_text()


def test_second_opening_is_refused_as_already_opened(person, therapist, browser, live_server):
    link, _ = make_link(person, live_server.url, fill=False)
    TherapistPage(therapist).reveal(link)
    expect(therapist.locator("#ws-open-answers")).to_be_visible(timeout=PYTHON_TIMEOUT)
    other = browser.new_context(service_workers="block")
    second = other.new_page()
    TherapistPage(second).reveal(link)
    message = second.locator("#ws-open-message")
    expect(message).to_contain_text("already opened on")
    other.close()
    # The sender sees that it was opened.
    person.reload()
    expect(person.locator("#ws-share-list")).to_contain_text("Opened on")


def test_wrong_passphrase_then_the_right_one(person, therapist, live_server):
    link, typed = make_link(person, live_server.url, passphrase="blue heron")
    TherapistPage(therapist).reveal(link, "grey heron")
    expect(therapist.locator("#ws-open-message")).to_contain_text("That passphrase does not match. 4 attempts left")
    therapist.get_by_label("Passphrase", exact=True).fill("blue heron")
    therapist.get_by_role("button", name="Reveal answers").click()
    expect(therapist.locator("#ws-open-answers")).to_contain_text(
        typed["reflections.feedback"].split("\n")[0], timeout=PYTHON_TIMEOUT
    )


def test_a_preview_fetch_of_the_link_leaves_the_share_intact(person, therapist, live_server):
    link, _ = make_link(person, live_server.url, fill=False)
    with urllib.request.urlopen(link) as preview:  # what a chat app's link preview does: GET, no script
        page = preview.read().decode()
    assert "Answers shared with you" in page and "noindex" in page
    TherapistPage(therapist).reveal(link)
    expect(therapist.locator("#ws-open-answers")).to_be_visible(timeout=PYTHON_TIMEOUT)


def test_a_damaged_link_is_caught_without_burning_it(person, therapist, live_server):
    link, _ = make_link(person, live_server.url, fill=False)
    fields = fragment_fields(link)
    damaged_key = fields["k"][:-2] + ("AA" if not fields["k"].endswith("AA") else "BB")
    damaged = link.replace(fields["k"], damaged_key)
    therapist.goto(damaged)
    expect(therapist.locator("#ws-open-message")).to_contain_text("This link is damaged")
    assert not any("/claim" in r.url for r in therapist.request_log.requests)
    therapist.goto(link.split("#")[0])
    expect(therapist.locator("#ws-open-message")).to_contain_text("no link was given")
    TherapistPage(therapist).reveal(link)
    expect(therapist.locator("#ws-open-answers")).to_be_visible(timeout=PYTHON_TIMEOUT)


def test_revoked_link_is_refused(person, therapist, live_server):
    link, _ = make_link(person, live_server.url, fill=False)
    person.get_by_role("button", name="Cancel this link").click()
    expect(person.locator("#ws-share-list")).to_contain_text("Cancelled on")
    TherapistPage(therapist).reveal(link)
    expect(therapist.locator("#ws-open-message")).to_contain_text("cancelled the link")


def test_the_key_leaves_the_address_bar_and_history(person, therapist, live_server):
    link, _ = make_link(person, live_server.url, fill=False)
    therapist.goto(link)
    expect(therapist.get_by_role("button", name="Reveal answers")).to_be_visible()
    assert "#" not in therapist.url
    assert therapist.evaluate("location.hash") == ""
    assert fragment_fields(link)["k"] not in json.dumps(therapist.evaluate("history.state"))


def test_share_hands_the_link_to_a_share_sheet_only_where_there_is_one(person, live_server):
    """On a phone "Share…" hands the link to the person's own apps; Linux's Chromium has no share sheet, so
    the button is hidden there, and a stand-in for one records what the page would hand over."""
    make_link(person, live_server.url, fill=False)
    expect(person.get_by_role("button", name="Copy link")).to_be_visible()
    expect(person.get_by_role("button", name="Share…")).to_be_hidden()
    person.add_init_script("navigator.share = async (data) => { window.sharedWith = data; }")
    link, _ = make_link(person, live_server.url, fill=False)
    person.get_by_role("button", name="Share…").click()
    assert person.evaluate("window.sharedWith") == {"url": link}  # the address only: no title a chat preview shows
    expect(person.locator("#ws-share-message")).to_contain_text("handed to the app you chose")
    person.evaluate("() => { navigator.share = async () => { throw new DOMException('closed', 'AbortError'); }; }")
    person.get_by_role("button", name="Share…").click()
    expect(person.locator("#ws-share-message")).to_contain_text("Nothing was shared")


def test_no_answer_key_or_passphrase_reaches_the_server(person, therapist, live_server):
    link, typed = make_link(person, live_server.url, passphrase="violet morning")
    TherapistPage(therapist).reveal(link, "violet morning")
    expect(therapist.locator("#ws-open-answers")).to_be_visible(timeout=PYTHON_TIMEOUT)
    secrets = [fragment_fields(link)["k"], "violet morning"] + [line for v in typed.values() for line in v.split("\n")]
    for page in (person, therapist):
        for request in page.request_log.requests:
            sent = f"{request.url} {request.post_data or ''} {json.dumps(request.headers)}"
            for secret in secrets:
                assert secret not in sent, (request.url, secret)
    claims = [r for r in therapist.request_log.requests if r.url.endswith("/claim")]
    assert len(claims) == 1 and set(json.loads(claims[0].post_data)) == {"claim_token"}


def test_chosen_sections_only_are_shared(person, therapist, live_server):
    link, typed = make_link(person, live_server.url, sections={"sessions"}, lifetime="1 hour")
    TherapistPage(therapist).reveal(link)
    answers = therapist.locator("#ws-open-answers")
    expect(answers).to_contain_text("Family history", timeout=PYTHON_TIMEOUT)
    assert typed["reflections.trust-meaning"].split("\n")[0] not in answers.inner_text()
    assert answers.locator("h2").all_inner_texts() == ["Session log"]


def test_server_unreachable_is_said_plainly_and_burns_nothing(person, therapist, live_server):
    link, _ = make_link(person, live_server.url, fill=False)
    therapist.route(re.compile(r".*/api/.*"), lambda route: route.abort())
    TherapistPage(therapist).reveal(link)
    expect(therapist.locator("#ws-open-message")).to_contain_text("cannot be reached")
    therapist.unroute(re.compile(r".*/api/.*"))
    therapist.get_by_role("button", name="Reveal answers").click()
    expect(therapist.locator("#ws-open-answers")).to_be_visible(timeout=PYTHON_TIMEOUT)

    person.route(re.compile(r".*/api/.*"), lambda route: route.abort())
    person.reload()
    expect(person.locator("#ws-share-unavailable")).to_contain_text("cannot be reached right now")
    expect(person.get_by_role("button", name="Create a one-time link")).to_be_disabled()
    person.get_by_label("What does trust mean to you?").fill("Still saved")  # everything else keeps working
    assert "Still saved" in person.evaluate(
        "localStorage.getItem('trust-safety-worksheet/worksheets/building-trust-and-safety/answers')"
    )


def test_axe_clean_on_both_sides(person, therapist, live_server):
    link, _ = make_link(person, live_server.url)
    assert run_axe(person) == []
    therapist.goto(link)
    expect(therapist.get_by_role("button", name="Reveal answers")).to_be_visible()
    assert run_axe(therapist) == []
    therapist.get_by_role("button", name="Reveal answers").click()
    expect(therapist.locator("#ws-open-answers")).to_be_visible(timeout=PYTHON_TIMEOUT)
    assert run_axe(therapist) == []


def test_keyboard_only_sharing_and_revealing(person, therapist, live_server):
    open_worksheet(person, live_server.url)
    person.get_by_label("What does trust mean to you?").focus()
    person.keyboard.type("Typed, shared, revealed")
    person.get_by_label("Passphrase (optional)").focus()
    person.keyboard.type("quiet river")
    person.keyboard.press("Tab")  # "Show passphrase"
    person.keyboard.press("Tab")  # "Preview what your therapist will see"
    person.keyboard.press("Enter")
    preview = person.locator("#ws-share-preview-area")
    expect(preview).to_be_focused()
    expect(preview).to_contain_text("Typed, shared, revealed")
    person.keyboard.press("Shift+Tab")  # back past the preview to "Create a one-time link"
    assert person.evaluate("document.activeElement.id") == "ws-share-create"
    person.keyboard.press("Enter")
    expect(person.locator("#ws-share-result")).to_be_focused(timeout=30_000)
    link = person.get_by_label("Link for your therapist").input_value()
    therapist.goto(link)
    therapist.get_by_label("Passphrase", exact=True).focus()
    therapist.keyboard.type("quiet river")
    therapist.keyboard.press("Enter")
    expect(therapist.locator("#ws-open-answers")).to_contain_text("Typed, shared, revealed", timeout=PYTHON_TIMEOUT)
    expect(therapist.locator("#ws-open-answers h2").first).to_be_focused()
