"""The worksheets' content files: found, read, checked and handed on.

A worksheet is one Markdown file, ``docs/worksheets/<id>.md``: its front matter holds the worksheet (checked
against ``worksheet_schema.SCHEMA`` with ``jsonschema``), its body the prose around the sections, which it
places with ``{worksheet-section: ID}`` markers. The README's authoring guide describes the format.

Every mistake is reported with the file, its line and what would do, and stops the build: a content file
the build has not understood never reaches a page. The files of ``WORKSHEETS_ALSO`` (a folder, relative to
the project) join the site's own: the tests' fixture worksheet is built this way and never published.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from py_client.content import Worksheet, worksheet_from_data
from site_tools.worksheet_schema import LIMITS, SCHEMA, WORKSHEET_ID_PATTERN

ROOT = Path(__file__).resolve().parent.parent
# Where the site's worksheets are, as pages of the site (docs/) and as files.
PAGES_FOLDER = "worksheets"
FOLDER = ROOT / "docs" / PAGES_FOLDER
# The list page in that folder, which is no worksheet.
LIST_PAGE = "index.md"
# A folder of more worksheets for this build only (the tests' fixture): see the docstring.
ALSO_SETTING = "WORKSHEETS_ALSO"
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*\n", re.DOTALL)
# Any paragraph that looks like a marker is one (worksheet_markdown reads them too): a misspelt marker stops
# the build rather than showing as text. In a content file, only sections are placed by hand.
MARKER = re.compile(r"^\{worksheet-(?P<name>[^}:]*)(?:: *(?P<argument>[^}]*))?\}$")
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


class ContentError(ValueError):
    """Mistakes in a content file, each ``file:line: what is wrong; what would do``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Refused(Exception):
    """What the front matter's YAML says in a way the build does not take, at a line (from 0)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


@dataclass(frozen=True)
class WorksheetFile:
    """A checked content file: its worksheet, and its front matter as data."""

    path: Path
    worksheet: Worksheet
    description: str
    data: dict


def _located(node: yaml.Node, path: tuple, lines: dict[tuple, int], seen: set[int]) -> object:
    """The data of a YAML node, noting in ``lines`` the line (from 0) where each path's entry is written.
    YAML's aliases (``*name``) are refused: a few lines of them can stand for more data than a build can hold,
    and a worksheet says each thing once anyway. So is a key given twice, which YAML would silently drop."""
    if id(node) in seen:
        # The node is the anchor's: where the alias stands is known only as the entry that holds it.
        raise _Refused(_line_of(path, lines), f"{_where(path)} repeats another part with a YAML alias; write it out")
    seen.add(id(node))
    lines.setdefault(path, node.start_mark.line)
    if isinstance(node, yaml.MappingNode):
        data = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            if key in data:
                raise _Refused(key_node.start_mark.line, f"{_where((*path, key))} is given twice; keep one")
            lines[(*path, key)] = key_node.start_mark.line
            data[key] = _located(value_node, (*path, key), lines, seen)
        return data
    if isinstance(node, yaml.SequenceNode):
        return [_located(item, (*path, index), lines, seen) for index, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _property_descriptions(schema: object, found: dict[str, str]) -> dict[str, str]:
    """Each property's description anywhere in the schema, by name: what a missing key is for, where a
    requirement comes from an if/then that does not describe its keys."""
    if isinstance(schema, dict):
        for name, property_schema in schema.get("properties", {}).items():
            if isinstance(property_schema, dict) and "description" in property_schema:
                found.setdefault(name, property_schema["description"])
        for value in schema.values():
            _property_descriptions(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _property_descriptions(value, found)
    return found


PROPERTY_DESCRIPTIONS = _property_descriptions(SCHEMA, {})


def _where(path: tuple) -> str:
    """A path into the front matter as an author reads it: ``worksheet.sections[2].prompts[0].kind``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else str(step)
    return text or "the front matter"


