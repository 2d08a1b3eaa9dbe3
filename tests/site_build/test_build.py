"""The build: pinned Pyodide published with checksums, the form made from py_client's data, no foreign URLs."""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import re
import shutil
import zipfile

import pytest
from mkdocs.config import load_config

from site_tools import build, pyodide_pin
from tests.support import worksheets

WORKSHEET = worksheets.trust()

ROOT = build.ROOT


def test_pyodide_core_files_are_published_with_their_pinned_checksums(built_site):
    folder = built_site / "pyodide" / build.PYODIDE_VERSION
    for name, expected in build.PYODIDE_FILES.items():
        if name in pyodide_pin.NOT_PUBLISHED:
            assert not (folder / name).exists(), name
        elif name != build.STDLIB:  # published trimmed; see the next test
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == expected


def test_the_trimmed_standard_library_comes_from_the_verified_original(built_site):
    """The published zip holds only the traced modules, each as the bytecode of its source in the pinned
    original: an unchecked hash-based pyc (PEP 552) carrying the source's hash, made by Pyodide's CPython."""
    record = json.loads((built_site / build.STDLIB_RECORD).read_text())
    published = built_site / "pyodide" / build.PYODIDE_VERSION / build.STDLIB
    assert record["source_sha256"] == build.PYODIDE_FILES[build.STDLIB]
    assert record["sha256"] == hashlib.sha256(published.read_bytes()).hexdigest()
    assert record["bytecode"]["optimize"] == 2
    magic = bytes.fromhex(record["bytecode"]["magic"])
    with zipfile.ZipFile(pyodide_pin.PYODIDE_SOURCE / build.STDLIB) as original, zipfile.ZipFile(published) as trimmed:
        assert trimmed.namelist() == [f"{name}c" for name in record["modules"]]
        assert 100 < len(trimmed.namelist()) < len(original.namelist()) / 2
        assert all(name.endswith(".py") for name in record["modules"]) and set(record["modules"]) <= set(original.namelist())
        for name in trimmed.namelist():
            pyc = trimmed.read(name)
            assert pyc[:4] == magic and int.from_bytes(pyc[4:8], "little") == 0b01, name  # hash-based, unchecked
    assert magic != importlib.util.MAGIC_NUMBER  # Pyodide's CPython, not the one running the build
    # What py_client itself needs is there: found by the trace, not by a list kept by hand.
    for module in ("json/__init__.py", "csv.py", "datetime.py", "html/__init__.py", "zipfile/__init__.py", "traceback.py"):
        assert module in record["modules"]


def test_every_compressible_file_has_brotli_and_gzip_copies(built_site):
    import gzip

    import brotli

    from site_tools.compress import COMPRESSIBLE

    files = [p for p in built_site.rglob("*") if p.is_file() and p.suffix in COMPRESSIBLE]
    assert len(files) > 30
    for path in files:
        for extension, decompress in ((".br", brotli.decompress), (".gz", gzip.decompress)):
            copy = path.with_name(path.name + extension)
            if path.stat().st_size >= 1024:  # a tiny file may not shrink, and then has no copy
                assert copy.is_file(), copy
            if copy.is_file():
                assert decompress(copy.read_bytes()) == path.read_bytes() and copy.stat().st_size < path.stat().st_size, copy
    stdlib = built_site / "pyodide" / build.PYODIDE_VERSION / build.STDLIB
    assert stdlib.with_name(stdlib.name + ".br").stat().st_size < stdlib.stat().st_size / 3


def test_pages_load_only_their_own_modules(built_site):
    home, article, privacy = (built_site / name / "index.html" for name in ("", "article", "privacy"))
    for page in (home, article, privacy):
        text = page.read_text()
        for module in ("worksheet.mjs", "share.mjs", "open.mjs", "python.mjs", "uqr.mjs", "share-crypto.mjs"):
            assert module not in text, (page, module)
    worksheet = (built_site / "worksheets" / WORKSHEET.id / "index.html").read_text()
    for module in ("worksheet.mjs", "share.mjs", "store.mjs", "python.mjs", "uqr.mjs", "snapshot-view.mjs"):
        assert re.search(rf'rel="modulepreload" href="\.\./\.\./(vendor|assets/js/\w+)/{re.escape(module)}"', worksheet), module


def test_a_page_naming_a_missing_module_stops_the_build(tmp_path):
    from mkdocs.exceptions import PluginError

    from site_tools.page_modules import module_graph

    sources = {"a.mjs": 'import { x } from "./b.mjs";\n'}
    with pytest.raises(PluginError, match="b.mjs does not exist"):
        module_graph(sources.get, ["a.mjs"])


