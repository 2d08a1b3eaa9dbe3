"""MkDocs hook: each page loads only the ES modules it names in its front matter (``modules:``, and
``start_early:`` for those that run as soon as they arrive), with their
whole static import graph preloaded, so the home, article and privacy pages load no worksheet, sharing, QR
or Python code. The graph is read from the modules' own ``import … from "./…"`` lines: one source of truth.
A named module or an import that does not exist stops the build.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from mkdocs.exceptions import PluginError

from site_tools.build import LIBRARY_MODULES

IMPORT = re.compile(r"""^\s*import\s+(?:[\w*{}\s,]+\s+from\s+)?["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)


def module_graph(read: Callable[[str], str | None], entries: list[str]) -> list[str]:
    """The entries and every module they import, as site paths, entries first. ``read`` gives a module's
    source, or None when the site has no such file (generated modules, such as facts.mjs, included)."""
    graph: list[str] = []
    pending = list(entries)
    while pending:
        module = pending.pop(0)
        if module in graph:
            continue
        graph.append(module)
        if module in LIBRARY_MODULES:
            continue  # published by the build from node_modules, and imports nothing of ours
        source = read(module)
        if source is None:
            raise PluginError(f"module {module} does not exist in the site")
        for target in IMPORT.findall(source):
            pending.append(posixpath.normpath(posixpath.join(posixpath.dirname(module), target)))
    return graph


def on_page_markdown(markdown, page, config, files):
    # `start_early:` modules run as soon as they arrive (async); `modules:` once the page is parsed.
    entries = []
    for key in ("start_early", "modules"):
        named = page.meta.get(key, [])
        if not isinstance(named, list) or not all(isinstance(entry, str) for entry in named):
            raise PluginError(f"{page.file.src_uri}: '{key}' must be a list of module paths")
        entries += named

    def read(module: str) -> str | None:
        file = files.get_file_from_path(module)
        return file.content_string if file else None

    page.meta["module_graph"] = module_graph(read, entries)
    return markdown
