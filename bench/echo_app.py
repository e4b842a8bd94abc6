"""The HTTP anchor: a bare Flask app that parses a JSON body and sends it back, nothing more.

Served under the same gunicorn configuration as netadvisor:
`gunicorn -c python:service.serving.gunicorn_conf bench.echo_app:app`.
"""

from __future__ import annotations

from typing import Any

import flask

app = flask.Flask(__name__)


@app.post("/echo")
def echo() -> Any:
    return flask.request.get_json()


@app.get("/livez")
def livez() -> dict[str, str]:
    return {"status": "ok"}
