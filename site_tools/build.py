"""Build the site into ``site/``, in this order (``build`` below):

1. the pages, by MkDocs (its hooks hand Python's facts to the browser, give each page its modules and
   derive what stays online only);
2. the runtime beside them (``publish_runtime``): the pinned Pyodide with its standard library trimmed, the
   vendored modules, the Python package for the browser, and the service worker's list of files;
3. the static host's headers file;
4. the compressed copies.

``mkdocs serve`` (the writers' loop) publishes step 2 through ``publish_hook.py``, which stands aside when
this module runs MkDocs.

Run as ``python -m site_tools.build``. A second run with unchanged inputs does nothing, so starting the
product again is quick; ``--force`` rebuilds anyway.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from py_client.content import CATALOGUE_FILE
from site_tools import pyodide_pin, worksheet_content
from site_tools.compress import compress_site
from site_tools.pyodide_pin import PYODIDE_FILES, PYODIDE_VERSION
from sync_server.headers import NOT_INDEXED, content_security_policy, static_headers
from sync_server.paths import API_PREFIX
from sync_server.site import IMMUTABLE, IMMUTABLE_CACHE

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
STAMP_NAME = ".build-stamp"
# Settings read from the environment (by mkdocs.yml, and by worksheet_content for the worksheets it adds); a
# change in them is a change of input.
BUILD_SETTINGS = ("SYNC_API_URL", worksheet_content.ALSO_SETTING)
# Set for the MkDocs run of ``build``, which publishes the runtime itself: publish_hook.py then stands aside.
RUNTIME_PUBLISHED_HERE = "SITE_TOOLS_PUBLISHES_RUNTIME"

# Other browser libraries published with the site: target path, source in node_modules, SHA-256.
VENDORED = {
    "vendor/uqr.mjs": (
        "uqr/dist/index.mjs",
        "7f0e61c2f13bb3724edee7bfb876e13c54ac9ee4fcfa283c9fa93cfb1241c325",
    ),  # QR codes for share links (uqr 0.1.3)
    "vendor/idb-keyval.mjs": (
        "idb-keyval/dist/index.js",
        "480f1d31a40b5720fbaaee44c1a21d83392c6cf9516672007813a1824483a058",
    ),  # IndexedDB, where a therapist's browser keeps its requests' keys (idb-keyval 6.3.0)
}
# Libraries published as one module that esbuild bundles from an entry under site_tools/bundles/ (which
# names what the site uses): target path, entry, SHA-256 of the bundle. The pinned esbuild makes the same
# bytes from the same packages, so a changed package or bundler changes the checksum and stops the build.
BUNDLED = {
    "vendor/hpke.mjs": (
        "site_tools/bundles/hpke.mjs",
        "b035e3069614a823b1a1db6334e1cb5057afab2e8e3a093f562110a0df17fc9e",
    ),  # HPKE for therapists' requests (@hpke/core 1.9.0, with @hpke/common 1.10.1)
    "vendor/argon2.mjs": (
        "site_tools/bundles/argon2.mjs",
        "407f35bb2ef61d7c820bc762d25527623ba6fb757abb417b3badd27801115c15",
    ),  # Argon2id for the passcode lock (hash-wasm 4.13.0)
    "vendor/aes-gcm.mjs": (
        "site_tools/bundles/aes-gcm.mjs",
        "1a4bf6e5dff01e85a8da8530f055f913a605313284aa3157af799a9c33d6e764",
    ),  # AES-GCM that seals synchronously, for the passcode lock (@noble/ciphers 2.4.0)
    "vendor/passcode-strength.mjs": (
        "site_tools/bundles/passcode-strength.mjs",
        "851e6edc7177666bfd8994e5fc427a20ff75f6a7dc77ff425e9cc5335fe2155d",
    ),  # how many guesses a passcode needs (@zxcvbn-ts/core 4.2.0, @zxcvbn-ts/language-common 4.1.3)
}
LIBRARY_MODULES = frozenset(VENDORED) | frozenset(BUNDLED)
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
PYODIDE_TARGET = Path("pyodide") / PYODIDE_VERSION
PY_CLIENT_ARCHIVE = Path("py") / "py_client.zip"
RUNTIME_RECORD = Path("py") / "runtime.json"
STDLIB = "python_stdlib.zip"
# The standard library's trace and compiler, each run under Pyodide in Node.
STDLIB_TOOLS = Path(__file__).resolve().parent / "stdlib"
# What the trimmed standard library holds and where it came from, for anyone checking the chain of checksums.
STDLIB_RECORD = ".stdlib-trim.json"
COMPRESSION_CACHE = ROOT / "node_modules" / ".cache" / "site-compression"
PRECACHE_MANIFEST = "precache.json"
# The headers file that Netlify and Cloudflare Pages read, made from the server's own definitions.
STATIC_HOST_HEADERS = "_headers"
SERVICE_WORKER = "sw.js"
# Everything the build reads: the site's sources, and the server package, whose facts go into the pages
# (limits, formats, headers). The whole package, since importing any of its modules runs its __init__, which
# imports the rest: a list of the modules the build happens to import would differ from process to process.
BUILD_INPUTS = ("mkdocs.yml", "docs", "overrides", "py_client", "site_tools", "sync_server", "package-lock.json")


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
    # The worksheets of WORKSHEETS_ALSO too, wherever that folder is.
    for path in [*(ROOT / name for name in BUILD_INPUTS), *worksheet_content.folders()[1:]]:
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if path.is_dir() else [path]
        for file in files:
            digest.update(os.path.relpath(file, ROOT).encode() + b"\0" + sha256(file).encode())
    return digest.hexdigest()


def publish_pyodide(site: Path) -> None:
    target = site / PYODIDE_TARGET
    target.mkdir(parents=True, exist_ok=True)
    package = pyodide_pin.PYODIDE_SOURCE / "package.json"
    installed = json.loads(package.read_text())["version"] if package.is_file() else "nothing"
    if installed != PYODIDE_VERSION:
        raise BuildError(f"node_modules holds Pyodide {installed}, package.json pins {PYODIDE_VERSION}: run `npm ci`.")
    for name, expected in PYODIDE_FILES.items():
        source = pyodide_pin.PYODIDE_SOURCE / name
        if not source.is_file():
            raise BuildError(f"{source} is missing: run `npm ci` to fetch Pyodide {PYODIDE_VERSION}.")
        actual = sha256(source)
        if actual != expected:
            raise BuildError(f"{source} has SHA-256 {actual}, expected {expected}: refusing to publish it.")
        if name not in pyodide_pin.NOT_PUBLISHED:
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


def publish_bundled(site: Path) -> None:
    for target, (entry, expected) in BUNDLED.items():
        if not ESBUILD.is_file():
            raise BuildError(f"{ESBUILD} is missing: run `npm ci`.")
        bundled = subprocess.run(
            # The banner keeps tsc (tests/site_build/test_code_style.py) out of a library's minified code, checked where
            # it is written; our modules' calls into it are still checked.
            [str(ESBUILD), entry, "--bundle", "--format=esm", "--minify", "--log-level=warning", "--banner:js=// @ts-nocheck"],
            capture_output=True,
            cwd=ROOT,
        )
        if bundled.returncode != 0:
            raise BuildError(f"esbuild could not bundle {entry}:\n{bundled.stderr.decode()[-2000:]}")
        actual = hashlib.sha256(bundled.stdout).hexdigest()
        if actual != expected:
            raise BuildError(f"the bundle of {entry} has SHA-256 {actual}, expected {expected}: refusing to publish it.")
        (site / target).parent.mkdir(parents=True, exist_ok=True)
        (site / target).write_bytes(bundled.stdout)


def publish_py_client(site: Path) -> None:
    """Zip the browser's Python package with fixed timestamps, so the same source gives the same bytes, and
    the catalogue of the worksheets it serves (``py_client.content.catalogue``), checked from their content
    files. Stored uncompressed: brotli over the whole archive does better than deflate file by file."""
    try:
        catalogue = worksheet_content.catalogue_json()
    except worksheet_content.ContentError as error:
        raise BuildError("the worksheets' content files have mistakes:\n" + "\n".join(error.problems)) from None
    archive = site / PY_CLIENT_ARCHIVE
    archive.parent.mkdir(parents=True, exist_ok=True)
    fixed = (2020, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        for source in sorted((ROOT / "py_client").glob("*.py")):
            bundle.writestr(zipfile.ZipInfo(f"py_client/{source.name}", date_time=fixed), source.read_bytes())
        bundle.writestr(zipfile.ZipInfo(f"py_client/{CATALOGUE_FILE}", date_time=fixed), catalogue.encode())


def under_pyodide(tool: str, folder: Path, *arguments: Path, doing: str) -> str:
    """Run one of ``site_tools/stdlib/``'s Node tools on the Pyodide in ``folder`` (with the pinned lock file,
    which is not published) and return the last line it printed."""
    command = ["node", str(STDLIB_TOOLS / tool), str(folder), str(pyodide_pin.LOCK_FILE), *map(str, arguments)]
    ran = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if ran.returncode != 0:
        # Node prints the line of Pyodide's (minified) code that threw before the error itself: show Python's
        # traceback where there is one.
        traceback = ran.stderr.rfind("Traceback (most recent call last)")
        raise BuildError(
            f"{doing} under Pyodide failed:\n{ran.stderr[traceback:][:3000] if traceback >= 0 else ran.stderr[-2000:]}"
        )
    return ran.stdout.strip().splitlines()[-1]


def trim_stdlib(site: Path) -> None:
    """Replace the published ``python_stdlib.zip`` (614 modules, 2.5 MB) with one holding only what Pyodide's
    boot and every py_client operation import, as traced under Pyodide itself (site_tools/stdlib/), compiled
    to bytecode by that same Pyodide: Python's start-up in the browser is mostly compiling these sources,
    every visit (measured in the README). The zip is made from the verified original and stored
    uncompressed, so that brotli and gzip, which compress across files, do better than per-file deflate."""
    folder = site / PYODIDE_TARGET
    original = folder / STDLIB
    files = json.loads(under_pyodide("trace.mjs", folder, site / PY_CLIENT_ARCHIVE, doing="tracing the standard library"))
    zipped = sorted({path.split(".zip/", 1)[1] for path in files if ".zip/" in path})
    if not zipped:
        raise BuildError("the standard-library trace found no module in the zip: the trace is broken")
    with zipfile.ZipFile(original) as full:
        missing = sorted(set(zipped) - set(full.namelist()))
        if missing:
            raise BuildError(f"traced modules are not in {STDLIB}: {missing}")
        contents = {name: (full.getinfo(name), full.read(name)) for name in zipped}
    with tempfile.TemporaryDirectory() as scratch:
        sources, compiled = Path(scratch) / "sources.zip", Path(scratch) / "compiled.zip"
        with zipfile.ZipFile(sources, "w", zipfile.ZIP_STORED) as trimmed:
            for name, (info, data) in contents.items():
                trimmed.writestr(zipfile.ZipInfo(name, date_time=info.date_time), data)
        # Compiled by the Pyodide being published, whose full standard library is still in place.
        optimize, magic = under_pyodide("compile.mjs", folder, sources, compiled, doing="compiling the standard library").split()
        shutil.copyfile(compiled, original)
    # The original was checked against its pin by publish_pyodide, just before.
    record = {
        "source_sha256": PYODIDE_FILES[STDLIB],
        "sha256": sha256(original),
        "modules": zipped,
        "bytecode": {"optimize": int(optimize), "magic": magic},
    }
    (site / STDLIB_RECORD).write_text(json.dumps(record, indent=1))


def write_runtime_record(site: Path) -> None:
    """``py/runtime.json``: what Python's memory after start-up depends on (the Pyodide version, and hashes
    of the standard library and py_client as published). The worker keeps that memory under this record's
    id, so any change to them leaves an old copy unused (core/python-memory.mjs)."""
    parts = {
        "pyodide": PYODIDE_VERSION,
        "stdlib": sha256(site / PYODIDE_TARGET / STDLIB)[:16],
        "client": sha256(site / PY_CLIENT_ARCHIVE)[:16],
    }
    runtime_id = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
    (site / RUNTIME_RECORD).write_text(json.dumps({"id": runtime_id, **parts}))


def write_static_host_headers(site: Path) -> None:
    """``_headers`` for a static host: the security headers of ``sync_server.headers`` on every path, and a
    year's caching for exactly the files the server treats as immutable (the rest keeps the hosts' default
    of revalidating, as the server's ``no-cache`` does). A host joins the values of every rule that matches
    a path, so each header is set by one rule only."""
    api = os.environ.get("SYNC_API_URL", "")
    api_origin = "/".join(api.split("/")[:3]) if "://" in api else ""
    everywhere = {**static_headers("/"), "Content-Security-Policy": content_security_policy(api_origin)}
    lines = ["/*", *(f"  {name}: {value}" for name, value in everywhere.items())]
    for prefix in NOT_INDEXED:
        if prefix != f"{API_PREFIX}/":
            lines += [prefix, f"{prefix}/*", "  X-Robots-Tag: noindex, nofollow"]
    for path in sorted(site.rglob("*")):
        url = "/" + path.relative_to(site).as_posix()
        if path.is_file() and path.suffix not in (".br", ".gz") and IMMUTABLE.match(url):
            lines += [url, f"  Cache-Control: {IMMUTABLE_CACHE}"]
    (site / STATIC_HOST_HEADERS).write_text("\n".join(lines) + "\n")


# Published but used by no page: source maps, and the search's language plugins (the site is in English).
NOT_PRECACHED = re.compile(
    r"(\.map|\.br|\.gz)$|^assets/javascripts/lunr/|^\.|^(sitemap\.xml|_headers|robots\.txt)$"
    r"|^assets/images/favicon\.png$"
)  # Material's default icon; the pages use assets/icon.svg
# Python's files, Pyodide's and py_client's (py/): of no use without each other, so kept by the service worker
# only once the worksheet has loaded them (see docs/sw.js); a first visit to another page downloads neither.
RUNTIME = re.compile(r"^(pyodide|py)/")
# Not kept offline, so a first visit to any page does not download them: the pages marked `offline: false`
# (the therapist's requests, which need the server anyway) and the modules only they or a dynamic import
# marked /* online-only */ reach (the passcode-strength estimator, 213 KB, loaded only when someone sets a
# passcode: offline, the page says it cannot check one yet). Derived by site_tools/page_modules.py during
# MkDocs' build and written here; read by write_precache_manifest.
ONLINE_ONLY_RECORD = ".online-only.json"


def write_precache_manifest(site: Path) -> None:
    """List the files pages use, each with the start of its SHA-256: the service worker keeps them offline,
    checks each against its hash and fetches again only what changed. A page is listed by its address
    (``worksheet/``), which is how it is fetched."""
    record = site / ONLINE_ONLY_RECORD
    if not record.is_file():
        raise BuildError(f"{record} is missing: MkDocs' build did not run site_tools/page_modules.py")
    online_only = json.loads(record.read_text())
    missing = [name for name in online_only if not (site / name).is_file()]
    if missing:
        raise BuildError(f"{ONLINE_ONLY_RECORD} names files the build did not make: {missing}")
    groups: dict[str, dict[str, str]] = {"pages": {}, "runtime": {}}
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        skipped = NOT_PRECACHED.search(relative) or relative in (PRECACHE_MANIFEST, SERVICE_WORKER, *online_only)
        if not path.is_file() or skipped:
            continue
        address = relative[: -len("index.html")] if relative == "index.html" or relative.endswith("/index.html") else relative
        groups["runtime" if RUNTIME.match(relative) else "pages"][address] = sha256(path)[:16]
    version = hashlib.sha256(json.dumps(groups, sort_keys=True).encode()).hexdigest()[:16]
    (site / PRECACHE_MANIFEST).write_text(json.dumps({"version": version, **groups}, indent=0))
    # A changed sw.js is what makes browsers install the new version, so it carries the version itself (and
    # where the API is, which it leaves to the network).
    worker = site / SERVICE_WORKER
    made = worker.read_text().replace("__PRECACHE_VERSION__", version)
    worker.write_text(made.replace("__API_PATH__", f"{API_PREFIX.lstrip('/')}/"))


def publish_runtime(site: Path) -> None:
    """Publish what the pages run beside the pages MkDocs wrote: Pyodide (its standard library trimmed),
    the vendored modules, py_client, and the service worker's list of files."""
    publish_pyodide(site)
    publish_vendored(site)
    publish_bundled(site)
    publish_py_client(site)
    trim_stdlib(site)
    write_runtime_record(site)
    write_precache_manifest(site)


def build(force: bool = False, site: Path = SITE) -> bool:
    """Build the site into ``site``; return False when it was already up to date."""
    fingerprint = inputs_fingerprint()
    stamp = site / STAMP_NAME
    if not force and stamp.is_file() and stamp.read_text() == fingerprint:
        return False
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **{RUNTIME_PUBLISHED_HERE: "1"})
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "--clean", "--site-dir", str(site.resolve())]
    subprocess.run(command, cwd=ROOT, check=True, env=env)
    publish_runtime(site)
    write_static_host_headers(site)
    compress_site(site, COMPRESSION_CACHE)
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
