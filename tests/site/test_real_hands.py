"""What a person meets on a desktop and on a phone, by mouse and keyboard only: the failures axe cannot see.

Typed dates kept exactly, visible field edges and 24 px targets, focus never under a sticky bar, a print
that keeps every word, readable chart labels, no page wider than a phone, a preview of what is shared.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import random
import re

import pytest
from playwright.sync_api import expect

from py_client import progress
from tests.support import worksheets
from tests.support.ask_page import AskPage
from tests.support.browser import eventually
from tests.support.servers import ServerProcess
from tests.support.therapist_page import TherapistPage
from tests.support.worksheet_page import PYTHON_TIMEOUT, STORAGE_KEY, SharePanel, open_worksheet, stored

WORKSHEET = worksheets.trust()

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
VOCABULARY = ("calm", "river", "honest", "slow", "listen", "patience", "boundary", "steady", "repair", "open")


@pytest.fixture(scope="module")
def server(built_site, tmp_path_factory):
    """A server of this module's own, without rate limits: these tests make several links each."""
    process = ServerProcess(tmp_path_factory.mktemp("hands"), "--rate-limits", "off").start()
    yield process
    process.stop()


def words(prefix: str, count: int) -> str:
    """``count`` words, each findable on its own: a vocabulary word with a unique number."""
    return " ".join(f"{VOCABULARY[n % len(VOCABULARY)]}{prefix}{n}" for n in range(count))


def full_document(sessions: int = 13) -> dict:
    """A worksheet answered everywhere, with long answers and a three-month weekly log."""
    answers: dict = {}
    for section in WORKSHEET.sections:
        for item in section.items[::2]:
            answers[f"{section.id}.{item.id}"] = True
        for index, prompt in enumerate(section.prompts):
            name = f"{section.id}.{prompt.id}"
            if prompt.kind == "list":
                for n in range(1, prompt.lines + 1):
                    answers[f"{name}.{n}"] = words(f"l{n}x", 36)  # a long one-line field, near its 500 characters
                    assert len(answers[f"{name}.{n}"]) <= 500
            elif prompt.kind == "scale":
                answers[name] = 7
            else:
                answers[name] = words(f"{section.id[:2]}{index}x", 600 if index == 0 else 40 + 20 * index)
    start = dt.date(2026, 1, 5)
    log = [
        {
            "id": f"s{n}",
            "date": (start + dt.timedelta(days=7 * n)).isoformat(),
            "topic": words(f"t{n}x", 40 if n == 6 else 6),  # one topic near the 500-character limit
            "trust": 3 + n % 7,
            "safety": 2 + n % 8,
            "therapist_role": words(f"r{n}x", 12),
        }
        for n in range(sessions)
    ]
    return {"format": "trust-safety-worksheet", "version": 2, "saved_at": None, "answers": answers, "sessions": log}


def shown_dates(page) -> list[str]:
    """The session cards' dates, in the order the cards stand."""
    return page.locator("[data-ws-session] input[type=date]").evaluate_all("(fields) => fields.map((f) => f.value)")


def typed_words(doc: dict) -> list[str]:
    texts = [v for v in doc["answers"].values() if isinstance(v, str)]
    texts += [s[key] for s in doc["sessions"] for key in ("topic", "therapist_role")]
    return [word for text in texts for word in text.split()]


def open_with(page, server_url: str, doc: dict) -> None:
    """Open the worksheet with ``doc`` already saved in this browser, and wait for its tools."""
    page.goto(f"{server_url}/privacy/")
    page.evaluate("([key, doc]) => localStorage.setItem(key, JSON.stringify(doc))", [STORAGE_KEY, doc])
    open_worksheet(page, server_url)


# --- dates ----------------------------------------------------------------------------------------------


def date_field_order(page, field) -> tuple[str, ...]:
    """The order of the date field's parts as this browser lays them out (Chromium follows its interface
    language: month first in US English, day first in British), found by typing into the field."""
    field.fill("2026-03-04")
    field.focus()
    page.keyboard.type("1")
    order = ("%m", "%d", "%Y") if field.input_value() == "2026-01-04" else ("%d", "%m", "%Y")
    assert field.input_value() == ("2026-01-04" if order[0] == "%m" else "2026-03-01")
    return order


