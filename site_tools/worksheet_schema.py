"""The schema of a worksheet's content file (``docs/worksheets/<id>.md``): what its front matter may say.

A JSON Schema (draft 2020-12), checked at build by ``jsonschema`` (``site_tools.worksheet_content``, which
names each mistake with its file and line). Every limit on a worksheet is in ``LIMITS``, declared once here:
the schema is made from it, the README's authoring guide states it, and the browser gets it as the fact
``WORKSHEET_LIMITS`` (``browser_facts.py``). What the person types has limits of its own, in
``py_client.answers``.
"""

from __future__ import annotations

from py_client.prompt_kinds import PROMPT_KINDS
from py_client.section_kinds import SECTION_KINDS

LIMITS = {
    # A worksheet's id is its file's name: part of the page's address and of the keys its answers are saved under.
    "worksheet_id_length": 60,
    # A section's, item's, prompt's or column's id: part of an answer's name (``section.prompt``).
    "id_length": 60,
    "title_length": 120,
    "description_length": 300,
    "label_length": 300,
    "hint_length": 600,
    "intro_length": 2000,
    "explanation_length": 600,
    "sections": 20,
    "entries_per_section": 40,  # checklist items, or prompts
    "fields": 300,  # answer fields in the whole worksheet (a list prompt's lines count one each)
    "list_lines": 10,
    "scale_high": 10,  # a scale runs from 0 or 1 to at most this: one radio button a point
    "log_columns": 8,
    "log_series": 4,  # scale columns in a log: each is a line of the chart with its own marker shape
    "series_length": 20,  # a series' name, in the chart's legend
}

WORKSHEET_ID_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"
ID_PATTERN = "^[a-z0-9][a-z0-9_-]*$"
COLUMN_KINDS = ("date", "line", "text", "scale")


def _text(limit: str, description: str) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": LIMITS[limit], "description": description}


ID = {
    "type": "string",
    "pattern": ID_PATTERN,
    "maxLength": LIMITS["id_length"],
    "description": "lower-case letters, digits, '-' and '_', starting with a letter or digit",
}
SCALE = {
    "type": "object",
    "description": "a whole-number scale: low (0 or 1), high, and the meaning of some points as [point, meaning] pairs",
    "required": ["low", "high"],
    "additionalProperties": False,
    "properties": {
        "low": {"type": "integer", "minimum": 0, "maximum": 1},
        "high": {"type": "integer", "minimum": 2, "maximum": LIMITS["scale_high"]},
        "anchors": {
            "type": "array",
            "maxItems": LIMITS["scale_high"] + 1,
            "items": {
                "type": "array",
                "description": "a [point, meaning] pair, such as [1, Not at all]",
                "prefixItems": [{"type": "integer"}, _text("label_length", "what the point means")],
                "minItems": 2,
                "maxItems": 2,
            },
        },
    },
}
ITEM = {
    "type": "object",
    "required": ["id", "label", "explanation"],
    "additionalProperties": False,
    "properties": {
        "id": ID,
        "label": _text("label_length", "the statement's short name, shown in bold"),
        "explanation": _text("explanation_length", "what the statement means"),
    },
}
PROMPT = {
    "type": "object",
    "required": ["id", "label"],
    "additionalProperties": False,
    "properties": {
        "id": ID,
        "kind": {"enum": list(PROMPT_KINDS), "description": "text (the default), list or scale"},
        "label": _text("label_length", "the question"),
        "hint": _text("hint_length", "a line under the question"),
        "lines": {"type": "integer", "minimum": 1, "maximum": LIMITS["list_lines"], "description": "a list's number of lines"},
        "scale": SCALE,
        "source_note": _text("hint_length", "what was restored where the source lost words"),
    },
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "list"}}, "required": ["kind"]},
            "then": {"required": ["lines"], "properties": {"scale": False}},
        },
        {
            "if": {"properties": {"kind": {"const": "scale"}}, "required": ["kind"]},
            "then": {"required": ["scale"], "properties": {"lines": False}},
        },
        {
            "if": {"anyOf": [{"not": {"required": ["kind"]}}, {"properties": {"kind": {"const": "text"}}}]},
            "then": {"properties": {"lines": False, "scale": False}},
        },
    ],
}
COLUMN = {
    "type": "object",
    "required": ["id", "label", "kind"],
    "additionalProperties": False,
    "properties": {
        "id": ID,
        "label": _text("label_length", "the column's heading"),
        "kind": {"enum": list(COLUMN_KINDS)},
        "hint": _text("hint_length", "a line under the field"),
        "scale": SCALE,
        "series": _text("series_length", "the rating's short name in the chart and summary"),
    },
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "scale"}}},
            "then": {"required": ["scale", "series"]},
            "else": {"properties": {"scale": False, "series": False}},
        }
    ],
}
IS_SCALE = {"properties": {"kind": {"const": "scale"}}}
SECTION = {
    "type": "object",
    "required": ["id", "title", "kind"],
    "additionalProperties": False,
    "properties": {
        "id": ID,
        "title": _text("title_length", "the section's heading"),
        "kind": {"enum": list(SECTION_KINDS), "description": "checklist, prompts or log"},
        "intro": _text("intro_length", "a paragraph before the section's fields (a checklist's is its heading)"),
        "items": {"type": "array", "minItems": 1, "maxItems": LIMITS["entries_per_section"], "items": ITEM},
        "prompts": {"type": "array", "minItems": 1, "maxItems": LIMITS["entries_per_section"], "items": PROMPT},
        "columns": {
            "type": "array",
            "minItems": 2,
            "maxItems": LIMITS["log_columns"],
            "description": "the date first, then the session's other fields",
            "prefixItems": [
                {
                    "allOf": [
                        COLUMN,
                        {"properties": {"kind": {"const": "date", "description": "a log's first column is its date"}}},
                    ]
                }
            ],
            "items": {"allOf": [COLUMN, {"properties": {"kind": {"enum": [kind for kind in COLUMN_KINDS if kind != "date"]}}}]},
            "contains": IS_SCALE,
            "minContains": 0,
            "maxContains": LIMITS["log_series"],
        },
        "chart_title": _text("title_length", "the chart's title, read by screen readers"),
    },
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "checklist"}}},
            "then": {
                "required": ["items", "intro"],
                "properties": {"prompts": False, "columns": False, "chart_title": False},
            },
        },
        {
            "if": {"properties": {"kind": {"const": "prompts"}}},
            "then": {"required": ["prompts"], "properties": {"items": False, "columns": False, "chart_title": False}},
        },
        {
            "if": {"properties": {"kind": {"const": "log"}}},
            "then": {"required": ["columns"], "properties": {"items": False, "prompts": False}},
        },
        {
            "if": {"properties": {"columns": {"contains": IS_SCALE}}, "required": ["columns"]},
            "then": {"required": ["chart_title"]},
        },
    ],
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "A worksheet's content file: its front matter",
    "type": "object",
    "required": ["title", "description", "worksheet"],
    "additionalProperties": False,
    "properties": {
        "title": _text("title_length", "the worksheet's title, as the page and the list show it"),
        "description": _text("description_length", "one sentence for the list of worksheets and search engines"),
        "worksheet": {
            "type": "object",
            "required": ["sections"],
            "additionalProperties": False,
            "properties": {
                "sections": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": LIMITS["sections"],
                    "items": SECTION,
                    "contains": {"properties": {"kind": {"const": "log"}}},
                    "minContains": 0,
                    "maxContains": 1,
                    "description": "the worksheet's parts, in order; at most one session log",
                }
            },
        },
    },
}