def test_an_import_against_the_arrows_between_features_stops_the_build():
    from mkdocs.exceptions import PluginError

    from site_tools.page_modules import check_arrows

    check_arrows({"assets/js/share/a.mjs": 'import { x } from "../worksheet/b.mjs";\nimport("../request/c.mjs");\n'})
    for sources, message in (
        ({"assets/js/worksheet/b.mjs": 'import { y } from "../share/a.mjs";\n'}, "worksheet may import from"),
        ({"assets/js/core/b.mjs": 'const m = await import("../ask/a.mjs");\n'}, "core may import from no other feature"),
        ({"assets/js/loose.mjs": ""}, "page modules live in assets/js/<feature>/"),
        ({"assets/js/core/a.mjs": 'import "../../x/b.mjs";\n'}, "page modules live in assets/js/<feature>/"),
    ):
        with pytest.raises(PluginError, match=message):
            check_arrows(sources)


def test_the_built_modules_keep_to_the_arrows_between_features(built_site):
    from site_tools.page_modules import check_arrows

    js = built_site / "assets" / "js"
    modules = {
        path.relative_to(built_site).as_posix(): path.read_text() for path in js.glob("*/*.mjs") if path.parent.name != "theme"
    }
    assert len(modules) > 30 and not list(js.glob("*.mjs"))
    check_arrows(modules)


def test_what_stays_online_only_is_derived_from_the_pages_and_their_imports():
    from site_tools.page_modules import online_only

    sources = {
        "m/page.mjs": 'import "./both.mjs";\nimport(/* online-only */ "./lazy.mjs");\nimport("./kept.mjs");\n',
        "m/both.mjs": "",
        "m/lazy.mjs": 'import "./both.mjs";\nimport "./deep.mjs";\n',
        "m/deep.mjs": "",
        "m/kept.mjs": "",
        "m/ask.mjs": 'import "./both.mjs";\nimport "./inbox.mjs";\n',
        "m/inbox.mjs": "",
        "m/every.mjs": "",
    }
    pages = {"index.html": (["m/page.mjs"], True), "ask/index.html": (["m/ask.mjs"], False)}
    assert online_only(sources.get, pages, ["m/every.mjs"]) == [
        "ask/index.html",
        "m/ask.mjs",
        "m/deep.mjs",
        "m/inbox.mjs",
        "m/lazy.mjs",
    ]


def test_the_precache_leaves_out_exactly_what_only_online_pages_use(built_site):
    """The derived list as built: the therapist's page and what only it and a request's answer use, and the
    passcode-strength estimator; nothing the worksheet, the article or an opened link needs."""
    derived = json.loads((built_site / build.ONLINE_ONLY_RECORD).read_text())
    assert (
        "ask/index.html" in derived and "assets/js/ask/inbox-store.mjs" in derived and "vendor/passcode-strength.mjs" in derived
    )
    assert not [name for name in derived if name.startswith(("assets/js/core/", "assets/js/worksheet/", "assets/js/share/"))]
    assert "vendor/argon2.mjs" not in derived  # loaded on demand too, but unlocking must work offline


def test_pyodide_version_matches_the_npm_lock():
    lock = json.loads((build.ROOT / "package-lock.json").read_text())
    entry = lock["packages"]["node_modules/pyodide"]
    assert entry["version"] == build.PYODIDE_VERSION
    assert entry["integrity"].startswith("sha512-")


def test_a_tampered_pyodide_file_is_refused(tmp_path, monkeypatch):
    source = tmp_path / "pyodide"
    source.mkdir()
    for name in [*build.PYODIDE_FILES, "package.json"]:
        (source / name).write_bytes((pyodide_pin.PYODIDE_SOURCE / name).read_bytes())
    (source / "pyodide.asm.wasm").write_bytes(b"\0asm-not-the-real-one")
    monkeypatch.setattr(pyodide_pin, "PYODIDE_SOURCE", source)
    with pytest.raises(build.BuildError, match="pyodide.asm.wasm has SHA-256"):
        build.publish_pyodide(tmp_path / "site")


def test_a_different_installed_pyodide_is_refused(tmp_path, monkeypatch):
    source = tmp_path / "pyodide"
    source.mkdir()
    (source / "package.json").write_text(json.dumps({"name": "pyodide", "version": "0.1.0"}))
    monkeypatch.setattr(pyodide_pin, "PYODIDE_SOURCE", source)
    with pytest.raises(build.BuildError, match=f"node_modules holds Pyodide 0.1.0, package.json pins {build.PYODIDE_VERSION}"):
        build.publish_pyodide(tmp_path / "site")


