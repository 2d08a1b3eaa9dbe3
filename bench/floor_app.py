"""The floors of bench/load.py, run under the same gunicorn settings as the server:

- ``app``: one endpoint that does nothing (the issue's floor: what gunicorn and Flask cost per request);
- ``json_app``: the least a JSON API does per request: parse a JSON body, answer 201 with a small JSON object.

What a create+claim pair costs above two requests of either is this project's own work."""

from flask import Flask, request

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def nothing():
    return ""


json_app = Flask("json_floor")


@json_app.route("/", methods=["GET", "POST"])
def count_fields():
    body = request.get_json(silent=True) or {}
    return {"fields": len(body)}, 201


class _StoreThatKeepsNothing:
    """Answers as a store would for create and a right claim, and keeps nothing."""

    def create(self, key, ciphertext, claim_hash, now, expires_at):
        return None

    def claim(self, key, claim_hash, now):
        from sync_server.store import ClaimOutcome

        return ClaimOutcome("ok", ciphertext=bytes(300), created_at=now)

    def purge(self, now):
        return 0

    def ping(self):
        return None


def project():
    """This project's app on SQLite, as the server makes it, to run under plain gthread like its peers."""
    import os
    from pathlib import Path

    from sync_server import create_app
    from sync_server.config import Settings

    return create_app(Settings(data_dir=Path(os.environ["BENCH_DATA_DIR"]), rate_limits="off"))


def project_without_store():
    """This project's app, every check and header included, on a store that keeps nothing: set beside the
    real thing it splits a pair's cost into the app's own work and the store's."""
    app = project()
    app.extensions["share_store"] = _StoreThatKeepsNothing()
    return app
