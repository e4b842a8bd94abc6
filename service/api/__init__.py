"""The REST API v1: the app factory and its blueprints, one per resource."""

from __future__ import annotations

import flask

from service.engine import Catalog

from . import compare, diagram, evaluations, facts, health, metrics, page, spec, trees
from .config import ApiConfig
from .context import RoutedRequest
from .definitions import Documents
from .errors import register_error_handlers
from .evaluate import Evaluate, Routes
from .state import CATALOG, CONFIG, DOCUMENTS

__all__ = ["ApiConfig", "create_app"]


def create_app(config: ApiConfig) -> flask.Flask:
    """Build the app from its configuration (the serving layer parses it).

    The trees load and check here, so a bad tree stops start-up (TreeCheckError with
    every problem named) and never fails a request.
    """
    app = flask.Flask(__name__, static_folder=None)
    app.config.update(TESTING=config.testing, MAX_CONTENT_LENGTH=config.max_body_bytes)
    app.request_class = RoutedRequest
    catalog = Catalog.load(
        config.trees_dir, overlays=config.overlay_dirs, pricing_file=config.pricing_file
    )
    documents = Documents.build(catalog)
    app.extensions[CONFIG] = config
    app.extensions[CATALOG] = catalog
    app.extensions[DOCUMENTS] = documents
    spec.init_spec(app)

    for module in (trees, compare, evaluations, facts, diagram, health, metrics, spec, page):
        app.register_blueprint(module.bp)
    register_error_handlers(app)
    # Evaluate is answered ahead of Flask's routing; every other path goes through it.
    app.wsgi_app = Routes(  # type: ignore[method-assign]
        Evaluate(catalog, documents, config), app.wsgi_app
    )
    return app
