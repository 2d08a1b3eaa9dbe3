"""MkDocs hook: the build stops unless "Exit this page" has somewhere to go (``extra.quick_exit_url``), since
an empty link would keep a person in danger on the page."""

from __future__ import annotations

from urllib.parse import urlsplit

from mkdocs.exceptions import ConfigurationError


def on_config(config):
    address = (config.extra or {}).get("quick_exit_url", "")
    parts = urlsplit(address)
    if parts.scheme != "https" or not parts.netloc:
        raise ConfigurationError(f"extra.quick_exit_url must be an https address on another site; got {address!r}")
    return config
