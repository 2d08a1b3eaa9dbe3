"""The saved-answers format: versions, migrations, validation and normalisation.

The browser saves each change at once, before Python has loaded, so the stored document is deliberately
plain: ``worksheet`` names the worksheet (answers are stored per worksheet), ``answers`` maps each form
field's name (``section.prompt`` or ``section.prompt.N`` for list lines) to the string or boolean the field
holds, and ``sessions`` is a list of log rows (empty for a worksheet without a log). Python then checks and
tidies that document; it never needs the page to have been built by the same version of the site, because
every older version is migrated forward here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping

from .content import Column, Worksheet
from .prompt_kinds import PROMPT_KINDS, FieldSpec, field_name

FORMAT = "trust-safety-worksheet"
VERSION = 3
# The site's first worksheet: answers and shares from before worksheets had ids are its (versions 1 and 2).
LEGACY_WORKSHEET = "building-trust-and-safety"

MAX_TEXT = 10_000  # characters in one free-text answer: several pages, far beyond any real answer
MAX_LINE = 500  # characters in a short field: a list line or a session topic
MAX_SESSIONS = 500  # three months of sessions is about a dozen; this bounds a crafted file
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class AnswersError(ValueError):
    """Saved or imported answers that cannot be read. ``problems`` lists each one for the person."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def field_specs(worksheet: Worksheet) -> dict[str, FieldSpec]:
    """Every answer field of the worksheet, keyed by its form name."""
    specs: dict[str, FieldSpec] = {}
    for section in worksheet.sections:
        for item in section.items:
            name = field_name(section.id, item.id)
            specs[name] = FieldSpec(name, item.label, "check")
        for prompt in section.prompts:
            fields = PROMPT_KINDS[prompt.kind].fields(field_name(section.id, prompt.id), prompt)
            specs.update((spec.name, spec) for spec in fields)
    return specs


def session_columns(worksheet: Worksheet) -> tuple[Column, ...]:
    """The session log's columns, the date first; none for a worksheet without a log."""
    return worksheet.log.columns if worksheet.log else ()


def empty_document(worksheet: Worksheet) -> dict:
    return {"format": FORMAT, "version": VERSION, "worksheet": worksheet.id, "saved_at": None, "answers": {}, "sessions": []}


# --- migrations -------------------------------------------------------------------------------------------


def _migrate_1_to_2(doc: dict) -> dict:
    """Version 1 (the first drafts) kept answers under ``fields`` and the log under ``log``, with the
    therapist column named ``role``; version 2 names them after the worksheet."""
    sessions = []
    for row in doc.get("log") or []:
        if isinstance(row, Mapping):
            row = dict(row)
            if "role" in row:
                row["therapist_role"] = row.pop("role")
        sessions.append(row)
    return {
        "format": FORMAT,
        "version": 2,
        "saved_at": doc.get("saved_at"),
        "answers": doc.get("fields") or {},
        "sessions": sessions,
    }


def _migrate_2_to_3(doc: dict) -> dict:
    """Version 3 names its worksheet; everything saved before was the first worksheet's."""
    return {**doc, "version": 3, "worksheet": LEGACY_WORKSHEET}


MIGRATIONS = {1: _migrate_1_to_2, 2: _migrate_2_to_3}


def migrate(doc: object) -> dict:
    """Bring a stored document of any known version up to the current one."""
    if not isinstance(doc, Mapping):
        raise AnswersError(["The saved answers are not a JSON object."])
    version = doc.get("version")
    if doc.get("format") != FORMAT:
        raise AnswersError(["This is not a worksheet backup: it does not say it holds worksheet answers."])
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise AnswersError(["The saved answers have no valid version number."])
    if version > VERSION:
        raise AnswersError(
            [
                f"These answers were saved by a newer version of this site (format {version}); "
                "reload the page to get the newest version, then try again."
            ]
        )
    current = dict(doc)
    while current["version"] < VERSION:
        current = MIGRATIONS[current["version"]](current)
    return current


# --- validation and normalisation -------------------------------------------------------------------------


def worksheet_of(doc: object, catalogue: Mapping[str, Worksheet]) -> Worksheet:
    """The worksheet a stored document (of any version) holds answers to; AnswersError if this site has none
    by that name."""
    current = migrate(doc)
    worksheet = catalogue.get(current.get("worksheet")) if isinstance(current.get("worksheet"), str) else None
    if worksheet is None:
        raise AnswersError(
            [f"These answers are to a worksheet this site does not have ({str(current.get('worksheet'))[:60]!r})."]
        )
    return worksheet


def normalise(doc: object, worksheet: Worksheet) -> dict:
    """Migrate, check and tidy a document of ``worksheet``'s answers; raise AnswersError listing every
    problem found.

    Tidying never changes what the person wrote: text is kept as typed (only line endings are unified),
    empty answers are dropped, ratings become whole numbers and sessions are ordered by date.
    """
    current = migrate(doc)
    if current.get("worksheet") != worksheet.id:
        raise AnswersError(
            [f"These answers are to another worksheet ({str(current.get('worksheet'))[:60]!r}), not to “{worksheet.title}”."]
        )
    problems: list[str] = []
    answers = _normalise_answers(current.get("answers"), field_specs(worksheet), problems)
    sessions = _normalise_sessions(current.get("sessions"), session_columns(worksheet), problems)
    saved_at = current.get("saved_at")
    if saved_at is not None and not (isinstance(saved_at, str) and parse_timestamp(saved_at)):
        problems.append("The time the answers were saved is not a valid date and time.")
    if problems:
        raise AnswersError(problems)
    return {
        "format": FORMAT,
        "version": VERSION,
        "worksheet": worksheet.id,
        "saved_at": saved_at,
        "answers": answers,
        "sessions": sessions,
    }


