""" "Exit this page" (GOV.UK Design System's pattern) on every page, for a person who must leave at once:
named and in view on desktop and phone, a plain link without JavaScript, and with it a cover, a history
entry replaced so Back does not show the page, and Shift pressed three times from anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.config import load_config
from playwright.sync_api import expect

from tests.support.browser import eventually
from tests.support.worksheet_page import STORAGE_KEY, open_worksheet

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NEUTRAL = load_config(str(ROOT / "mkdocs.yml")).extra["quick_exit_url"]
PAGES = ["/", "/article/", "/worksheets/building-trust-and-safety/", "/privacy/", "/open/"]
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
    on_top = exit_link.evaluate(
        "(link) => { const r = link.getBoundingClientRect();"
        " return link.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)); }"
    )
    assert on_top, "in the header's band, over it, not hidden by it"
    assert box["y"] + box["height"] <= SIZES[size]["height"] and box["x"] + box["width"] <= SIZES[size]["width"]
    assert box["height"] >= 24 and box["width"] >= 24
    page.close()


def test_without_javascript_the_link_alone_leaves(browser, live_server):
    context = browser.new_context(java_script_enabled=False, service_workers="block")
    visits = stand_in_for_the_neutral_site(context)
    page = context.new_page()
    page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    page.get_by_role("link", name="Emergency Exit this page").click()
    page.wait_for_url(f"{NEUTRAL}**")
    assert visits and page.title() == "Weather"
    context.close()


def test_clicking_covers_the_page_leaves_and_back_does_not_return_to_it(browser, live_server):
    context = browser.new_context(service_workers="block")
    visits = stand_in_for_the_neutral_site(context)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    page.evaluate("""() => new MutationObserver(() => {
        const cover = document.querySelector('[data-quick-exit-cover]');
        if (!cover.hidden) sessionStorage.setItem('cover-seen', getComputedStyle(cover).display);
    }).observe(document.querySelector('[data-quick-exit-cover]'), {attributes: true})""")
    page.get_by_role("link", name="Emergency Exit this page").click()
    page.wait_for_url(f"{NEUTRAL}**")
    assert len(visits) == 1
    page.go_back()
    page.wait_for_load_state()
    # The home page's entry was the browser's (a typed address), which no page can remove: it comes back
    # covered, saying nothing of what it is.
    assert page.url == f"{live_server.url}/", "Back went to the page before, not the one left"
    assert_covered(page)
    assert page.evaluate("sessionStorage.getItem('cover-seen')") == "flex"  # the page was covered at once
    context.close()


BEFORE = "https://before.example/"


def stand_in_for_the_site_before(context) -> None:
    """A site the person was on before this one (not reachable from the tests either)."""
    context.route(
        f"{BEFORE}**",
        lambda route: route.fulfill(content_type="text/html", body="<!doctype html><title>Before</title><a href=/>x</a>"),
    )


def leave(page, how: str) -> None:
    if how == "button":
        page.get_by_role("link", name="Emergency Exit this page").click()
    else:
        for _ in range(3):
            page.keyboard.press("Shift")
    page.wait_for_url(f"{NEUTRAL}**")


def assert_covered(page, secret: str | None = None) -> None:
    expect(page.get_by_role("button", name="Show it again")).to_be_visible()
    assert page.title() == "Page closed"
    shown = page.evaluate(
        """() => [...document.querySelectorAll("main :is(h1, h2, p, li)")].filter((el) => el.checkVisibility({visibilityProperty: true})).length"""
    )
    assert shown == 0, "the covered page shows its content"
    if secret:
        everything = page.evaluate(
            "() => document.documentElement.outerHTML + [...document.querySelectorAll('input, textarea')].map((f) => f.value).join(' ')"
        )
        assert secret not in everything


def make_every_kind_of_entry(page, server_url: str, size: str) -> None:
    """Move about the site in every way a page can add a history entry: links to other pages, a link to a
    place in another page, the skip link, a table of contents, a search result, a link to a place on the
    same page; and type an answer on the worksheet."""
    page.goto(f"{server_url}/")  # typed: the one entry of the visit
    page.get_by_role("link", name="The transformative power of safety").first.click()
    page.wait_for_url("**/article/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    page.wait_for_url("**/article/#*")
    search = ".md-search__input" if size == "desktop" else "label.md-header__button[for=__search]"
    page.locator(search).click()
    page.keyboard.type("transformative")  # the article's title: its first result
    page.locator(".md-search-result__link").first.click()
    page.wait_for_url("**?h=transformative*")
    page.get_by_role("link", name="Continue with the worksheet").click()
    page.wait_for_selector("article[data-python=ready]", timeout=60_000)
    page.locator("textarea").first.fill("a word only I know")
    if size == "desktop":
        page.locator(".md-sidebar--secondary a[href^='#']").nth(2).click()  # the table of contents
        page.wait_for_function("location.hash.length > 1")
    page.get_by_role("link", name="If someone else uses this device").first.click()  # another page, at a place
    page.wait_for_url("**/privacy/#if-someone-else-uses-this-device")
    if size == "phone":  # the site's navigation, in its drawer

        def drawer_open() -> bool:
            # Material's start-up, a moment after load, closes a drawer opened before it: open it again then.
            if not page.locator("[data-md-toggle=drawer]").is_checked():
                page.locator("label.md-header__button[for=__drawer]").click()
            return not page.locator(".md-sidebar--primary").evaluate("drawer => drawer.inert")

        eventually(drawer_open)
        page.locator(".md-nav--primary").get_by_role("link", name="Worksheets", exact=True).click()
        page.get_by_role("link", name="Building Trust and Safety in Therapy").first.click()  # from the list
    else:
        page.locator("a.md-header__button.md-logo").click()  # the header's link home
        page.get_by_role("link", name="Building Trust and Safety in Therapy").first.click()
    page.wait_for_url("**/worksheets/building-trust-and-safety/")


# Each size with one way of leaving: the walk is long, and the two ways replace the entry alike (leave()).
@pytest.mark.parametrize(("size", "how"), [("desktop", "button"), ("phone", "shift")])
def test_after_an_exit_no_number_of_backs_shows_this_site(browser, live_server, size, how):
    context = browser.new_context(viewport=SIZES[size], service_workers="block")
    stand_in_for_the_neutral_site(context)
    stand_in_for_the_site_before(context)
    page = context.new_page()
    page.goto(BEFORE)
    make_every_kind_of_entry(page, live_server.url, size)
    if how == "shift":
        page.locator("textarea").first.click()
    leave(page, how)
    page.go_back()
    page.wait_for_load_state()
    assert page.url == BEFORE, f"Back showed {page.url}"
    for backs in (2, 3):  # the tab's blank start, then nowhere further
        page.go_back()
        page.wait_for_load_state()
        assert not page.url.startswith(live_server.url), f"Back x{backs} showed {page.url}"
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_worksheet_back_brings_after_an_exit_opens_covered_until_asked(browser, live_server, size):
    """Entries the browser makes itself (an address typed twice in one tab) cannot be removed: the worksheet
    they bring back opens covered, its answers not on the page (nor in a page kept by the back/forward
    cache), until the person asks to see it."""
    context = browser.new_context(viewport=SIZES[size], service_workers="block")
    stand_in_for_the_neutral_site(context)
    page = context.new_page()
    open_worksheet(page, live_server.url)
    page.locator("textarea").first.fill("a word only I know")
    page.goto(f"{live_server.url}/article/")  # typed: the browser's own entry
    leave(page, "shift")
    page.go_back()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/worksheets/building-trust-and-safety/"
    assert_covered(page, secret="a word only I know")
    page.go_back()
    page.go_forward()
    page.wait_for_load_state()
    assert_covered(page, secret="a word only I know")
    page.get_by_role("button", name="Show it again").click()
    page.wait_for_selector("article[data-python=ready]", timeout=60_000)
    expect(page.locator("textarea").first).to_have_value("a word only I know")
    assert page.title() != "Page closed"
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
