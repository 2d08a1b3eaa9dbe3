"""MkDocs hook: publish the runtime (Pyodide, py_client, the vendored modules, the service worker's file
list) after every build, so ``mkdocs serve`` gives a writer a worksheet that works, not only the pages.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError

from site_tools import build


def on_post_build(config):
    try:
        build.publish_runtime(Path(config["site_dir"]))
    except build.BuildError as error:
        raise PluginError(str(error)) from None
