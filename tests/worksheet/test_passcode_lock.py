"""The passcode lock, as a person on a shared device uses it: once locked, no typed word is readable in
any storage the browser keeps for the site or in any request, the locked page shows only the passcode
field, a wrong passcode changes nothing and the right one brings every word back, also across reloads,
idle time and two tabs."""

from __future__ import annotations

import base64
import json
import os
import re
import unicodedata

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from playwright.sync_api import expect

from py_client import answers
from tests.support.browser import dispatched, eventually, run_axe
from tests.support.worksheet_page import (
    PASSCODE,
    PYTHON_TIMEOUT,
    VERSION_1_DOCUMENT,
    SharePanel,
    open_worksheet,
    passcode_field,
    set_passcode,
    type_words,
    unlock,
)

pytestmark = pytest.mark.browser

# Everything the browser keeps for the site: a locked worksheet must leave no typed word in any of it.
EVERYTHING_STORED = """async () => {
  const parts = [JSON.stringify(Object.entries(localStorage)), JSON.stringify(Object.entries(sessionStorage))];
  for (const database of await indexedDB.databases()) parts.push(`indexedDB:${database.name}`);
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) parts.push(request.url, await (await cache.match(request)).text());
  }
  return parts.join("\\n");
}"""


def locked_record(page) -> str | None:
    return page.evaluate("localStorage.getItem('trust-safety-worksheet/worksheets/building-trust-and-safety/answers-locked')")


def expect_locked(page):
    expect(page.get_by_role("button", name="Unlock")).to_be_visible(timeout=PYTHON_TIMEOUT)
    expect(page.locator("textarea").first).to_be_hidden()
    expect(page.get_by_role("button", name="Download a backup (JSON)")).to_be_hidden()
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_hidden()


