"""The kinds of prompt, in one registry: the answer fields each kind has and how its answer is shown.

Validation (``answers``), the Markdown export (``exports``), the therapist's view and the share preview
(``sharing``), and the page's form (``site_tools.worksheet_markdown``, one template per kind) all look a
prompt's kind up here, so a new kind is added in one place and a missing part fails at once: a prompt of
an unknown kind stops ``content`` from loading, and a kind without a form template stops the build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


def field_name(section_id: str, entry_id: str) -> str:
    """The name an answer is stored under: ``section.prompt`` (or ``section.item`` for the checklist)."""
    return f"{section_id}.{entry_id}"


def section_of(name: str) -> str:
    """The section an answer's name belongs to."""
    return name.split(".", 1)[0]


def line_name(name: str, number: int) -> str:
    """The name of line ``number`` (from 1) of a list prompt whose own name is ``name``."""
    return f"{name}.{number}"


@dataclass(frozen=True)
class FieldSpec:
    """What one answer field may hold: ``kind`` is 'check', 'text', 'line' or 'scale'."""

    name: str
    label: str
    kind: str
    low: int = 0
    high: int = 0


class TextKind:
    """Free text (up to ``answers.MAX_TEXT`` characters); shown as the text, quoted in Markdown."""

    name = "text"

    def fields(self, name: str, prompt) -> list[FieldSpec]:
        return [FieldSpec(name, prompt.label, "text")]

    def shown(self, name: str, prompt, answers: Mapping) -> dict:
        return {"answer": answers.get(name)}

    def markdown(self, shown: dict, as_text: Callable[[str], str]) -> list[str]:
        if not shown["answer"]:
            return ["_Not answered._"]
        return [f"> {as_text(line)}".rstrip() for line in shown["answer"].split("\n")]


class ListKind:
    """``prompt.lines`` short lines, each its own field; shown as a numbered list."""

    name = "list"

    def fields(self, name: str, prompt) -> list[FieldSpec]:
        return [FieldSpec(line_name(name, n), f"{prompt.label} ({n})", "line") for n in range(1, prompt.lines + 1)]

    def shown(self, name: str, prompt, answers: Mapping) -> dict:
        return {"lines": [answers.get(line_name(name, n), "") for n in range(1, prompt.lines + 1)]}

    def markdown(self, shown: dict, as_text: Callable[[str], str]) -> list[str]:
        return [f"{n}. {as_text(line)}".rstrip() for n, line in enumerate(shown["lines"], start=1)]


class ScaleKind:
    """A whole number on ``prompt.scale``; shown as "N out of HIGH"."""

    name = "scale"

    def fields(self, name: str, prompt) -> list[FieldSpec]:
        return [FieldSpec(name, prompt.label, "scale", prompt.scale.low, prompt.scale.high)]

    def shown(self, name: str, prompt, answers: Mapping) -> dict:
        value = answers.get(name)
        return {"answer": f"{value} out of {prompt.scale.high}" if value is not None else None}

    def markdown(self, shown: dict, as_text: Callable[[str], str]) -> list[str]:
        return [shown["answer"] or "_Not answered._"]


PROMPT_KINDS = {kind.name: kind for kind in (TextKind(), ListKind(), ScaleKind())}
