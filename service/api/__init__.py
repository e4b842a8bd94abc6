"""The REST API v1: the app factory and its blueprints, one per resource."""

from __future__ import annotations

import flask

from . import compare, diagram, facts, health, metrics, page, spec, trees
from .config import ApiConfig
from .context import RoutedRequest
from .errors import register_error_handlers
from .evaluate import Evaluate
from .evaluations import Batch
from .live import LiveTrees
from .routes import Routes
from .state import CONFIG, LIVE

__all__ = ["ApiConfig", "LiveTrees", "create_app", "live_trees"]


def create_app(config: ApiConfig) -> flask.Flask:
    """Build the app from its configuration (the serving layer parses it).

    The trees load and check here, so a bad tree stops start-up (TreeCheckError with
    every problem named) and never fails a request; later reloads keep the last good
    trees (``live_trees(app).reload()``).
    """
    app = flask.Flask(__name__, static_folder=None)
    app.config.update(TESTING=config.testing, MAX_CONTENT_LENGTH=config.max_body_bytes)
    app.request_class = RoutedRequest
    live = LiveTrees(config)
    app.extensions[CONFIG] = config
    app.extensions[LIVE] = live
    spec.init_spec(app)

    for module in (trees, compare, facts, diagram, health, metrics, spec, page):
        app.register_blueprint(module.bp)
    register_error_handlers(app)
    # Evaluate and batch are answered ahead of Flask's routing; every other path goes
    # through it.
    app.wsgi_app = Routes(  # type: ignore[method-assign]
        Evaluate(live, config), Batch(live, config), app.wsgi_app
    )
    return app


def live_trees(app: object) -> LiveTrees | None:
    """The live trees of an app made by ``create_app`` (None for any other WSGI app)."""
    if isinstance(app, flask.Flask):
        found = app.extensions.get(LIVE)
        return found if isinstance(found, LiveTrees) else None
    return None