def test_locked_answers_are_in_no_storage_and_come_back_only_with_the_right_passcode(page, live_server):
    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.url}\n{request.post_data or ''}"))
    open_worksheet(page, live_server.url)
    page.get_by_role("button", name="Lock with a passcode").click()
    expect(page.get_by_text("If you forget the passcode, your answers cannot be recovered.")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    type_words(page, "harbour lantern whisper", "orchard quokka")
    assert "harbour lantern whisper" in page.evaluate(EVERYTHING_STORED)  # the search can see plain words

    page.get_by_role("button", name="Lock with a passcode").click()
    passcode_field(page).fill(PASSCODE)
    page.get_by_label("Repeat passcode").fill("something else")
    page.get_by_role("button", name="Lock", exact=True).click()
    expect(page.locator("#ws-lock-set-message")).to_have_text(
        "The two passcodes are not the same. Type the same passcode in both fields."
    )
    page.get_by_label("Repeat passcode").fill(PASSCODE)
    page.get_by_role("button", name="Lock", exact=True).click()
    expect(page.get_by_role("button", name="Lock now")).to_be_visible(timeout=20_000)
    page.get_by_label("What does safety mean to you?", exact=True).fill("velvet thunder")  # typed while unlocked
    expect(page.locator("#ws-status")).to_contain_text("encrypted")

    page.reload()
    expect_locked(page)
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    stored = page.evaluate(EVERYTHING_STORED)
    shown = page.content()
    for word in ("harbour", "lantern", "orchard", "quokka", "velvet", "thunder"):
        assert word not in stored and word not in shown and not any(word in request for request in sent), word

    record = locked_record(page)
    unlock(page, "not the passcode")
    expect(page.locator("#ws-unlock-message")).to_have_text(
        "That passcode is not right. Nothing was changed; try again.", timeout=20_000
    )
    assert locked_record(page) == record
    unlock(page)
    expect(page.get_by_label("What does trust mean to you?", exact=True)).to_have_value("harbour lantern whisper", timeout=20_000)
    expect(page.get_by_label("What does safety mean to you?", exact=True)).to_have_value("velvet thunder")
    expect(page.locator("[data-ws-session]").first.get_by_label("Topic")).to_have_value("orchard quokka")

    sealed_before = locked_record(page)
    page.get_by_label("What does safety mean to you?", exact=True).fill("velvet thunder, quiet moss")
    eventually(lambda: locked_record(page) != sealed_before)  # sealed within moments of the keystroke
    page.reload()
    expect_locked(page)
    unlock(page)
    expect(page.get_by_label("What does safety mean to you?", exact=True)).to_have_value(
        "velvet thunder, quiet moss", timeout=20_000
    )
    assert "moss" not in page.evaluate(EVERYTHING_STORED)


def test_it_locks_again_after_the_chosen_idle_time_and_on_lock_now(page, live_server):
    open_worksheet(page, live_server.url)
    page.evaluate(
        "localStorage.setItem('trust-safety-worksheet/worksheets/building-trust-and-safety/lock-after-seconds', '2')"
    )  # 1 minute at least in the menu
    page.reload()
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    type_words(page, "idle pebble", "slow tide")
    set_passcode(page)
    page.wait_for_timeout(3_000)
    expect_locked(page)
    assert "pebble" not in page.content()
    unlock(page)
    expect(page.get_by_role("button", name="Lock now")).to_be_visible(timeout=20_000)
    page.get_by_role("button", name="Lock now").click()
    expect_locked(page)
    expect(passcode_field(page)).to_be_focused()


def test_two_tabs_each_keep_the_others_words_while_locked(context, live_server):
    first, second = context.new_page(), context.new_page()
    open_worksheet(first, live_server.url)
    open_worksheet(second, live_server.url)
    set_passcode(first)
    expect_locked(second)  # a passcode set in one tab locks the other at once
    unlock(second)
    expect(second.get_by_role("button", name="Lock now")).to_be_visible(timeout=20_000)
    first.get_by_label("What does trust mean to you?", exact=True).fill("from the first tab")
    expect(second.get_by_label("What does trust mean to you?", exact=True)).to_have_value("from the first tab", timeout=10_000)
    second.get_by_label("What does safety mean to you?", exact=True).fill("from the second tab")
    expect(first.get_by_label("What does safety mean to you?", exact=True)).to_have_value("from the second tab", timeout=10_000)
    first.reload()
    expect_locked(first)
    unlock(first)
    expect(first.get_by_label("What does trust mean to you?", exact=True)).to_have_value("from the first tab", timeout=20_000)
    expect(first.get_by_label("What does safety mean to you?", exact=True)).to_have_value("from the second tab")


def test_remove_passcode_and_forgotten_passcode(page, live_server):
    open_worksheet(page, live_server.url)
    type_words(page, "lighthouse", "meadow")
    set_passcode(page)
    page.get_by_role("button", name="Remove passcode").click()
    page.get_by_role("button", name="Remove passcode").last.click()  # the confirmation's button
    expect(page.get_by_role("button", name="Lock with a passcode")).to_be_visible(timeout=20_000)
    assert "lighthouse" in page.evaluate(
        "localStorage.getItem('trust-safety-worksheet/worksheets/building-trust-and-safety/answers')"
    )
    set_passcode(page)
    page.reload()
    expect_locked(page)
    page.get_by_role("button", name="Forgot passcode").click()
    expect(page.get_by_role("dialog", name="Erase everything on this device?")).to_contain_text(
        "Without the passcode nobody can open the locked answers"
    )
    page.get_by_role("button", name="Erase everything").click()
    expect(page.get_by_role("button", name="Lock with a passcode")).to_be_visible()
    page.wait_for_selector("article[data-python=ready]", timeout=60_000)
    expect(page.locator("#ws-status")).to_contain_text("Everything was erased")  # not Python's "Ready" over it
    assert page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('trust-safety-worksheet/'))") == []
    expect(page.get_by_label("What does trust mean to you?", exact=True)).to_have_value("")


