"""Production serving concerns for the Flask app: logging, request ids, auth and CORS."""

from __future__ import annotations

import flask
import orjson

from service.serving.auth import init_auth, token_store_from_config
from service.serving.context import init_context
from service.serving.cors import init_cors, parse_origins
from service.serving.decision_log import init_decision_log, record_decision

__all__ = ["init_app", "record_decision"]


def _problem(status: int, title: str, detail: str, headers: dict[str, str]) -> flask.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    response = flask.current_app.response_class(
        orjson.dumps(body), status=status, mimetype="application/problem+json"
    )
    response.headers.update(headers)
    return response


def init_app(app: flask.Flask) -> None:
    """Attach serving concerns to ``app``; called once by the app factory after blueprints.

    Reads ``API_TOKENS``, ``API_TOKENS_FILE``, ``CORS_ORIGINS``, ``ACCESS_LOG``,
    ``DECISION_LOG`` and ``DECISION_LOG_MASK`` from ``app.config`` (``NETADVISOR_*`` in
    the environment). A setting that cannot be used raises here, at start-up.
    """
    init_context(app)
    init_auth(app, token_store_from_config(app.config), _problem)
    init_cors(app, parse_origins(app.config.get("CORS_ORIGINS")))
    init_decision_log(app)
