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


def test_pytest_collects_every_test_file():
    """A test file in a folder pytest skips (its default `norecursedirs` has `build`, for one) would never
    run and never fail: every file named like a test must be collected."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    collected = {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}
    on_disk = {path.relative_to(ROOT).as_posix() for path in (ROOT / "tests").rglob("test_*.py")}
    assert on_disk and on_disk == collected, result.stdout[-2000:] + result.stderr[-2000:]


def test_git_ignores_no_source_file():
    """A pattern meant for the build's output (`/site/`) must not hide a source file from the repository:
    `site/` once matched `docs/assets/js/site/`, and a new module there was never committed."""
    sources = ["docs", "py_client", "site_tools", "sync_server", "tests", "bench", "scripts", "overrides"]
    ignored = subprocess.run(
        ["git", "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", *sources],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    expected = ("__pycache__/", ".pyc", "bench/results/", "bench/.venv-snappass/")
    assert [name for name in ignored if name and not any(part in name for part in expected)] == []
