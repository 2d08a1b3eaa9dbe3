"""MkDocs hook: each page loads only the ES modules it names in its front matter (``modules:``, and
``start_early:`` for those that run as soon as they arrive), with their whole static import graph preloaded,
so the home, article and privacy pages load no worksheet, sharing, QR or Python code. The graph is read from
the modules' own import lines: one source of truth. A named module or an import that does not exist stops
the build, and so does an import against the arrows between features (``site_tools/features.py``).

It also derives what the service worker leaves to the network (``online_only``, written beside the pages for
``build.write_precache_manifest``): the pages marked ``offline: false`` in their front matter (they need the
server anyway) and the modules that only they, or a dynamic import marked ``/* online-only */``, reach.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from mkdocs.exceptions import PluginError

from site_tools.build import LIBRARY_MODULES, ONLINE_ONLY_RECORD
from site_tools.features import FEATURES

MODULES_FOLDER = "assets/js/"
STATIC_IMPORT = re.compile(r"""^\s*import\s+(?:[\w*{}\s,]+\s+from\s+)?["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)
# A dynamic import of a fixed relative path; the mark leaves the module to the network (see the docstring).
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*(/\*\s*online-only\s*\*/\s*)?["'](\.{1,2}/[^"']+)["']\s*\)""")


def imports(module: str, source: str) -> list[tuple[str, str]]:
    """What a module imports, as site paths, each with how: "static", "dynamic" or "online-only" (a dynamic
    import with the mark)."""
    found = [(target, "static") for target in STATIC_IMPORT.findall(source)]
    found += [(target, "online-only" if mark else "dynamic") for mark, target in DYNAMIC_IMPORT.findall(source)]
    return [(posixpath.normpath(posixpath.join(posixpath.dirname(module), target)), how) for target, how in found]


def module_graph(read: Callable[[str], str | None], entries: Iterable[str], follow: tuple[str, ...] = ("static",)) -> list[str]:
    """The entries and every module they import in the ways ``follow`` names, as site paths, entries first.
    ``read`` gives a module's source, or None when the site has no such file (generated modules, such as
    facts.mjs, included)."""
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
        pending += [target for target, how in imports(module, source) if how in follow]
    return graph


def feature_of(module: str) -> str:
    """The feature folder a page module sits in; a module outside them stops the build."""
    parts = module.removeprefix(MODULES_FOLDER).split("/")
    if not module.startswith(MODULES_FOLDER) or len(parts) != 2 or parts[0] not in FEATURES:
        raise PluginError(f"{module}: page modules live in {MODULES_FOLDER}<feature>/, one of {', '.join(FEATURES)}")
    return parts[0]


def check_arrows(sources: dict[str, str]) -> None:
    """Stop the build on an import from one feature into another that FEATURES does not allow."""
    for module, source in sources.items():
        feature = feature_of(module)
        for target, _ in imports(module, source):
            if target in LIBRARY_MODULES:
                continue
            used = feature_of(target)
            if used != feature and used not in FEATURES[feature]:
                raise PluginError(
                    f"{module} imports {target}: {feature} may import from {FEATURES[feature] or 'no other feature'}"
                )


def online_only(read: Callable[[str], str | None], pages: dict[str, tuple[list[str], bool]], everywhere: list[str]) -> list[str]:
    """The pages (by their file in the site) and modules no offline page needs: ``pages`` maps each page's
    file to its entry modules and whether it works offline; ``everywhere`` are the modules on every page."""
    offline_roots = [*everywhere, *(module for entries, offline in pages.values() if offline for module in entries)]
    kept = set(module_graph(read, offline_roots, follow=("static", "dynamic")))
    marked = [
        target
        for module in sorted(kept - LIBRARY_MODULES)
        for target, how in imports(module, read(module) or "")
        if how == "online-only"
    ]
    online_roots = [*marked, *(module for entries, offline in pages.values() if not offline for module in entries)]
    left = [module for module in module_graph(read, online_roots, follow=("static", "dynamic")) if module not in kept]
    return sorted([*(page for page, (_, offline) in pages.items() if not offline), *left])


# What one build has seen: the site's files, and each page's entry modules and whether it works offline.
_build: dict = {"files": None, "pages": {}}


def _reader(files):
    def read(module: str) -> str | None:
        file = files.get_file_from_path(module)
        return file.content_string if file else None

    return read


def on_files(files, config):
    check_arrows(
        {
            file.src_uri: file.content_string
            for file in files
            if file.src_uri.startswith(MODULES_FOLDER) and file.src_uri.endswith(".mjs")
        }
    )
    _build.update(files=files, pages={})
    return files


def on_page_markdown(markdown, page, config, files):
    # `start_early:` modules run as soon as they arrive (async); `modules:` once the page is parsed.
    entries = []
    for key in ("start_early", "modules"):
        named = page.meta.get(key, [])
        if not isinstance(named, list) or not all(isinstance(entry, str) for entry in named):
            raise PluginError(f"{page.file.src_uri}: '{key}' must be a list of module paths")
        entries += named
    offline = page.meta.get("offline", True)
    if not isinstance(offline, bool):
        raise PluginError(f"{page.file.src_uri}: 'offline' must be true or false")
    page.meta["module_graph"] = module_graph(_reader(files), entries)
    _build["pages"][page.file.dest_uri] = (entries, offline)
    return markdown


def on_post_build(config):
    everywhere = [str(script.path) for script in config["extra_javascript"] if str(script.path).endswith(".mjs")]
    derived = online_only(_reader(_build["files"]), _build["pages"], everywhere)
    (Path(config["site_dir"]) / ONLINE_ONLY_RECORD).write_text(json.dumps(derived, indent=0))