def test_dates_typed_digit_by_digit_are_kept_exactly(browser, server):
    # US English: 12-hour times, where "02:53 PM" and "2:53 PM" could both appear.
    page = browser.new_context(locale="en-US", service_workers="block").new_page()
    open_worksheet(page, server.url)
    page.get_by_role("button", name="Add a session").click()
    page.locator("[data-ws-session] input[type=date]").fill("2026-06-15")
    page.get_by_role("button", name="Add a session").click()  # focus lands on the new session's date
    typed_id = page.evaluate("document.activeElement.closest('[data-ws-session]').dataset.id")
    field = page.locator(f'[data-id="{typed_id}"] input[type=date]')
    order = date_field_order(page, field)
    rng = random.Random(13)
    dates = [dt.date(2026, 9, 15), dt.date(1900, 1, 1), dt.date(2100, 12, 31), dt.date(2024, 2, 29), dt.date(2026, 1, 12)]
    dates += [dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(73_000)) for _ in range(15)]
    for date in dates:
        field.focus()
        page.keyboard.type("".join(date.strftime(part).zfill(4 if part == "%Y" else 2) for part in order))
        assert field.input_value() == date.isoformat()
        assert page.evaluate("document.activeElement.closest('[data-ws-session]')?.dataset.id") == typed_id
        assert page.evaluate("document.activeElement.type") == "date"
        assert {s["id"]: s["date"] for s in stored(page)["sessions"]}[typed_id] == date.isoformat()
        field.blur()  # leaving the session re-sorts the log, once the focus has landed
        eventually(lambda: shown_dates(page) == sorted(shown_dates(page)))
        assert date.isoformat() in shown_dates(page)
    status = page.locator("#ws-status").inner_text()
    assert re.search(r"at \d{1,2}:\d\d\s?[AP]M", status) and not re.search(r"\b0\d:\d\d", status), status
    page.context.close()


# --- the chart ------------------------------------------------------------------------------------------


def chart_logs() -> list[tuple[str, dict]]:
    """Logs whose dates a chart must space and label: weekly, bunched then sparse, and across years."""
    rng = random.Random(7)
    logs = [(f"{count} weekly", full_document(count)) for count in range(1, 61, 3)]
    for count in (2, 5, 12, 40):
        doc = full_document(count)
        day = dt.date(2025, 11, 20)
        for session in doc["sessions"]:
            session["date"] = day.isoformat()
            day += dt.timedelta(days=rng.choice([0, 1, 2, 7, 30, 120]))
        logs.append((f"{count} irregular, across years", doc))
    return logs


@pytest.mark.parametrize("width", [320, 1280])
def test_the_chart_spaces_sessions_by_time_and_its_labels_are_readable(page, server, width):
    """Sessions stand where their dates put them; date labels never touch, stay inside the chart and are
    drawn at 12 px or more, on a 320 px phone too (they were 9 px there)."""
    page.set_viewport_size({"width": width, "height": 800})
    open_worksheet(page, server.url, wait_for_python=False)  # the site's own CSS and fonts
    logs = chart_logs()
    drawn = page.evaluate(
        """(charts) => charts.map((markup) => {
            const holder = document.createElement("div");
            holder.className = "ws-chart";
            holder.append(new DOMParser().parseFromString(markup, "image/svg+xml").documentElement);
            document.querySelector("article").append(holder);
            const svg = holder.querySelector("svg");
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            const labels = [...svg.querySelectorAll("text.date")].map((t) => {
                const b = t.getBBox();
                return { left: b.x, right: b.x + b.width, text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale };
            });
            const markers = [...svg.querySelectorAll("circle.marker")].map((c) => c.cx.baseVal.value);
            holder.remove();
            return { labels, markers };
        })""",
        [progress.chart_svg(doc, progress.summarise(doc, WORKSHEET.log), WORKSHEET.log) for _, doc in logs],
    )
    for (name, doc), chart in zip(logs, drawn, strict=True):
        labels = chart["labels"]
        assert len(labels) >= min(len(doc["sessions"]), 2) or len({s["date"] for s in doc["sessions"]}) < 2, name
        assert all(label["left"] >= 0 and label["right"] <= 480 for label in labels), (name, labels)
        assert all(label["px"] >= 12 for label in labels), (name, labels)
        for before, after in itertools.pairwise(labels):
            assert after["left"] - before["right"] >= 4, (name, labels)  # a visible gap between neighbours
        days = [dt.date.fromisoformat(s["date"]) for s in doc["sessions"]]
        if len(set(days)) > 1:  # equal stretches of time are equal stretches of chart
            xs = chart["markers"]
            per_day = (xs[-1] - xs[0]) / (days[-1] - days[0]).days
            assert all(abs(x - xs[0] - per_day * (day - days[0]).days) < 0.2 for x, day in zip(xs, days, strict=True)), name
        if len({day.year for day in days}) > 1:
            assert str(days[0].year) in labels[0]["text"], (name, labels)


