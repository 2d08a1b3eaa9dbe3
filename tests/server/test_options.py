"""The server's options are declared once (``Settings`` in ``sync_server/config.py``); the command line, the
environment, ``--help`` and the README's table are made from that declaration."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sync_server.__main__ import parse_arguments
from sync_server.config import Settings, options, options_markdown

ROOT = Path(__file__).resolve().parents[2]
README_TABLE = re.compile(r"<!-- options: made from sync_server/config.py -->\n(.*?)<!-- /options -->", re.S)


def test_readme_option_table_is_the_declared_one():
    found = README_TABLE.search((ROOT / "README.md").read_text())
    assert found, "README.md lost its option table markers"
    assert found.group(1) == options_markdown(), (
        "README.md's option table drifted from sync_server/config.py; paste this between its markers:\n\n" + options_markdown()
    )


def test_every_setting_has_a_flag_a_variable_and_help_text():
    specs = options()
    assert [spec.name for spec in specs] == list(vars(Settings()))
    for spec in specs:
        assert spec.help.endswith("."), spec.name
        assert spec.flag == "--" + spec.name.replace("_", "-") and spec.env == "SYNC_" + spec.name.upper()


def test_help_lists_every_option_with_its_variable():
    shown = subprocess.run(
        [sys.executable, "-m", "sync_server", "--help"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    flat = " ".join(shown.split())
    for spec in options():
        assert spec.flag in flat and f"Environment: {spec.env}." in flat


def test_each_option_reads_from_the_environment_and_the_command_line_wins(monkeypatch):
    samples = {
        "host": "0.0.0.0",
        "port": "9001",
        "workers": "4",
        "site_dir": "/srv/site",
        "data_dir": "/srv/data",
        "store": "redis://localhost:6379/2",
        "secret_keys": "new-key,old-key",
        "allowed_origin": "https://a.example",
        "rate_limits": "create=5/hour",
        "rate_limit_storage": "redis://localhost:6379/3",
        "max_stored_shares": "500",
        "max_stored_bytes": "1000000",
        "daily_bytes_per_person": "0",
        "max_connections_per_address": "20",
        "worker_connections": "500",
        "max_buffered_bytes": "1000000",
        "proxy_count": "1",
        "sqlite_synchronous": "full",
        "log_format": "json",
    }
    assert set(samples) == {spec.name for spec in options()}, "give the new option a sample value here"
    for spec in options():
        monkeypatch.setenv(spec.env, samples[spec.name])
    from_env = parse_arguments([])
    for spec in options():
        assert getattr(from_env, spec.name) == spec.parse(samples[spec.name]) != spec.default, spec.name
    assert from_env.port == 9001 and from_env.secret_keys == ["new-key", "old-key"] and from_env.sqlite_synchronous == "FULL"
    assert parse_arguments(["--port", "9002", "--log-format", "text"]).port == 9002


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("SYNC_PORT", "eighty", "a whole number is needed; got 'eighty'"),
        ("SYNC_SQLITE_SYNCHRONOUS", "sometimes", "choose one of NORMAL, FULL; got 'sometimes'"),
        ("SYNC_LOG_FORMAT", "xml", "choose one of text, json; got 'xml'"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_takes(monkeypatch, variable, raw, message):
    monkeypatch.setenv(variable, raw)
    with pytest.raises(SystemExit) as stopped:
        parse_arguments([])
    assert str(stopped.value) == f"python -m sync_server: {variable}: {message}"


def test_a_bad_flag_value_says_what_it_takes(capsys):
    with pytest.raises(SystemExit):
        parse_arguments(["--sqlite-synchronous", "sometimes"])
    assert "--sqlite-synchronous: choose one of NORMAL, FULL; got 'sometimes'" in capsys.readouterr().err
