"""The REST API v1: the app factory and its blueprints, one per resource."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import flask

from service.engine import Catalog

from . import compare, diagram, evaluate, evaluations, facts, health, metrics, page, spec, trees
from .definitions import Documents
from .errors import register_error_handlers
from .fast_evaluate import fast_evaluate
from .state import CATALOG, DOCUMENTS

__all__ = ["create_app"]

DEFAULTS: dict[str, Any] = {
    "TREES_DIR": None,  # None: the bundled trees
    "OVERLAY_DIRS": (),
    "PRICING_FILE": None,
    "MAX_BODY_BYTES": 64 * 1024,
    # kubectl output for a whole cluster runs to megabytes (5,000 nodes without their image
    # lists are about 14 MiB); only bodies that carry facts may be this large.
    "FACTS_MAX_BYTES": 16 * 1024 * 1024,
    "BATCH_MAX_ITEMS": 100,
}


def _paths(value: object) -> tuple[str, ...]:
    """Overlay directories from a list, or one os.pathsep-separated string (environment)."""
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.split(os.pathsep) if part)
    if isinstance(value, list | tuple):
        return tuple(str(part) for part in value)
    raise ValueError(f"NETADVISOR_OVERLAY_DIRS must be a list of directories, not {value!r}")


def _positive_int(config: flask.Config, key: str) -> int:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"NETADVISOR_{key} must be a whole number >= 1, not {value!r}")
    return value


def create_app(test_config: Mapping[str, Any] | None = None) -> flask.Flask:
    """Build the app: defaults, then NETADVISOR_* from the environment, then test_config.

    The trees load and check here, so a bad tree stops start-up (TreeCheckError with
    every problem named) and never fails a request.
    """
    app = flask.Flask(__name__, static_folder=None)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("NETADVISOR")
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config["MAX_CONTENT_LENGTH"] = _positive_int(app.config, "MAX_BODY_BYTES")
    _positive_int(app.config, "BATCH_MAX_ITEMS")
    _positive_int(app.config, "FACTS_MAX_BYTES")

    trees_dir = app.config["TREES_DIR"]
    catalog = Catalog.load(
        str(trees_dir) if trees_dir not in (None, "") else None,
        overlays=_paths(app.config["OVERLAY_DIRS"]),
        pricing_file=app.config["PRICING_FILE"] or None,
    )
    app.extensions[CATALOG] = catalog
    app.extensions[DOCUMENTS] = Documents.build(catalog)
    spec.init_spec(app)

    for module in (
        trees,
        evaluate,
        compare,
        evaluations,
        facts,
        diagram,
        health,
        metrics,
        spec,
        page,
    ):
        app.register_blueprint(module.bp)
    register_error_handlers(app)

    from service.serving import init_app as init_serving

    init_serving(app, observers=(metrics.observe_request,), fast_paths=(fast_evaluate,))
    return app
