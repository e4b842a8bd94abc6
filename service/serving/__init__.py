"""Production serving concerns for the Flask app: logging, request ids, auth and CORS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import flask
from werkzeug.exceptions import ClientDisconnected

from service.serving.auth import init_auth, token_store_from_config
from service.serving.context import FastPath, ResponseObserver, init_context
from service.serving.cors import init_cors, parse_origins
from service.serving.decision_log import (
    DecisionLog,
    decision_log,
    init_decision_log,
    record_decision,
)
from service.serving.runtime import ClientTimeout, as_bool

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["DecisionLog", "decision_log", "init_app", "record_decision"]


def _problem(status: int, title: str, detail: str, headers: dict[str, str]) -> flask.Response:
    # Imported here: the API package imports this one (for decision_log) while it
    # loads, so a module-level import would be circular.
    from service.api.errors import problem, problem_response

    return problem_response(problem(status, title, detail), headers)


def _client_disconnected(exc: ClientDisconnected) -> flask.Response:
    # The body stopped arriving: either the connection's deadline passed (the worker
    # raised ClientTimeout under werkzeug's error) or the client closed early.
    if isinstance(exc.__context__, ClientTimeout):
        return _problem(
            408,
            "Request Timeout",
            "The request body was not sent in time.",
            {"Connection": "close"},
        )
    return _problem(
        400,
        "Bad Request",
        "The request body ended before its declared length.",
        {"Connection": "close"},
    )


def init_app(
    app: flask.Flask,
    observers: Sequence[ResponseObserver] = (),
    fast_paths: Sequence[FastPath] = (),
) -> None:
    """Attach serving concerns to ``app``; called once by the app factory after blueprints.

    ``observers`` are told of every response (metrics). ``fast_paths`` wrap the Flask app
    inside the request context, so what they answer is identified, observed and logged
    like everything else. Reads ``API_TOKENS``, ``API_TOKENS_FILE``, ``CORS_ORIGINS``,
    ``ACCESS_LOG``, ``DECISION_LOG`` and ``DECISION_LOG_MASK`` from ``app.config``
    (``NETADVISOR_*`` in the environment). A setting that cannot be used raises here, at
    start-up.
    """
    access_log = as_bool(app.config.get("ACCESS_LOG", True), "NETADVISOR_ACCESS_LOG")
    app.register_error_handler(ClientDisconnected, _client_disconnected)
    init_auth(app, token_store_from_config(app.config), _problem)
    init_cors(app, parse_origins(app.config.get("CORS_ORIGINS")))
    init_decision_log(app)
    inner: WSGIApplication = app.wsgi_app
    for fast_path in fast_paths:
        inner = fast_path(app, inner)
    init_context(app, inner, access_log=access_log, observers=observers)
