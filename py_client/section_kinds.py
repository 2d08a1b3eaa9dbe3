"""The kinds of section, in one registry, as ``prompt_kinds`` is for prompts: what a kind's part of the
Markdown export and of the therapist's view holds, and whether it holds the session log.

The export (``exports``), the therapist's view and the share preview (``sharing``), the answers' checks
(``answers``) and the page's form (``site_tools.worksheet_markdown``: one template per kind,
``section-KIND.html``) all look a section's kind up here. A section of an unknown kind stops ``content``
from loading, and a kind without its form template stops the build.
"""

from __future__ import annotations

from collections.abc import Callable

from .dates import short_date
from .progress import describe, summarise
from .prompt_kinds import PROMPT_KINDS, field_name

# What a kind's Markdown writes an answer's text with (exports.as_text: the text as typed, never markup).
AsText = Callable[[str], str]


class ChecklistKind:
    """Items to tick, each a label and an explanation; the intro is the checklist's own heading."""

    name = "checklist"
    holds_sessions = False

    def markdown(self, section, doc: dict, as_text: AsText) -> list[str]:
        answers = doc["answers"]
        lines = [section.intro, ""]
        for item in section.items:
            mark = "x" if answers.get(field_name(section.id, item.id)) else " "
            lines.append(f"- [{mark}] **{item.label}.** {item.explanation}")
        return lines + [""]

    def view(self, section, doc: dict) -> dict:
        answers = doc["answers"]
        items = [
            {"label": item.label, "explanation": item.explanation, "checked": bool(answers.get(field_name(section.id, item.id)))}
            for item in section.items
        ]
        return {"items": items}


class PromptsKind:
    """Questions, each of a prompt kind (``prompt_kinds``)."""

    name = "prompts"
    holds_sessions = False

    def markdown(self, section, doc: dict, as_text: AsText) -> list[str]:
        lines: list[str] = []
        for prompt in section.prompts:
            kind = PROMPT_KINDS[prompt.kind]
            shown = kind.shown(field_name(section.id, prompt.id), prompt, doc["answers"])
            lines += [f"### {prompt.label}", "", *kind.markdown(shown, as_text), ""]
        return lines

    def view(self, section, doc: dict) -> dict:
        prompts = [
            {
                "label": prompt.label,
                "hint": prompt.hint,
                "kind": prompt.kind,
                **PROMPT_KINDS[prompt.kind].shown(field_name(section.id, prompt.id), prompt, doc["answers"]),
            }
            for prompt in section.prompts
        ]
        return {"prompts": prompts}


class LogKind:
    """The session log: a row of ``columns`` per session, summarised in words and a chart."""

    name = "log"
    holds_sessions = True

    def markdown(self, section, doc: dict, as_text: AsText) -> list[str]:
        lines = [describe(summarise(doc, section), section), ""]
        if not doc["sessions"]:
            return lines + ["_No sessions logged._", ""]
        lines.append("| " + " | ".join(column.label for column in section.columns) + " |")
        lines.append("|" + "---|" * len(section.columns))
        for session in doc["sessions"]:
            cells = [_table_cell(session.get(column.id), column.kind, as_text) for column in section.columns]
            lines.append("| " + " | ".join(cells) + " |")
        return lines + [""]

    def view(self, section, doc: dict) -> dict:
        return {
            "columns": [{"label": column.label, "kind": column.kind} for column in section.columns],
            "rows": [
                ["" if session[column.id] is None else str(session[column.id]) for column in section.columns]
                for session in doc["sessions"]
            ],
            "description": describe(summarise(doc, section), section),
        }


def _table_cell(value: object, kind: str, as_text: AsText) -> str:
    if value is None:
        return ""
    if kind == "date":
        return short_date(str(value))
    return as_text(str(value).replace("\n", " "))


SECTION_KINDS = {kind.name: kind for kind in (ChecklistKind(), PromptsKind(), LogKind())}