def test_lock_and_unlock_by_keyboard_alone_and_axe_clean(page, live_server):
    open_worksheet(page, live_server.url)
    page.get_by_role("button", name="Lock with a passcode").focus()
    page.keyboard.press("Enter")
    expect(passcode_field(page)).to_be_focused()
    assert run_axe(page) == []
    page.keyboard.type(PASSCODE)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSCODE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Lock now")).to_be_focused(timeout=20_000)
    page.keyboard.press("Enter")
    expect(passcode_field(page)).to_be_focused()
    assert run_axe(page) == []
    page.keyboard.type(PASSCODE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Lock now")).to_be_focused(timeout=20_000)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sealed(payload: dict, code: str = PASSCODE, iterations: int = 600_000) -> str:
    """A locked record made by an independent implementation of the format described in passcode.mjs."""
    salt, iv = os.urandom(16), os.urandom(12)
    key = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(unicodedata.normalize("NFC", code).encode())
    header = f"{answers.FORMAT}/lock-v1/{iterations}/{b64(salt)}".encode()
    data = AESGCM(key).encrypt(iv, json.dumps(payload).encode(), header)
    return json.dumps(
        {"format": answers.FORMAT, "lock": 1, "iterations": iterations, "salt": b64(salt), "iv": b64(iv), "data": b64(data)}
    )


def opened(record: str, code: str = PASSCODE) -> dict:
    """A record opened by an independent implementation (cryptography's Argon2id, or PBKDF2 for version 1)."""
    fields = json.loads(record)
    unb64 = lambda text: base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))  # noqa: E731
    salt = unb64(fields["salt"])
    secret = unicodedata.normalize("NFC", code).encode()
    if fields["lock"] == 1:
        key = PBKDF2HMAC(hashes.SHA256(), 32, salt, fields["iterations"]).derive(secret)
        header = f"{answers.FORMAT}/lock-v1/{fields['iterations']}/{fields['salt']}".encode()
    else:
        kdf = fields["kdf"]
        assert kdf["name"] == "argon2id" and kdf["memory_kib"] >= 64 * 1024, kdf
        key = Argon2id(salt=salt, length=32, iterations=kdf["passes"], lanes=kdf["parallelism"], memory_cost=kdf["memory_kib"])
        key = key.derive(secret)
        cost = f"{kdf['name']}/{kdf['memory_kib']}/{kdf['passes']}/{kdf['parallelism']}"
        header = f"{answers.FORMAT}/lock-v2/{cost}/{fields['salt']}".encode()
    return json.loads(AESGCM(key).decrypt(unb64(fields["iv"]), unb64(fields["data"]), header))


def test_an_old_format_under_the_lock_is_migrated_and_kept_aside_inside_the_lock(page, live_server):
    open_worksheet(page, live_server.url, wait_for_python=False)
    page.evaluate(
        "record => localStorage.setItem('trust-safety-worksheet/worksheets/building-trust-and-safety/answers-locked', record)",
        sealed({"doc": VERSION_1_DOCUMENT, "kept_aside": []}),
    )
    page.reload()
    expect_locked(page)
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    unlock(page)
    expect(page.locator('[name="reflections.feedback"]')).to_have_value("Gently, at the end", timeout=20_000)
    expect(page.locator("[data-ws-session]").first.get_by_label("Therapist Role")).to_have_value("Explain more")
    eventually(lambda: opened(locked_record(page))["doc"]["version"] == answers.VERSION)
    assert json.loads(locked_record(page))["lock"] == 2, "unlocking seals a PBKDF2 record again under Argon2id"
    payload = opened(locked_record(page))
    assert [json.loads(entry["text"]) for entry in payload["kept_aside"]] == [VERSION_1_DOCUMENT]  # the original, kept inside
    assert "Gently" not in page.evaluate(EVERYTHING_STORED)


