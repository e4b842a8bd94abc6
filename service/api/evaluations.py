"""Batch: many evaluations in one call, in order; an item that cannot be evaluated fails alone."""

from __future__ import annotations

from typing import Any

import flask

from service.engine import EngineError

from . import state
from .bodies import load_batch
from .errors import problem_for
from .evaluate import run
from .io import json_response, read_body_with_facts

bp = flask.Blueprint("evaluations", __name__)


@bp.post("/v1/evaluations")
def batch() -> flask.Response:
    config, environ = state.config(), flask.request.environ
    body = read_body_with_facts(environ, config.max_body_bytes, config.facts_max_bytes)
    items = load_batch(body, config.batch_max_items)
    catalog = state.catalog()
    results: list[dict[str, Any]] = []
    for tree_id, version, request in items:
        try:
            _, result = run(catalog.get(tree_id, version), request, environ, config.decisions)
        except EngineError as exc:
            results.append({"problem": problem_for(exc)})
        else:
            results.append(result)
    return json_response({"results": results})
