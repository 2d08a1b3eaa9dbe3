"""A Python-Markdown extension that writes the worksheet's form into the page at build time.

A paragraph that is exactly ``{worksheet-section: ID}`` becomes that section's form, built from
``py_client.content``; ``{worksheet-status}`` and ``{worksheet-tools}`` become the save-status line and the
backup tools. Because the form is plain HTML in the built page, it shows, reads and prints before (and
without) Python, and the text lives in one place. It is a Markdown extension rather than an MkDocs plugin
so the site can move to another Python-Markdown based generator by configuration alone.
"""

from __future__ import annotations

import re
from html import escape

from markdown import Extension
from markdown.preprocessors import Preprocessor

from py_client.content import WORKSHEET, Column, Prompt, Section, Worksheet

MARKER = re.compile(r"^\{worksheet-(?:section: *(?P<section>[a-z-]+)|(?P<part>status|tools))\}$")


def field_id(name: str) -> str:
    """An HTML id for a field name: dots would need escaping in every CSS selector."""
    return "field-" + name.replace(".", "--")


def render_section(section: Section) -> str:
    renderers = {"checklist": _checklist, "prompts": _prompts, "log": _log}
    body = renderers[section.kind](section)
    intro = f'<p class="ws-intro">{escape(section.intro)}</p>' if section.intro and section.kind != "checklist" else ""
    return f'<div class="ws-section" id="ws-{section.id}" data-ws-section>{intro}{body}</div>'


def _checklist(section: Section) -> str:
    items = "".join(
        f'<li class="ws-check"><input type="checkbox" id="{field_id(f"{section.id}.{item.id}")}" '
        f'name="{section.id}.{item.id}" data-ws-field>'
        f'<label for="{field_id(f"{section.id}.{item.id}")}"><strong>{escape(item.label)}.</strong> '
        f"{escape(item.explanation)}</label></li>"
        for item in section.items
    )
    return f'<fieldset class="ws-checklist"><legend>{escape(section.intro)}</legend><ul>{items}</ul></fieldset>'


def _prompts(section: Section) -> str:
    return "".join(_prompt(section.id, prompt) for prompt in section.prompts)


def _hint(hint_id: str, text: str) -> str:
    return f'<p class="ws-hint" id="{hint_id}">{escape(text)}</p>' if text else ""


def _prompt(section_id: str, prompt: Prompt) -> str:
    name = f"{section_id}.{prompt.id}"
    ident = field_id(name)
    hint_id = f"{ident}-hint"
    described = f' aria-describedby="{hint_id}"' if prompt.hint else ""
    if prompt.kind == "list":
        lines = "".join(
            f'<li><label for="{ident}--{n}" class="ws-line-label">{n}.</label>'
            f'<input type="text" id="{ident}--{n}" name="{name}.{n}" maxlength="500" autocomplete="off" '
            f'data-ws-field{described}></li>'
            for n in range(1, prompt.items + 1)
        )
        return (
            f'<fieldset class="ws-prompt ws-list"><legend class="ws-label">{escape(prompt.label)}</legend>'
            f'{_hint(hint_id, prompt.hint)}<ol>{lines}</ol></fieldset>'
        )
    if prompt.kind == "scale":
        return (
            f'<fieldset class="ws-prompt ws-scale" id="{ident}"><legend class="ws-label">{escape(prompt.label)}</legend>'
            f"{_hint(hint_id, prompt.hint)}{_radios(name, prompt.scale, described)}</fieldset>"
        )
    return (
        f'<div class="ws-prompt"><label class="ws-label" for="{ident}">{escape(prompt.label)}</label>'
        f'{_hint(hint_id, prompt.hint)}<textarea id="{ident}" name="{name}" rows="5" maxlength="10000" '
        f'data-ws-field{described}></textarea></div>'
    )


def _radios(name: str, scale, described: str) -> str:
    options = "".join(
        f'<label class="ws-radio"><input type="radio" name="{name}" value="{value}" data-ws-field{described}>'
        f"<span>{value}</span></label>"
        for value in range(scale.low, scale.high + 1)
    )
    return f'<div class="ws-radios">{options}</div>'


def _column_control(column: Column) -> str:
    """One field of a session row, inside the row template: ids are completed per row by the page."""
    attributes = f'id="ROW-{column.id}" name="{column.id}" data-ws-column="{column.id}"'
    if column.hint:
        attributes += f' aria-describedby="ROW-{column.id}-hint"'
    if column.kind == "date":
        control = f'<input type="date" {attributes} min="1900-01-01" max="2100-12-31" required>'
    elif column.kind == "scale":
        options = "".join(f'<option value="{v}">{v}</option>' for v in range(column.scale.low, column.scale.high + 1))
        control = f'<select {attributes}><option value="">Not rated</option>{options}</select>'
    elif column.id == "topic":
        control = f'<input type="text" {attributes} maxlength="500" autocomplete="off">'
    else:
        control = f'<textarea {attributes} rows="2" maxlength="500"></textarea>'
    hint = f'<span class="ws-hint" id="ROW-{column.id}-hint">{escape(column.hint)}</span>' if column.hint else ""
    return (
        f'<div class="ws-cell ws-cell-{column.kind}"><label for="ROW-{column.id}">{escape(column.label)}</label>'
        f"{hint}{control}</div>"
    )


