"""MkDocs hook: each worksheet's content file becomes its page, and the list page lists them all.

Listed before ``page_modules.py``, which reads the modules this hook gives each worksheet page. A worksheet's
page is its content file's body, with what every worksheet has put around it by the build (so an author
writes only the worksheet): the title, the safety note, the save status and the passcode lock before the
first section, the downloads and sharing after the last. The Markdown extension (``worksheet_markdown``)
learns which worksheet a page holds from its configuration, set here for each page before it is rendered.

The content files are read and checked once per build (``worksheet_content.catalogue``); any mistake stops
the build with the file and line. The files of ``WORKSHEETS_ALSO`` are added as pages of this build only.
"""

from __future__ import annotations

import posixpath

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

from site_tools import worksheet_content
from site_tools.worksheet_content import LIST_PAGE, MARKER, PAGES_FOLDER, ContentError

EXTENSION = "site_tools.worksheet_markdown"
# Every worksheet page runs these (page_modules.py preloads their graphs).
START_EARLY = ["assets/js/worksheet/python-start.mjs"]
MODULES = ["assets/js/worksheet/worksheet.mjs", "assets/js/share/share.mjs"]
# Where the list page shows the worksheets.
LIST_MARKER = "{worksheet-list}"
SAFETY_NOTE = """<div class="tsw-safety-note" markdown>

**If you are in danger now, call your local emergency number.** To leave quickly, use **Exit this page** or
press Shift three times: what you have typed is already saved. Sharing this device with someone?
Read [If someone else uses this device]({privacy}#if-someone-else-uses-this-device).

</div>"""
SHARE_HEADING = "## Share with my therapist"
# What Python-Markdown (with attr_list) would read as markup in a title or a description written into a page:
# escaped, so "Trust {#x}" or "[Draft]" shows as written. Its "&" and "<" are written as entities.
MARKDOWN_MARKUP = str.maketrans({**{mark: "\\" + mark for mark in "\\`*_{}[]()#+-.!"}, "&": "&amp;", "<": "&lt;"})


def literal(text: str) -> str:
    """``text`` as Markdown that shows it as written."""
    return " ".join(text.split()).translate(MARKDOWN_MARKUP)


def catalogue() -> dict[str, worksheet_content.WorksheetFile]:
    try:
        return worksheet_content.catalogue()
    except ContentError as error:
        raise PluginError("the worksheets' content files have mistakes:\n" + "\n".join(error.problems)) from None


def on_config(config):
    # `mkdocs serve` builds again in this process: read the content files as saved (fresh_imports.py renews
    # the module for the extension; this hook holds the one it was loaded with).
    worksheet_content.catalogue.cache_clear()
    catalogue()  # a content file's mistake stops the build before any page is made
    config["mdx_configs"].setdefault(EXTENSION, {})
    return config


def on_files(files, config):
    for worksheet_id, file in catalogue().items():
        if file.path.parent == worksheet_content.FOLDER:
            continue  # one of the site's own, already a page
        src_uri = f"{PAGES_FOLDER}/{worksheet_id}.md"
        if files.get_file_from_path(src_uri):
            raise PluginError(f"{file.path}: the site already has a page {src_uri}")
        files.append(File.generated(config, src_uri, content=file.path.read_text(encoding="utf-8")))
    return files


def worksheet_page(src_uri: str) -> worksheet_content.WorksheetFile | None:
    folder, name = posixpath.split(src_uri)
    return catalogue().get(name.removesuffix(".md")) if folder == PAGES_FOLDER and name != LIST_PAGE else None


def compose(file: worksheet_content.WorksheetFile, markdown: str, src_uri: str) -> str:
    """The page around the content file's body: see the module's docstring."""
    privacy = posixpath.relpath("privacy.md", posixpath.dirname(src_uri))
    lines = markdown.splitlines()

    def placed() -> list[int]:
        return [
            index for index, line in enumerate(lines) if (marker := MARKER.match(line.strip())) and marker["name"] == "section"
        ]

    if not placed():  # no section placed: all follow the text
        lines += ["", *(f"{{worksheet-section: {section.id}}}\n" for section in file.worksheet.sections)]
    markers = placed()
    before = ["{worksheet-status}", "", "{worksheet-lock}", ""]
    lines[markers[0] : markers[0]] = before
    head = [f"# {literal(file.worksheet.title)}", "", SAFETY_NOTE.format(privacy=privacy), ""]
    tail = ["", "{worksheet-tools}", "", SHARE_HEADING, "", "{worksheet-share}", ""]
    return "\n".join(head + lines + tail)


def list_markdown(src_uri: str) -> str:
    """The worksheets as the site's cards, each a link to its page and its description."""
    cards = []
    for worksheet_id, file in catalogue().items():
        link = posixpath.relpath(f"{PAGES_FOLDER}/{worksheet_id}.md", posixpath.dirname(src_uri))
        cards.append(f"-   **[{literal(file.worksheet.title)}]({link})**\n\n    ---\n\n    {literal(file.description)}\n")
    return '<div class="grid cards" markdown>\n\n' + "\n".join(cards) + "\n</div>"


def on_page_markdown(markdown, page, config, files):
    src_uri = page.file.src_uri
    file = worksheet_page(src_uri)
    config["mdx_configs"][EXTENSION] = {"worksheet": file.worksheet.id if file else ""}
    if LIST_MARKER in markdown:
        markdown = markdown.replace(LIST_MARKER, list_markdown(src_uri))
    if file is None:
        return markdown
    page.meta.update(start_early=list(START_EARLY), modules=list(MODULES))
    return compose(file, markdown, src_uri)