# --- phones ---------------------------------------------------------------------------------------------


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


# Every word of the log table's cells that is drawn over two lines ("sessio/n", a heading a character a line);
# a line may still end after a hyphen, as it does in print.
WORDS_BROKEN_IN_TABLES = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll(".ws-log-table-grid :is(th, td)")) {
    if (!cell.getClientRects().length) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/[^\\s-]+-?/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


# The "Exit this page" link's box, the header's, and every header control it overlaps.
EXIT_IN_THE_HEADER = """() => {
  const exit = document.querySelector(".tsw-quick-exit__link").getBoundingClientRect();
  const header = document.querySelector(".md-header").getBoundingClientRect();
  const overlapped = [...document.querySelectorAll(".md-header :is(a, button, label, input, .md-header__topic)")]
    .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== "hidden")
    .filter((el) => { const r = el.getBoundingClientRect();
                      return r.left < exit.right && r.right > exit.left && r.top < exit.bottom && r.bottom > exit.top; })
    .map((el) => el.className || el.tagName);
  return { inside: exit.top >= header.top && exit.bottom <= header.bottom, overlapped };
}"""


@pytest.mark.parametrize("width", [1280, 390, 320])
def test_exit_this_page_sits_in_the_header_over_no_text(browser, server, width):
    """Fixed under the header, the exit link covered a line's end and a label's text; in the header's band
    it covers nothing, and the header's own controls make room for it."""
    context = browser.new_context(viewport={"width": width, "height": 800}, service_workers="block")
    page = context.new_page()
    for path in ("", "worksheets/building-trust-and-safety/", "ask/"):
        page.goto(f"{server.url}/{path}")
        for scrolled in (0, 600):
            page.evaluate(f"window.scrollTo(0, {scrolled})")
            where = page.evaluate(EXIT_IN_THE_HEADER)
            assert where == {"inside": True, "overlapped": []}, (path, scrolled, where)
    context.close()


# How far down the screen the bars that stay over the content reach (Material's header, the status line).
BARS_BOTTOM = """() => Math.max(...[...document.querySelectorAll(".md-header, [data-sticky-bar]")]
  .map((bar) => bar.getBoundingClientRect().bottom))"""


@pytest.mark.parametrize(("viewport", "most"), [({"width": 390, "height": 844}, 0.10), ({"width": 320, "height": 640}, 0.13)])
def test_on_a_phone_the_bars_over_the_content_stay_small(browser, server, viewport, most):
    """Header and save status took 17 % of a 390×844 screen (30 % at 320×640): the status wrapped to two or
    three lines. On a phone it shows its short form on one line; screen readers still hear the sentence."""
    context = browser.new_context(viewport=viewport, is_mobile=True, has_touch=True, service_workers="block")
    page = context.new_page()
    open_worksheet(page, server.url, wait_for_python=False)
    page.get_by_label("What does trust mean to you?").fill("Being believed")
    status = page.locator("#ws-status")
    expect(status).to_contain_text("Saved ✓")
    for offline in (False, True):
        context.set_offline(offline)
        page.evaluate("scrollTo(0, document.querySelector('#ws-status').getBoundingClientRect().top + scrollY + 600)")
        assert status.evaluate("(s) => s.getBoundingClientRect().top") < 0.1 * viewport["height"], (
            "the status line is not stuck at the top"
        )
        expect(status.locator(".ws-status-short")).to_have_text(re.compile("^Offline · Saved ✓" if offline else "^Saved ✓"))
        line = status.evaluate("(s) => [s.getBoundingClientRect().height, parseFloat(getComputedStyle(s).lineHeight)]")
        assert line[0] < 2 * line[1], f"the status line wraps: {line}"
        assert status.evaluate("(s) => s.scrollWidth <= s.clientWidth"), "the short status is cut off"
        bottom = page.evaluate(BARS_BOTTOM)
        assert bottom <= most * viewport["height"], f"bars reach {bottom} px of {viewport['height']}"
        heard = status.aria_snapshot()
        assert "Saved in this browser at" in heard and "✓" not in heard, heard
        assert ("You are offline" in heard) == offline, heard
    context.close()


@pytest.mark.parametrize("width", [320, 390])
def test_no_page_scrolls_sideways_on_a_phone(browser, server, width):
    viewport = {"width": width, "height": 740}
    context = browser.new_context(viewport=viewport, service_workers="block", locale="en-GB")
    page = context.new_page()
    for path in ("", "article/", "privacy/", "open/"):
        page.goto(f"{server.url}/{path}")
        assert scroll_width(page) <= width, path
    open_with(page, server.url, full_document())
    assert scroll_width(page) <= width
    radios = page.get_by_role("group", name="How helpful was this exercise?").locator("label.ws-radio")
    assert len({round(box["y"]) for box in radios.evaluate_all("(ls) => ls.map((l) => l.getBoundingClientRect())")}) == 1
    page.get_by_role("button", name="Show as a table").click()
    assert scroll_width(page) <= width
    assert page.evaluate(WORDS_BROKEN_IN_TABLES) == [], "the table scrolls in its own box rather than break words"
    page.get_by_role("button", name="Preview what your therapist will see").click()
    expect(page.locator("#ws-share-preview-body")).to_contain_text("Session log")
    assert scroll_width(page) <= width
    link = SharePanel(page).create_link()
    therapist = browser.new_context(viewport=viewport, service_workers="block").new_page()
    TherapistPage(therapist).read(link)
    assert scroll_width(therapist) <= width
    assert therapist.evaluate(WORDS_BROKEN_IN_TABLES) == []
    therapist.context.close()
    context.close()


def test_the_log_folds_and_shows_as_a_table(page, server):
    page.set_viewport_size(PHONE)
    doc = full_document()
    open_with(page, server.url, doc)
    cards = page.locator("[data-ws-session] details")
    assert cards.count() == 13
    assert [cards.nth(i).get_attribute("open") is not None for i in range(13)] == [False] * 12 + [True]
    folded_height = page.locator("#ws-session-list").bounding_box()["height"]
    assert folded_height < 13 * 150, folded_height  # one line or two a session, not ~800 px
    assert "Trust: 3, Safety: 2" in cards.first.locator("summary").inner_text()
    page.get_by_role("button", name="Open all sessions").click()
    assert page.locator("[data-ws-session] details[open]").count() == 13
    page.get_by_role("button", name="Fold all sessions").click()
    assert page.locator("[data-ws-session] details[open]").count() == 0
    page.get_by_role("button", name="Show as a table").click()
    table = page.get_by_role("region", name="Session log as a table").locator("table")
    expect(table.locator("tbody tr")).to_have_count(13)
    assert doc["sessions"][4]["topic"] in table.locator("tbody tr").nth(4).inner_text()
    assert page.locator("#ws-session-list").is_hidden()
    table.get_by_role("button", name="Edit session 5").click()
    expect(page.locator("[data-id=s4] input[type=date]")).to_be_focused()
    assert page.locator("[data-id=s4] details").get_attribute("open") is not None
    page.reload()  # the chosen view is remembered
    page.get_by_role("button", name="Show as a table").click()
    page.reload()
    expect(page.get_by_role("button", name="Show as a table")).to_have_attribute("aria-pressed", "true")


# --- visible fields and target sizes --------------------------------------------------------------------

# Every control a person can aim at, with the box they aim at (a hidden input's label), the colours of a
# field's edge against what is behind it, and whether it sits inside a line of text (links in a sentence
# are exempt from the target size, WCAG 2.5.8).
MEASURE = """() => {
  const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const over = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const contrast = (x, y) => { const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p); return (a + 0.05) / (b + 0.05); };
  const behind = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.a > 0) layers.push(c);
      if (c.a === 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), {r: 255, g: 255, b: 255, a: 1});
  };
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && el.checkVisibility({opacityProperty: true, visibilityProperty: true}); };
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.name ? "[" + el.name + "]" : ""} "${(el.getAttribute("aria-label") || el.textContent || el.value || "").trim().slice(0, 30)}"`;
  const scope = document.querySelector("dialog[open]") || document;
  const targets = [];
  for (const el of scope.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])")) {
    if (el.closest("[hidden], noscript, template") || el.disabled && el.type === "file") continue;
    let box = el;
    if (!visible(el) || el.getBoundingClientRect().width <= 1) {
      box = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (!box || !visible(box)) continue;
    }
    const r = (box.closest("label") && box.tagName === "INPUT" ? box.closest("label") : box).getBoundingClientRect();
    const parentText = (el.parentElement.textContent || "").trim().length;
    const inline = el.tagName === "A" && parentText > (el.textContent || "").trim().length + 2 && getComputedStyle(el).display === "inline";
    const field = el.matches("textarea, select, input:not([type]), input[type=text], input[type=password], input[type=date], input[type=search], input[type=email]") && box === el;
    let edge = null;
    if (field) {
      const s = getComputedStyle(el);
      const background = behind(el.parentElement);
      const own = over(parse(s.backgroundColor), background);
      const border = parseFloat(s.borderBottomWidth) > 0 ? contrast(over(parse(s.borderBottomColor), own), background) : 0;
      edge = Math.max(border, contrast(own, background));
    }
    targets.push({name: name(el), x: r.x, y: r.y, width: r.width, height: r.height, inline, edge});
  }
  return targets;
}"""


def undersized(targets: list[dict]) -> list[str]:
    """Targets under 24 x 24 px that the spacing exception does not excuse: a 24 px circle centred on each
    must not touch another target or another undersized target's circle."""
    small = [t for t in targets if not t["inline"] and (t["width"] < 23.5 or t["height"] < 23.5)]
    failing = []
    for target in small:
        cx, cy = target["x"] + target["width"] / 2, target["y"] + target["height"] / 2
        for other in targets:
            if other is target or other["inline"]:
                continue
            nearest_x = min(max(cx, other["x"]), other["x"] + other["width"])
            nearest_y = min(max(cy, other["y"]), other["y"] + other["height"])
            other_small = other in small
            reach = 24 if other_small else 12
            if (nearest_x - cx) ** 2 + (nearest_y - cy) ** 2 < reach**2:
                failing.append(f"{target['name']} {target['width']:.0f}x{target['height']:.0f} near {other['name']}")
                break
    return failing


def page_states(page, server_url: str, link: str):
    """Every page, and the worksheet and the therapist's page in the states a person sees."""
    for path in ("", "article/", "privacy/"):
        page.goto(f"{server_url}/{path}")
        yield path or "home"
    open_with(page, server_url, full_document())
    yield "worksheet, cards"
    page.get_by_role("button", name="Open all sessions").click()
    yield "worksheet, cards open"
    page.get_by_role("button", name="Show as a table").click()
    page.get_by_label("Passphrase (optional)").fill("x")  # the passphrase row with its "Show" box
    page.get_by_role("button", name="Preview what your therapist will see").click()
    yield "worksheet, table and preview"
    page.get_by_role("button", name="Delete everything on this device").click()
    yield "worksheet, confirm dialog"
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Show as a table").click()  # back to cards for the next visit
    page.goto(link.split("#")[0])
    yield "open page, no link"
    TherapistPage(page).read(link)
    yield "open page, revealed"
    TherapistPage(page).visit(link)
    page.get_by_role("button", name="Reveal answers").click()
    expect(page.locator("#ws-open-message")).to_be_visible()
    yield "open page, already opened"
    ask = AskPage(page, server_url)
    request_link, _ = ask.make_request("For Monday's session")
    yield "ask page, a request made"
    page.goto("about:blank")
    page.goto(request_link)
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    expect(page.locator("#ws-request-state")).to_contain_text("can receive your answers")
    yield "worksheet, from a request link"
    page.get_by_role("button", name="Send to your therapist").click()
    expect(page.locator("#ws-share-message")).to_contain_text("Your answers were sent", timeout=PYTHON_TIMEOUT)
    ask.open_first_answer()
    yield "ask page, answers open"


def sized_page(browser, size: str):
    return browser.new_context(viewport=SIZES[size], service_workers="block", locale="en-GB").new_page()


@pytest.fixture(scope="module")
def links(browser, server):
    """Two links per size to reveal: one with a passphrase field shown, one without."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    open_with(page, server.url, full_document())
    made = [SharePanel(page).create_link() for _ in range(4)]
    page.get_by_label("Passphrase (optional)").fill("quiet river")
    made.append(SharePanel(page).create_link())
    context.close()
    return made


@pytest.mark.parametrize("size", SIZES)
def test_every_field_shows_its_edge_and_every_target_is_big_enough(browser, server, links, size):
    page = sized_page(browser, size)
    link = links[0 if size == "desktop" else 1]
    problems = []
    for state in page_states(page, server.url, link):
        targets = page.evaluate(MEASURE)
        assert targets, state
        problems += [f"{state}: {t['name']} edge {t['edge']:.2f}:1" for t in targets if t["edge"] is not None and t["edge"] < 3]
        problems += [f"{state}: {text}" for text in undersized(targets)]
    # The therapist's passphrase field, when the link asks for one.
    TherapistPage(page).visit(links[4])
    field = page.get_by_label("Passphrase", exact=True)
    expect(field).to_be_visible()
    assert field.bounding_box()["height"] >= 24 and field.bounding_box()["width"] >= 150
    edges = [t for t in page.evaluate(MEASURE) if t["name"].startswith("input#ws-open-passphrase")]
    assert edges and edges[0]["edge"] >= 3
    page.context.close()
    assert not problems, "\n".join(problems)


# --- focus never hidden ---------------------------------------------------------------------------------

# Whether the focused element (or, for a hidden input, its label) can be seen: at its centre and near its
# corners, within the viewport, the topmost element is it or inside it, once the page has settled.
FOCUS_SEEN = """async () => {
  // Two frames, so the page has reacted to the key (scrolled, opened or closed what it opens). Not until
  // transitions end: someone holding Shift+Tab moves on in a few dozen milliseconds, and a control under a
  // fading overlay (Material's search closing) is hidden for every one of them.
  // A page that stops drawing (hidden) runs no frame: a timer bounds the wait, so the walk never hangs.
  const frame = () => new Promise((settled) => { requestAnimationFrame(() => setTimeout(settled)); setTimeout(settled, 1000); });
  for (let count = 0; count < 2; count++) await frame();
  let el = document.activeElement;
  const id = el?.id || "";
  if (!el || el === document.body) return {id, name: "body", hidden: []};
  let r = el.getBoundingClientRect();
  if ((r.width <= 1 || r.height <= 1) && el.id) {
    const label = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    if (label) { el = label; r = el.getBoundingClientRect(); }
  }
  const name = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${(el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 30)}"`;
  if (r.width <= 1 || r.height <= 1) return {id, name, hidden: []};
  const left = Math.max(r.left, 0), right = Math.min(r.right, innerWidth), top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
  if (right - left < 2 || bottom - top < 2) return {id, name, hidden: ["outside the viewport"]};
  const inset = Math.min(3, (right - left) / 3, (bottom - top) / 3);
  const points = [[(left + right) / 2, (top + bottom) / 2], [left + inset, top + inset], [right - inset, top + inset], [left + inset, bottom - inset], [right - inset, bottom - inset]];
  const hidden = [];
  for (const [x, y] of points) {
    const hit = document.elementFromPoint(x, y);
    // Material's search box draws its icons over the field's own padding: part of the field, not a cover.
    const sameBox = el.closest(".md-search__inner")?.contains(hit);
    if (hit && !el.contains(hit) && !hit.contains(el) && !(el.tagName === "LABEL" && hit === el.control) && !sameBox) {
      hidden.push(`at ${x.toFixed(0)},${y.toFixed(0)} under ${hit.tagName.toLowerCase()}.${[...hit.classList].join(".")}`);
    }
  }
  return {id, name, hidden};
}"""


# Focus a control halfway down the page's content, to walk once around the whole tab order from there:
# across the header and around the page's end (past the browser's own stop), in either direction.
FOCUS_MIDDLE = """() => {
  const focusable = (within) => [...document.querySelectorAll(`${within} :is(a[href], button, input, select, textarea, [tabindex])`)]
    .filter((el) => el.tabIndex >= 0 && !el.disabled && el.id && el.getClientRects().length && !el.closest("[inert], [hidden]"))
    .filter((el) => el.type !== "date");  // Tab moves between a date field's own parts before it leaves
  let controls = focusable("main");
  if (!controls.length) controls = focusable("body");  // a page with nothing to do but its header's controls
  for (const start of controls.slice(Math.floor(controls.length / 2))) {
    start.focus();
    if (document.activeElement === start) return start.id;
  }
  throw new Error(`no control to start from on ${location.pathname}`);
}"""


def walk_focus(page, key: str, limit: int = 400) -> list[str]:
    """Every stop once around the tab order, from a control in the middle of the page back to it."""
    start = page.evaluate(FOCUS_MIDDLE)
    problems, stops = [], []
    for _ in range(limit):
        page.keyboard.press(key)
        result = page.evaluate(FOCUS_SEEN)
        if result["id"] == start:
            break
        stops.append(result["name"])
        problems += [f"{key} {result['name']}: {where}" for where in result["hidden"]]
    else:
        problems.append(f"{key}: the focus did not come back around within {limit} stops")
    assert any("Skip to content" in stop for stop in stops), f"{key} did not cross the header: {stops}"
    return problems


@pytest.mark.parametrize("size", SIZES)
def test_focus_is_never_hidden_under_sticky_bars(browser, server, links, size):
    page = sized_page(browser, size)
    link = links[2 if size == "desktop" else 3]
    problems = []
    for state in page_states(page, server.url, link):
        if state in (
            "worksheet, cards open",
            "worksheet, confirm dialog",
            "open page, already opened",
            "worksheet, from a request link",
        ):
            continue  # the same controls as the states around them (the request box has none of its own)
        problems += [f"{state}: {problem}" for problem in walk_focus(page, "Tab")]
        problems += [f"{state}: {problem}" for problem in walk_focus(page, "Shift+Tab")]
    page.context.close()
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("size", SIZES)
def test_search_opens_by_pointer_and_keyboard_and_closes_at_once(browser, server, size):
    """The search box is open exactly while the focus is in it, and gone at once when it closes."""
    page = sized_page(browser, size)
    page.goto(f"{server.url}/article/")
    toggle = page.locator("[data-md-toggle=search]")
    if size == "phone":
        page.locator("label.md-header__button[for=__search]").click()  # the magnifier opens it, then focuses the field
    else:
        page.locator(".md-search__input").click()
    page.wait_for_timeout(200)  # past the moment focus-in-view.mjs checks again
    expect(page.locator(".md-search__input")).to_be_focused()
    assert toggle.evaluate("el => el.checked")
    page.keyboard.type("safety")
    first_result = page.locator(".md-search-result__link").first
    expect(first_result).to_be_visible()
    page.keyboard.press("ArrowDown")  # into the results: still open
    page.wait_for_timeout(200)
    assert toggle.evaluate("el => el.checked")
    page.keyboard.press("Escape")
    covered = page.evaluate(
        """() => { const r = document.querySelector("article h1").getBoundingClientRect();
                   const hit = document.elementFromPoint(r.left + 5, r.top + r.height / 2);
                   return hit.closest(".md-search") ? hit.className : null; }"""
    )
    assert not toggle.evaluate("el => el.checked") and covered is None, covered
    page.context.close()


def test_header_controls_show_a_focus_ring(page, server):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server.url}/article/")
    for control in (page.locator(".md-search__input"), page.locator("form[data-md-component=palette] input").first):
        control.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # reached by keyboard, so :focus-visible applies
        ring = page.evaluate(
            """() => { let el = document.activeElement;  // a palette option shows its focus on the label beside it
                       if (getComputedStyle(el).opacity === "0" && el.nextElementSibling?.tagName === "LABEL") el = el.nextElementSibling;
                       const s = getComputedStyle(el); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
        )
        assert ring[0] != "none" and ring[1] >= 2, ring


# --- print ----------------------------------------------------------------------------------------------


def test_print_keeps_every_typed_word_and_prints_the_log_as_a_table(page, server):
    from pypdf import PdfReader

    page.set_viewport_size(DESKTOP)
    doc = full_document()
    open_with(page, server.url, doc)
    page.emulate_media(media="print")
    headings = page.evaluate(
        """() => [...document.querySelectorAll("article :is(h1, h2, h3, h4, legend, .ws-label)")]
                 .filter((h) => h.getClientRects().length).map((h) => h.textContent.replace(/\\s+/g, " ").trim())"""
    )
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(page.pdf(format="A4"))).pages]
    text = re.sub(r"\s+", " ", " ".join(pages))
    missing = [word for word in typed_words(doc) if word not in text]
    assert not missing, f"{len(missing)} typed words missing from the PDF, e.g. {missing[:10]}"
    log_pages = [n for n, content in enumerate(pages) if any(f"t{s}x0" in content for s in range(13))]
    assert len(log_pages) <= 3, log_pages  # 13 long sessions as a table, not a page each (19 pages before)
    for number, content in enumerate(pages[:-1], start=1):
        lines = [line.strip() for line in content.splitlines() if line.strip()]
        last = lines[-1]
        alone = [h for h in headings if len(last) >= 12 and last in h]
        assert not alone, f"page {number} ends with the heading {alone[0]!r}"


