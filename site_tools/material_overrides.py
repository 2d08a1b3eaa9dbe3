"""Which of Material's templates ``overrides/`` stands on, and their SHA-256 as reviewed.

An override replaces a Material template of the same path, or extends one (``{% extends "base.html" %}``)
and replaces some of its blocks. Either way it was written against that template as it was; when a new
Material changes it, the override may silently drop a fix or a feature. ``tests/site_build/test_build.py`` compares
the installed Material with ``material_overrides.json`` and names what to review. After reviewing, run
``python -m site_tools.material_overrides`` to record the new hashes.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib.metadata import version
from pathlib import Path

import material

ROOT = Path(__file__).resolve().parent.parent
OVERRIDES = ROOT / "overrides"
MATERIAL_TEMPLATES = Path(material.__file__).resolve().parent / "templates"
RECORD = Path(__file__).resolve().with_suffix(".json")
EXTENDS = re.compile(r"""\{%-?\s*extends\s+["']([^"']+)["']""")


def templates_stood_on() -> list[str]:
    """Material's templates that an override replaces or extends, as paths under its templates folder."""
    paths = set()
    for override in OVERRIDES.rglob("*.html"):
        relative = override.relative_to(OVERRIDES).as_posix()
        if (MATERIAL_TEMPLATES / relative).is_file():
            paths.add(relative)
        paths.update(EXTENDS.findall(override.read_text()))
    return sorted(paths)


def current_hashes() -> dict[str, str]:
    return {path: hashlib.sha256((MATERIAL_TEMPLATES / path).read_bytes()).hexdigest() for path in templates_stood_on()}


def drifted() -> list[str]:
    """One line for each template whose installed version differs from the one the overrides were written for."""
    reviewed = json.loads(RECORD.read_text())
    now = current_hashes()
    lines = [
        f"{path}: overridden or extended in overrides/, but not recorded as reviewed"
        for path in now
        if path not in reviewed["sha256"]
    ]
    lines += [
        f"{path}: Material {version('mkdocs-material')} changed it since {reviewed['mkdocs-material']}; review the override"
        for path, digest in now.items()
        if path in reviewed["sha256"] and reviewed["sha256"][path] != digest
    ]
    return lines + [f"{path}: recorded, but no override stands on it any more" for path in reviewed["sha256"] if path not in now]


def record() -> None:
    RECORD.write_text(json.dumps({"mkdocs-material": version("mkdocs-material"), "sha256": current_hashes()}, indent=2) + "\n")


if __name__ == "__main__":
    record()
    print(f"recorded {RECORD.relative_to(ROOT)}")
