"""The pinned Pyodide: its version and the SHA-256 of each file the site publishes, in one place.

The version is the one ``package.json`` asks npm for (npm checks the tarball against ``package-lock.json``'s
integrity hash); everything else (the build's target folder, the worker's import path through
``assets/js/core/facts.mjs``, the benches, the tests) is made from ``PYODIDE_VERSION`` here. The checksums also
catch a changed or partial ``node_modules``. Moving to a new Pyodide: change ``package.json``, run
``npm install``, and put the new files' SHA-256 below; the build refuses until they match.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYODIDE_VERSION: str = json.loads((ROOT / "package.json").read_text())["dependencies"]["pyodide"]
PYODIDE_SOURCE = ROOT / "node_modules" / "pyodide"
# The core files the browser needs, with their SHA-256.
PYODIDE_FILES = {
    "pyodide.mjs": "6f1d60f7bf529beb300f0f47983c921d3982363640ba20af0e38efdddbc66109",
    "pyodide.asm.mjs": "f7cdc8ece80678ceb712f8e65ebe6d3a83203a180c399865f49612a051693635",
    "pyodide.asm.wasm": "cc36e3cab04fdfc9a63ff13eb52eae2b911bf46c025cc7b281f394bd3de1d5e6",
    "python_stdlib.zip": "fa1957e5777068fc4f7437f96d860ae2fbe9c19732ba06c84e004ec16dd7dd7a",
    "pyodide-lock.json": "5dc2fc119108bc148c7457dc86e7675b5c87e1cafd420b9c34c1eaef7b36c010",
}
# Verified but not published: the site loads no Pyodide package, so the browser needs only the lock file's
# ``info`` (which Pyodide checks against its ABI), handed over as PYODIDE_LOCK_INFO, not its 357 packages
# (22.5 KB brotli and one request on every first start). The build's own Pyodide runs in Node read it here.
NOT_PUBLISHED = ("pyodide-lock.json",)
LOCK_FILE = PYODIDE_SOURCE / "pyodide-lock.json"


def lock_info() -> dict:
    """The pinned lock file's ``info``: its ABI, platform and Python version."""
    return json.loads(LOCK_FILE.read_text())["info"]


# Pyodide's private memory-snapshot code, which core/python-boot.mjs relies on (``_makeSnapshot``,
# ``makeMemorySnapshot``, ``_loadSnapshot``), reviewed for this version only: the browser uses it only while
# the pinned version is this one (handed over as PYTHON_MEMORY_REVIEWED_FOR), and
# tests/core/test_python_memory.py fails when a piece below changes. Each piece: the file, the text it starts
# and ends with, and the SHA-256 of the text from one to the other. Moving to a new Pyodide: read the new
# code, check the boot still takes the snapshot before the first message and restores it whole, then update.
SNAPSHOT_REVIEWED_FOR = "314.0.7"
SNAPSHOT_CODE = {
    "makeSnapshot, restoreSnapshot": (
        "pyodide.asm.mjs",
        "API.makeSnapshot=function",
        'a(Wr,"syncUpSnapshotLoad1")',
        "8f96a153c8c5364b3a89805cc76bca44798fd4c9cd4931fcf2650ad9cf0e0f48",
    ),
    "makeMemorySnapshot": (
        "pyodide.asm.mjs",
        "static makeMemorySnapshot(",
        "return API.makeSnapshot(e)}",
        "3b1bf5adafb606dfe48a5da00cd15911ff1aaaca1578f014db42471edc092027",
    ),
    "prepareSnapshot": (
        "pyodide.mjs",
        "async function ke(e,t){if(!e._loadSnapshot)",
        'o(ke,"prepareSnapshot")',
        "82ca166ec876f1a21b3e5c4a4d055b6a30c449cec11f3b0ab67bf89bca9bdbe8",
    ),
    "bootstrapPyodide": (
        "pyodide.mjs",
        "function Ae(e,t,n){let i=e.API",
        'o(Ae,"bootstrapPyodide")',
        "03fb0efef127f3533fa400ad10328e123ab40a020bd1e8d78f4d511fb4a9c002",
    ),
}
