"""py_client in CPython: the answer format, migrations, validation, summaries, chart and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from py_client import answers, bridge, content, dates, exports, progress
from tests.support import worksheets
from tests.support.servers import ROOT

WORKSHEET = worksheets.trust()
SPECS = answers.field_specs(WORKSHEET)
COLUMNS = answers.session_columns(WORKSHEET)


@pytest.fixture(autouse=True)
def catalogue(monkeypatch):
    """The bridge's catalogue, as the build packs it into py_client.zip: the site's worksheets."""
    monkeypatch.setattr(content, "catalogue", lambda: {WORKSHEET.id: WORKSHEET, worksheets.FIXTURE: worksheets.fixture()})


# The functions under test, on the first worksheet.
def normalise(doc):
    return answers.normalise(doc, WORKSHEET)


def to_backup(doc):
    return answers.to_backup(doc, WORKSHEET)


def from_backup(text):
    return answers.from_backup(text, WORKSHEET)


def to_markdown(doc, **options):
    return exports.to_markdown(doc, WORKSHEET, **options)


def sessions_csv(doc):
    return exports.sessions_csv(doc, WORKSHEET)


def summarise(doc):
    return progress.summarise(doc, WORKSHEET.log)


def describe(summary):
    return progress.describe(summary, WORKSHEET.log)


def chart_svg(doc, summary):
    return progress.chart_svg(doc, summary, WORKSHEET.log)


def document(answers_map=None, sessions=None, version=answers.VERSION):
    return {
        "format": answers.FORMAT,
        "version": version,
        **({"worksheet": WORKSHEET.id} if version >= 3 else {}),
        "saved_at": "2026-03-01T10:00:00.000Z",
        "answers": answers_map or {},
        "sessions": sessions or [],
    }


def session(id_, date, trust=None, safety=None, topic=None, role=None):
    return {"id": id_, "date": date, "topic": topic, "trust": trust, "safety": safety, "therapist_role": role}


# --- strategies -----------------------------------------------------------------------------------------

text = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=300)
line = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=80)
rating = st.one_of(st.none(), st.integers(1, 10))


@st.composite
def answer_maps(draw):
    chosen = {}
    for name, spec in SPECS.items():
        if not draw(st.booleans()):
            continue
        value = {
            "check": st.just(True),
            "text": text.filter(bool),
            "line": line.filter(bool),
            "scale": st.integers(spec.low or 1, spec.high or 10),
        }[spec.kind]
        chosen[name] = draw(value)
    return chosen


@st.composite
def session_lists(draw):
    dates = draw(st.lists(st.one_of(st.none(), st.dates().filter(lambda d: 1900 <= d.year <= 2100).map(str)), max_size=12))
    rows = [
        session(
            f"s{i}",
            date,
            draw(rating),
            draw(rating),
            draw(st.one_of(st.none(), line.filter(bool))),
            draw(st.one_of(st.none(), line.filter(bool))),
        )
        for i, date in enumerate(dates)
    ]
    return rows


valid_documents = st.builds(document, answer_maps(), session_lists())


# --- properties -----------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(valid_documents)
def test_any_valid_answers_survive_export_then_import_unchanged(doc):
    normalised = normalise(doc)
    assert from_backup(to_backup(normalised)) == normalised
    assert normalise(normalised) == normalised  # normalising is idempotent


@settings(max_examples=100, deadline=None)
@given(valid_documents)
def test_version_1_documents_migrate_to_the_same_answers(doc):
    old = {
        "format": answers.FORMAT,
        "version": 1,
        "saved_at": doc["saved_at"],
        "fields": doc["answers"],
        "log": [
            {**{k: v for k, v in row.items() if k != "therapist_role"}, "role": row["therapist_role"]} for row in doc["sessions"]
        ],
    }
    assert normalise(old) == normalise(doc)


@settings(max_examples=100, deadline=None)
@given(
    valid_documents,
    st.sampled_from(sorted(n for n, s in SPECS.items() if s.kind == "scale")),
    st.one_of(
        st.integers().filter(lambda n: not 1 <= n <= 10),
        st.text(max_size=5).filter(lambda t: t.strip() not in {str(n) for n in range(1, 11)} | {""}),
    ),
)
def test_out_of_range_ratings_are_rejected_with_a_specific_message(doc, name, bad):
    doc["answers"][name] = bad
    with pytest.raises(answers.AnswersError) as caught:
        normalise(doc)
    assert any(SPECS[name].label in problem and "whole number from 1 to 10" in problem for problem in caught.value.problems)


# --- examples -------------------------------------------------------------------------------------------


def test_ratings_typed_as_text_become_numbers_and_empty_answers_are_dropped():
    doc = normalise(document({"exercise.helpfulness": "7", "reflections.trust-meaning": "", "signs.minimal-engagement": False}))
    assert doc["answers"] == {"exercise.helpfulness": 7}


def test_text_is_kept_exactly_as_typed_apart_from_line_endings():
    typed = "  Being heard.\r\n\r\nNot being rushed <b>really</b>  "
    doc = normalise(document({"reflections.trust-meaning": typed}))
    assert doc["answers"]["reflections.trust-meaning"] == "  Being heard.\n\nNot being rushed <b>really</b>  "


def test_sessions_are_ordered_by_date_with_undated_rows_last():
    doc = normalise(document(sessions=[session("c", None), session("b", "2026-02-01"), session("a", "2026-01-15")]))
    assert [row["id"] for row in doc["sessions"]] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"sessions": [session("a", "2026-02-30")]}, "must be a date written as YYYY-MM-DD"),
        ({"sessions": [session("a", "2026-W01-1")]}, "must be a date written as YYYY-MM-DD"),
        ({"sessions": [session("a", "1850-01-01")]}, "must be between 1900-01-01 and 2100-12-31"),
        ({"sessions": [session("a b", "2026-01-01")]}, "has no valid identifier"),
        ({"sessions": [{**session("a", "2026-01-01"), "mood": 3}]}, "unknown columns: mood"),
        ({"sessions": "none"}, "The session log is not a list"),
        ({"answers": {"reflections.nope": "x"}}, "Unknown question 'reflections.nope'"),
        ({"answers": {"signs.minimal-engagement": "yes"}}, "must be checked or unchecked"),
        ({"answers": {"reflections.trust-meaning": "x" * 10_001}}, "the limit is 10,000"),
        ({"answers": {"reflections.relationship-needs.1": "x" * 501}}, "the limit is 500"),
        ({"answers": {"reflections.trust-meaning": 5}}, "must be text"),
        ({"saved_at": "yesterday"}, "not a valid date and time"),
    ],
)
def test_invalid_input_is_rejected_with_a_specific_message(bad, message):
    with pytest.raises(answers.AnswersError) as caught:
        normalise({**document(), **bad})
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON (line 1, column 2)"),
        ('{"format": "trust-safety-worksheet", "version": 2, "answers": {}, "sessions": [', "not valid JSON"),
        ('{"hello": 1}', "This is not a worksheet backup"),
        ("[1, 2]", "not a JSON object"),
        ('{"format": "trust-safety-worksheet", "version": 99}', "saved by a newer version"),
        ('{"format": "trust-safety-worksheet", "version": "2"}', "no valid version number"),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_bad_backup_files_get_clear_messages(text, message):
    with pytest.raises(answers.AnswersError) as caught:
        from_backup(text)
    assert message in caught.value.problems[0]


def test_huge_backup_is_refused_before_parsing():
    with pytest.raises(answers.AnswersError, match="larger than 5 MB"):
        from_backup(" " * (answers.MAX_DOCUMENT_BYTES + 1))


def test_summary_reports_counts_dates_averages_and_trends():
    doc = normalise(
        document(
            sessions=[
                session("a", "2026-01-05", 3, 8),
                session("b", "2026-01-12", 5, 8),
                session("c", "2026-01-19", 8, 7),
                session("d", None, 1, 1),
            ]
        )
    )
    summary = summarise(doc)
    assert summary["sessions"] == 4
    assert (summary["first_date"], summary["latest_date"]) == ("2026-01-05", "2026-01-19")
    assert summary["ratings"]["trust"] == {
        "count": 3,
        "average": 5.3,
        "first": 3,
        "latest": 8,
        "lowest": 3,
        "highest": 8,
        "trend": "rising",
    }
    assert summary["ratings"]["safety"]["trend"] == "falling" and summary["ratings"]["safety"]["average"] == 7.7
    assert "4 sessions logged, from 5 January 2026 to 19 January 2026" in describe(summary)


def test_sessions_all_on_one_day_are_said_to_be_on_it():
    doc = normalise(document(sessions=[session("a", "2026-12-02", 4, 5), session("b", "2026-12-02", 6, 6)]))
    assert "2 sessions logged, on 2 December 2026." in describe(summarise(doc))


def test_steady_ratings_have_a_steady_trend():
    doc = normalise(document(sessions=[session(f"s{i}", f"2026-01-{i + 1:02d}", 6, 6) for i in range(5)]))
    assert summarise(doc)["ratings"]["trust"]["trend"] == "steady"


def test_chart_is_accessible_svg_with_one_marker_per_rating():
    doc = normalise(document(sessions=[session("a", "2026-01-05", 3, 8), session("b", "2026-01-12", 5, None)]))
    svg = chart_svg(doc, summarise(doc))
    tree = ElementTree.fromstring(svg)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert tree.get("role") == "img"
    assert tree.find("svg:title", ns).text == "Trust and safety over your sessions"
    assert "Trust: average 4 out of 10" in tree.find("svg:desc", ns).text
    assert len(tree.findall(".//svg:circle", ns)) == 2 and len(tree.findall(".//svg:rect", ns)) == 1


def test_markdown_export_follows_the_worksheet_and_holds_every_answer():
    doc = normalise(
        document(
            {
                "signs.limited-disclosure": True,
                "reflections.trust-meaning": "Being heard\nand believed",
                "reflections.relationship-needs.2": "Honesty",
                "exercise.helpfulness": 8,
            },
            [session("a", "2026-01-05", 3, 8, "Work | stress", "Slow down")],
        )
    )
    markdown = to_markdown(doc)
    for section in WORKSHEET.sections:
        assert f"## {section.title}" in markdown
    assert "- [x] **Limited Disclosure.**" in markdown and "- [ ] **Minimal Engagement.**" in markdown
    assert "> Being heard\n> and believed" in markdown
    assert "2. Honesty" in markdown and "8 out of 10" in markdown
    assert "| 5 Jan 2026 | Work \\| stress | 3 | 8 | Slow down |" in markdown


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[a link](javascript:alert(1))",
    "![an image](https://tracker.example/pixel.png)",
    "<https://elsewhere.example>",
    "<a href='javascript:alert(1)'>click</a>",
    "*not emphasis* `not code` AT&T 3 < 4 \\ done",
]
# Markdown's own structure, which an answer may take on (a line starting "- " is a list) but nothing that
# loads, links, runs or carries attributes.
HARMLESS_TAGS = {
    "h1",
    "h2",
    "h3",
    "p",
    "em",
    "strong",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "pre",
    "code",
    "hr",
    "br",
}


class RenderedMarkdown(HTMLParser):
    """What a Markdown viewer would show: its elements (with any attributes) and its text."""

    def __init__(self, markdown_text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list]] = []
        self.text: list[str] = []
        self.feed(markdown.markdown(markdown_text, extensions=["tables"]))

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_answers_export_as_their_own_text_and_never_as_markup():
    """Both exports that leave the browser as Markdown (the person's, and the therapist's from a share) come
    from to_markdown; opened in a Markdown viewer, an answer is shown as typed, never run or followed."""
    texts = {
        f"{section.id}.{prompt.id}": hostile
        for (section, prompt), hostile in zip(
            [(s, p) for s in WORKSHEET.sections for p in s.prompts if p.kind == "text"], HOSTILE, strict=False
        )
    }
    lists = {
        f"{section.id}.{prompt.id}.1": HOSTILE[0]
        for section in WORKSHEET.sections
        for prompt in section.prompts
        if prompt.kind == "list"
    }
    doc = normalise(document({**texts, **lists}, [session("a", "2026-01-05", 3, 8, HOSTILE[1], HOSTILE[2])]))
    rendered = RenderedMarkdown(to_markdown(doc))
    assert {tag for tag, _ in rendered.elements} <= HARMLESS_TAGS
    assert all(not attributes for _, attributes in rendered.elements)
    shown = "".join(rendered.text)
    for hostile in [*texts.values(), *HOSTILE[:3]]:
        assert hostile in shown, hostile
    assert "javascript:" not in "".join(str(attributes) for _, attributes in rendered.elements)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("<>&[]()!*_`#|\\-+=:/ .\naj"), max_size=60))
def test_no_answer_becomes_an_element_that_loads_links_or_runs(answer):
    doc = normalise(
        document({"reflections.trust-meaning": answer}, [session("a", "2026-01-05", topic=answer.replace("\n", " "))])
    )
    rendered = RenderedMarkdown(to_markdown(doc))
    assert {tag for tag, _ in rendered.elements} <= HARMLESS_TAGS
    assert all(not attributes for _, attributes in rendered.elements)


def test_csv_export_has_one_row_per_session_and_defuses_formulas():
    doc = normalise(document(sessions=[session("a", "2026-01-05", 3, 8, '=HYPERLINK("x")', "-listen more")]))
    rows = list(csv.reader(io.StringIO(sessions_csv(doc))))
    assert rows[0] == [column.label for column in COLUMNS]
    assert rows[1] == ["2026-01-05", '\'=HYPERLINK("x")', "3", "8", "'-listen more"]


def test_bridge_answers_json_and_reports_problems_instead_of_raising():
    ok = json.loads(bridge.call("view", json.dumps({"document": document({"exercise.helpfulness": "4"})})))
    assert ok["ok"]["document"]["answers"] == {"exercise.helpfulness": 4}
    bad = json.loads(bridge.call("import", json.dumps({"text": "nope", "worksheet": WORKSHEET.id})))
    assert bad["error"][0].startswith("This file is not a readable backup")


def call(operation, payload):
    return json.loads(bridge.call(operation, json.dumps(payload)))


def test_each_document_names_its_worksheet_and_older_ones_are_the_first_worksheets():
    version_2 = document({"exercise.helpfulness": 4}, version=2)
    assert normalise(version_2)["worksheet"] == WORKSHEET.id
    assert call("view", {"document": version_2})["ok"]["document"]["worksheet"] == WORKSHEET.id
    other = {**document(), "worksheet": worksheets.FIXTURE}
    with pytest.raises(answers.AnswersError, match="another worksheet .'every-kind'., not to “Building Trust"):
        normalise(other)
    assert call("view", {"document": {**document(), "worksheet": "gone"}})["error"] == [
        "These answers are to a worksheet this site does not have ('gone')."
    ]


def test_a_backup_restores_only_on_its_own_worksheets_page_and_says_which_it_is():
    backup = to_backup(normalise(document({"reflections.trust-meaning": "Heard"})))
    assert call("import", {"text": backup, "worksheet": WORKSHEET.id})["ok"]["document"]["answers"] == {
        "reflections.trust-meaning": "Heard"
    }
    refused = call("import", {"text": backup, "worksheet": worksheets.FIXTURE})["error"]
    assert refused == [
        "This backup holds answers to “Building Trust and Safety in Therapy”, not to “Every Kind Fixture”: "
        "open that worksheet to restore it."
    ]


def test_every_operation_serves_any_worksheet_of_the_catalogue():
    """The fixture (every kind, three ratings, a scale from 0) through the bridge, as its page and the therapist's would."""
    fixture = worksheets.fixture()
    doc = {
        "format": answers.FORMAT,
        "version": answers.VERSION,
        "worksheet": fixture.id,
        "saved_at": None,
        "answers": {"ticks.first-tick": True, "questions.free": "Words", "questions.lines.2": "Second", "questions.mood": "0"},
        "sessions": [
            {"id": "a", "day": "2026-01-05", "place": "Home", "energy": 2, "calm": 5, "focus": None, "notes": "x"},
            {"id": "b", "day": "2026-01-12", "place": None, "energy": 4, "calm": "3", "focus": 1, "notes": None},
        ],
    }
    view = call("view", {"document": doc})["ok"]
    assert view["document"]["answers"]["questions.mood"] == 0  # a rating of 0 is an answer, not an empty one
    assert view["summary"]["ratings"]["energy"]["trend"] == "rising" and view["summary"]["ratings"]["calm"]["latest"] == 3
    assert "Energy: average 3 out of 5" in view["description"] and "Focus: average 1 out of 5" in view["description"]
    chart = ElementTree.fromstring(view["chart"])
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert chart.find("svg:title", ns).text == "Energy, calm and focus over your days"
    assert len(chart.findall("svg:polygon[@class='marker series-3']", ns)) == 1  # focus: one rating, as a triangle
    assert [text.text for text in chart.findall("svg:text[@class='legend']", ns)] == ["Energy", "Calm", "Focus"]
    made = call("exports", {"document": doc, "utc_offset_minutes": 0})["ok"]
    assert made["markdown"].startswith("# Every Kind Fixture\n")
    assert "- [x] **First tick.** The first statement of the fixture." in made["markdown"]
    assert "### A rating from zero to five?\n\n0 out of 5\n" in made["markdown"]
    assert made["csv"].splitlines()[0] == "Day,Place,Energy (1-5),Calm (1-5),Focus (1-5),Notes"
    snapshot = call("snapshot", {"document": doc, "sections": ["diary", "ticks"], "created_at": "2026-01-13T10:00:00Z"})["ok"]
    opened = call("open_snapshot", {"text": snapshot["snapshot"], "utc_offset_minutes": 0})["ok"]
    assert opened["worksheet"] == {"id": fixture.id, "title": "Every Kind Fixture"}
    assert [section["id"] for section in opened["sections"]] == ["ticks", "diary"] and opened["chart"]


