"""MkDocs hook: the facts the browser's modules share with Python, handed over as one generated ES module.

Limits, format names and versions are declared once, in ``py_client`` (and, for the share envelope, in
``sync_server.envelope``, ``sync_server.requests_api`` and ``sync_server.shares_api``; for Pyodide, in ``package.json``). The build writes them into
``assets/js/core/facts.mjs``, which the page modules import; ``tests/site_build/test_build.py`` fails when a module states
one of them itself. The module is made in memory on every build, ``mkdocs serve`` included, and never
stands in ``docs/``, so there is no copy to drift.
"""

from __future__ import annotations

import json

from mkdocs.structure.files import File

from site_tools.pyodide_pin import PYODIDE_VERSION, SNAPSHOT_REVIEWED_FOR, lock_info
from sync_server import envelope, requests_api, shares_api
from sync_server.paths import API_PREFIX

MODULE = "assets/js/core/facts.mjs"


def facts() -> dict[str, object]:
    """Each fact by the name the modules import it under."""
    # Imported as each build runs, so `mkdocs serve` sees a saved change.
    from py_client import answers
    from site_tools import worksheet_content, worksheet_schema

    return {
        "ANSWERS_FORMAT": answers.FORMAT,
        "ANSWERS_VERSION": answers.VERSION,
        "MAX_DOCUMENT_BYTES": answers.MAX_DOCUMENT_BYTES,
        # Answers saved before worksheets had ids are this one's (store.mjs moves them under its keys).
        "LEGACY_WORKSHEET": answers.LEGACY_WORKSHEET,
        # A worksheet's id, as its content file's name must be (site_tools/worksheet_schema.py), and its limits.
        "WORKSHEET_ID_PATTERN": worksheet_schema.WORKSHEET_ID_PATTERN,
        "WORKSHEET_LIMITS": worksheet_schema.LIMITS,
        # The worksheets' pages are WORKSHEETS_FOLDER/<id>/ under the site (a request link opens its worksheet's).
        "WORKSHEETS_FOLDER": worksheet_content.PAGES_FOLDER,
        "ENVELOPE_VERSION": envelope.VERSION,
        "ENVELOPE_HEADER_BYTES": envelope.HEADER_BYTES,
        # Answers sealed to a therapist's request: the envelope's version, HPKE's info, and each KEM's byte
        # and key length; how long a request may take answers.
        "SEALED_VERSION": envelope.SEALED_VERSION,
        "SEALED_INFO": envelope.SEALED_INFO,
        "KEMS": {name: {"byte": byte, "key_bytes": size} for name, (byte, size) in envelope.KEMS.items()},
        "REQUEST_MAX_LIFETIME": requests_api.MAX_REQUEST_LIFETIME,
        # What a share that can no longer be opened says, by its state; the page puts in the moment ({at}).
        "SHARE_GONE_MESSAGES": shares_api.SHARE_GONE_MESSAGES,
        "PYODIDE_VERSION": PYODIDE_VERSION,
        # The pinned lock file's info, all Pyodide needs of it when no package is loaded (pyodide_pin.py).
        "PYODIDE_LOCK_INFO": lock_info(),
        # The Pyodide whose private memory-snapshot code was reviewed (core/python-boot.mjs).
        "PYTHON_MEMORY_REVIEWED_FOR": SNAPSHOT_REVIEWED_FOR,
        # Where the API lives under the site.
        "API_PREFIX": API_PREFIX,
    }


def module_source() -> str:
    lines = ["// Made by site_tools/browser_facts.py at build time from the Python that declares each fact.", ""]
    lines += [f"export const {name} = {json.dumps(value, ensure_ascii=False)};" for name, value in facts().items()]
    return "\n".join(lines) + "\n"


def on_files(files, config):
    files.append(File.generated(config, MODULE, content=module_source()))
    return files
