"""Build the site into ``site/``: MkDocs pages, the pinned Pyodide runtime, the Python package for the
browser and the service worker's list of files to keep offline.

Run as ``python -m site_tools.build``. A second run with unchanged inputs does nothing, so starting the
product again is quick; ``--force`` rebuilds anyway.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
STAMP_NAME = ".build-stamp"
# Settings read by mkdocs.yml from the environment; a change in them is a change of input.
BUILD_SETTINGS = ("SYNC_API_URL",)

PYODIDE_VERSION = "314.0.7"
# The core files the browser needs, with their SHA-256. npm already checks the package tarball against
# package-lock.json's integrity hash; these catch a changed or partial node_modules as well.
PYODIDE_FILES = {
    "pyodide.mjs": "6f1d60f7bf529beb300f0f47983c921d3982363640ba20af0e38efdddbc66109",
    "pyodide.asm.mjs": "f7cdc8ece80678ceb712f8e65ebe6d3a83203a180c399865f49612a051693635",
    "pyodide.asm.wasm": "cc36e3cab04fdfc9a63ff13eb52eae2b911bf46c025cc7b281f394bd3de1d5e6",
    "python_stdlib.zip": "fa1957e5777068fc4f7437f96d860ae2fbe9c19732ba06c84e004ec16dd7dd7a",
    "pyodide-lock.json": "5dc2fc119108bc148c7457dc86e7675b5c87e1cafd420b9c34c1eaef7b36c010",
}
PYODIDE_SOURCE = ROOT / "node_modules" / "pyodide"
# Other browser libraries published with the site: target path, source in node_modules, SHA-256.
VENDORED = {
    "vendor/uqr.mjs": ("uqr/dist/index.mjs", "7f0e61c2f13bb3724edee7bfb876e13c54ac9ee4fcfa283c9fa93cfb1241c325"),  # QR codes for share links (uqr 0.1.3)
}
PYODIDE_TARGET = Path("pyodide") / PYODIDE_VERSION
PY_CLIENT_ARCHIVE = Path("py") / "py_client.zip"
PRECACHE_MANIFEST = "precache.json"
SERVICE_WORKER = "sw.js"
BUILD_INPUTS = ("mkdocs.yml", "docs", "overrides", "py_client", "site_tools", "package-lock.json")


class BuildError(RuntimeError):
    pass


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inputs_fingerprint() -> str:
    """A hash of every file the build reads, to tell whether ``site/`` is already up to date."""
    digest = hashlib.sha256()
    for setting in BUILD_SETTINGS:
        digest.update(f"{setting}={os.environ.get(setting, '')}".encode() + b"\0")
    for name in BUILD_INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + sha256(file).encode())
    return digest.hexdigest()


def publish_pyodide(site: Path) -> None:
    target = site / PYODIDE_TARGET
    target.mkdir(parents=True, exist_ok=True)
    for name, expected in PYODIDE_FILES.items():
        source = PYODIDE_SOURCE / name
        if not source.is_file():
            raise BuildError(f"{source} is missing: run `npm ci` to fetch Pyodide {PYODIDE_VERSION}.")
        actual = sha256(source)
        if actual != expected:
            raise BuildError(f"{source} has SHA-256 {actual}, expected {expected}: refusing to publish it.")
        shutil.copyfile(source, target / name)


def publish_vendored(site: Path) -> None:
    for target, (source, expected) in VENDORED.items():
        path = ROOT / "node_modules" / source
        if not path.is_file():
            raise BuildError(f"{path} is missing: run `npm ci`.")
        if sha256(path) != expected:
            raise BuildError(f"{path} has SHA-256 {sha256(path)}, expected {expected}: refusing to publish it.")
        (site / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, site / target)


def publish_py_client(site: Path) -> None:
    """Zip the browser's Python package with fixed timestamps, so the same source gives the same bytes."""
    archive = site / PY_CLIENT_ARCHIVE
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for source in sorted((ROOT / "py_client").glob("*.py")):
            info = zipfile.ZipInfo(f"py_client/{source.name}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, source.read_bytes())


def write_precache_manifest(site: Path) -> None:
    """List every published file with a short content hash; the service worker keeps these offline and
    fetches again only what changed."""
    entries = {}
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        if path.is_file() and not relative.startswith(".") and relative not in (PRECACHE_MANIFEST, SERVICE_WORKER):
            if relative.endswith(".gz") or relative == "sitemap.xml":
                continue
            entries[relative] = sha256(path)[:16]
    version = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()[:16]
    (site / PRECACHE_MANIFEST).write_text(json.dumps({"version": version, "files": entries}, indent=0))
    # A changed sw.js is what makes browsers install the new version, so it carries the version itself.
    worker = site / SERVICE_WORKER
    worker.write_text(worker.read_text().replace("__PRECACHE_VERSION__", version))


def build(force: bool = False, site: Path = SITE) -> bool:
    """Build the site into ``site``; return False when it was already up to date."""
    fingerprint = inputs_fingerprint()
    stamp = site / STAMP_NAME
    if not force and stamp.is_file() and stamp.read_text() == fingerprint:
        return False
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "--clean", "--site-dir", str(site.resolve())]
    subprocess.run(command, cwd=ROOT, check=True, env=env)
    publish_pyodide(site)
    publish_vendored(site)
    publish_py_client(site)
    write_precache_manifest(site)
    stamp.write_text(fingerprint)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    parser.add_argument("--site-dir", type=Path, default=SITE, help="where to build (default: site/)")
    arguments = parser.parse_args()
    try:
        built = build(force=arguments.force, site=arguments.site_dir)
    except (BuildError, subprocess.CalledProcessError) as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(f"site built into {arguments.site_dir}" if built else f"{arguments.site_dir} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
