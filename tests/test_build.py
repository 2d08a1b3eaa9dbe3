"""The build: pinned Pyodide published with checksums, the form made from py_client's data, no foreign URLs."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile

import pytest

from py_client.content import WORKSHEET
from site_tools import build


def test_pyodide_core_files_are_published_with_their_pinned_checksums(built_site):
    folder = built_site / "pyodide" / build.PYODIDE_VERSION
    for name, expected in build.PYODIDE_FILES.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == expected


def test_pyodide_version_matches_the_npm_lock():
    lock = json.loads((build.ROOT / "package-lock.json").read_text())
    entry = lock["packages"]["node_modules/pyodide"]
    assert entry["version"] == build.PYODIDE_VERSION
    assert entry["integrity"].startswith("sha512-")


def test_a_tampered_pyodide_file_is_refused(tmp_path, monkeypatch):
    source = tmp_path / "pyodide"
    source.mkdir()
    for name in build.PYODIDE_FILES:
        (source / name).write_bytes((build.PYODIDE_SOURCE / name).read_bytes())
    (source / "pyodide.asm.wasm").write_bytes(b"\0asm-not-the-real-one")
    monkeypatch.setattr(build, "PYODIDE_SOURCE", source)
    with pytest.raises(build.BuildError, match="pyodide.asm.wasm has SHA-256"):
        build.publish_pyodide(tmp_path / "site")


def test_a_second_build_with_unchanged_inputs_does_nothing(built_site):
    assert build.build() is False


def test_py_client_archive_holds_the_package(built_site):
    with zipfile.ZipFile(built_site / build.PY_CLIENT_ARCHIVE) as archive:
        names = set(archive.namelist())
    expected = {f"py_client/{path.name}" for path in (build.ROOT / "py_client").glob("*.py")}
    assert names == expected and "py_client/bridge.py" in names


def test_built_pages_name_no_other_host(built_site):
    pattern = re.compile(r"""(?:src|href|action)=["']?(?:https?:)?//""")
    offenders = [page.relative_to(built_site) for page in built_site.rglob("*.html") if pattern.search(page.read_text())]
    assert offenders == []


def test_no_inline_script_in_any_page(built_site):
    """The pages run under a CSP without 'unsafe-inline': every executable script must be a file."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
    offenders = {str(page.relative_to(built_site)): inline.findall(page.read_text()) for page in built_site.rglob("*.html")}
    assert {page: found for page, found in offenders.items() if found} == {}


def test_the_form_is_made_from_the_worksheet_data(built_site):
    page = (built_site / "worksheet" / "index.html").read_text()
    for section in WORKSHEET.sections:
        assert f'id="ws-{section.id}"' in page
        for item in section.items:
            assert f'name="{section.id}.{item.id}"' in page
        for prompt in section.prompts:
            assert f"{section.id}.{prompt.id}" in page
        for column in section.columns:
            assert f'data-ws-column="{column.id}"' in page


def test_precache_manifest_lists_the_pages_and_pyodide(built_site):
    manifest = json.loads((built_site / build.PRECACHE_MANIFEST).read_text())
    files = manifest["files"]
    assert "worksheet/index.html" in files
    assert f"pyodide/{build.PYODIDE_VERSION}/pyodide.asm.wasm" in files
    assert all(not name.startswith(".") for name in files)
