"""The one entry point the browser's worker calls: JSON in, JSON out.

Keeping the boundary to strings means the JavaScript side needs no knowledge of Python objects, and a
failure comes back as a message the page can show instead of an exception crossing into JavaScript.

Every document names its worksheet (``answers``), and so does every snapshot (``sharing``): an operation
finds the worksheet it works on in the site's catalogue (``content.catalogue``), so one Python serves
every worksheet's page and the therapist's pages.
"""

from __future__ import annotations

import json

from . import answers, content, exports, progress, sharing
from .content import Worksheet


def _worksheet(doc: object) -> Worksheet:
    return answers.worksheet_of(doc, content.catalogue())


def _view(doc: dict) -> dict:
    """Everything the page shows after a change: the tidy document, its summary and chart."""
    worksheet = _worksheet(doc)
    normalised = answers.normalise(doc, worksheet)
    summary = progress.summarise(normalised, worksheet.log)
    return {
        "document": normalised,
        "summary": summary,
        "description": progress.describe(summary, worksheet.log),
        "chart": progress.chart_svg(normalised, summary, worksheet.log) if worksheet.log else None,
    }


def _exports(doc: dict, utc_offset_minutes: int) -> dict:
    worksheet = _worksheet(doc)
    normalised = answers.normalise(doc, worksheet)
    return {
        "json": answers.to_backup(normalised, worksheet),
        "markdown": exports.to_markdown(normalised, worksheet, utc_offset_minutes=utc_offset_minutes),
        "csv": exports.sessions_csv(normalised, worksheet),
    }


def _import(text: str, worksheet_id: str) -> dict:
    """A backup restored on the page of ``worksheet_id``: a backup of another worksheet's answers says which."""
    page = content.catalogue()[worksheet_id]
    doc = answers.read_backup(text)
    held = _worksheet(doc)
    if held.id != page.id:
        raise answers.AnswersError(
            [f"This backup holds answers to “{held.title}”, not to “{page.title}”: open that worksheet to restore it."]
        )
    return _view(answers.normalise(doc, page))


def _snapshot(payload: dict) -> dict:
    worksheet = _worksheet(payload["document"])
    snapshot = sharing.make_snapshot(
        payload["document"], payload["sections"], payload["created_at"], payload.get("note"), worksheet
    )
    return {"snapshot": json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))}


def _preview(payload: dict) -> dict:
    """What the therapist's page will show for this snapshot, made by the very code that page runs."""
    return _open_snapshot(_snapshot(payload)["snapshot"], payload["utc_offset_minutes"])


def _open_snapshot(text: str, utc_offset_minutes: int) -> dict:
    """Everything the therapist's page shows and offers for download, from the decrypted snapshot."""
    snapshot, worksheet = sharing.read_snapshot(text, content.catalogue())
    doc = snapshot["document"]
    summary = progress.summarise(doc, worksheet.log)
    shows_log = worksheet.log is not None and worksheet.log.id in snapshot["sections"]
    return {
        "worksheet": {"id": worksheet.id, "title": worksheet.title},
        "created_at": snapshot["created_at"],
        "note": snapshot.get("note", ""),
        "sections": sharing.readonly_view(snapshot, worksheet),
        "summary": summary,
        "description": progress.describe(summary, worksheet.log),
        "chart": progress.chart_svg(doc, summary, worksheet.log) if shows_log else None,
        "markdown": exports.to_markdown(doc, worksheet, sections=snapshot["sections"], utc_offset_minutes=utc_offset_minutes),
        "json": answers.to_backup(doc, worksheet),
    }


OPERATIONS = {
    "view": lambda payload: _view(payload["document"]),
    "exports": lambda payload: _exports(payload["document"], payload["utc_offset_minutes"]),
    "import": lambda payload: _import(payload["text"], payload["worksheet"]),
    "snapshot": _snapshot,
    "preview": _preview,
    "open_snapshot": lambda payload: _open_snapshot(payload["text"], payload["utc_offset_minutes"]),
}


def call(operation: str, payload_json: str) -> str:
    """Run one operation; answer ``{"ok": result}`` or ``{"error": [problems]}``."""
    try:
        result = OPERATIONS[operation](json.loads(payload_json))
    except answers.AnswersError as error:
        return json.dumps({"error": error.problems})
    return json.dumps({"ok": result}, ensure_ascii=False)
