"""Exports of a normalised document: Markdown for reading and CSV of the session log for spreadsheets.

Both are laid out from the worksheet content, so they follow the same order and wording as the form.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from .answers import parse_timestamp, session_columns
from .content import Worksheet
from .dates import long_date
from .section_kinds import SECTION_KINDS

# A spreadsheet treats a cell starting with one of these as a formula; a leading apostrophe keeps an
# answer such as "=)" or "-2 since last week" as the text it is.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# What a Markdown viewer would read as markup in an answer: HTML (entities for "&", "<" and ">", since not
# every Markdown accepts a backslash before "<"), and emphasis, code, links and images, headings and table
# cells (a backslash). So "<img onerror=...>" or "[x](javascript:...)" shows as the text the person typed.
HTML_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
MARKDOWN_PUNCTUATION = str.maketrans({mark: "\\" + mark for mark in "\\`*_[]()#|!"})


def to_markdown(doc: dict, worksheet: Worksheet, sections: list[str] | None = None, utc_offset_minutes: int = 0) -> str:
    """The answers as Markdown; ``sections`` limits it to those parts (a share may hold only some). The date
    they were saved on is the reader's own (``utc_offset_minutes``, as their browser gives it): saved at
    23:56 in New York is the 1st there, not the 2nd it already is in UTC."""
    lines = [f"# {worksheet.title}", ""]
    saved_at = parse_timestamp(doc["saved_at"]) if doc.get("saved_at") else None
    if saved_at:
        saved_on = long_date((saved_at + dt.timedelta(minutes=utc_offset_minutes)).date())
        lines += [f"_Answers as saved on {saved_on}._", ""]
    for section in worksheet.sections:
        if sections is not None and section.id not in sections:
            continue
        lines += [f"## {section.title}", ""]
        lines += SECTION_KINDS[section.kind].markdown(section, doc, as_text)
    return "\n".join(lines).rstrip() + "\n"


def as_text(answer: str) -> str:
    """An answer as Markdown that every viewer shows as the very text typed, never as markup."""
    return answer.translate(HTML_ENTITIES).translate(MARKDOWN_PUNCTUATION)


def sessions_csv(doc: dict, worksheet: Worksheet) -> str | None:
    """The session log as CSV, one row per session, headed by the column labels; None for a worksheet
    without a log."""
    columns = session_columns(worksheet)
    if not columns:
        return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(column.label for column in columns)
    for session in doc["sessions"]:
        writer.writerow(_csv_cell(session.get(column.id)) for column in columns)
    return out.getvalue()


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
