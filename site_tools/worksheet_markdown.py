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
from py_client.sharing import MAX_NOTE

# Any paragraph that looks like a marker is one: a misspelt marker stops the build rather than showing as text.
MARKER = re.compile(r"^\{worksheet-(?P<name>[^}:]*)(?:: *(?P<argument>[^}]*))?\}$")


class WorksheetMarkupError(ValueError):
    """A marker in the Markdown that the worksheet's content cannot fill: the build stops on it."""


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


def _source_note(prompt: Prompt) -> str:
    return f'<p class="ws-source-note">{escape(prompt.source_note)}</p>' if prompt.source_note else ""


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
            f'{_hint(hint_id, prompt.hint)}<ol>{lines}</ol>{_source_note(prompt)}</fieldset>'
        )
    if prompt.kind == "scale":
        return (
            f'<fieldset class="ws-prompt ws-scale" id="{ident}"><legend class="ws-label">{escape(prompt.label)}</legend>'
            f"{_hint(hint_id, prompt.hint)}{_radios(name, prompt.scale, described)}{_source_note(prompt)}</fieldset>"
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
    # Each session is a disclosure card, so a three-month log can be folded to one line a session; the
    # summary carries the title and figures, the fieldset's legend names the group for screen readers.
    row_template = (
        '<template id="ws-session-template"><li class="ws-session" data-ws-session>'
        '<details class="ws-session-card" open><summary class="ws-session-summary">'
        '<span class="ws-session-title" data-ws-session-title>Session</span>'
        '<span class="ws-session-figures" data-ws-session-figures></span></summary>'
        '<fieldset><legend class="visually-hidden" data-ws-session-title>Session</legend>'
        f'<div class="ws-session-fields">{cells}</div>'
        '<button type="button" class="md-button ws-danger ws-delete-session" data-ws-delete-session>Delete session</button>'
        "</fieldset></details></li></template>"
    )
    blank_rows = "".join("<tr>" + "<td></td>" * len(section.columns) + "</tr>" for _ in range(6))
    headers = "".join(f'<th scope="col">{escape(column.label)}</th>' for column in section.columns)
    return (
        f"{row_template}"
        '<div class="ws-log-views" id="ws-log-views" role="group" aria-label="How to show the session log" hidden>'
        '<button type="button" class="md-button" id="ws-log-as-table" aria-pressed="false">Show as a table</button>'
        '<button type="button" class="md-button" id="ws-log-expand">Open all sessions</button>'
        '<button type="button" class="md-button" id="ws-log-collapse">Fold all sessions</button></div>'
        '<div class="ws-log" id="ws-log" data-view="cards">'
        '<ol class="ws-sessions" id="ws-session-list" aria-label="Sessions"></ol>'
        '<div class="ws-log-table" id="ws-log-table" role="region" aria-label="Session log as a table" tabindex="0"></div></div>'
        '<p class="ws-sessions-empty" id="ws-sessions-empty">No sessions logged yet.</p>'
        '<p><button type="button" class="md-button md-button--primary" id="ws-add-session" disabled>'
        "Add a session</button></p>"
        f'<noscript><table class="ws-blank-log"><thead><tr>{headers}</tr></thead><tbody>{blank_rows}</tbody></table></noscript>'
        '<div class="ws-progress" id="ws-progress" hidden><h3>Your progress</h3>'
        '<p id="ws-progress-description"></p><figure class="ws-chart" id="ws-chart"></figure></div>'
    )


STATUS = (
    '<div class="ws-statusbar" data-sticky-bar><p class="ws-status" id="ws-status" role="status" aria-live="polite" data-state="loading">'
    "Loading the worksheet…</p></div>"
    '<div class="ws-notice" id="ws-notice" role="alert" hidden></div>'
    "<noscript><p class=\"ws-status\">JavaScript is off, so answers typed here cannot be saved. "
    "You can still read and print the worksheet.</p></noscript>"
)

LOCK_AFTER_CHOICES = ((60, "1 minute"), (300, "5 minutes"), (600, "10 minutes"), (1800, "30 minutes"))
LOCK_AFTER_DEFAULT = 600
LOCK = (
    '<section class="ws-lock" id="ws-lock" aria-labelledby="ws-lock-title">'
    '<h2 class="ws-lock-title" id="ws-lock-title">Passcode lock</h2>'
    '<div id="ws-lock-offer"><p>Someone else may use this browser? Lock your answers with a passcode: they are '
    "then stored only encrypted, and the page shows them only after the passcode is entered.</p>"
    '<p><button type="button" class="md-button" id="ws-lock-open" disabled>Lock with a passcode</button></p></div>'
    '<form class="ws-lock-form" id="ws-lock-set" hidden novalidate>'
    '<p class="ws-lock-warning"><strong>If you forget the passcode, your answers cannot be recovered.</strong> '
    "Nobody, including us, can unlock them; you could only erase them and start again.</p>"
    '<p><label for="ws-passcode-new">Passcode</label>'
    '<input type="password" id="ws-passcode-new" autocomplete="new-password"></p>'
    '<p><label for="ws-passcode-repeat">Repeat passcode</label>'
    '<input type="password" id="ws-passcode-repeat" autocomplete="new-password"></p>'
    '<p class="ws-lock-message" id="ws-lock-set-message" role="alert"></p>'
    '<div class="ws-buttons"><button type="submit" class="md-button md-button--primary">Lock</button>'
    '<button type="button" class="md-button" id="ws-lock-cancel">Cancel</button></div></form>'
    '<div id="ws-lock-controls" hidden><p>Your answers are stored encrypted with your passcode.</p>'
    '<p><label for="ws-lock-after">Lock again after this long without typing</label>'
    '<select id="ws-lock-after">'
    + "".join(f'<option value="{seconds}"{" selected" if seconds == LOCK_AFTER_DEFAULT else ""}>{label}</option>' for seconds, label in LOCK_AFTER_CHOICES)
    + "</select></p>"
    '<div class="ws-buttons"><button type="button" class="md-button md-button--primary" id="ws-lock-now">Lock now</button>'
    '<button type="button" class="md-button" id="ws-lock-remove">Remove passcode</button></div></div>'
    '<form class="ws-lock-form" id="ws-unlock" hidden novalidate>'
    '<p>Your answers are locked with a passcode.</p>'
    '<p><label for="ws-passcode">Passcode</label>'
    '<input type="password" id="ws-passcode" autocomplete="current-password"></p>'
    '<p class="ws-lock-message" id="ws-unlock-message" role="alert"></p>'
    '<div class="ws-buttons"><button type="submit" class="md-button md-button--primary">Unlock</button>'
    '<button type="button" class="md-button ws-danger" id="ws-lock-forgot">Forgot passcode</button></div></form>'
    "</section>"
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
    '<button class="md-button ws-danger-solid" value="confirm" id="ws-confirm-yes"></button></div></form></dialog>'
)


def share_panel(worksheet: Worksheet) -> str:
    """The person's sharing controls; the parts to include come from the worksheet's sections."""
    sections = "".join(
        f'<li><label><input type="checkbox" name="share-section" value="{section.id}" checked> {escape(section.title)}</label></li>'
        for section in worksheet.sections
    )
    lifetimes = "".join(
        f'<label class="ws-choice"><input type="radio" name="share-lifetime" value="{seconds}"{" checked" if default else ""}> {label}</label>'
        for seconds, label, default in ((3600, "1 hour", False), (86400, "1 day", True), (604800, "7 days", False))
    )
    return (
        '<div class="ws-section ws-share" id="ws-share">'
        "<p>When you share, this browser makes a snapshot of the answers you choose and encrypts it before anything "
        "leaves this device. You get a link that opens once: as soon as your therapist opens it, the encrypted copy is "
        "deleted from the server. The server never sees your answers, and the key is only in the link.</p>"
        '<p class="ws-share-unavailable" id="ws-share-unavailable" role="status" hidden></p>'
        '<fieldset aria-describedby="ws-share-sections-hint"><legend>What to include</legend>'
        '<p class="ws-hint" id="ws-share-sections-hint">Each part is shared whole. In the checklist, your therapist '
        "sees every statement, marked as ticked or not ticked. Use “Preview” below to see exactly what they will see.</p>"
        f'<ul class="ws-plain-list">{sections}</ul></fieldset>'
        '<div class="ws-prompt"><label class="ws-label" for="ws-share-note">A note for your therapist (optional)</label>'
        '<p class="ws-hint" id="ws-share-note-hint">For example “From Sam, for Thursday’s session”, so they know who '
        "sent it. It is encrypted with your answers.</p>"
        f'<input type="text" id="ws-share-note" maxlength="{MAX_NOTE}" autocomplete="off" aria-describedby="ws-share-note-hint"></div>'
        f'<fieldset><legend>How long the link works</legend><div class="ws-choices">{lifetimes}</div></fieldset>'
        '<div class="ws-prompt"><label class="ws-label" for="ws-share-passphrase">Passphrase (optional)</label>'
        '<p class="ws-hint" id="ws-share-passphrase-hint">If you add one, tell it to your therapist another way, '
        "for example in person or by phone. It never leaves this device.</p>"
        '<input type="password" id="ws-share-passphrase" autocomplete="new-password" aria-describedby="ws-share-passphrase-hint">'
        '<label class="ws-show"><input type="checkbox" id="ws-share-show"> Show passphrase</label></div>'
        '<p><button type="button" class="md-button" id="ws-share-preview" aria-controls="ws-share-preview-area" disabled>'
        "Preview what your therapist will see</button>"
        '<button type="button" class="md-button md-button--primary" id="ws-share-create" disabled>Create a one-time link</button></p>'
        '<section class="ws-share-preview" id="ws-share-preview-area" aria-labelledby="ws-share-preview-title" tabindex="-1" hidden>'
        '<h3 id="ws-share-preview-title">Preview: what your therapist will see</h3>'
        '<p class="ws-hint">Nothing has been sent. This is made from your answers as they are now.</p>'
        '<div class="ws-share-preview-body" id="ws-share-preview-body"></div>'
        '<p><button type="button" class="md-button" id="ws-share-preview-close">Close the preview</button></p></section>'
        '<p class="ws-share-message" id="ws-share-message" role="status" hidden></p>'
        '<div class="ws-share-result" id="ws-share-result" tabindex="-1" hidden>'
        '<h3>Your one-time link</h3><label for="ws-share-link">Link for your therapist</label>'
        '<input type="text" id="ws-share-link" readonly aria-describedby="ws-share-expiry">'
        '<p><button type="button" class="md-button" id="ws-share-copy">Copy link</button></p>'
        '<p id="ws-share-expiry"></p>'
        '<figure class="ws-share-qr"><div id="ws-share-qr"></div><figcaption>Or let your therapist scan this code with a phone.</figcaption></figure>'
        "<p>For your privacy this link is shown only now and is not kept on this device. Copy it before you leave the page.</p>"
        "</div>"
        "<h3>Links made on this device</h3>"
        '<p id="ws-share-none">None yet.</p><ul class="ws-share-list" id="ws-share-list"></ul>'
        "</div>"
    )


OPEN_PAGE = (
    '<div class="ws-open" id="ws-open">'
    '<p class="ws-open-intro">Someone you work with has shared their answers to the worksheet '
    "<em>Building Trust and Safety in Therapy</em> with you, their therapist. They were encrypted on their device; "
    "only this link can unlock them. If they wrote you a note (their name, for example), it is shown with the "
    "answers.</p>"
    "<p><strong>The link opens once.</strong> Nothing happens until you choose “Reveal answers”. After that the answers "
    "are deleted from the server, so read, print or download them before you close this page.</p>"
    '<noscript><p class="ws-status">This page needs JavaScript to unlock the answers in your browser.</p></noscript>'
    '<div class="ws-open-form" id="ws-open-form" hidden>'
    '<div class="ws-prompt" id="ws-open-passphrase-field" hidden><label class="ws-label" for="ws-open-passphrase">Passphrase</label>'
    '<p class="ws-hint" id="ws-open-passphrase-hint">The person who shared the answers will have told you this separately.</p>'
    '<input type="password" id="ws-open-passphrase" autocomplete="off" aria-describedby="ws-open-passphrase-hint"></div>'
    '<p><button type="button" class="md-button md-button--primary" id="ws-open-reveal">Reveal answers</button></p>'
    "</div>"
    '<div class="ws-open-message" id="ws-open-message" role="alert" tabindex="-1" hidden></div>'
    '<div class="ws-open-result" id="ws-open-result" hidden>'
    '<p class="ws-open-warning" id="ws-open-warning"></p>'
    '<div class="ws-buttons"><button type="button" class="md-button md-button--primary" id="ws-open-print">Print or save as PDF</button>'
    '<button type="button" class="md-button" id="ws-open-json">Download as JSON (for the worksheet)</button>'
    '<button type="button" class="md-button" id="ws-open-markdown">Download as Markdown</button></div>'
    '<div id="ws-open-answers" class="ws-open-answers"></div></div>'
    "</div>"
)


class WorksheetPreprocessor(Preprocessor):
    def __init__(self, md, worksheet: Worksheet):
        super().__init__(md)
        self.worksheet = worksheet
        self.parts = {"status": STATUS, "lock": LOCK, "tools": TOOLS, "share": share_panel(worksheet), "open": OPEN_PAGE}

    def run(self, lines: list[str]) -> list[str]:
        output = []
        placed: list[str] = []
        for line in lines:
            match = MARKER.match(line.strip())
            if not match:
                output.append(line)
                continue
            if match["name"] == "section":
                section = self._section(match["argument"], placed)
                # The title stays a Markdown heading so it appears in the table of contents.
                output += ["", f"## {section.title} {{ #ws-{section.id}-title }}"]
                html = render_section(section)
            elif match["name"] in self.parts and match["argument"] is None:
                html = self.parts[match["name"]]
            else:
                known = ", ".join(f"{{worksheet-{name}}}" for name in ["section: ID", *self.parts])
                raise WorksheetMarkupError(f"unknown marker {line.strip()!r}; the known ones are {known}")
            output += ["", self.md.htmlStash.store(html), ""]
        missing = [section.id for section in self.worksheet.sections if section.id not in placed]
        if placed and missing:
            raise WorksheetMarkupError(f"the page places some of the worksheet's sections but not {', '.join(missing)}")
        return output

    def _section(self, section_id: str | None, placed: list[str]) -> Section:
        """The section a marker names; each must be placed once, so the form holds every answer field once."""
        ids = [section.id for section in self.worksheet.sections]
        if section_id not in ids:
            raise WorksheetMarkupError(f"{{worksheet-section: {section_id}}} names no section; the sections are {', '.join(ids)}")
        if section_id in placed:
            raise WorksheetMarkupError(f"{{worksheet-section: {section_id}}} is placed twice")
        placed.append(section_id)
        return self.worksheet.section(section_id)


class WorksheetExtension(Extension):
    def extendMarkdown(self, md):
        # Before the HTML block preprocessor (priority 20) so the stashed form is never re-parsed.
        md.preprocessors.register(WorksheetPreprocessor(md, WORKSHEET), "worksheet_form", 25)


def makeExtension(**kwargs):
    return WorksheetExtension(**kwargs)
