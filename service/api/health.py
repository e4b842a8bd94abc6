"""Probes: liveness checks nothing outside the process, readiness that trees are loaded."""

from __future__ import annotations

import flask

from . import state
from .io import json_response

bp = flask.Blueprint("health", __name__)


@bp.get("/livez")
@bp.get("/healthz")
def livez() -> flask.Response:
    return json_response({"status": "ok"})


@bp.get("/readyz")
def readyz() -> flask.Response:
    # The app exists only once every tree has loaded and checked, so a catalog here
    # means it can serve; the counts let an operator see which trees it serves.
    catalog = state.catalog()
    versions = sum(len(v) for v in catalog.versions_by_tree.values())
    return json_response({"status": "ready", "trees": len(catalog.tree_ids), "versions": versions})