def test_a_damaged_locked_record_is_reported_and_kept(page, live_server):
    open_worksheet(page, live_server.url, wait_for_python=False)
    page.evaluate(
        "localStorage.setItem('trust-safety-worksheet/worksheets/building-trust-and-safety/answers-locked', '{\"format\": \"not ours\"')"
    )
    page.reload()
    expect_locked(page)
    unlock(page)
    expect(page.locator("#ws-unlock-message")).to_have_text(
        "Your locked answers could not be read (the locked answers are not valid JSON). They are kept on this device as they are."
    )
    assert locked_record(page) == '{"format": "not ours"'


def test_a_passcode_found_within_a_core_day_is_refused_with_what_would_do(page, live_server):
    """Guessed offline from a copy of the browser's data, at Argon2id's cost: the commonest passcodes and
    patterns are tried first, and short ones fall within a day on one core."""
    open_worksheet(page, live_server.url)
    page.locator("textarea").first.fill("words to keep")
    page.get_by_role("button", name="Lock with a passcode").click()
    message = page.locator("#ws-lock-set-message")
    for weak, says in (
        ("1234", "among those people choose most often"),
        ("password1", "among those people choose most often"),
        ("19870412", "among those people choose most often"),
        ("k7#q", "could find this passcode in less than an hour"),
    ):
        passcode_field(page).fill(weak)
        page.get_by_label("Repeat passcode").fill(weak)
        page.get_by_role("button", name="Lock", exact=True).click()
        expect(message).to_contain_text(says, timeout=20_000)
        expect(message).to_contain_text("two or three words you will remember")
        assert (
            page.evaluate("localStorage.getItem('trust-safety-worksheet/worksheets/building-trust-and-safety/answers-locked')")
            is None
        ), weak
    passcode_field(page).fill(PASSCODE)
    page.get_by_label("Repeat passcode").fill(PASSCODE)
    page.get_by_role("button", name="Lock", exact=True).click()
    expect(page.get_by_role("button", name="Lock now")).to_be_visible(timeout=20_000)


@pytest.mark.parametrize("then", ["reload", "close the tab", "quick exit"])
def test_the_last_keystroke_under_the_lock_survives_leaving_at_once(browser, live_server, then):
    """A change under the lock is sealed into storage before the keystroke's handler returns (a closing tab
    runs no later task), so leaving the moment after a keystroke cannot lose it."""
    context = browser.new_context(service_workers="block")
    context.route(
        "https://www.bbc.co.uk/**", lambda route: route.fulfill(content_type="text/html", body="<title>Weather</title>")
    )
    page = context.new_page()
    open_worksheet(page, live_server.url)
    set_passcode(page)
    field = page.get_by_label("What does trust mean to you?", exact=True)
    field.click()
    field.press_sequentially("steady")
    # The last keystroke, and the storage read in the same task, before any later one could seal it.
    record_then = page.evaluate(
        """() => {
          const field = document.querySelector('[name="reflections.trust-meaning"]');
          field.value += "!";
          field.dispatchEvent(new InputEvent("input", { bubbles: true, data: "!", inputType: "insertText" }));
          return localStorage.getItem("trust-safety-worksheet/worksheets/building-trust-and-safety/answers-locked");
        }"""
    )
    assert opened(record_then)["doc"]["answers"]["reflections.trust-meaning"] == "steady!"
    if then == "reload":
        page.reload()
    elif then == "close the tab":
        page.close()
        page = context.new_page()
        page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    else:
        for _ in range(3):
            page.keyboard.press("Shift")
        page.wait_for_url("https://www.bbc.co.uk/**")
        page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    expect_locked(page)
    unlock(page)
    expect(page.get_by_label("What does trust mean to you?", exact=True)).to_have_value("steady!", timeout=20_000)
    context.close()


