"""The writers' loop: `mkdocs serve` gives a working worksheet and shows a saved change to the content."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from site_tools.build import BUILD_INPUTS
from site_tools.worksheet_content import ALSO_SETTING
from tests.support.browser import eventually
from tests.support.servers import ROOT, free_port, wait_until_serving
from tests.support.worksheet_page import PYTHON_TIMEOUT

pytestmark = pytest.mark.browser
# What `mkdocs serve` reads: what the build reads, and package.json (the Pyodide pin); node_modules (Pyodide)
# is linked rather than copied.
SOURCES = (*BUILD_INPUTS, "package.json")


@pytest.fixture
def served_copy(tmp_path):
    """`mkdocs serve` on a copy of the project, so the test can edit its content as a writer would."""
    for name in SOURCES:
        source = ROOT / name
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(source, tmp_path / name, ignore=ignore) if source.is_dir() else shutil.copy(source, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    port = free_port()
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"]
    # The site's own worksheets only: the tests' fixture folder is not in the copy.
    env = {name: value for name, value in os.environ.items() if name != ALSO_SETTING}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", process)
        yield tmp_path, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_worksheet_works_under_mkdocs_serve_and_a_changed_prompt_shows(page, served_copy):
    folder, url = served_copy
    page.goto(f"{url}/worksheets/building-trust-and-safety/")
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    page.get_by_label("What does trust mean to you?", exact=True).fill("served")
    expect(page.locator("#ws-status")).to_contain_text("Saved")

    content = folder / "docs" / "worksheets" / "building-trust-and-safety.md"
    content.write_text(
        content.read_text().replace("label: What does trust mean to you?", "label: What does trust mean to you, today?")
    )
    changed = page.get_by_label("What does trust mean to you, today?", exact=True)

    def rebuilt() -> bool:
        try:
            page.reload()
        except PlaywrightError:  # mkdocs serve's own live reload was navigating the page at that moment
            return False
        return changed.count() == 1

    eventually(rebuilt, timeout=30)
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    expect(page.get_by_label("What does trust mean to you, today?", exact=True)).to_have_value("served")
