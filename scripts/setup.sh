#!/usr/bin/env bash
# Install what the project needs, skipping whatever is already installed and unchanged, so a second run
# takes a second or two. `--test` adds the test tools and Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=false
[ "${1:-}" = "--test" ] && for_tests=true

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=false
apt_install() {
  $apt_updated || { as_root apt-get update -qq; apt_updated=true; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
fingerprint() { sha256sum "$@" | sha256sum | cut -c1-16; }

# Python packages, pinned with hashes in requirements/*.lock (made by `uv pip compile --generate-hashes`).
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
lock=requirements/run.lock
$for_tests && lock=requirements/test.lock
stamp=".venv/.installed-$(basename "$lock" .lock)-$(fingerprint "$lock")"
if [ ! -f "$stamp" ]; then
  echo "Installing Python packages from $lock…"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
  touch "$stamp"
fi

# The browser libraries the site publishes (Pyodide, the QR encoder, HPKE, idb-keyval) and esbuild, which bundles
# HPKE at build time; for the tests also axe-core and TypeScript. All pinned with checksums
# in package-lock.json. Running the product installs only what the build needs (no test tools).
command -v npm >/dev/null || apt_install nodejs npm
npm_mode=production
$for_tests && npm_mode=all
if [ ! -f "node_modules/.installed-all-$(fingerprint package-lock.json)" ] &&
   [ ! -f "node_modules/.installed-$npm_mode-$(fingerprint package-lock.json)" ]; then
  if $for_tests; then
    echo "Installing the site's browser libraries, esbuild and the test tools from the npm registry…"
    npm ci --no-audit --no-fund --loglevel=error
  else
    echo "Installing the site's browser libraries and esbuild from the npm registry…"
    npm ci --omit=dev --no-audit --no-fund --loglevel=error
  fi
  touch "node_modules/.installed-$npm_mode-$(fingerprint package-lock.json)"
fi

if $for_tests; then
  [ -x /usr/bin/chromium ] || { echo "Installing Debian's Chromium…"; apt_install chromium; }
  command -v redis-server >/dev/null || { echo "Installing Debian's redis-server…"; apt_install redis-server; }
fi
