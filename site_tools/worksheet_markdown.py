"""A Python-Markdown extension that writes a worksheet's form into its page at build time.

A paragraph that is exactly ``{worksheet-section: ID}`` becomes that section's form, built from the page's
worksheet (its configuration ``worksheet``, an id of ``worksheet_content.catalogue``, set for each page by
``worksheet_pages.py``); ``{worksheet-status}``, ``{worksheet-lock}``, ``{worksheet-tools}`` and
``{worksheet-share}`` become the parts of the page around it, and ``{worksheet-open}`` and
``{worksheet-ask}`` the therapist's pages. The markup is in
Jinja templates under ``templates/<feature>/`` (one per prompt kind of ``py_client.prompt_kinds``); a
marker the content cannot fill, or a prompt kind without its template, stops the build. Because the form
is plain HTML in the built page, it shows, reads and prints before (and without) Python, and the text
lives in one place. It is a Markdown extension rather than an MkDocs plugin
so the site can move to another Python-Markdown based generator by configuration alone.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown import Extension
from markdown.preprocessors import Preprocessor

from py_client import answers
from py_client.content import Section, Worksheet
from py_client.prompt_kinds import PROMPT_KINDS, field_name, line_name
from py_client.section_kinds import SECTION_KINDS
from py_client.sharing import MAX_NOTE
from site_tools import worksheet_content
from site_tools.features import FEATURES
from site_tools.worksheet_content import MARKER
from sync_server.store.base import ANSWER_KEPT_SECONDS

# The templates, one folder per feature that has any (site_tools/features.py); a name is found in any of
# them, so each name may stand in one folder only (template_environment checks).
TEMPLATES = Path(__file__).resolve().parent / "templates"
BETWEEN_TAGS = re.compile(r">\n+<")


class WorksheetMarkupError(ValueError):
    """A marker in the Markdown that the worksheet's content cannot fill: the build stops on it."""


# Choices offered in the form, with the one selected at first.
LOCK_AFTER_CHOICES = ((60, "1 minute"), (300, "5 minutes"), (600, "10 minutes"), (1800, "30 minutes"))
LOCK_AFTER_DEFAULT = 600
# The therapist's inbox, under a passcode, locks again after this long without use (ask.mjs reads it from
# the markup, which states it).
INBOX_LOCK_AFTER_MINUTES = 15
SHARE_LIFETIMES = ((3600, "1 hour"), (86400, "1 day"), (604800, "7 days"))
SHARE_LIFETIME_DEFAULT = 86400
# The markers' parts, each one template in its feature's folder under templates/: those of a worksheet's page,
# and those of pages that hold none.
WORKSHEET_PARTS = ("status", "lock", "tools", "share")
PARTS = (*WORKSHEET_PARTS, "open", "ask")
# A request link's note (the therapist's label) travels in the link only; the server never sees it.
REQUEST_LABEL_MAX = 80
# A request's private name ("Sam, week 3") stays in the therapist's browser only (inbox-store.mjs).
PRIVATE_NAME_MAX = 80


def field_id(name: str) -> str:
    """An HTML id for a field name: dots would need escaping in every CSS selector."""
    return "field-" + name.replace(".", "--")


def log_columns(section: Section) -> list[dict]:
    """What the page's session log needs of its columns (session-log.mjs reads them from the markup)."""
    return [{"id": column.id, "label": column.label, "kind": column.kind, "series": column.series} for column in section.columns]


