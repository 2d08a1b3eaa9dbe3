"""Python's memory after start-up (core/python-boot.mjs, core/python-memory.mjs): kept on a first visit and
restored on the next, answering as a fresh start does; holding nothing the person typed, also under the
passcode; tied to the Pyodide whose private code was reviewed; and any bad copy (damaged, made by another
runtime) means a normal start, with the copy deleted. Where storage is short no copy is kept: unit-tested in
python-memory.test.mjs (Chromium's quota override through the DevTools protocol did not take here)."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from site_tools.pyodide_pin import PYODIDE_SOURCE, PYODIDE_VERSION, SNAPSHOT_CODE, SNAPSHOT_REVIEWED_FOR
from tests.support.servers import ROOT
from tests.support.worksheet_page import (
    KEPT_MEMORY_PREFIX as PREFIX,
)
from tests.support.worksheet_page import (
    PASSCODE,
    PYTHON_TIMEOUT,
    SEARCH_KEPT_MEMORY,
    STORAGE_KEY,
    open_worksheet,
    set_passcode,
    type_words,
    unlock,
)

MEMORY = "article[data-python-memory]"

PYTHON_CACHES = f"async () => (await caches.keys()).filter((name) => name.startsWith('{PREFIX}'))"
FORGET_MEMORY = (
    f"async () => {{ for (const name of await caches.keys()) if (name.startsWith('{PREFIX}')) await caches.delete(name); }}"
)


def memory_state(page) -> str:
    page.wait_for_selector(MEMORY, timeout=PYTHON_TIMEOUT)
    return page.locator("article").get_attribute("data-python-memory")


def bridge_answers(page) -> dict:
    """What a fresh worker of this page answers for the stored answers (a view and the exports), and
    whether it was restored: py_client's answers must not depend on how Python started."""
    return page.evaluate(
        """async (key) => {
            const { PythonWorker } = await import('../../assets/js/core/python.mjs');
            const worker = new PythonWorker();
            const { restored } = await worker.ready;
            const document = JSON.parse(localStorage.getItem(key));
            const view = await worker.call('view', { document });
            const exports = await worker.call('exports', { document, utc_offset_minutes: 60 });
            worker.worker.terminate();
            return { restored, view, exports };
        }""",
        STORAGE_KEY,
    )


@pytest.mark.browser
def test_a_second_visit_restores_python_and_it_answers_as_a_fresh_start(browser, live_server):
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    open_worksheet(page, live_server.url)
    assert memory_state(page) == "kept"
    type_words(page, "a first answer", "Work")
    fresh = bridge_answers(page)  # this worker restores too: the answers of the page's own first start
    page.reload()
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    assert memory_state(page) == "restored"
    expect(page.locator("#ws-chart svg")).to_be_visible()  # the chart, drawn by restored Python
    restored = bridge_answers(page)
    assert restored["restored"] and fresh["restored"]
    page.evaluate(FORGET_MEMORY)
    started = bridge_answers(page)
    assert not started["restored"]
    assert restored["view"] == started["view"] and restored["exports"] == started["exports"]
    assert "a first answer" in started["exports"]["ok"]["markdown"]
    context.close()


TRACEBACK_WORKER = """
import { startPython } from "SITE/assets/js/core/python-boot.mjs";
const { pyodide, restored } = await startPython();
const traceback = pyodide.runPython(`
import traceback
from py_client import answers
try:
    answers.migrate("not a document")
except Exception:
    text = traceback.format_exc()
text`);
postMessage({ restored, traceback });
"""


