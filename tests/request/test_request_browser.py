"""Therapists' request links end to end: the therapist and the person in two browser contexts, a real
server, real HPKE; checked against RFC 9180's vectors and against a second implementation (pyhpke)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from playwright.sync_api import expect
from pyhpke import AEADId, CipherSuite, KDFId, KEMId

from sync_server import envelope
from tests.support.ask_page import AskPage
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, dispatched, run_axe
from tests.support.shares_api import call
from tests.support.worksheet_page import PYTHON_TIMEOUT, fill_everything, open_request_link, open_worksheet

pytestmark = pytest.mark.browser
PYHPKE_KEMS = {"X25519": KEMId.DHKEM_X25519_HKDF_SHA256, "P-256": KEMId.DHKEM_P256_HKDF_SHA256}
CRYPTO_MODULE = "/assets/js/request/request-crypto.mjs"


def test_ask_send_and_open_on_the_therapists_device_only(person, therapist, live_server):
    ask = AskPage(therapist, live_server.url)
    session = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    # Linux's Chromium has no share sheet: a stand-in records what the page would hand to one.
    therapist.add_init_script("navigator.share = async (data) => { window.sharedWith = data; }")
    link, shown_fingerprint = ask.make_request("For Thursday's session", session, private_name="Sam, week 3")
    fields = {name: values[0] for name, values in parse_qs(urlsplit(link).fragment).items()}
    assert set(fields) == {"r", "k", "l", "d", "c"} and fields["l"] == "For Thursday's session"
    therapist.get_by_role("button", name="Share…").click()
    assert therapist.evaluate("window.sharedWith") == {"url": link}  # the address only: no title a preview would show
    expect(therapist.locator("#ws-ask-message")).to_contain_text("handed to the app you chose")
    # The private name stays in this browser: not in the link, not in anything sent.
    assert "Sam" not in unquote(link) and all("Sam" not in body for body in therapist.request_log.bodies())
    expect(ask.inbox.locator(".ws-ask-title")).to_have_text("Sam, week 3")
    expect(ask.inbox).to_contain_text("Their note: “For Thursday's session”")

    open_worksheet(person, live_server.url)
    typed = fill_everything(person)
    open_request_link(person, link)
    request_box = person.locator("#ws-request")
    expect(request_box).to_be_focused()
    expect(request_box).to_contain_text("For Thursday's session")
    expect(person.locator("#ws-request-fingerprint")).to_have_text(shown_fingerprint)
    expect(person.locator("#ws-request-state")).to_contain_text("can receive your answers until")
    expect(person.get_by_role("button", name="Create a one-time link")).to_be_hidden()
    expect(person.get_by_label("Passphrase (optional)")).to_be_hidden()
    person.get_by_role("button", name="Preview what your therapist will see").click()
    expect(person.locator("#ws-share-preview-body")).to_contain_text(typed["reflections.feedback"].split("\n")[0])
    person.get_by_role("button", name="Send to your therapist").click()
    expect(person.locator("#ws-share-message")).to_contain_text("Your answers were sent", timeout=PYTHON_TIMEOUT)
    expect(person.get_by_role("button", name="Send to your therapist")).to_be_disabled()
    receipt = re.search(r"receipt code is ([A-Z0-9]{4}-[A-Z0-9]{4})", person.locator("#ws-share-message").inner_text()).group(1)
    expect(person.locator("#ws-request-state")).to_contain_text(f"Receipt code: {receipt}.")

    # Back on the inbox, the therapist sees which request has answers not yet opened here, until opened.
    therapist.goto(ask.url)
    expect(therapist.locator("#ws-ask-news")).to_have_text("New answers, not yet opened here: “Sam, week 3”.")
    expect(ask.inbox.locator(".ws-ask-new")).to_have_count(1)
    ask.open_first_answer()
    expect(therapist.locator("#ws-ask-news")).to_be_empty()
    expect(ask.inbox.locator(".ws-ask-new")).to_have_count(0)
    text = ask.answers.inner_text()
    for value in typed.values():
        for line in value.split("\n"):
            assert line in text
    assert "Sam, week 3" in therapist.locator("#ws-ask-warning").inner_text()
    assert f"Receipt code {receipt}" in therapist.locator("#ws-ask-warning").inner_text()  # the same bytes arrived
    expect(therapist.locator("#ws-ask-result-title")).to_be_focused()
    with therapist.expect_download() as download:
        therapist.get_by_role("button", name="Download as a file the worksheet can open (JSON)").click()
    assert json.loads(download.value.path().read_text())["answers"]["exercise.helpfulness"] == 7

    # Nothing readable left this browser or reached the server: no answer in any request, none on disk.
    sent = "\n".join(person.request_log.bodies() + therapist.request_log.bodies())
    assert all(line not in sent for value in typed.values() for line in value.split("\n"))
    stored = b"".join(path.read_bytes() for path in live_server.data_dir.rglob("*") if path.is_file())
    assert all(line.encode() not in stored for value in typed.values() for line in value.split("\n"))
    # The private key never left the therapist's browser: the request carried the public key only, and the
    # key kept in IndexedDB cannot be exported, even by this site's own scripts.
    made = next(json.loads(body) for body in therapist.request_log.bodies() if '"kem"' in body)
    assert set(made) == {"public_key", "kem", "expires_in"} and made["public_key"] == fields["k"]
    export = therapist.evaluate(
        """async () => {
          const { createStore, values } = await import("/vendor/idb-keyval.mjs");
          const [record] = await values(createStore("tsw-requests", "requests"));
          try { await crypto.subtle.exportKey("pkcs8", record.keys.privateKey); return "exported"; }
          catch (error) { return `${record.keys.privateKey.extractable} ${error.name}`; }
        }"""
    )
    assert export == "false InvalidAccessError"
    assert not person.request_log.foreign() and not therapist.request_log.foreign()

    # Deleting removes the server's copy.
    therapist.get_by_role("button", name="Delete from the server").click()
    expect(therapist.locator("#ws-ask-message")).to_contain_text("deleted from the server")
    expect(ask.inbox.get_by_role("button", name="Open")).to_have_count(0)
    token = therapist.evaluate(
        """async () => {
          const { createStore, values } = await import("/vendor/idb-keyval.mjs");
          return (await values(createStore("tsw-requests", "requests")))[0].manage_token;
        }"""
    )
    answer = f"{live_server.url}/api/requests/{fields['r']}/responses/1"
    assert call(answer)[0] == 401
    assert call(answer, headers={"Authorization": f"Bearer {token}"})[0] == 404


def test_a_full_request_and_a_damaged_link_say_so_and_send_nothing(person, therapist, live_server):
    """Also: a request link pasted into the worksheet's own tab (only the fragment changes) takes over the
    share panel, and a browser with nothing answered asks before sending an empty worksheet."""
    link, _ = AskPage(therapist, live_server.url).make_request()
    open_worksheet(person, live_server.url)
    person.goto(link)  # pasted into the address bar of the tab that shows the worksheet
    expect(person.locator("#ws-request")).to_be_visible(timeout=PYTHON_TIMEOUT)
    expect(person.get_by_role("button", name="Create a one-time link")).to_be_hidden()
    send = person.get_by_role("button", name="Send to your therapist")
    expect(send).to_be_enabled(timeout=PYTHON_TIMEOUT)
    send.click()
    guard = person.locator("#ws-request-empty")
    expect(guard).to_be_focused()
    expect(guard).to_contain_text("Nothing is answered in this browser yet")
    assert run_axe(person) == []
    person.wait_for_timeout(300)
    assert not [r for r in person.request_log.requests if r.method == "POST" and "/responses" in r.url], "nothing sent yet"
    person.get_by_role("button", name="Send it empty anyway").click()
    expect(person.locator("#ws-share-message")).to_contain_text("Your answers were sent", timeout=PYTHON_TIMEOUT)
    expect(guard).to_be_hidden()
    open_request_link(person, link)
    expect(person.locator("#ws-request-state")).to_contain_text("already been answered")
    expect(person.get_by_role("button", name="Send to your therapist")).to_be_disabled()
    damaged = link.replace("&k=", "&k=A", 1)
    open_request_link(person, damaged)
    expect(person.locator("#ws-request-state")).to_contain_text("This request link is damaged")
    expect(person.get_by_role("button", name="Send to your therapist")).to_be_disabled()


def test_keyboard_only_and_axe_clean(therapist, person, live_server):
    therapist.goto(f"{live_server.url}/ask/")
    expect(therapist.get_by_role("button", name="Make a request link")).to_be_enabled()
    therapist.get_by_label("A note the person will see (optional)").focus()
    therapist.keyboard.type("For Monday")
    therapist.keyboard.press("Tab")
    expect(therapist.get_by_label("A private name for this request (optional)")).to_be_focused()
    therapist.keyboard.type("Alex")
    therapist.keyboard.press("Tab")
    date_field = therapist.get_by_label("Date of your next session (optional)")
    expect(date_field).to_be_focused()
    session = dt.date.today() + dt.timedelta(days=2)
    therapist.keyboard.type(session.strftime("%m%d%Y"))  # month, day, year: Debian's Chromium has only en-US
    expect(date_field).to_have_value(session.isoformat())
    # Tab leaves the date field after its parts (and Chromium's calendar button, where it has one).
    for _ in range(3):
        therapist.keyboard.press("Tab")
        if therapist.evaluate("document.activeElement.id") != "ws-ask-date":
            break
    expect(therapist.get_by_role("button", name="Make a request link")).to_be_focused()
    therapist.keyboard.press("Enter")
    expect(therapist.locator("#ws-ask-link-result")).to_be_focused()
    therapist.keyboard.press("Tab")
    expect(therapist.get_by_label("Link to send to the person")).to_be_focused()
    therapist.keyboard.press("Tab")
    expect(therapist.get_by_role("button", name="Copy link")).to_be_focused()
    expect(therapist.locator("#ws-ask-list li")).to_have_count(1)
    expect(therapist.locator(".ws-ask-state")).to_contain_text("Waiting for answers")
    assert run_axe(therapist) == []
    link = therapist.get_by_label("Link to send to the person").input_value()

    open_worksheet(person, live_server.url)
    person.get_by_label("What does trust mean to you?", exact=True).fill("Being heard")
    open_request_link(person, link)
    expect(person.locator("#ws-request-state")).to_contain_text("can receive your answers")
    assert run_axe(person) == []
    send = person.get_by_role("button", name="Send to your therapist")
    send.focus()
    person.keyboard.press("Enter")
    expect(person.locator("#ws-share-message")).to_contain_text("Your answers were sent", timeout=PYTHON_TIMEOUT)

    therapist.reload()
    opener = therapist.locator("#ws-ask-list").get_by_role("button", name="Open")
    opener.focus()
    therapist.keyboard.press("Enter")
    expect(therapist.locator("#ws-ask-result-title")).to_be_focused(timeout=PYTHON_TIMEOUT)
    assert run_axe(therapist) == []

    # The private name changes in place, by keyboard, and the focus comes back where it was.
    rename = therapist.locator("#ws-ask-list").get_by_role("button", name="Rename")
    rename.focus()
    therapist.keyboard.press("Enter")
    name_field = therapist.get_by_label("Private name (only in this browser)")
    expect(name_field).to_be_focused()
    expect(name_field).to_have_value("Alex")
    assert run_axe(therapist) == []
    therapist.keyboard.press("ControlOrMeta+A")
    therapist.keyboard.type("Alex, week 2")
    therapist.keyboard.press("Enter")
    expect(therapist.locator("#ws-ask-list .ws-ask-title")).to_have_text("Alex, week 2")
    expect(therapist.locator("#ws-ask-list").get_by_role("button", name="Rename")).to_be_focused()
    therapist.reload()
    expect(therapist.locator("#ws-ask-list .ws-ask-title")).to_have_text("Alex, week 2")


@pytest.fixture
def crypto_page(page, live_server):
    page.goto(f"{live_server.url}/ask/")
    return page


@pytest.mark.parametrize("kem", ["X25519", "P-256"])
def test_the_browser_and_pyhpke_open_what_the_other_sealed(crypto_page, kem):
    suite = CipherSuite.new(PYHPKE_KEMS[kem], KDFId.HKDF_SHA256, AEADId.AES256_GCM)
    request_id = "request-id.signature"
    info = f"{envelope.SEALED_INFO}{request_id}".encode()
    header = bytes([envelope.SEALED_VERSION, envelope.KEMS[kem][0]])
    python_keys = suite.kem.derive_key_pair(os.urandom(32))
    text = "Answers: “trust” – ünïcödé ✓"
    # The browser seals to a key Python holds; Python opens it.
    sealed = crypto_page.evaluate(
        """async ([module, text, id, key]) => {
          const { sealAnswers } = await import(module);
          const publicKey = Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
          return sealAnswers(text, { requestId: id, publicKey });
        }""",
        [CRYPTO_MODULE, text, request_id, base64.b64encode(python_keys.public_key.to_public_bytes()).decode()],
    )
    data = envelope.check_sealed(sealed, kem)
    key_bytes = envelope.KEMS[kem][1]
    recipient = suite.create_recipient_context(data[2 : 2 + key_bytes], python_keys.private_key, info=info)
    assert recipient.open(data[2 + key_bytes :], aad=header).decode() == text
    # Python seals to a key the browser made (its private key not extractable); the browser opens it.
    opened = crypto_page.evaluate(
        """async ([module, kem, id]) => {
          const { newKeyPair, openAnswers } = await import(module);
          const made = await newKeyPair([kem]);
          window.made = made;
          return [...made.publicKey];
        }""",
        [CRYPTO_MODULE, kem, request_id],
    )
    enc, sender = suite.create_sender_context(suite.kem.deserialize_public_key(bytes(opened)), info=info)
    envelope_text = envelope.encode_base64url(header + enc + sender.seal(text.encode(), aad=header))
    result = crypto_page.evaluate(
        """async ([module, text, id]) => {
          const { openAnswers } = await import(module);
          const { kem, keys } = window.made;
          const own = await openAnswers(text, { requestId: id, kem, keys });
          let other;
          try { await openAnswers(text, { requestId: "another-request", kem, keys }); other = "opened"; }
          catch (error) { other = error.constructor.name; }
          return [own, other, keys.privateKey.extractable];
        }""",
        [CRYPTO_MODULE, envelope_text, request_id],
    )
    assert result == [text, "DecryptionError", False]


NO_X25519 = """
const generate = crypto.subtle.generateKey.bind(crypto.subtle);
crypto.subtle.generateKey = (algorithm, ...rest) => algorithm?.name === "X25519"
  ? Promise.reject(new DOMException("X25519 is not supported here", "NotSupportedError"))
  : generate(algorithm, ...rest);