def test_a_worksheet_without_a_log_has_no_sessions_chart_or_csv(monkeypatch):
    from py_client.content import worksheet_from_data

    plain = worksheet_from_data(
        "plain", "Plain", {"sections": [{"id": "q", "title": "Q", "kind": "prompts", "prompts": [{"id": "a", "label": "A?"}]}]}
    )
    monkeypatch.setattr(content, "catalogue", lambda: {"plain": plain})
    doc = {
        "format": answers.FORMAT,
        "version": answers.VERSION,
        "worksheet": "plain",
        "saved_at": None,
        "answers": {"q.a": "Yes"},
        "sessions": [],
    }
    view = call("view", {"document": doc})["ok"]
    assert view["chart"] is None and view["summary"]["ratings"] == {}
    assert call("exports", {"document": doc, "utc_offset_minutes": 0})["ok"]["csv"] is None
    assert call("view", {"document": {**doc, "sessions": [{"id": "s"}]}})["error"] == [
        "This worksheet has no session log, but the answers hold sessions."
    ]


def test_a_snapshot_names_its_worksheet_and_one_shared_before_there_were_several_still_opens():
    snapshot = json.loads(
        call(
            "snapshot",
            {"document": document({"exercise.surprise": "Yes"}), "sections": ["exercise"], "created_at": "2026-01-13T10:00:00Z"},
        )["ok"]["snapshot"]
    )
    assert snapshot["worksheet"] == WORKSHEET.id and snapshot["version"] == 2
    version_1 = {**snapshot, "version": 1, "document": {**document({"exercise.surprise": "Yes"}, version=2)}}
    del version_1["worksheet"]
    opened = call("open_snapshot", {"text": json.dumps(version_1), "utc_offset_minutes": 0})["ok"]
    assert opened["worksheet"]["id"] == WORKSHEET.id and opened["sections"][0]["prompts"][0]["answer"] == "Yes"
    unknown = call("open_snapshot", {"text": json.dumps({**snapshot, "worksheet": "removed-one"}), "utc_offset_minutes": 0})
    assert unknown["error"] == [
        "These answers are to a worksheet this site does not have ('removed-one'); it may have been removed."
    ]