# --- sharing --------------------------------------------------------------------------------------------


def test_preview_is_what_the_therapist_sees_with_the_persons_note(browser, server):
    person = browser.new_context(service_workers="block", locale="en-GB").new_page()
    doc = full_document(3)
    open_with(person, server.url, doc)
    panel = person.locator("#ws-share")
    assert "items you did not tick" in panel.inner_text() or "marked as ticked or not ticked" in panel.inner_text()
    panel.get_by_label("A note for your therapist (optional)").fill("From Sam, for Thursday")
    panel.get_by_role("button", name="Preview what your therapist will see").click()
    preview = person.locator("#ws-share-preview-body")
    expect(preview).to_contain_text("From Sam, for Thursday")
    expect(preview).to_contain_text("Not checked:")  # unticked statements are part of what is shared
    previewed = preview.inner_text()
    link = SharePanel(person).create_link(note="From Sam, for Thursday")
    therapist = browser.new_context(service_workers="block", locale="en-GB").new_page()
    TherapistPage(therapist).read(link)
    assert therapist.locator("#ws-open-answers").inner_text() == previewed
    assert therapist.get_by_role("heading", name="Their note to you").is_visible()
    data = b"".join(path.read_bytes() for path in server.data_dir.iterdir() if path.is_file())
    assert b"From Sam" not in data  # the note travels inside the encrypted snapshot only
    person.context.close()
    therapist.context.close()


