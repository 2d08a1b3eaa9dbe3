"""Habits the whole tree keeps: ruff's lint and format on all Python (settings in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from tests.support.servers import ROOT


def ruff(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *arguments], cwd=ROOT, capture_output=True, text=True)


def test_ruff_lint_finds_nothing():
    result = ruff("check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_would_change_nothing():
    result = ruff("format", "--check", "--diff", ".")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_the_page_modules_type_check(built_site):
    """`tsc --noEmit` over the ES modules with their JSDoc types (tsconfig.json). It reads the built site
    too, for the generated facts.mjs and the vendored modules."""
    tsc = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
    result = subprocess.run(["node", str(tsc), "-p", "tsconfig.json"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr


def test_every_page_module_asks_editors_to_type_check_it():
    unmarked = [
        path.name
        for path in (ROOT / "docs" / "assets" / "js").rglob("*.mjs")
        if not path.read_text().startswith("// @ts-check\n")
    ]
    assert unmarked == []
