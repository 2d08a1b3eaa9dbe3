#!/usr/bin/env bash
# The writers' loop: serve the site at http://127.0.0.1:8000 and rebuild it on every saved change to the
# pages (docs/), the worksheet's content or logic (py_client/) or the form's templates. The worksheet works
# (Pyodide and py_client are published on each build); sharing needs the server (scripts/run.sh).
# Extra arguments go to `mkdocs serve`, e.g. `bash scripts/serve-docs.sh -a 127.0.0.1:9000`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# `python -m` puts this folder on the import path, where the build's hooks and Markdown extension live.
NO_MKDOCS_2_WARNING=1 exec .venv/bin/python -m mkdocs serve "$@"
