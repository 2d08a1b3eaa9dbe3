"""The worksheets' content, as data: what each section, prompt and log column is called and holds.

Each worksheet is written once, in its content file (``docs/worksheets/<id>.md``, described in the README).
The build checks every file against its schema (``site_tools.worksheet_schema``) and hands the checked
data to this package as ``worksheets.json`` inside ``py_client.zip``; the page's form, validation,
exports and the therapist's view all read these definitions, so a prompt is worded in exactly one place.
Nothing here checks the data again: a file the schema refuses never reaches the browser.
"""

from __future__ import annotations

import functools
import json
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field

from .prompt_kinds import PROMPT_KINDS
from .section_kinds import SECTION_KINDS

# The catalogue the build writes into the package (site_tools.build.publish_py_client).
CATALOGUE_FILE = "worksheets.json"


@dataclass(frozen=True)
class Scale:
    """A whole-number rating with the meaning of some of its points."""

    low: int
    high: int
    anchors: tuple[tuple[int, str], ...] = ()

    def describe(self) -> str:
        """The anchors as one sentence, for labels and exports: '1 = ..., 10 = ...'."""
        return ", ".join(f"{point} = {meaning}" for point, meaning in self.anchors)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    label: str
    explanation: str


@dataclass(frozen=True)
class Prompt:
    """One answerable question. ``kind`` names its entry in ``prompt_kinds.PROMPT_KINDS``: 'text' (free
    text), 'list' (``lines`` short lines) or 'scale'. A scale's hint, when the file gives none, is its
    anchors in words."""

    id: str
    label: str
    hint: str = ""
    kind: str = "text"
    lines: int = 0
    scale: Scale | None = None
    # Where the source lost part of this prompt, a plain word to the reader about what is restored.
    source_note: str = ""


@dataclass(frozen=True)
class Column:
    """One column of the session log. ``kind`` is 'date' (the log's first column, always), 'line' (a short
    line), 'text' (a few lines) or 'scale'; a scale column is a series of the chart, named ``series``."""

    id: str
    label: str
    kind: str
    hint: str = ""
    scale: Scale | None = None
    series: str = ""


@dataclass(frozen=True)
class Section:
    """A part of the worksheet. ``kind`` names its entry in ``section_kinds.SECTION_KINDS``: 'checklist',
    'prompts' or 'log'."""

    id: str
    title: str
    kind: str
    intro: str = ""
    items: tuple[ChecklistItem, ...] = ()
    prompts: tuple[Prompt, ...] = ()
    columns: tuple[Column, ...] = ()
    chart_title: str = ""

    @property
    def series(self) -> tuple[Column, ...]:
        """The log's rated columns, drawn as the chart's lines."""
        return tuple(column for column in self.columns if column.kind == "scale")


@dataclass(frozen=True)
class Worksheet:
    id: str
    title: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    @property
    def log(self) -> Section | None:
        """The section that holds the session log, if the worksheet has one (at most one: the schema)."""
        return next((section for section in self.sections if SECTION_KINDS[section.kind].holds_sessions), None)


def _scale(data: Mapping | None) -> Scale | None:
    if data is None:
        return None
    return Scale(data["low"], data["high"], tuple((point, meaning) for point, meaning in data.get("anchors", ())))


def _hint(data: Mapping, scale: Scale | None) -> str:
    return data.get("hint") or (scale.describe() if scale else "")


def _prompt(data: Mapping) -> Prompt:
    scale = _scale(data.get("scale"))
    return Prompt(
        data["id"],
        data["label"],
        _hint(data, scale),
        data.get("kind", "text"),
        data.get("lines", 0),
        scale,
        data.get("source_note", ""),
    )


def _column(data: Mapping) -> Column:
    scale = _scale(data.get("scale"))
    return Column(data["id"], data["label"], data["kind"], _hint(data, scale), scale, data.get("series", ""))


def _section(data: Mapping) -> Section:
    return Section(
        id=data["id"],
        title=data["title"],
        kind=data["kind"],
        intro=data.get("intro", ""),
        items=tuple(ChecklistItem(item["id"], item["label"], item["explanation"]) for item in data.get("items", ())),
        prompts=tuple(_prompt(prompt) for prompt in data.get("prompts", ())),
        columns=tuple(_column(column) for column in data.get("columns", ())),
        chart_title=data.get("chart_title", ""),
    )


def worksheet_from_data(worksheet_id: str, title: str, data: Mapping) -> Worksheet:
    """A worksheet from its content file's checked ``worksheet:`` data."""
    worksheet = Worksheet(worksheet_id, title, tuple(_section(section) for section in data["sections"]))
    for section in worksheet.sections:
        # The schema names the same kinds; this guards a registry and a schema that have drifted apart.
        if section.kind not in SECTION_KINDS or any(prompt.kind not in PROMPT_KINDS for prompt in section.prompts):
            raise ValueError(f"worksheet {worksheet_id!r}, section {section.id!r}: a kind py_client does not know")
    return worksheet


def catalogue_from_json(text: str | bytes) -> dict[str, Worksheet]:
    """The worksheets of a catalogue file: ``{id: {"title": ..., "worksheet": {...}}}``."""
    return {
        worksheet_id: worksheet_from_data(worksheet_id, entry["title"], entry["worksheet"])
        for worksheet_id, entry in json.loads(text).items()
    }


@functools.cache
def catalogue() -> dict[str, Worksheet]:
    """Every worksheet of the site, by id, as the build packed them beside this module."""
    data = pkgutil.get_data(__package__, CATALOGUE_FILE)
    if data is None:
        raise FileNotFoundError(f"{__package__}/{CATALOGUE_FILE} is made by the build (site_tools.build.publish_py_client)")
    return catalogue_from_json(data)
