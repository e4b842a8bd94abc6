"""Batch: many evaluations in one call, in order; an item that cannot be evaluated fails alone."""

from __future__ import annotations

from typing import Any

import flask
import orjson

from service.engine import EngineError, Result

from . import state
from .bodies import load_batch
from .errors import problem_for
from .evaluate import decision_ids, run
from .io import json_response, read_body_with_facts
from .metrics import count_evaluations

bp = flask.Blueprint("evaluations", __name__)


@bp.post("/v1/evaluations")
def batch() -> flask.Response:
    config, environ = state.config(), flask.request.environ
    body = read_body_with_facts(environ, config.max_body_bytes, config.facts_max_bytes)
    items = load_batch(body, config.batch_max_items)
    snapshot = state.snapshot()
    catalog, bodies = snapshot.catalog, snapshot.bodies
    # Each evaluation's body goes in as the JSON it was encoded to (kept for reuse).
    results: list[dict[str, Any] | orjson.Fragment] = []
    evaluated: list[Result] = []
    for (tree_id, version, request), decision_id in zip(
        items, decision_ids(len(items)), strict=True
    ):
        try:
            tree = catalog.get(tree_id, version)
            done = run(tree, request, environ, config.decisions, bodies, decision_id)
        except EngineError as exc:
            results.append({"problem": problem_for(exc)})
        else:
            results.append(orjson.Fragment(done.json()))
            evaluated.append(done.result)
    count_evaluations(evaluated)
    return json_response({"results": results})
