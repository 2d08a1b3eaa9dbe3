#!/usr/bin/env bash
# Install everything the tests need (Chromium included), build the site and run every test: the JavaScript
# unit tests (node --test tests/: each feature folder's *.test.mjs, on the built modules), then pytest.
# Extra arguments go to pytest (and skip the JavaScript tests), e.g. `bash scripts/test.sh -k worksheet`.
#
# The suite runs in two passes: most of it in three processes (pytest-xdist, each test file on one worker so
# its module's servers start once, the longest files first: conftest.py orders them), then the tests marked
# `serial` in one (Schemathesis's fuzzing, whose generated tests pass without running under xdist). Three on
# this machine's two cores, because much of a test's time is waiting (a browser drawing, a server's 10-second
# deadline, a keep-alive running out): measured on the whole suite, 9 min 36 s against 11 min 10 s with two.
# Exit code 5 (nothing selected in a pass, as `-k worksheet` leaves the second) is no failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# The tests' site holds the tests' fixture worksheet too (every kind of section, prompt and log column);
# the product's build, without this setting, never publishes it.
export WORKSHEETS_ALSO=tests/worksheet/fixtures
.venv/bin/python -m site_tools.build
status=0
run() {
  local code=0
  .venv/bin/python -m pytest "$@" || code=$?
  if [ "$code" -ne 0 ] && [ "$code" -ne 5 ]; then status=$code; fi
}
if [ "$#" -eq 0 ]; then  # the JavaScript unit tests (tests/<feature>/*.test.mjs), on the modules just built; not with a selection
  node --test tests/ || status=$?
fi
run -n 3 --dist loadfile --no-loadscope-reorder -m "not serial" "$@"
run -m serial "$@"
exit "$status"