def template_environment() -> Environment:
    """Templates that escape everything they are given and stop at a name they do not know."""
    folders = [TEMPLATES / feature for feature in FEATURES if (TEMPLATES / feature).is_dir()]
    found = [path.name for folder in folders for path in folder.glob("*.html")]
    twice = sorted({name for name in found if found.count(name) > 1})
    if twice:
        raise WorksheetMarkupError(f"templates named alike in two feature folders: {twice}")
    unknown = sorted(path.name for path in TEMPLATES.iterdir() if path.is_dir() and path.name not in FEATURES)
    if unknown:
        raise WorksheetMarkupError(f"template folders that are no feature of FEATURES: {unknown}")
    environment = Environment(
        loader=FileSystemLoader(folders), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    environment.globals.update(
        field_id=field_id,
        field_name=field_name,
        log_columns=log_columns,
        line_name=line_name,
        limits={
            "MAX_TEXT": answers.MAX_TEXT,
            "MAX_LINE": answers.MAX_LINE,
            "MAX_NOTE": MAX_NOTE,
            "EARLIEST_DATE": answers.EARLIEST_DATE.isoformat(),
            "LATEST_DATE": answers.LATEST_DATE.isoformat(),
        },
        lock_after_choices=LOCK_AFTER_CHOICES,
        lock_after_default=LOCK_AFTER_DEFAULT,
        inbox_lock_after_minutes=INBOX_LOCK_AFTER_MINUTES,
        share_lifetimes=SHARE_LIFETIMES,
        share_lifetime_default=SHARE_LIFETIME_DEFAULT,
        request_label_max=REQUEST_LABEL_MAX,
        answer_kept_days=ANSWER_KEPT_SECONDS // 86_400,
        private_name_max=PRIVATE_NAME_MAX,
    )
    return environment


def check_templates(environment: Environment) -> None:
    """Every prompt kind and every section kind has its template, and every such template has its kind, or
    the build stops."""
    for prefix, kinds in (("prompt-", PROMPT_KINDS), ("section-", SECTION_KINDS)):
        templates = {
            name.removeprefix(prefix).removesuffix(".html") for name in environment.list_templates() if name.startswith(prefix)
        }
        if templates != set(kinds):
            raise WorksheetMarkupError(
                f"{prefix.rstrip('-')} kinds without a template: {sorted(set(kinds) - templates)}; "
                f"templates without a kind: {sorted(templates - set(kinds))}"
            )


@functools.cache
def checked_templates() -> Environment:
    """The templates, checked against the prompt kinds, made once per build (not once per page): the
    environment also keeps each template compiled. ``mkdocs serve`` imports this module anew for each build
    (``fresh_imports.py``), so an edited template is read again."""
    environment = template_environment()
    check_templates(environment)
    return environment


def render(environment: Environment, template: str, **context) -> str:
    # The templates are written a tag a line for reading; the lines between tags are not kept, so the page
    # gets the same markup as if it were written on one line (no stray spaces between inline buttons).
    return BETWEEN_TAGS.sub("><", environment.get_template(template).render(**context)).strip()


class WorksheetPreprocessor(Preprocessor):
    def __init__(self, md, worksheet: Worksheet | None):
        super().__init__(md)
        self.worksheet = worksheet
        self.templates = checked_templates()

    def run(self, lines: list[str]) -> list[str]:
        output = []
        placed: list[str] = []
        for line in lines:
            match = MARKER.match(line.strip())
            if not match:
                output.append(line)
                continue
            if match["name"] in ("section", *WORKSHEET_PARTS) and self.worksheet is None:
                raise WorksheetMarkupError(f"{line.strip()!r} stands on a page that holds no worksheet")
            if match["name"] == "section":
                section = self._section(match["argument"], placed)
                # The title stays a Markdown heading so it appears in the table of contents.
                output += ["", f"## {section.title} {{ #ws-{section.id}-title }}"]
                html = render(self.templates, "section.html", section=section)
            elif match["name"] in PARTS and match["argument"] is None:
                html = render(
                    self.templates,
                    f"{match['name']}.html",
                    worksheet=self.worksheet,
                    worksheets=[file.worksheet for file in worksheet_content.catalogue().values()],
                )
            else:
                known = ", ".join(f"{{worksheet-{name}}}" for name in ["section: ID", *PARTS])
                raise WorksheetMarkupError(f"unknown marker {line.strip()!r}; the known ones are {known}")
            output += ["", self.md.htmlStash.store(html), ""]
        missing = [section.id for section in self.worksheet.sections if section.id not in placed] if self.worksheet else []
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
    def __init__(self, **kwargs):
        self.config = {"worksheet": ["", "the id of the worksheet the page holds; empty on other pages"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        worksheet_id = self.getConfig("worksheet")
        worksheet = worksheet_content.catalogue()[worksheet_id].worksheet if worksheet_id else None
        # Before the HTML block preprocessor (priority 20) so the stashed form is never re-parsed.
        md.preprocessors.register(WorksheetPreprocessor(md, worksheet), "worksheet_form", 25)


def makeExtension(**kwargs):
    return WorksheetExtension(**kwargs)