def test_a_kind_py_client_does_not_know_fails_at_once():
    """The schema names the same kinds as the registries; a catalogue whose kinds drifted apart stops at load."""
    from py_client.content import worksheet_from_data

    for section in (
        {"id": "x", "title": "A part", "kind": "timeline"},
        {"id": "x", "title": "A part", "kind": "prompts", "prompts": [{"id": "p", "label": "A question", "kind": "slider"}]},
    ):
        with pytest.raises(ValueError, match="a kind py_client does not know"):
            worksheet_from_data("w", "W", {"sections": [section]})


def test_every_prompt_kind_gives_fields_a_view_and_markdown():
    """The registry is what validation, the therapist's view and the export share: each kind does all three."""
    from py_client.exports import as_text
    from py_client.prompt_kinds import PROMPT_KINDS, field_name

    for section in WORKSHEET.sections:
        for prompt in section.prompts:
            kind = PROMPT_KINDS[prompt.kind]
            name = field_name(section.id, prompt.id)
            fields = kind.fields(name, prompt)
            given = {spec.name: 3 if spec.kind == "scale" else "an answer" for spec in fields}
            shown = kind.shown(name, prompt, given)
            assert "an answer" in str(shown) or "3 out of" in str(shown)
            assert kind.markdown(shown, as_text) != kind.markdown(kind.shown(name, prompt, {}), as_text)