def test_a_second_build_with_unchanged_inputs_does_nothing(built_site):
    assert build.build() is False


def test_py_client_archive_holds_the_package(built_site):
    with zipfile.ZipFile(built_site / build.PY_CLIENT_ARCHIVE) as archive:
        names = set(archive.namelist())
    expected = {f"py_client/{path.name}" for path in (build.ROOT / "py_client").glob("*.py")}
    assert names == expected | {"py_client/worksheets.json"} and "py_client/bridge.py" in names


def test_built_pages_name_no_other_host(built_site):
    """Nothing is loaded from, or sent to, another host. The one link elsewhere is "Exit this page", on every
    page and nowhere else: a plain link to the neutral site, followed only when the person leaves."""
    neutral = load_config(str(ROOT / "mkdocs.yml")).extra["quick_exit_url"]
    pattern = re.compile(r"""(?:src|href|action)=["']?((?:https?:)?//[^"' >]*)""")
    pages = list(built_site.rglob("*.html"))
    found = {str(page.relative_to(built_site)): pattern.findall(page.read_text()) for page in pages}
    assert found == {name: [neutral] for name in found}
    for page in pages:
        exit_link = re.search(rf"""<a [^>]*href="{re.escape(neutral)}"[^>]*>""", page.read_text()).group(0)
        assert 'rel="nofollow noreferrer"' in exit_link and "data-quick-exit-link" in exit_link


