"""Runs every operation of ``py_client.bridge`` once, on good and on bad input, inside Pyodide, and prints
the standard-library files that were imported: the list the trimmed ``python_stdlib.zip`` is made from.

Run by ``site_tools/stdlib/trace.mjs`` (Node) at build time, with the full standard library; error paths
count, since a module first imported while reporting an error must be in the trimmed zip too.
"""

import json
import sys

from py_client import bridge, content
from py_client.answers import FORMAT, LEGACY_WORKSHEET, VERSION, field_specs

# An answer of each field kind, with characters that exercise escaping and the CSV formula guard.
ANSWER_OF_KIND = {
    "check": True,
    "line": "A line – «quoted» & <b>",
    "text": "=1+1, an answer\r\nwith two lines and émojis 🙂",
}


def full_document(worksheet):
    answers = {
        spec.name: spec.high if spec.kind == "scale" else ANSWER_OF_KIND[spec.kind] for spec in field_specs(worksheet).values()
    }
    session_value = {"date": None, "line": "Work", "text": "Listen\nand ask", "scale": None}
    sessions = []
    for n in range(1, 5):
        row = {"id": f"s{n}"}
        for column in worksheet.log.columns if worksheet.log else ():
            row[column.id] = {"date": f"2026-0{n}-1{n}", "scale": column.scale.low + n if column.scale else None}.get(
                column.kind, session_value[column.kind]
            )
        sessions.append(row)
    return {
        "format": FORMAT,
        "version": VERSION,
        "worksheet": worksheet.id,
        "saved_at": "2026-01-01T10:00:00Z",
        "answers": answers,
        "sessions": sessions if worksheet.log else [],
    }


def call(operation, payload):
    return json.loads(bridge.call(operation, json.dumps(payload)))


for worksheet in content.catalogue().values():
    doc = full_document(worksheet)
    sections = [section.id for section in worksheet.sections]
    backup = call("exports", {"document": doc, "utc_offset_minutes": -300})["ok"]["json"]
    snapshot = call(
        "snapshot", {"document": doc, "sections": sections, "created_at": "2026-01-01T10:00:00Z", "note": "From Sam"}
    )["ok"]["snapshot"]
    for operation, payload in [
        ("view", {"document": doc}),
        ("view", {"document": {**doc, "sessions": [{"date": "0002-13-45", "trust": "x"}]}}),
        ("view", {"document": {"format": FORMAT, "version": 1, "answers": {}, "sessions": []}}),
        ("view", {"document": {"format": FORMAT, "version": 2, "answers": {}, "sessions": []}}),
        ("view", {"document": {"format": "other", "version": 99}}),
        ("view", {"document": {**doc, "worksheet": "no-such-worksheet"}}),
        ("import", {"text": backup, "worksheet": worksheet.id}),
        ("import", {"text": backup, "worksheet": LEGACY_WORKSHEET}),
        ("import", {"text": "{not json", "worksheet": worksheet.id}),
        ("import", {"text": "x" * 100, "worksheet": worksheet.id}),
        (
            "preview",
            {
                "document": doc,
                "sections": sections[:1],
                "created_at": "2026-01-01T10:00:00Z",
                "note": "",
                "utc_offset_minutes": 60,
            },
        ),
        ("snapshot", {"document": doc, "sections": ["nowhere"], "created_at": "2026-01-01T10:00:00Z"}),
        ("open_snapshot", {"text": snapshot, "utc_offset_minutes": 0}),
        ("open_snapshot", {"text": "{}", "utc_offset_minutes": 0}),
    ]:
        call(operation, payload)
try:  # an unexpected error, as Pyodide reports it to JavaScript
    bridge.call("no-such-operation", "{}")
except KeyError:
    import traceback

    traceback.format_exc()

print(json.dumps(sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})))
