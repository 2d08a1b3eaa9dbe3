"""Settings, read from command-line options or the environment (``SYNC_*``), with safe defaults.

The defaults make ``python -m sync_server`` work on a fresh clone: the built site from ``site/``, data in
``var/``, a secret key generated there on first start.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SYNC_"


def private_folder(path: Path) -> Path:
    """Make ``path`` (and its missing parents) a folder only its owner can enter: it holds the signing key
    and the shares. An existing folder is tightened too, since earlier versions made it readable to all."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` readable and writable by its owner only, or tighten it if it exists. SQLite gives a
    database's -wal and -shm files the database file's own permissions."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    return path


def private_database(path: Path) -> Path:
    """``private_file`` for a SQLite database, and its -wal and -shm files if an older version left them
    readable (SQLite makes new ones with the database file's permissions)."""
    private_file(path)
    for journal in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        # Not checked first: SQLite removes them when another process closes the file's last connection.
        with contextlib.suppress(FileNotFoundError):
            journal.chmod(0o600)
    return path


def _publish_once(path: Path, text: str) -> None:
    """Write ``path`` whole, owner-only, unless another process got there first. The text is written and
    synced under a name of its own, then linked into place, which fails if ``path`` exists: a process that
    loses the race reads the winner's complete file, never a half-written or empty one."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def option(default, help: str, *, shown_default: str | None = None, choices: tuple[str, ...] = ()):
    """One setting, declared once: its default, the help that ``--help`` and the README's option table show
    (``shown_default`` when the raw default would say nothing useful) and, optionally, the values allowed.
    Its command-line flag and its ``SYNC_*`` variable are made from the field's name."""
    metadata = {"help": help, "shown_default": shown_default, "choices": choices}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class Settings:
    """Every option of the server. ``python -m sync_server --help``, the environment variables and the
    README's option table are all made from these fields (``options()``); ``tests/server/test_options.py`` fails
    when the README's copy drifts."""

    host: str = option("127.0.0.1", "Address to listen on.")
    port: int = option(8000, "Port to listen on.")
    workers: int = option(2, "Gunicorn worker processes (16 threads each).")
    site_dir: Path = option(ROOT / "site", "The built site to serve; without one only the API is served.", shown_default="site/")
    data_dir: Path = option(
        ROOT / "var",
        "Where the SQLite files and the generated secret key live. Made (or tightened to) 0700 on start, its files 0600.",
        shown_default="var/",
    )
    store: str = option(
        "", "Where shares are kept: `sqlite:///PATH` or `redis://HOST:PORT/DB`.", shown_default="SQLite in the data folder"
    )
    secret_keys: list[str] = option(
        [],
        "Signing keys, comma-separated, newest first; older ones still verify, so keys can be rotated.",
        shown_default="one generated on first start, kept in the data folder",
    )
    allowed_origin: str = option(
        "", "Origin of a site hosted elsewhere that may call the API.", shown_default="none: no CORS headers at all"
    )
    rate_limits: str = option(
        "create=20/hour;50/day,claim=30/hour",
        "Limits per person, as Flask-Limiter writes them, or `off` (for load tests on loopback). `create` "
        "limits making shares, making requests and sending answers to one (each counted on its own); "
        "`claim` limits attempts to open shares.",
    )
    rate_limit_storage: str = option(
        "",
        "Where the limiter counts, so that every worker and instance spends one "
        "budget: a `limits` storage URL such as `redis://HOST:PORT/DB`.",
        shown_default="the Redis store when there is one, else a SQLite file in the data folder",
    )
    max_stored_shares: int = option(
        10_000,
        "Most shares and answers sent to requests the SQLite store holds at once (waiting to be opened); "
        "beyond it creating or sending answers 507. "
        "0: no cap. A Redis store is capped by Redis's own `maxmemory` (policy `noeviction`).",
    )
    max_stored_bytes: int = option(
        512 * 1024 * 1024,
        "Most bytes of ciphertext the SQLite store holds at once; beyond it creating answers 507. 0: no cap.",
        shown_default="536870912 (512 MiB)",
    )
    daily_bytes_per_person: int = option(
        4 * 1024 * 1024,
        "Bytes of shares and answers to requests one person (an IPv4 address, or an IPv6 /64) may store in a "
        "day, counted with the rate limits (and off with them); beyond it creating or sending answers 429. An IPv6 "
        "/48 may store 16 times this together. A worksheet share is about 5 to 50 KB; each item counts at least its "
        "fair share of the store (`--max-stored-bytes` over `--max-stored-shares`). As the "
        "store fills, the allowance shrinks: from half full a quarter of it, from three quarters an eighth, each for a "
        "week (the longest anything is kept) rather than a day.",
        shown_default="4194304 (4 MiB)",
    )
    max_connections_per_address: int = option(
        100,
        "Most connections one address (an IPv6 /64 counts as one) may hold open at once, per worker; more are "
        "closed as they arrive, so "
        "one client cannot take every connection slot. Not applied behind a proxy (`--proxy-count` above 0), "
        "where every connection is the proxy's: limit there instead (nginx `limit_conn`). 0: no cap.",
    )
    worker_connections: int = option(
        1000,
        "Most connections each worker holds open at once. Near it, each new connection closes the one that "
        "has sent least for longest (an idle kept-alive one first, then the slowest request still arriving), "
        "so slow clients from any number of addresses cannot keep out a person whose request arrives in "
        "moments. The per-address cap above comes first: it keeps one address from holding more than its "
        "share, and this keeps many addresses together from holding every slot.",
    )
    max_buffered_bytes: int = option(
        64 * 1024 * 1024,
        "Most bytes each worker holds of requests still arriving (it reads each request whole before a "
        "thread takes it); past it, those arriving longest are refused with 503. 0: no cap.",
        shown_default="67108864 (64 MiB)",
    )
    proxy_count: int = option(
        0,
        "How many reverse proxies (nginx, Caddy) stand in front and set "
        "`X-Forwarded-For`/`-Proto`/`-Host`. With 0 those headers are ignored, so a forged one "
        "buys nothing; behind one proxy set 1, so the limits count each person's address.",
    )
    sqlite_synchronous: str = option(
        "NORMAL",
        "SQLite's durability: with `NORMAL` an acknowledged share survives "
        "a crash or kill of the server; `FULL` pays an fsync per write to survive a "
        "power cut too.",
        choices=("NORMAL", "FULL"),
    )
    log_format: str = option(
        "text", "`text` for people, `json` for one JSON object per line (log collectors).", choices=("text", "json")
    )

    @classmethod
    def from_env(cls, environ=os.environ) -> Settings:
        settings = cls()
        for spec in options():
            raw = environ.get(spec.env)
            if raw is not None:
                try:
                    setattr(settings, spec.name, spec.parse(raw))
                except ValueError as error:
                    raise ValueError(f"{spec.env}: {error}") from None
        return settings

    @property
    def store_url(self) -> str:
        return self.store or f"sqlite:///{self.data_dir / 'shares.sqlite3'}"

    @property
    def rate_limit_storage_url(self) -> str:
        """Every worker and instance must count against one budget: a Redis store also holds the limiter's
        counters; otherwise they are kept in a SQLite file beside the shares (``sync_server.limit_storage``)."""
        if self.rate_limit_storage:
            return self.rate_limit_storage
        if self.store.startswith(("redis://", "rediss://")):
            return self.store
        return f"sqlite:///{private_folder(self.data_dir) / 'rate_limits.sqlite3'}"

    def ensure_secret_keys(self) -> list[str]:
        """The configured keys, or the one kept in the data folder, made on first start with owner-only
        permissions so that signed ids stay valid across restarts."""
        if self.secret_keys:
            return self.secret_keys
        private_folder(self.data_dir)
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            _publish_once(key_file, secrets.token_urlsafe(48))
        private_file(key_file)
        key = key_file.read_text().strip()
        if not key:
            raise ValueError(f"{key_file} is empty: delete it to have a new key made, or set --secret-keys")
        self.secret_keys = [key]
        return self.secret_keys


