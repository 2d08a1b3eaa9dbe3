"""MkDocs hook, listed first: each build reads the worksheet's content and the form's renderer as saved.

``mkdocs serve`` rebuilds in the same Python process, and Python keeps the modules it has imported. So a
writer's change to ``py_client`` (a prompt's wording, a new limit) would not reach the rebuilt page until
the server was restarted. Dropping those modules from the import cache at the start of every build makes
the Markdown extension (imported by name for each page) and the other hooks (which import ``py_client``
when they run, not when they load) read them from disk. A single ``mkdocs build`` imports them once
either way.
"""

from __future__ import annotations

import sys

RELOADED = ("py_client", "site_tools.worksheet_markdown", "site_tools.worksheet_content", "site_tools.worksheet_schema")


def on_config(config):
    for name in [name for name in sys.modules if name.startswith(RELOADED)]:
        del sys.modules[name]
    return config
