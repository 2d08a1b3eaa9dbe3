"""The one entry point the browser's worker calls: JSON in, JSON out.

Keeping the boundary to strings means the JavaScript side needs no knowledge of Python objects, and a
failure comes back as a message the page can show instead of an exception crossing into JavaScript.
"""

from __future__ import annotations

import json

from . import answers, exports, progress, sharing


def _view(doc: dict) -> dict:
    """Everything the page shows after a change: the tidy document, its summary and chart."""
    normalised = answers.normalise(doc)
    summary = progress.summarise(normalised)
    return {
        "document": normalised,
        "summary": summary,
        "description": progress.describe(summary),
        "chart": progress.chart_svg(normalised, summary),
    }


def _exports(doc: dict, utc_offset_minutes: int) -> dict:
    normalised = answers.normalise(doc)
    return {
        "json": answers.to_backup(normalised),
        "markdown": exports.to_markdown(normalised, utc_offset_minutes=utc_offset_minutes),
        "csv": exports.sessions_csv(normalised),
    }


def _snapshot(payload: dict) -> dict:
    snapshot = sharing.make_snapshot(payload["document"], payload["sections"], payload["created_at"], payload.get("note"))
    return {"snapshot": json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))}


def _preview(payload: dict) -> dict:
    """What the therapist's page will show for this snapshot, made by the very code that page runs."""
    return _open_snapshot(_snapshot(payload)["snapshot"], payload["utc_offset_minutes"])


def _open_snapshot(text: str, utc_offset_minutes: int) -> dict:
    """Everything the therapist's page shows and offers for download, from the decrypted snapshot."""
    snapshot = sharing.read_snapshot(text)
    doc = snapshot["document"]
    summary = progress.summarise(doc)
    return {
        "created_at": snapshot["created_at"],
        "note": snapshot.get("note", ""),
        "sections": sharing.readonly_view(snapshot),
        "summary": summary,
        "description": progress.describe(summary),
        "chart": progress.chart_svg(doc, summary) if "sessions" in snapshot["sections"] else None,
        "markdown": exports.to_markdown(doc, sections=snapshot["sections"], utc_offset_minutes=utc_offset_minutes),
        "json": answers.to_backup(doc),
    }


OPERATIONS = {
    "view": lambda payload: _view(payload["document"]),
    "exports": lambda payload: _exports(payload["document"], payload["utc_offset_minutes"]),
    "import": lambda payload: _view(answers.from_backup(payload["text"])),
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
