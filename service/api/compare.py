"""Compare: the same answers under every version of a tree, and whether the outcome moved."""

from __future__ import annotations

import time
from typing import Any

import flask

from service.engine import QuestionNode, compare_versions

from . import state
from .bodies import load_compare
from .errors import problem_for
from .evaluate import record
from .io import json_response, read_json

bp = flask.Blueprint("compare", __name__)


@bp.post("/v1/trees/<tree_id>/compare")
def compare(tree_id: str) -> flask.Response:
    catalog = state.catalog()
    catalog.versions(tree_id)  # an unknown tree is a 404 before the body is read
    default = catalog.defaults[tree_id].version
    answers = load_compare(read_json(flask.request.environ, state.config().max_body_bytes))
    results: list[dict[str, Any]] = []
    outcomes: set[tuple[str, str | None]] = set()
    started = time.perf_counter()
    compared = compare_versions(catalog, tree_id, answers)
    # Each version evaluated is a decision event; the engine times the call, not each one.
    share = (time.perf_counter() - started) * 1000.0 / max(1, len(compared))
    sink, environ = state.config().decisions, flask.request.environ
    for outcome in compared:
        tree = outcome.tree
        item: dict[str, Any] = {
            "version": tree.version,
            "version_status": tree.status,
            "default": tree.version == default,
            "ignored": list(outcome.ignored),
        }
        result = outcome.result
        if result is None:
            assert outcome.error is not None
            item.update(
                status="invalid",
                recommendation=None,
                next_question=None,
                problem=problem_for(outcome.error),
            )
            outcomes.add(("invalid", None))
        else:
            leaf = result.recommendation_id
            rec = None
            if leaf is not None:
                rec = {"id": leaf, "title": tree.recommendations[leaf].title}
            node = result.node
            next_question = node.question.id if isinstance(node, QuestionNode) else None
            item.update(status=result.status, recommendation=rec, next_question=next_question)
            item["decision_id"] = record(environ, sink, result, share, "compare")
            outcomes.add((result.status, leaf if leaf is not None else next_question))
        results.append(item)
    return json_response({"tree": tree_id, "results": results, "changed": len(outcomes) > 1})