def test_no_inline_script_in_any_page(built_site):
    """The pages run under a CSP without 'unsafe-inline': every executable script must be a file."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
    offenders = {str(page.relative_to(built_site)): inline.findall(page.read_text()) for page in built_site.rglob("*.html")}
    assert {page: found for page, found in offenders.items() if found} == {}


def test_the_form_is_made_from_the_worksheet_data(built_site):
    page = (built_site / "worksheets" / WORKSHEET.id / "index.html").read_text()
    for section in WORKSHEET.sections:
        assert f'id="ws-{section.id}"' in page
        for item in section.items:
            assert f'name="{section.id}.{item.id}"' in page
        for prompt in section.prompts:
            assert f"{section.id}.{prompt.id}" in page
            # Where the wording is restored rather than the seed's, the page says so, whatever the prompt's kind.
            assert html.escape(prompt.source_note, quote=False) in page
        for column in section.columns:
            assert f'data-ws-column="{column.id}"' in page


def test_precache_manifest_lists_what_pages_use(built_site):
    manifest = json.loads((built_site / build.PRECACHE_MANIFEST).read_text())
    pages, runtime = manifest["pages"], manifest["runtime"]
    assert (
        "worksheets/building-trust-and-safety/" in pages and "worksheet/index.html" not in pages and "" in pages
    )  # by their addresses
    assert f"pyodide/{build.PYODIDE_VERSION}/pyodide.asm.wasm" in runtime and "py/py_client.zip" in runtime
    # What only therapists' requests use is left to the network, and the worksheet loads it only for a request.
    assert "ask/" not in pages and "vendor/hpke.mjs" not in pages and "assets/js/request/share-request.mjs" not in pages
    assert (
        "assets/js/share/share.mjs" in pages
        and "hpke" not in (built_site / "worksheets" / WORKSHEET.id / "index.html").read_text()
    )
    listed = [*pages, *runtime]
    assert not [name for name in listed if name.endswith((".map", ".br", ".gz")) or "/lunr/" in name or name.startswith(".")]
    for name, digest in {**pages, **runtime}.items():
        path = built_site / (name + "index.html" if name.endswith("/") or not name else name)
        assert hashlib.sha256(path.read_bytes()).hexdigest().startswith(digest), name


def _render_worksheet_markdown(text: str, worksheet: str = WORKSHEET.id) -> str:
    import markdown

    return markdown.markdown(
        text,
        extensions=["attr_list", "md_in_html", "site_tools.worksheet_markdown"],
        extension_configs={"site_tools.worksheet_markdown": {"worksheet": worksheet}},
    )


@pytest.mark.parametrize(
    ("markdown_text", "message"),
    [
        ("{worksheet-tols}", "unknown marker '{worksheet-tols}'; the known ones are {worksheet-section: ID}, {worksheet-status}"),
        ("{worksheet-tools: extra}", "unknown marker '{worksheet-tools: extra}'"),
        ("{worksheet-section: sings}", "{worksheet-section: sings} names no section; the sections are signs, "),
        ("\n\n".join(f"{{worksheet-section: {s.id}}}" for s in [*WORKSHEET.sections, WORKSHEET.sections[0]]), "is placed twice"),
        ("{worksheet-section: signs}", "places some of the worksheet's sections but not "),
    ],
)
def test_a_marker_the_content_cannot_fill_stops_the_build(markdown_text, message):
    from site_tools.worksheet_markdown import WorksheetMarkupError

    with pytest.raises(WorksheetMarkupError, match=re.escape(message)):
        _render_worksheet_markdown(markdown_text)


@pytest.mark.parametrize("marker", ["{worksheet-section: signs}", "{worksheet-tools}", "{worksheet-status}"])
def test_a_worksheets_marker_on_a_page_that_holds_none_stops_the_build(marker):
    from site_tools.worksheet_markdown import WorksheetMarkupError

    with pytest.raises(WorksheetMarkupError, match=re.escape(f"{marker!r} stands on a page that holds no worksheet")):
        _render_worksheet_markdown(marker, worksheet="")


def test_every_known_marker_renders():
    every_section = "\n\n".join(f"{{worksheet-section: {section.id}}}" for section in WORKSHEET.sections)
    html = _render_worksheet_markdown(every_section + "\n\n{worksheet-status}\n\n{worksheet-tools}\n\n{worksheet-share}")
    assert "{worksheet" not in html and 'id="ws-tools"' in html and 'id="ws-share"' in html


def test_the_material_templates_the_overrides_stand_on_are_the_reviewed_ones():
    from site_tools import material_overrides

    assert material_overrides.drifted() == [], "run `python -m site_tools.material_overrides` after reviewing"


def test_a_changed_material_template_is_named(tmp_path, monkeypatch):

    from site_tools import material_overrides

    copy = tmp_path / "templates"
    shutil.copytree(material_overrides.MATERIAL_TEMPLATES, copy)
    (copy / "partials" / "search.html").write_text("<div>a new search</div>")
    monkeypatch.setattr(material_overrides, "MATERIAL_TEMPLATES", copy)
    [line] = material_overrides.drifted()
    assert line.startswith("partials/search.html: Material ") and "changed it since" in line


def _literal_forms(value) -> list[str]:
    """How a module could write a fact itself: a string, or a number (with or without _ separators,
    or as a product such as 5 * 1024 * 1024)."""
    if isinstance(value, str):
        return [rf"(?<![\w.-]){re.escape(value)}(?![\w-])"]
    forms = [rf"(?<![\w.]){value}(?![\w.])", rf"(?<![\w.]){value:_}(?![\w.])"]
    if value >= 1024 and value % 1024 == 0:
        forms.append(rf"(?<![\w.]){value // 1024 // 1024} \* 1024 \* 1024|(?<![\w.]){value // 1024} \* 1024(?![\w.])")
    return forms


def test_no_module_states_a_fact_that_python_declares():
    """Each fact in facts.mjs is declared once in Python; the modules import it instead of writing it again.
    Small numbers (versions, 14) are left out: they stand for too many other things to search for."""
    from site_tools.browser_facts import facts

    modules = {path.name: path.read_text() for path in (ROOT / "docs" / "assets" / "js").rglob("*.mjs")}
    modules["sw.js"] = (ROOT / "docs" / "sw.js").read_text()
    searched = {
        name: value for name, value in facts().items() if isinstance(value, str) or (isinstance(value, int) and value >= 100)
    }
    assert {"ANSWERS_FORMAT", "MAX_DOCUMENT_BYTES", "PYODIDE_VERSION"} <= set(searched)
    found = [
        f"{module} states {name} ({value!r})"
        for name, value in searched.items()
        for module, text in modules.items()
        for form in _literal_forms(value)
        if re.search(form, text)
    ]
    assert found == []


def test_the_literal_check_finds_a_fact_written_again():
    text = 'const PREFIX = "trust-safety-worksheet/"; if (size > 5 * 1024 * 1024) load("../pyodide/314.0.7/x.mjs");'
    for value in ("trust-safety-worksheet", 5 * 1024 * 1024, "314.0.7"):
        assert any(re.search(form, text) for form in _literal_forms(value)), value


def test_a_prompt_kind_without_its_template_stops_the_build(monkeypatch):
    from site_tools import worksheet_markdown

    monkeypatch.setitem(worksheet_markdown.PROMPT_KINDS, "slider", object())
    with pytest.raises(worksheet_markdown.WorksheetMarkupError, match=r"prompt kinds without a template: \['slider'\]"):
        worksheet_markdown.check_templates(worksheet_markdown.template_environment())


def test_a_section_kind_without_its_template_stops_the_build(monkeypatch):
    from site_tools import worksheet_markdown

    monkeypatch.setitem(worksheet_markdown.SECTION_KINDS, "timeline", object())
    with pytest.raises(worksheet_markdown.WorksheetMarkupError, match=r"section kinds without a template: \['timeline'\]"):
        worksheet_markdown.check_templates(worksheet_markdown.template_environment())


def test_no_control_in_a_page_lets_the_browser_restore_it(built_site):
    """Back/Forward makes a browser fill form controls in again as they were left, before any script runs:
    typed answers, a one-time link, the parts chosen to share. Every control in a page's content says
    ``autocomplete`` (off, or a password's kind), which stops that (and the browser's suggestions of earlier
    answers); a file field is never restored."""
    from html.parser import HTMLParser

    class Controls(HTMLParser):
        def __init__(self):
            super().__init__()
            self.in_main, self.found = 0, []

        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            if tag == "main":
                self.in_main += 1
            material_toggle = "md-toggle" in (attributes.get("class") or "")  # Material's own drawers, no one's words
            if (
                self.in_main
                and tag in ("input", "textarea", "select")
                and attributes.get("type") != "file"
                and not material_toggle
            ):
                self.found.append((tag, attributes))

        def handle_endtag(self, tag):
            if tag == "main":
                self.in_main -= 1

    unguarded, controls = [], 0
    for page in built_site.rglob("index.html"):
        parser = Controls()
        parser.feed(page.read_text())
        controls += len(parser.found)
        unguarded += [
            f"{page.parent.name}: {tag} {attributes.get('id') or attributes.get('name')}"
            for tag, attributes in parser.found
            if "autocomplete" not in attributes
        ]
    assert controls > 50 and not unguarded, unguarded


def test_security_md_states_the_inbox_lock_time_that_is_declared():
    """SECURITY.md promises when a locked inbox locks again; the page does what INBOX_LOCK_AFTER_MINUTES says."""
    from site_tools.worksheet_markdown import INBOX_LOCK_AFTER_MINUTES

    stated = re.findall(r"after (\d+) minutes without use", (ROOT / "SECURITY.md").read_text())
    assert stated == [str(INBOX_LOCK_AFTER_MINUTES)]


def test_the_documents_state_how_long_answers_are_kept_as_the_store_does():
    """The privacy page and the README promise how long a request's answers stay on the server; the stores
    keep them for ANSWER_KEPT_SECONDS."""
    from sync_server.store.base import ANSWER_KEPT_SECONDS

    days = str(ANSWER_KEPT_SECONDS // 86_400)
    privacy = re.findall(r"for at most (\d+) days after it arrives", (ROOT / "docs" / "privacy.md").read_text())
    readme = re.findall(r"Each answer\s+is kept (\d+) days after it arrives", (ROOT / "README.md").read_text())
    assert privacy == [days] and readme == [days]


def test_the_therapists_view_shows_every_section_kind_and_no_other():
    """snapshot-view.mjs has one entry per kind in py_client's registry (a missing one would throw there)."""
    from py_client.section_kinds import SECTION_KINDS

    source = (ROOT / "docs" / "assets" / "js" / "core" / "snapshot-view.mjs").read_text()
    block = source[source.index("const SECTION_VIEWS = {") : source.index("\n};", source.index("const SECTION_VIEWS = {"))]
    assert set(re.findall(r"^  (\w+): ", block, re.M)) == set(SECTION_KINDS)


def test_a_template_named_alike_in_two_feature_folders_stops_the_build(tmp_path, monkeypatch):
    """Templates are found by name in any feature's folder, so one name in two folders would be ambiguous."""
    from site_tools import worksheet_markdown

    copy = tmp_path / "templates"
    shutil.copytree(worksheet_markdown.TEMPLATES, copy)
    (copy / "ask" / "status.html").write_text("another status")
    monkeypatch.setattr(worksheet_markdown, "TEMPLATES", copy)
    with pytest.raises(worksheet_markdown.WorksheetMarkupError, match=r"named alike in two feature folders: \['status.html'\]"):
        worksheet_markdown.template_environment()