def _path(error: jsonschema.ValidationError, lines: dict[tuple, int]) -> tuple:
    """Where a schema error is, down to the key at fault: jsonschema reports a key the schema refuses
    (``false``) or does not know (``additionalProperties``) at the object that holds it."""
    path = tuple(error.absolute_path)
    if error.schema is False and error.schema_path and error.schema_path[-1] == "properties":
        refused = functools.reduce(lambda schema, step: schema[step], error.schema_path, SCHEMA)
        return next(((*path, key) for key, allowed in refused.items() if allowed is False and (*path, key) in lines), path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        return (*path, next(key for key in error.instance if key not in known))
    return path


def _explain(error: jsonschema.ValidationError, lines: dict[tuple, int]) -> str:
    """A schema error in words that say what would do."""
    schema, value = error.schema, error.instance
    if schema is False:
        return f"{_where(_path(error, lines))} does not belong here; take it out"
    description = schema.get("description") if isinstance(schema, dict) else None
    expected = f" ({description})" if description else ""
    if error.validator == "required":
        missing = error.message.split(" is a required")[0].strip("'")
        about = schema.get("properties", {}).get(missing, {}).get("description") or PROPERTY_DESCRIPTIONS.get(missing)
        return f"{_where(error.absolute_path)} needs '{missing}'" + (f" ({about})" if about else "")
    if error.validator == "additionalProperties":
        allowed = ", ".join(schema.get("properties", {}))
        return f"{_where(_path(error, lines))} is not a key this part knows; the keys here are {allowed}"
    if error.validator == "maxLength":
        return f"{_where(error.absolute_path)} is {len(value):,} characters long; at most {error.validator_value:,} will do"
    if error.validator == "minLength":
        return f"{_where(error.absolute_path)} is empty; write it, or leave the key out where it is optional"
    if error.validator == "pattern":
        return f"{_where(error.absolute_path)} is {value!r}; it must be {description}"
    if error.validator in ("maxItems", "minItems"):
        bound = "at most" if error.validator == "maxItems" else "at least"
        return f"{_where(error.absolute_path)} has {len(value)} entries; {bound} {error.validator_value} will do{expected}"
    if error.validator in ("maxContains", "minContains"):
        return f"{_where(error.absolute_path)}: {error.message}{expected}"
    if error.validator in ("enum", "const"):
        options = error.validator_value if error.validator == "enum" else [error.validator_value]
        return f"{_where(error.absolute_path)} is {value!r}; use {' or '.join(map(repr, options))}{expected}"
    return f"{_where(error.absolute_path)}: {error.message}{expected}"


def _line_of(path: tuple, lines: dict[tuple, int]) -> int:
    while path not in lines:
        path = path[:-1]
    return lines[path]


def _schema_problems(data: object, lines: dict[tuple, int], name: str, offset: int) -> list[str]:
    located = sorted((_line_of(_path(error, lines), lines), _explain(error, lines)) for error in VALIDATOR.iter_errors(data))
    return [f"{name}:{line + offset}: {explained}" for line, explained in located]


def _meaning_problems(data: dict, lines: dict[tuple, int], name: str, offset: int) -> Iterator[str]:
    """What the schema cannot say: ids used twice, scales' ends and anchors, the number of fields."""

    def at(*path) -> str:
        return f"{name}:{_line_of(path, lines) + offset}"

    sections = data["worksheet"]["sections"]
    yield from _twice([section["id"] for section in sections], lambda i: at("worksheet", "sections", i, "id"), "section id")
    fields = 0
    for s, section in enumerate(sections):
        for key in ("items", "prompts", "columns"):
            entries = section.get(key, [])
            yield from _twice(
                [entry["id"] for entry in entries], lambda i, key=key, s=s: at("worksheet", "sections", s, key, i, "id"), "id"
            )
            for e, entry in enumerate(entries):
                if "scale" in entry:
                    yield from _scale_problems(entry["scale"], at("worksheet", "sections", s, key, e, "scale"))
        fields += len(section.get("items", []))
        fields += sum(prompt.get("lines", 1) for prompt in section.get("prompts", []))
    if fields > LIMITS["fields"]:
        yield f"{at('worksheet', 'sections')}: the worksheet has {fields} answer fields; at most {LIMITS['fields']} will do"


def _twice(ids: list[str], at, what: str) -> Iterator[str]:
    for index, identifier in enumerate(ids):
        if identifier in ids[:index]:
            yield f"{at(index)}: the {what} {identifier!r} is used twice here; give each its own"


def _scale_problems(scale: dict, where: str) -> Iterator[str]:
    # Its ends are the schema's to check: low is 0 or 1, and high 2 or more.
    for point, _meaning in scale.get("anchors", []):
        if not scale["low"] <= point <= scale["high"]:
            yield f"{where}: the anchor {point} is outside the scale ({scale['low']} to {scale['high']}); use a point on it"


def _body_problems(body: str, data: dict, name: str, body_line: int) -> Iterator[str]:
    """The body's markers: each names a section, once; and either every section is placed or none is."""
    ids = [section["id"] for section in data["worksheet"]["sections"]]
    placed = []
    for number, line in enumerate(body.splitlines(), start=body_line):
        match = MARKER.match(line.strip())
        if not match:
            continue
        if match["name"] != "section":
            yield (
                f"{name}:{number}: {line.strip()!r} is not a marker a worksheet places; write {{worksheet-section: ID}} "
                "(the save status, the lock, the downloads and sharing are placed by the build)"
            )
        elif match["argument"] not in ids:
            yield f"{name}:{number}: {line.strip()!r} names no section; the sections are {', '.join(ids)}"
        elif match["argument"] in placed:
            yield f"{name}:{number}: {line.strip()!r} places that section a second time; place each once"
        else:
            placed.append(match["argument"])
    if placed and len(placed) < len(ids):
        missing = ", ".join(section for section in ids if section not in placed)
        yield f"{name}:{body_line}: the body places some sections but not {missing}; place every one, or none (then all follow the text)"


def read(path: Path) -> WorksheetFile:
    """Read and check one content file; raise ContentError listing every mistake found."""
    name = os.path.relpath(path, ROOT)
    stem = path.stem
    if not re.fullmatch(WORKSHEET_ID_PATTERN, stem) or len(stem) > LIMITS["worksheet_id_length"]:
        raise ContentError(
            [
                f"{name}:1: the file's name is the worksheet's id and address; use lower-case words joined by '-', "
                f"at most {LIMITS['worksheet_id_length']} characters (such as my-worksheet.md)"
            ]
        )
    text = path.read_text(encoding="utf-8")
    front = FRONT_MATTER.match(text)
    if not front:
        raise ContentError([f"{name}:1: a worksheet starts with its front matter between two '---' lines"])
    try:
        node = yaml.compose(front[1], Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise ContentError([f"{name}:{line}: the front matter is not valid YAML: {getattr(error, 'problem', error)}"]) from None
    lines: dict[tuple, int] = {}
    try:
        data = _located(node, (), lines, set()) if node is not None else None
    except _Refused as refused:
        raise ContentError([f"{name}:{refused.line + 2}: {refused.message}"]) from None
    offset = 2  # the front matter starts on the file's second line, and YAML counts from 0
    problems = _schema_problems(data, lines, name, offset)
    body_line = text[: front.end()].count("\n") + 1
    body = text[front.end() :]
    if not problems:
        problems = list(_meaning_problems(data, lines, name, offset))
        problems += _body_problems(body, data, name, body_line)
    if problems:
        raise ContentError(problems)
    worksheet = worksheet_from_data(stem, data["title"], data["worksheet"])
    return WorksheetFile(path, worksheet, data["description"], data)


def folders() -> list[Path]:
    """The site's own worksheets' folder, and ``WORKSHEETS_ALSO``'s when it is set."""
    also = os.environ.get(ALSO_SETTING, "")
    if also and not (ROOT / also).is_dir():
        raise ContentError([f"{ALSO_SETTING}={also}: there is no such folder in the project"])
    return [FOLDER, *([ROOT / also] if also else [])]


def paths() -> list[Path]:
    return [path for folder in folders() for path in sorted(folder.glob("*.md")) if path.name != LIST_PAGE]


@functools.cache
def catalogue() -> dict[str, WorksheetFile]:
    """Every worksheet of this build, by id, in the list's order; the build stops on any mistake in any file
    (all of them reported at once) and on two files of one name."""
    files: dict[str, WorksheetFile] = {}
    problems: list[str] = []
    for path in paths():
        try:
            read_file = read(path)
        except ContentError as error:
            problems += error.problems
            continue
        if read_file.worksheet.id in files:
            problems.append(
                f"{os.path.relpath(path, ROOT)}:1: a worksheet named {read_file.worksheet.id!r} is already in "
                f"{os.path.relpath(files[read_file.worksheet.id].path, ROOT)}; rename one"
            )
        files[read_file.worksheet.id] = read_file
    if problems:
        raise ContentError(problems)
    if not files:
        raise ContentError([f"{os.path.relpath(FOLDER, ROOT)}: the site has no worksheet; add a content file"])
    return files


def catalogue_json() -> str:
    """The catalogue as py_client reads it (``content.catalogue_from_json``): each worksheet's title and data."""
    entries = {
        worksheet_id: {"title": file.data["title"], "worksheet": file.data["worksheet"]}
        for worksheet_id, file in catalogue().items()
    }
    return json.dumps(entries, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
