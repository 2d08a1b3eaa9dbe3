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
