"""Precompressed copies of the built site: a brotli (``.br``, highest quality) and a gzip (``.gz``) file beside
every file worth compressing, for the server (WhiteNoise) or a static host to send as they are.

Compressing Pyodide's WebAssembly at brotli's highest quality takes half a minute, so each result is kept
in a cache keyed by the content's SHA-256: a rebuild with unchanged files compresses nothing again.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import brotli

# What a browser fetches as text or code; images already compressed and archives are left alone unless
# compressing them pays (see KEEP_IF_SMALLER).
COMPRESSIBLE = (".html", ".css", ".js", ".mjs", ".json", ".wasm", ".svg", ".webmanifest", ".xml", ".txt", ".map")
# A zip is already deflated: its copies are kept only if they are at least this much smaller.
KEEP_IF_SMALLER = {".zip": 0.9}
ENCODINGS = (("br", lambda data: brotli.compress(data, quality=11)), ("gz", lambda data: gzip.compress(data, 9, mtime=0)))


def compress_site(site: Path, cache: Path) -> None:
    """Write the .br and .gz copies for every compressible file under ``site``."""
    cache.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix not in COMPRESSIBLE and suffix not in KEEP_IF_SMALLER:
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        for extension, compress in ENCODINGS:
            cached = cache / f"{digest}.{extension}"
            if cached.is_file():
                packed = cached.read_bytes()
            else:
                packed = compress(data)
                cached.write_bytes(packed)
            copy = path.with_name(f"{path.name}.{extension}")
            if len(packed) < len(data) * KEEP_IF_SMALLER.get(suffix, 1.0):
                copy.write_bytes(packed)
            else:  # not worth sending compressed (MkDocs writes a sitemap.xml.gz larger than the sitemap)
                copy.unlink(missing_ok=True)
