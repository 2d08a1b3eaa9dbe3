"""Snapshots for sharing, and the read-only view the therapist sees.

A snapshot is the normalised worksheet document, cut down to the sections the person chose, inside a
small versioned wrapper that names its worksheet. The browser encrypts it; the therapist's browser
decrypts it and asks this module to check it and lay it out from the same worksheet content as the form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from . import answers
from .content import Section, Worksheet
from .prompt_kinds import section_of
from .section_kinds import SECTION_KINDS

FORMAT = "trust-safety-worksheet-share"
# Version 2 names the worksheet; version 1 (before there were several) was always the first one's.
VERSION = 2
READABLE_VERSIONS = (1, 2)
# The person's optional note to the therapist ("from Sam, for Thursday"): one short line, so that a
# therapist with several clients can tell who sent the answers. It travels inside the encrypted snapshot.
MAX_NOTE = answers.MAX_LINE


def make_snapshot(doc: object, sections: Iterable[str], created_at: str, note: object, worksheet: Worksheet) -> dict:
    """A snapshot of ``doc`` holding only ``sections`` and the person's ``note``; raises AnswersError on
    invalid answers, choices or note."""
    chosen = list(dict.fromkeys(sections))
    known = [section.id for section in worksheet.sections]
    unknown = [name for name in chosen if name not in known]
    if unknown or not chosen:
        raise answers.AnswersError(
            [f"Unknown section(s): {', '.join(unknown)}." if unknown else "Choose at least one part of the worksheet to share."]
        )
    normalised = answers.normalise(doc, worksheet)
    log_ids = {section.id for section in worksheet.sections if SECTION_KINDS[section.kind].holds_sessions}
    document = {
        **normalised,
        "answers": {name: value for name, value in normalised["answers"].items() if section_of(name) in chosen},
        "sessions": normalised["sessions"] if log_ids & set(chosen) else [],
    }
    ordered = [section_id for section_id in known if section_id in chosen]
    snapshot = {
        "format": FORMAT,
        "version": VERSION,
        "worksheet": worksheet.id,
        "created_at": created_at,
        "sections": ordered,
        "document": document,
    }
    note = _check_note(note)
    if note:
        snapshot["note"] = note
    return snapshot


def _check_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise answers.AnswersError(["The note to your therapist must be text."])
    note = " ".join(note.split())
    if len(note) > MAX_NOTE:
        raise answers.AnswersError([f"The note to your therapist is {len(note):,} characters long; the limit is {MAX_NOTE:,}."])
    return note


def read_snapshot(text: str, catalogue: Mapping[str, Worksheet]) -> tuple[dict, Worksheet]:
    """Check a decrypted snapshot and find its worksheet in ``catalogue``; raise AnswersError with a message for
    the therapist if it is unusable."""
    try:
        snapshot = json.loads(text)
    except ValueError:
        raise answers.AnswersError(["The shared answers could not be read: they are not in the expected format."]) from None
    if not isinstance(snapshot, Mapping) or snapshot.get("format") != FORMAT:
        raise answers.AnswersError(["The shared answers could not be read: they are not in the expected format."])
    if snapshot.get("version") not in READABLE_VERSIONS:
        raise answers.AnswersError(
            [
                f"These answers were shared from a different version of the site (format {snapshot.get('version')!r}); "
                "reload this page to get the newest version."
            ]
        )
    sections = snapshot.get("sections")
    if not isinstance(sections, list) or not all(isinstance(name, str) for name in sections):
        raise answers.AnswersError(["The shared answers do not say which parts of the worksheet they hold."])
    created_at = snapshot.get("created_at")
    if not isinstance(created_at, str) or answers.parse_timestamp(created_at) is None:
        raise answers.AnswersError(["The shared answers have no valid creation time."])
    worksheet_id = answers.LEGACY_WORKSHEET if snapshot["version"] == 1 else snapshot.get("worksheet")
    worksheet = catalogue.get(worksheet_id) if isinstance(worksheet_id, str) else None
    if worksheet is None:
        raise answers.AnswersError(
            [f"These answers are to a worksheet this site does not have ({str(worksheet_id)[:60]!r}); it may have been removed."]
        )
    # Snapshots shared before notes existed have none: the note is optional. A version 1 snapshot's document
    # is of answers' version 2, which normalise migrates to its worksheet.
    return make_snapshot(snapshot.get("document"), sections, created_at, snapshot.get("note"), worksheet), worksheet


def readonly_view(snapshot: dict, worksheet: Worksheet) -> list[dict]:
    """The shared sections as plain data for the page to show as text: titles, prompts and answers."""
    doc = snapshot["document"]
    return [_section_view(section, doc) for section in worksheet.sections if section.id in snapshot["sections"]]


def _section_view(section: Section, doc: dict) -> dict:
    view: dict = {"id": section.id, "title": section.title, "kind": section.kind, "intro": section.intro}
    return {**view, **SECTION_KINDS[section.kind].view(section, doc)}