@pytest.mark.parametrize(
    ("offset", "day"), [(-300, "1 December 2026"), (0, "2 December 2026"), (60, "2 December 2026"), (-600, "1 December 2026")]
)
def test_the_saved_on_date_is_the_readers_own(offset, day):
    """Saved at 04:56 UTC on 2 December: still the 1st in New York (UTC-5) and Hawaii (UTC-10)."""
    doc = normalise(document({"reflections.trust-meaning": "x"}, []))
    doc["saved_at"] = "2026-12-02T04:56:00Z"
    assert f"_Answers as saved on {day}._" in to_markdown(doc, utc_offset_minutes=offset)


def test_python_and_the_browser_write_a_date_the_same_way():
    """py_client/dates.py and format.mjs are the site's two hands for dates: every month, both lengths, agree."""
    days = [dt.date(2026, month, day) for month in range(1, 13) for day in (1, 9, 28)] + [dt.date(1999, 12, 31)]
    script = (
        f"import({json.dumps((ROOT / 'docs/assets/js/core/format.mjs').as_uri())}).then((format) => console.log(JSON.stringify("
        f"{json.dumps([d.isoformat() for d in days])}.map((day) => [format.formatLongDate(day), format.formatShortDate(day)]))))"
    )
    written = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout)
    assert written == [[dates.long_date(day), dates.short_date(day)] for day in days]
    # A hand-edited date that is no date is shown as written, not thrown on (the page would never start).
    script = script.replace(json.dumps([d.isoformat() for d in days]), json.dumps(["2026-13-40"]))
    written = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout)
    assert written == [["2026-13-40", "2026-13-40"]]