def _log(section: Section) -> str:
    cells = "".join(_column_control(column) for column in section.columns)
    row_template = (
        '<template id="ws-session-template"><li class="ws-session" data-ws-session>'
        '<fieldset><legend class="ws-session-title">Session</legend>'
        f'<div class="ws-session-fields">{cells}</div>'
        '<button type="button" class="md-button ws-delete-session" data-ws-delete-session>Delete session</button>'
        "</fieldset></li></template>"
    )
    blank_rows = "".join("<tr>" + "<td></td>" * len(section.columns) + "</tr>" for _ in range(6))
    headers = "".join(f'<th scope="col">{escape(column.label)}</th>' for column in section.columns)
    return (
        f'{row_template}<ol class="ws-sessions" id="ws-session-list" aria-label="Sessions"></ol>'
        '<p class="ws-sessions-empty" id="ws-sessions-empty">No sessions logged yet.</p>'
        '<p><button type="button" class="md-button md-button--primary" id="ws-add-session" disabled>'
        "Add a session</button></p>"
        f'<noscript><table class="ws-blank-log"><thead><tr>{headers}</tr></thead><tbody>{blank_rows}</tbody></table></noscript>'
        '<div class="ws-progress" id="ws-progress" hidden><h3>Your progress</h3>'
        '<p id="ws-progress-description"></p><figure class="ws-chart" id="ws-chart"></figure></div>'
    )


STATUS = (
    '<div class="ws-statusbar"><p class="ws-status" id="ws-status" role="status" aria-live="polite" data-state="loading">'
    "Loading the worksheet…</p></div>"
    '<div class="ws-notice" id="ws-notice" role="alert" hidden></div>'
    "<noscript><p class=\"ws-status\">JavaScript is off, so answers typed here cannot be saved. "
    "You can still read and print the worksheet.</p></noscript>"
)

TOOLS = (
    '<section class="ws-section ws-tools" id="ws-tools" aria-labelledby="ws-tools-title">'
    '<h2 id="ws-tools-title">Keep your answers safe</h2>'
    '<p>Your answers are saved in this browser only. Browsers can clear saved data, so keep a backup file '
    "somewhere safe, such as your own computer.</p>"
    '<p class="ws-backup-reminder" id="ws-backup-reminder" hidden></p>'
    '<div class="ws-buttons">'
    '<button type="button" class="md-button md-button--primary" data-ws-export="json" disabled>Download a backup (JSON)</button>'
    '<button type="button" class="md-button" data-ws-export="markdown" disabled>Download as Markdown</button>'
    '<button type="button" class="md-button" data-ws-export="csv" disabled>Download the session log (CSV)</button>'
    '<button type="button" class="md-button" id="ws-print">Print or save as PDF</button>'
    "</div>"
    '<div class="ws-import"><label for="ws-import-file">Restore answers from a backup file</label>'
    '<input type="file" id="ws-import-file" accept="application/json,.json" disabled></div>'
    '<p><button type="button" class="md-button ws-danger" id="ws-delete-all" disabled>Delete everything on this device</button></p>'
    "</section>"
    '<dialog class="ws-dialog" id="ws-confirm" aria-labelledby="ws-confirm-title" aria-describedby="ws-confirm-text">'
    '<form method="dialog"><h2 id="ws-confirm-title"></h2><p id="ws-confirm-text"></p>'
    '<div class="ws-buttons"><button class="md-button" value="cancel" autofocus>Cancel</button>'
    '<button class="md-button md-button--primary" value="confirm" id="ws-confirm-yes"></button></div></form></dialog>'
)


class WorksheetPreprocessor(Preprocessor):
    def __init__(self, md, worksheet: Worksheet):
        super().__init__(md)
        self.worksheet = worksheet

    def run(self, lines: list[str]) -> list[str]:
        output = []
        for line in lines:
            match = MARKER.match(line.strip())
            if not match:
                output.append(line)
                continue
            if match["section"]:
                section = self.worksheet.section(match["section"])
                # The title stays a Markdown heading so it appears in the table of contents.
                output += ["", f"## {section.title} {{ #ws-{section.id}-title }}"]
                html = render_section(section)
            else:
                html = STATUS if match["part"] == "status" else TOOLS
            output += ["", self.md.htmlStash.store(html), ""]
        return output


class WorksheetExtension(Extension):
    def extendMarkdown(self, md):
        # Before the HTML block preprocessor (priority 20) so the stashed form is never re-parsed.
        md.preprocessors.register(WorksheetPreprocessor(md, WORKSHEET), "worksheet_form", 25)


def makeExtension(**kwargs):
    return WorksheetExtension(**kwargs)