def _normalise_answers(raw: object, specs: dict[str, FieldSpec], problems: list[str]) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append("The answers are not a list of fields.")
        return {}
    answers: dict[str, object] = {}
    for name, value in raw.items():
        spec = specs.get(name)
        if spec is None:
            problems.append(f"Unknown question {str(name)[:60]!r}.")
            continue
        checked = _check_value(spec.label, spec.kind, value, problems, spec.low, spec.high)
        # Empty answers are dropped; a rating of 0 (on a scale from 0) is an answer, though 0 == False.
        if not (checked is None or checked is False or checked == ""):
            answers[name] = checked
    return {name: answers[name] for name in specs if name in answers}


def _check_value(label: str, kind: str, value: object, problems: list[str], low: int = 0, high: int = 0):
    """Check one value against its kind; return it tidied, or None (empty, or after noting the problem)."""
    if value is None:
        return None
    if kind == "check":
        if isinstance(value, bool):
            return value
        problems.append(f"{label!r} must be checked or unchecked.")
        return None
    if kind == "scale":
        return _check_scale(label, value, low, high, problems)
    if kind == "date":
        return _check_date(label, value, problems)
    if not isinstance(value, str):
        problems.append(f"The answer to {label!r} must be text.")
        return None
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    limit = MAX_TEXT if kind == "text" else MAX_LINE
    if len(text) > limit:
        problems.append(f"The answer to {label!r} is {len(text):,} characters long; the limit is {limit:,}.")
        return None
    return text


def _check_scale(label: str, value: object, low: int, high: int, problems: list[str]):
    if value == "":
        return None
    number = value
    if isinstance(value, str) and re.fullmatch(r" *-?[0-9]{1,3} *", value):
        number = int(value)
    if isinstance(number, int) and not isinstance(number, bool) and low <= number <= high:
        return number
    problems.append(f"{label!r} must be a whole number from {low} to {high}; it was {str(value)[:20]!r}.")
    return None


def _check_date(label: str, value: object, problems: list[str]):
    if value == "":
        return None
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) and ISO_DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        problems.append(f"{label!r} must be a date written as YYYY-MM-DD; it was {str(value)[:20]!r}.")
        return None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        problems.append(f"{label!r} must be between {EARLIEST_DATE} and {LATEST_DATE}; it was {value}.")
        return None
    return value


def _normalise_sessions(raw: object, columns: tuple[Column, ...], problems: list[str]) -> list[dict]:
    if raw is None or raw == []:
        return []
    if not isinstance(raw, list):
        problems.append("The session log is not a list of sessions.")
        return []
    if not columns:
        problems.append("This worksheet has no session log, but the answers hold sessions.")
        return []
    if len(raw) > MAX_SESSIONS:
        problems.append(f"The session log has {len(raw):,} rows; the limit is {MAX_SESSIONS:,}.")
        return []
    sessions = []
    for number, row in enumerate(raw, start=1):
        if not isinstance(row, Mapping):
            problems.append(f"Session {number} is not a row of the log.")
            continue
        row_id = row.get("id")
        if not (isinstance(row_id, str) and SESSION_ID.fullmatch(row_id)):
            problems.append(f"Session {number} has no valid identifier.")
            continue
        session: dict[str, object] = {"id": row_id}
        for column in columns:
            # A log's text column is a few lines in its cell: it has a short field's limit.
            kind = "line" if column.kind == "text" else column.kind
            low, high = (column.scale.low, column.scale.high) if column.scale else (0, 0)
            value = _check_value(f"Session {number}: {column.label}", kind, row.get(column.id), problems, low, high)
            session[column.id] = value if value not in ("",) else None
        unknown = set(row) - {"id"} - {column.id for column in columns}
        if unknown:
            problems.append(f"Session {number} has unknown columns: {', '.join(sorted(map(str, unknown)))[:80]}.")
        sessions.append(session)
    # Undated rows (being filled in) stay at the end, in the order they were added.
    date = columns[0].id
    return sorted(sessions, key=lambda s: (s[date] is None, s[date] or ""))


def parse_timestamp(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- backups ----------------------------------------------------------------------------------------------


def to_backup(doc: dict, worksheet: Worksheet) -> str:
    """The JSON backup: the normalised document itself, readable by any later version."""
    return json.dumps(normalise(doc, worksheet), ensure_ascii=False, indent=2) + "\n"


def read_backup(text: str) -> object:
    """A backup file's text as JSON, not yet checked; raise AnswersError with a message fit to show the person."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise AnswersError(
            [
                f"This file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; "
                "a worksheet backup is much smaller. Is it the right file?"
            ]
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        raise AnswersError(
            [f"This file is not a readable backup: it is not valid JSON{where}. It may be damaged or cut short."]
        ) from None


def from_backup(text: str, worksheet: Worksheet) -> dict:
    """Read a backup file of ``worksheet``'s answers; raise AnswersError with a message fit to show the person."""
    return normalise(read_backup(text), worksheet)