"""


def test_a_browser_without_x25519_asks_with_p256_and_still_reads_the_answers(person, therapist, live_server):
    therapist.add_init_script(NO_X25519)  # as an older browser, whose WebCrypto has no X25519
    link, fingerprint = AskPage(therapist, live_server.url).make_request("Older browser")
    made = next(json.loads(body) for body in therapist.request_log.bodies() if '"kem"' in body)
    assert made["kem"] == "P-256" and len(envelope.decode_base64url(made["public_key"], "public_key")) == 65
    open_worksheet(person, live_server.url)
    person.get_by_label("What does trust mean to you?", exact=True).fill("Being heard")
    open_request_link(person, link)
    expect(person.locator("#ws-request-fingerprint")).to_have_text(fingerprint)
    person.get_by_role("button", name="Send to your therapist").click()
    expect(person.locator("#ws-share-message")).to_contain_text("Your answers were sent", timeout=PYTHON_TIMEOUT)
    ask = AskPage(therapist, live_server.url)
    ask.open_first_answer()
    expect(ask.answers).to_contain_text("Being heard")


INBOX_PASSCODE = "harbour lantern 2031"


def test_a_locked_inbox_leaves_no_key_token_or_note_in_the_browser_profile(browser_type, person, live_server, tmp_path):
    """With the inbox under a passcode, the browser's files hold one sealed record: no request's private key,
    manage token or note, which were found in plain in the profile's IndexedDB files before. After a reload
    the inbox asks for the passcode (a wrong one changes nothing), and then opens what was sent."""
    profile = tmp_path / "therapist-profile"
    context = browser_type.launch_persistent_context(
        profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, service_workers="block", locale="en-GB"
    )
    therapist = context.pages[0] if context.pages else context.new_page()
    try:
        ask = AskPage(therapist, live_server.url)
        ask.open()
        therapist.get_by_role("textbox", name="Passcode", exact=True).fill(INBOX_PASSCODE)
        therapist.get_by_label("Repeat passcode").fill(INBOX_PASSCODE)
        therapist.get_by_role("button", name="Lock this inbox").click()
        expect(therapist.get_by_role("button", name="Lock now")).to_be_focused(timeout=20_000)
        link, _fingerprint = ask.request_from_this_page("Ask before Friday", private_name="Robin Quayle")
        token, private_key = therapist.evaluate(
            """async () => {
              const inbox = await import("/assets/js/ask/inbox-store.mjs");
              const [record] = await inbox.list();
              const exported = await crypto.subtle.exportKey("pkcs8", record.keys.privateKey).then(() => "exported", (e) => e.name);
              return [record.manage_token, exported];
            }"""
        )
        assert private_key == "InvalidAccessError"  # unsealed after unlock, it is imported not extractable
        stored = therapist.evaluate(
            """async () => {
              const { createStore, entries } = await import("/vendor/idb-keyval.mjs");
              return JSON.stringify(await entries(createStore("tsw-requests", "requests")));
            }"""
        )
        assert token not in stored and "Ask before Friday" not in stored and "Quayle" not in stored
        assert '[["locked"],' in stored

        # The person keeps their answers locked too: the request link says at once what it is for, and brings
        # the passcode field to them.
        open_worksheet(person, live_server.url)
        person.get_by_label("What does trust mean to you?", exact=True).fill("Being heard")
        person.get_by_role("button", name="Lock with a passcode").click()
        person.locator("#ws-passcode-new").fill(INBOX_PASSCODE)
        person.get_by_label("Repeat passcode").fill(INBOX_PASSCODE)
        person.get_by_role("button", name="Lock", exact=True).click()
        expect(person.get_by_role("button", name="Lock now")).to_be_visible(timeout=20_000)
        open_request_link(person, link)
        expect(person.locator("#ws-status")).to_contain_text("Your therapist asked for your answers")
        expect(person.locator("#ws-passcode")).to_be_focused()
        person.keyboard.type(INBOX_PASSCODE)
        person.keyboard.press("Enter")
        person.get_by_role("button", name="Send to your therapist").click()
        expect(person.locator("#ws-share-message")).to_contain_text("Your answers were sent", timeout=PYTHON_TIMEOUT)

        therapist.reload()
        unlock = therapist.get_by_role("button", name="Unlock")
        expect(unlock).to_be_visible()
        expect(therapist.get_by_role("button", name="Make a request link")).to_be_hidden()
        expect(ask.inbox).to_be_hidden()
        therapist.get_by_role("textbox", name="Passcode", exact=True).fill("harbour lantern 2030")
        unlock.click()
        expect(therapist.locator("#ws-ask-unlock-message")).to_contain_text("not right", timeout=20_000)
        therapist.get_by_role("textbox", name="Passcode", exact=True).fill(INBOX_PASSCODE)
        unlock.click()
        expect(ask.inbox).to_contain_text("Ask before Friday", timeout=20_000)
        expect(therapist.locator("#ws-ask-news")).to_contain_text("Robin Quayle")
        ask.inbox.get_by_role("button", name="Open").first.click()
        expect(ask.answers).to_contain_text("Being heard", timeout=PYTHON_TIMEOUT)
        expect(therapist.locator("#ws-ask-news")).to_be_empty()  # opened: remembered, sealed, as not new
        ask.inbox.get_by_role("button", name="Rename").click()
        therapist.get_by_label("Private name (only in this browser)").fill("Robin Quayle, week 2")
        therapist.get_by_role("button", name="Save the name").click()
        expect(ask.inbox.locator(".ws-ask-title")).to_have_text("Robin Quayle, week 2")
        ask.inbox.get_by_role("button", name="Open").first.click()  # the key still opens what was sent
        expect(ask.answers).to_contain_text("Being heard", timeout=PYTHON_TIMEOUT)

        # "Lock now" takes every request and answer off the page, also answers still on their way to it: the
        # fetch is held until the inbox has locked, then let through.
        held = []
        therapist.route(re.compile(r".*/api/requests/[^/]+/responses/\d+$"), lambda route: held.append(route))
        ask.inbox.get_by_role("button", name="Open").first.click()
        dispatched(therapist, lambda: held)
        therapist.get_by_role("button", name="Lock now").click()
        expect(therapist.get_by_role("textbox", name="Passcode", exact=True)).to_be_focused()
        with therapist.expect_response(re.compile(r".*/responses/\d+$")):
            held[0].continue_()
        # Python answers in order: once this call returns, the opening's own call has returned too.
        therapist.evaluate("import('/assets/js/core/python.mjs').then(({ python }) => python().call('view', { document: {} }))")
        therapist.wait_for_timeout(500)  # the opening's last steps (IndexedDB, a digest) after Python
        assert all(text not in therapist.content() for text in ("Being heard", "Ask before Friday", "Quayle"))
    finally:
        context.close()
    # What someone who copies the profile reads: nothing of the request in any of its files.
    on_disk = b"".join(path.read_bytes() for path in profile.rglob("*") if path.is_file())
    assert all(text not in on_disk for text in (token.encode(), b"Ask before Friday", b"Being heard", b"Quayle"))
