"""Batch: many evaluations in one call, in order; an item that cannot be evaluated fails alone."""

from __future__ import annotations

from typing import Any

import flask

from service.engine import EngineError
from service.serving import decision_log

from . import state
from .errors import problem_for
from .evaluate import run
from .facts import read_body_with_facts
from .io import json_response
from .schemas import load_batch

bp = flask.Blueprint("evaluations", __name__)


@bp.post("/v1/evaluations")
def batch() -> flask.Response:
    items = load_batch(read_body_with_facts(), int(flask.current_app.config["BATCH_MAX_ITEMS"]))
    catalog = state.catalog()
    decisions, environ = decision_log(flask.current_app), flask.request.environ
    results: list[dict[str, Any]] = []
    for tree_id, version, request in items:
        try:
            _, body = run(catalog.get(tree_id, version), request, decisions, environ)
        except EngineError as exc:
            results.append({"problem": problem_for(exc)})
        else:
            results.append(body)
    return json_response({"results": results})