def test_a_traceback_after_a_restore_still_shows_py_clients_source_lines(browser, live_server):
    """py_client's files live outside Python's memory: after a restore they are written again, so an error's
    traceback names each line and shows it. (A worker of the test's own, run with the page's CSP bypassed.)"""
    context = browser.new_context(service_workers="block", bypass_csp=True)
    page = context.new_page()
    open_worksheet(page, live_server.url)
    assert memory_state(page) == "kept"
    result = page.evaluate(
        """async (source) => {
            const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
            const worker = new Worker(url, { type: "module" });
            return await new Promise((resolve, reject) => { worker.onmessage = ({ data }) => resolve(data); worker.onerror = reject; });
        }""",
        TRACEBACK_WORKER.replace("SITE", live_server.url),
    )
    assert result["restored"], result
    frames = re.findall(r'File "/lib/py_client\.zip/py_client/(\w+\.py)", line (\d+), in \w+\n +(\S.*)\n', result["traceback"])
    assert frames, result["traceback"]
    for name, line, shown in frames:
        assert (ROOT / "py_client" / name).read_text().splitlines()[int(line) - 1].strip() == shown.strip()
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("locked", [False, True], ids=["plain", "under the passcode"])
def test_the_kept_memory_holds_no_word_the_person_typed(browser, live_server, locked):
    """The worst case: answers already stored when Python's memory is taken (a first start after the
    copy was lost), and the page hands them to Python as soon as it can. The search finds the worksheet's
    own wording, so it would find a typed word."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    open_worksheet(page, live_server.url)
    words = ["Quokkamarmalade", "Þórsmörkfenn"]
    type_words(page, *words)
    if locked:
        set_passcode(page)
    page.evaluate(FORGET_MEMORY)
    page.reload()
    if locked:
        unlock(page)
    expect(page.get_by_label("What does trust mean to you?", exact=True)).to_have_value(words[0], timeout=PYTHON_TIMEOUT)
    expect(page.locator("#ws-chart svg")).to_be_visible(timeout=PYTHON_TIMEOUT)  # Python has had the answers
    assert memory_state(page) == "kept"
    # In py_client's code, imported before the memory is kept: the search finds what is there.
    control = "it is not valid JSON"
    searched = page.evaluate(SEARCH_KEPT_MEMORY, [PREFIX, [*words, PASSCODE, control]])
    assert searched["found"] == [f"{control} (UTF-8)", f"{control} (Latin-1)"], searched
    assert searched["unpacked"] > 20 * 2**20 > 4 * searched["packed"], searched
    context.close()


def test_a_damaged_copy_or_another_runtimes_is_deleted_and_python_starts_afresh(browser, live_server):
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    open_worksheet(page, live_server.url)
    assert memory_state(page) == "kept"
    [name] = page.evaluate(PYTHON_CACHES)
    for damage in ("not gzip at all", "gzip of memory that is not Python's"):
        page.evaluate(
            """async ([name, damage, prefix]) => {
                const cache = await caches.open(name);
                const [request] = await cache.keys();
                const bytes = damage.startsWith("gzip")
                  ? new Blob([new Uint8Array(1 << 20)]).stream().pipeThrough(new CompressionStream("gzip"))
                  : new TextEncoder().encode(damage);
                await cache.put(request, new Response(bytes));
                await caches.open(`${prefix}0000000000000000`).then((other) => other.put('/py/python-memory-0000000000000000.gz', new Response('old')));
            }""",
            [name, damage, PREFIX],
        )
        page.reload()
        page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
        assert memory_state(page) == "kept", damage  # started afresh, and kept a good copy
        assert page.evaluate(PYTHON_CACHES) == [name], damage  # the other runtime's copy is gone
    page.reload()
    assert memory_state(page) == "restored"
    context.close()


def test_the_private_snapshot_code_is_the_reviewed_code_of_the_pinned_pyodide():
    """The browser uses Pyodide's private snapshot options only with the version reviewed; an upgrade that
    changes any piece of that code fails here until someone has read it again (site_tools/pyodide_pin.py)."""
    assert PYODIDE_VERSION == SNAPSHOT_REVIEWED_FOR
    for piece, (file, start, end, expected) in SNAPSHOT_CODE.items():
        text = (PYODIDE_SOURCE / file).read_text()
        assert text.count(start) == 1, piece
        begin = text.index(start)
        code = text[begin : text.index(end, begin) + len(end)]
        assert hashlib.sha256(code.encode()).hexdigest() == expected, piece


def test_py_client_uses_no_randomness_a_restored_memory_would_repeat():
    """Every restore starts from the same memory, so Python's random module would repeat its numbers on
    every visit: py_client must not use it (nor anything seeded once at start)."""
    for path in (ROOT / "py_client").glob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+(random|secrets|uuid)\b", path.read_text(), re.MULTILINE), path.name