@dataclass(frozen=True)
class OptionSpec:
    """What ``option()`` declared about one setting, with the names made from it."""

    name: str
    kind: type
    default: object
    help: str
    shown_default: str
    choices: tuple[str, ...]

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    def parse(self, raw: str):
        """The value ``raw`` (from the command line or the environment) stands for."""
        if self.kind is int:
            if not raw.strip().isdigit():
                raise ValueError(f"a whole number is needed; got {raw!r}")
            value = int(raw)
        elif self.kind is Path:
            value = Path(raw)
        elif self.kind == list[str]:
            value = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            value = raw
        if self.choices:
            value = value.upper() if self.choices[0].isupper() else value.lower()
            if value not in self.choices:
                raise ValueError(f"choose one of {', '.join(self.choices)}; got {raw!r}")
        return value


def options() -> list[OptionSpec]:
    hints = typing.get_type_hints(Settings)
    defaults = Settings()
    specs = []
    for spec_field in fields(Settings):
        default = getattr(defaults, spec_field.name)
        shown = spec_field.metadata["shown_default"] or str(default)
        specs.append(
            OptionSpec(
                spec_field.name,
                hints[spec_field.name],
                default,
                spec_field.metadata["help"],
                shown,
                spec_field.metadata["choices"],
            )
        )
    return specs


def options_markdown() -> str:
    """The README's option table."""
    rows = ["| Option | Environment | Default | What it does |", "|---|---|---|---|"]
    for spec in options():
        choices = f" One of {', '.join(f'`{choice}`' for choice in spec.choices)}." if spec.choices else ""
        default = spec.shown_default if " " in spec.shown_default else f"`{spec.shown_default}`"
        rows.append(f"| `{spec.flag}` | `{spec.env}` | {default} | {spec.help}{choices} |")
    return "\n".join(rows) + "\n"
