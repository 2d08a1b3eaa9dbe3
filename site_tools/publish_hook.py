"""MkDocs hook: publish the runtime (Pyodide, py_client, the vendored modules, the service worker's file
list) after a build that ``site_tools.build`` did not start, so ``mkdocs serve`` gives a writer a worksheet
that works, not only the pages. ``site_tools.build`` publishes it itself, in its order.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.exceptions import PluginError

from site_tools import build


def on_post_build(config):
    if os.environ.get(build.RUNTIME_PUBLISHED_HERE):
        return
    try:
        build.publish_runtime(Path(config["site_dir"]))
    except build.BuildError as error:
        raise PluginError(str(error)) from None
