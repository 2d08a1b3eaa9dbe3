"""Worksheets' content files: each kind of mistake stops the build, named with its file, line and what would do;
a good file becomes the worksheet py_client serves; the limits are the schema's, and the browser gets them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from py_client.content import catalogue_from_json
from site_tools import worksheet_content, worksheet_schema
from site_tools.worksheet_content import ContentError
from tests.support import worksheets
from tests.support.servers import ROOT

GOOD = """\
---
title: A Small Worksheet
description: One of each section kind.
worksheet:
  sections:
    - id: ticks
      title: Ticks
      kind: checklist
      intro: Tick what applies.
      items:
        - id: one
          label: One
          explanation: The first.
    - id: questions
      title: Questions
      kind: prompts
      prompts:
        - id: free
          label: A question?
        - id: rate
          kind: scale
          label: A rating?
          scale: {low: 1, high: 5, anchors: [[1, low], [5, high]]}
    - id: log
      title: Log
      kind: log
      chart_title: Mood over time
      columns:
        - {id: date, label: Date, kind: date}
        - {id: mood, label: Mood, kind: scale, series: Mood, scale: {low: 1, high: 5}}
---

Some text.

{worksheet-section: ticks}

{worksheet-section: questions}

{worksheet-section: log}
"""


def problems_of(tmp_path, text: str, name: str = "small.md") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ContentError) as raised:
        worksheet_content.read(path)
    return [problem.replace(os.path.relpath(path, ROOT), name) for problem in raised.value.problems]


def line_of(text: str, snippet: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if snippet in line)


def test_a_good_file_becomes_the_worksheet_py_client_serves(tmp_path):
    path = tmp_path / "small.md"
    path.write_text(GOOD)
    read = worksheet_content.read(path)
    assert read.worksheet.id == "small" and read.worksheet.title == "A Small Worksheet"
    assert [section.kind for section in read.worksheet.sections] == ["checklist", "prompts", "log"]
    assert read.worksheet.section("questions").prompts[1].hint == "1 = low, 5 = high"  # a scale's anchors, when no hint


@pytest.mark.parametrize(
    ("change", "snippet", "message"),
    [
        (
            ("    - id: ticks\n      title: Ticks\n", "    - id: ticks\n"),
            "- id: ticks",
            "worksheet.sections[0] needs 'title' (the section's heading)",
        ),
        (
            ("      intro: Tick what applies.\n", "      intro: Tick what applies.\n      colour: red\n"),
            "colour: red",
            "worksheet.sections[0].colour is not a key this part knows; the keys here are id, title, kind, intro, items",
        ),
        (
            ("      kind: checklist", "      kind: checkbox"),
            "kind: checkbox",
            "worksheet.sections[0].kind is 'checkbox'; use 'checklist' or 'prompts' or 'log'",
        ),
        (
            ("          kind: scale\n          label: A rating?", "          kind: slider\n          label: A rating?"),
            "kind: slider",
            "worksheet.sections[1].prompts[1].kind is 'slider'; use 'text' or 'list' or 'scale'",
        ),
        (
            (
                "        - id: free\n          label: A question?",
                "        - id: free\n          kind: list\n          label: A question?",
            ),
            "- id: free",
            "worksheet.sections[1].prompts[0] needs 'lines' (a list's number of lines)",
        ),
        (
            ("          label: A question?", "          label: A question?\n          lines: 3"),
            "lines: 3",
            "worksheet.sections[1].prompts[0].lines does not belong here; take it out",
        ),
        (
            ("          label: One\n", f"          label: {'x' * 301}\n"),
            "x" * 301,
            "worksheet.sections[0].items[0].label is 301 characters long; at most 300 will do",
        ),
        (
            ("        - id: one", "        - id: One Tick"),
            "id: One Tick",
            "worksheet.sections[0].items[0].id is 'One Tick'; it must be lower-case letters, digits, '-' and '_', starting with a letter or digit",
        ),
        (
            ("{low: 1, high: 5, anchors", "{low: 1, high: 50, anchors"),
            "high: 50",
            "worksheet.sections[1].prompts[1].scale.high: 50 is greater than the maximum of 10",
        ),
        (
            ("        - {id: date, label: Date, kind: date}\n", ""),
            "columns:",
            "worksheet.sections[2].columns has 1 entries; at least 2 will do (the date first, then the session's other fields)",
        ),
        (
            ("        - {id: date, label: Date, kind: date}", "        - {id: date, label: Date, kind: line}"),
            "kind: line",
            "worksheet.sections[2].columns[0].kind is 'line'; use 'date' (a log's first column is its date)",
        ),
        (
            (", series: Mood, scale", ", scale"),
            "- {id: mood",
            "worksheet.sections[2].columns[1] needs 'series' (the rating's short name in the chart and summary)",
        ),
        (
            ("      chart_title: Mood over time\n", ""),
            "- id: log",
            "worksheet.sections[2] needs 'chart_title' (the chart's title, read by screen readers)",
        ),
        (
            ("description: One of each section kind.\n", ""),
            "title: A Small",
            "the front matter needs 'description' (one sentence for the list of worksheets and search engines)",
        ),
    ],
)
def test_each_schema_mistake_is_named_with_its_line_and_what_would_do(tmp_path, change, snippet, message):
    text = GOOD.replace(*change)
    assert text != GOOD
    problems = problems_of(tmp_path, text)
    assert any(problem.startswith(f"small.md:{line_of(text, snippet)}: {message}") for problem in problems), problems


def test_a_second_log_is_refused(tmp_path):
    second = "    - id: log2\n      title: Log 2\n      kind: log\n      columns:\n        - {id: date, label: Date, kind: date}\n        - {id: a, label: A, kind: line}\n---"
    text = GOOD.replace("---\n\nSome text", second + "\n\nSome text", 1).replace(
        "{worksheet-section: log}", "{worksheet-section: log}\n\n{worksheet-section: log2}"
    )
    [problem] = problems_of(tmp_path, text)
    assert (
        problem.startswith(f"small.md:{line_of(text, 'sections:')}: worksheet.sections: ")
        and "at most one session log" in problem
    )


@pytest.mark.parametrize(
    ("change", "snippet", "message"),
    [
        (("        - id: free", "        - id: rate"), "- id: rate", "the id 'rate' is used twice here; give each its own"),
        (
            ("[[1, low], [5, high]]", "[[0, low], [5, high]]"),
            "[0, low]",
            "the anchor 0 is outside the scale (1 to 5); use a point on it",
        ),
        (
            ("{worksheet-section: log}", "{worksheet-section: logs}"),
            "{worksheet-section: logs}",
            "'{worksheet-section: logs}' names no section; the sections are ticks, questions, log",
        ),
        (
            ("{worksheet-section: log}", "{worksheet-section: ticks}"),
            "{worksheet-section: ticks}",
            "'{worksheet-section: ticks}' places that section a second time; place each once",
        ),
        (
            ("Some text.", "Some text.\n\n{worksheet-tools}"),
            "{worksheet-tools}",
            "'{worksheet-tools}' is not a marker a worksheet places",
        ),
        (("Some text.", "Some text.\n\n{worksheet-section}"), "{worksheet-section}", "'{worksheet-section}' names no section"),
    ],
)
def test_each_mistake_the_schema_cannot_see_is_named_too(tmp_path, change, snippet, message):
    text = GOOD.replace(*change)
    problems = problems_of(tmp_path, text)
    # Where a name is used twice, the second use is the mistake.
    line = max(number for number, written in enumerate(text.splitlines(), start=1) if snippet in written)
    assert any(problem.startswith(f"small.md:{line}: ") and message in problem for problem in problems), problems


def test_sections_placed_in_part_are_refused_and_none_placed_is_fine(tmp_path):
    partly = GOOD.replace("{worksheet-section: log}\n", "")
    [problem] = problems_of(tmp_path, partly)
    assert "the body places some sections but not log; place every one, or none" in problem
    none = GOOD.split("Some text.")[0] + "Some text.\n"
    path = tmp_path / "none.md"
    path.write_text(none)
    assert worksheet_content.read(path).worksheet.id == "none"


def test_files_that_are_no_worksheet_are_named(tmp_path):
    assert problems_of(tmp_path, GOOD, "My Worksheet.md") == [
        "My Worksheet.md:1: the file's name is the worksheet's id and address; use lower-case words joined by '-', "
        "at most 60 characters (such as my-worksheet.md)"
    ]
    assert problems_of(tmp_path, "# Just Markdown\n") == [
        "small.md:1: a worksheet starts with its front matter between two '---' lines"
    ]
    broken = GOOD.replace("title: Ticks", "title: [Ticks")
    [problem] = problems_of(tmp_path, broken)
    assert problem.startswith("small.md:") and "the front matter is not valid YAML" in problem


def test_too_many_fields_are_refused(tmp_path):
    lines = "\n".join(f"        - {{id: p{n}, kind: list, label: Q{n}, lines: 10}}" for n in range(31))
    text = GOOD.replace("        - id: free\n          label: A question?\n", lines + "\n")
    [problem] = problems_of(tmp_path, text)
    assert problem.endswith(f"the worksheet has 312 answer fields; at most {worksheet_schema.LIMITS['fields']} will do")


def test_two_files_of_one_name_and_a_missing_extra_folder_stop_the_build(tmp_path, monkeypatch):
    (tmp_path / "building-trust-and-safety.md").write_text(GOOD)
    monkeypatch.setenv(worksheet_content.ALSO_SETTING, str(tmp_path))
    worksheet_content.catalogue.cache_clear()
    try:
        with pytest.raises(ContentError, match="a worksheet named 'building-trust-and-safety' is already in docs/worksheets/"):
            worksheet_content.catalogue()
        monkeypatch.setenv(worksheet_content.ALSO_SETTING, "no/such/folder")
        with pytest.raises(ContentError, match="WORKSHEETS_ALSO=no/such/folder: there is no such folder"):
            worksheet_content.catalogue()
    finally:
        worksheet_content.catalogue.cache_clear()


def test_a_mistake_stops_the_real_build_with_its_message(tmp_path):
    """The whole build, as the README runs it, with a broken worksheet beside the site's own."""
    (tmp_path / "broken.md").write_text(GOOD.replace("      kind: checklist", "      kind: checkbox"))
    env = dict(os.environ, **{worksheet_content.ALSO_SETTING: str(tmp_path)})
    ran = subprocess.run(
        [sys.executable, "-m", "site_tools.build", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ran.returncode != 0
    broken = os.path.relpath(tmp_path / "broken.md", ROOT)
    assert f"{broken}:{line_of(GOOD, 'kind: checklist')}: worksheet.sections[0].kind is 'checkbox'" in ran.stdout + ran.stderr
    assert not (tmp_path / "site" / "index.html").exists()


def test_the_site_publishes_its_own_worksheets_and_the_fixture_only_where_asked(built_site):
    """The catalogue in py_client.zip is the content files' (the tests' build adds the fixture); the product's
    build, without WORKSHEETS_ALSO, has only the site's own worksheets."""
    import zipfile

    with zipfile.ZipFile(built_site / "py" / "py_client.zip") as bundle:
        packed = catalogue_from_json(bundle.read("py_client/worksheets.json"))
    assert packed[worksheets.TRUST_ID] == worksheets.trust()
    own = [path.stem for path in sorted(worksheet_content.FOLDER.glob("*.md")) if path.name != worksheet_content.LIST_PAGE]
    expected = set(own) | ({worksheets.FIXTURE} if os.environ.get(worksheet_content.ALSO_SETTING) else set())
    assert set(packed) == expected
    assert worksheets.FIXTURE not in own  # the fixture is never among the published files


def test_the_limits_are_declared_once_and_handed_to_the_browser(built_site):
    facts = (built_site / "assets" / "js" / "core" / "facts.mjs").read_text()
    assert f"export const WORKSHEET_LIMITS = {json.dumps(worksheet_schema.LIMITS)};" in facts
    schema = json.dumps(worksheet_schema.SCHEMA)
    for name in ("sections", "entries_per_section", "list_lines", "log_columns", "log_series", "label_length"):
        assert f": {worksheet_schema.LIMITS[name]}" in schema, name


def test_the_authoring_guide_states_the_schemas_limits():
    """The README's guide says the limits in words; it must say the schema's."""
    readme = (ROOT / "README.md").read_text()
    limits = readme.split("- **Limits**, declared once", 1)[1].split("- **Preview.**", 1)[0]
    said = " ".join(limits.split())
    expected = worksheet_schema.LIMITS
    for phrase in (
        f"up to {expected['sections']} sections",
        f"{expected['entries_per_section']} items or prompts in a section",
        f"{expected['fields']} answer fields in all",
        f"{expected['list_lines']} lines in a list",
        f"{expected['log_columns']} log columns with {expected['log_series']} series",
        f"a title {expected['title_length']} characters",
        f"a label {expected['label_length']}",
        f"a hint or explanation {expected['hint_length']}",
        f"an intro {expected['intro_length']:,}",
        f"an id {expected['id_length']}",
    ):
        assert phrase in said, phrase
    assert expected["hint_length"] == expected["explanation_length"] and expected["id_length"] == expected["worksheet_id_length"]


def test_yaml_aliases_and_keys_given_twice_are_refused(tmp_path):
    aliased = GOOD.replace("        - id: one\n", "        - &first\n          id: one\n").replace(
        "    - id: questions\n",
        "    - id: copied\n      title: Copied\n      kind: checklist\n      intro: Again.\n      items: [*first]\n    - id: questions\n",
    )
    [problem] = problems_of(tmp_path, aliased)
    assert problem.startswith(
        f"small.md:{line_of(aliased, 'items: [*first]')}: worksheet.sections[1].items[0] repeats another part"
    )
    twice = GOOD.replace("      title: Ticks\n", "      title: Ticks\n      title: Ticks again\n")
    assert problems_of(tmp_path, twice) == [
        f"small.md:{line_of(twice, 'Ticks again')}: worksheet.sections[0].title is given twice; keep one"
    ]


def test_a_title_or_description_with_markup_shows_as_written():
    import markdown

    from site_tools.worksheet_pages import literal

    written = "Trust {#x} [Draft](y) *a* <b>bold</b> & `c` #1 - 2. !"
    html = markdown.markdown(literal(written), extensions=["attr_list"])
    assert html == "<p>Trust {#x} [Draft](y) *a* &lt;b&gt;bold&lt;/b&gt; &amp; `c` #1 - 2. !</p>"