def test_the_lock_covers_everything_the_person_made_not_only_their_words(page, live_server):
    """Locked, the storage says only that a lock exists: the one-time links made (ids and manage tokens,
    times, what was shared), when a backup was made, how the log is shown and the idle time are sealed with
    the answers, and none of it stays on the page after "Lock now"."""
    open_worksheet(page, live_server.url)
    type_words(page, "harbour lantern whisper", "orchard quokka")
    link = SharePanel(page).create_link(note="quokka note")
    share_id = re.search(r"id=([^&]+)", link).group(1)
    page.get_by_role("button", name="Show as a table").click()
    with page.expect_download():
        page.get_by_role("button", name="Download a backup (JSON)").click()
    made = {key for key in page.evaluate("Object.keys(localStorage)")}
    assert {
        "trust-safety-worksheet/worksheets/building-trust-and-safety/shares",
        "trust-safety-worksheet/worksheets/building-trust-and-safety/last-backup",
        "trust-safety-worksheet/worksheets/building-trust-and-safety/log-view",
    } <= made
    manage_token = json.loads(
        page.evaluate("localStorage.getItem('trust-safety-worksheet/worksheets/building-trust-and-safety/shares')")
    )[0]["manage_token"]
    set_passcode(page)
    page.get_by_label("Lock again after").select_option(label="30 minutes")
    page.get_by_role("button", name="Lock now").click()
    expect_locked(page)

    kept = page.evaluate("Object.keys(localStorage)")
    # Material's colour-scheme choice (its own key) says nothing of what was done here.
    assert [key for key in kept if not key.endswith("/.__palette")] == [
        "trust-safety-worksheet/worksheets/building-trust-and-safety/answers-locked"
    ], kept
    stored = page.evaluate(EVERYTHING_STORED)
    for secret in (share_id, manage_token, "harbour", "quokka", "last-backup", "table"):
        assert secret not in stored, secret
    shown = page.locator("#ws-share").inner_text() + page.locator("#ws-share").inner_html()
    for trace in ("Link made on", "Cancel this link", share_id, "quokka"):
        assert trace not in shown, trace
    assert page.get_by_label("Link for your therapist").input_value() == ""

    unlock(page)
    expect(page.get_by_text("Link made on")).to_be_visible(timeout=20_000)
    expect(page.get_by_label("Lock again after")).to_have_value("1800")
    expect(page.get_by_role("button", name="Show as a table")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect_locked(page)
    expect(page.get_by_text("Link made on")).to_have_count(0)
    unlock(page)
    expect(page.get_by_text("Link made on")).to_be_visible(timeout=20_000)


def test_a_link_still_being_made_when_the_answers_lock_is_withdrawn_and_never_shown(page, live_server):
    """Work the person began before locking (here the server making a link) ends after the lock: its result
    must not reach the locked page, nor be kept where the lock cannot cover it."""
    open_worksheet(page, live_server.url)
    page.get_by_label("What does trust mean to you?", exact=True).fill("Not for a locked page")
    set_passcode(page)
    held, deleted = [], []
    page.route(f"{live_server.url}/api/shares", lambda route: held.append(route))
    page.on("response", lambda response: deleted.append(response.url) if response.request.method == "DELETE" else None)
    panel = SharePanel(page)
    panel.panel.get_by_role("button", name="Create a one-time link").click()
    dispatched(page, lambda: held)
    page.get_by_role("button", name="Lock now").click()
    expect_locked(page)
    with page.expect_response(lambda response: response.request.method == "POST") as made:
        held[0].continue_()
    share_id, token = made.value.json()["id"], made.value.json()["manage_token"]
    expect(page.locator("#ws-share-message")).to_contain_text("locked before the link was ready", timeout=20_000)
    dispatched(page, lambda: any(share_id in url for url in deleted))
    assert panel.link.input_value() == "" and "#id=" not in page.content()
    assert page.evaluate("Object.keys(localStorage).filter((key) => key.includes('share'))") == []
    status = page.request.get(f"{live_server.url}/api/shares/{share_id}", headers={"Authorization": f"Bearer {token}"})
    assert status.json()["state"] == "revoked", status.json()  # withdrawn on the server too: it can never open