def test_destructive_confirmations_are_red_not_the_safe_green(page, server):
    open_with(page, server.url, full_document(1))
    page.get_by_role("button", name="Delete everything on this device").click()
    confirm = page.locator("#ws-confirm-yes")
    expect(confirm).to_have_text("Delete everything")
    primary = page.locator("#ws-add-session").evaluate("(b) => getComputedStyle(b).backgroundColor")
    danger = confirm.evaluate("(b) => getComputedStyle(b).backgroundColor")
    assert danger == "rgb(179, 38, 30)" and danger != primary
    page.get_by_role("button", name="Cancel").click()
    eventually(lambda: len(stored(page)["sessions"]) == 1)


def test_restored_wording_is_marked_as_restored(page, server):
    page.goto(f"{server.url}/worksheets/building-trust-and-safety/")
    needs = page.get_by_role("group", name="List three things you need to feel safe in the therapeutic relationship.")
    assert "our reconstruction" in needs.inner_text()
    helpfulness = page.get_by_role("group", name="How helpful was this exercise?")
    assert "what 1 meant was lost" in helpfulness.inner_text()
    assert json.dumps(WORKSHEET.sections[-1].prompts[-1].scale.anchors).count("helpful") == 2
    # A word the seed lacks, added so that a question reads as meant, is said to be ours.
    assert (
        "the word “makes” is ours"
        in page.locator(".ws-prompt", has=page.get_by_label("What does safety mean to you?")).inner_text()
    )
