#!/usr/bin/env bash
# Install everything the tests need (Chromium included), build the site and run every test.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k worksheet`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/python -m site_tools.build
exec .venv/bin/python -m pytest "$@"
