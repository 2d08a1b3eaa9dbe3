#!/usr/bin/env bash
# Install, build the site into site/ and serve it with the API at http://127.0.0.1:8000
# (options such as --host and --port are passed on to `python -m sync_server`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m site_tools.build
exec .venv/bin/python -m sync_server "$@"
