""" "Exit this page" (GOV.UK Design System's pattern) on every page, for a person who must leave at once:
named and in view on desktop and phone, a plain link without JavaScript, and with it a cover, a history
entry replaced so Back does not show the page, and Shift pressed three times from anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.config import load_config
from playwright.sync_api import expect

from support.worksheet_page import STORAGE_KEY, open_worksheet

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NEUTRAL = load_config(str(ROOT / "mkdocs.yml")).extra["quick_exit_url"]
PAGES = ["/", "/article/", "/worksheet/", "/privacy/", "/open/"]
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def stand_in_for_the_neutral_site(context) -> list[str]:
    """The neutral site is on the internet, which tests do not reach: the browser is answered here instead,
    and every visit to it is recorded."""
    visits: list[str] = []

    def answer(route):
        visits.append(route.request.url)
        route.fulfill(content_type="text/html", body="<!doctype html><title>Weather</title><h1>Weather</h1>")

    context.route(f"{NEUTRAL.rstrip('/')}**", answer)
    return visits


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_named_exit_in_view_after_scrolling(browser, live_server, path, size):
    page = browser.new_page(viewport=SIZES[size], service_workers="block")
    page.goto(live_server.url + path)
    exit_link = page.get_by_role("link", name="Emergency Exit this page")
    expect(exit_link).to_have_attribute("href", NEUTRAL)
    expect(exit_link).to_have_attribute("rel", "nofollow noreferrer")
    page.mouse.wheel(0, 100_000)
    page.wait_for_timeout(200)
    box = exit_link.bounding_box()
    header = page.locator(".md-header").bounding_box()
    assert box["y"] >= header["y"] + header["height"] - 1, "under the header, not hidden by it"
    assert box["y"] + box["height"] <= SIZES[size]["height"] and box["x"] + box["width"] <= SIZES[size]["width"]
    assert box["height"] >= 24 and box["width"] >= 24
    page.close()


def test_without_javascript_the_link_alone_leaves(browser, live_server):
    context = browser.new_context(java_script_enabled=False, service_workers="block")
    visits = stand_in_for_the_neutral_site(context)
    page = context.new_page()
    page.goto(f"{live_server.url}/worksheet/")
    page.get_by_role("link", name="Emergency Exit this page").click()
    page.wait_for_url(f"{NEUTRAL}**")
    assert visits and page.title() == "Weather"
    context.close()


def test_clicking_covers_the_page_leaves_and_back_does_not_return_to_it(browser, live_server):
    context = browser.new_context(service_workers="block")
    visits = stand_in_for_the_neutral_site(context)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.goto(f"{live_server.url}/worksheet/")
    page.evaluate("""() => new MutationObserver(() => {
        const cover = document.querySelector('[data-quick-exit-cover]');
        if (!cover.hidden) sessionStorage.setItem('cover-seen', getComputedStyle(cover).display);
    }).observe(document.querySelector('[data-quick-exit-cover]'), {attributes: true})""")
    page.get_by_role("link", name="Emergency Exit this page").click()
    page.wait_for_url(f"{NEUTRAL}**")
    assert len(visits) == 1
    page.go_back()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/", "Back went to the page before, not the one left"
    assert page.evaluate("sessionStorage.getItem('cover-seen')") == "flex"  # the page was covered at once
    context.close()


def test_shift_three_times_in_a_text_field_leaves_and_keeps_what_was_typed(browser, live_server):
    context = browser.new_context(service_workers="block")
    visits = stand_in_for_the_neutral_site(context)
    page = context.new_page()
    open_worksheet(page, live_server.url)
    field = page.locator("textarea").first
    field.click()
    field.press_sequentially("Nobody else should read this")  # capitals: Shift with a letter counts for nothing
    count = page.locator("[data-quick-exit-count]")
    expect(count).to_have_text("")
    page.keyboard.press("Shift")
    expect(count).to_have_text("Shift pressed 1 of 3 times")
    page.keyboard.press("Shift")
    expect(count).to_have_text("Shift pressed 2 of 3 times")
    page.keyboard.press("Shift")
    page.wait_for_url(f"{NEUTRAL}**")
    assert len(visits) == 1
    page.goto(f"{live_server.url}/privacy/")
    assert "Nobody else should read this" in page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')")
    context.close()


def test_shift_presses_apart_or_between_other_keys_do_not_leave(browser, live_server):
    page = browser.new_page(service_workers="block")
    page.goto(f"{live_server.url}/article/")
    count = page.locator("[data-quick-exit-count]")
    for _ in range(3):
        page.keyboard.press("Shift")
        page.keyboard.press("a")  # another key in between starts the count again
    expect(count).to_have_text("")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_timeout(5200)  # the count is for presses within five seconds
    expect(count).to_have_text("")
    page.keyboard.press("Shift")
    expect(count).to_have_text("Shift pressed 1 of 3 times")
    assert page.url == f"{live_server.url}/article/"
    page.close()


def test_the_exit_is_the_first_stop_after_the_skip_link(browser, live_server):
    page = browser.new_page(service_workers="block")
    page.goto(f"{live_server.url}/article/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.replace(/\\s+/g, ' ').trim()")
    assert focused == "Emergency Exit this page"
    page.close()
