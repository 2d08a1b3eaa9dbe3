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
