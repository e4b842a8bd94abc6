"""Diagram: a tree as a Mermaid flowchart, with the path of the given answers highlighted."""

from __future__ import annotations

import time

import flask

from service.engine import evaluate_tree, parse_text_answers

from . import state
from .bodies import MAX_ANSWERS
from .context import DECISION_ID_HEADER
from .errors import InvalidParameter, InvalidRequest, clip
from .evaluate import record

bp = flask.Blueprint("diagram", __name__)

MERMAID = "text/vnd.mermaid"
PLAIN = "text/plain"
# The whole tree, or the path taken with each answer off it one step deep (large trees).
VIEWS = ("full", "path")


@bp.get("/v1/trees/<tree_id>/diagram")
def diagram(tree_id: str) -> flask.Response:
    from service.render.mermaid import render_mermaid

    request = flask.request
    pairs = {k: v for k, v in request.args.items() if k not in ("version", "view")}
    view = request.args.get("view", "full")
    if view not in VIEWS:
        raise InvalidParameter(
            f"view={clip(view)!r} is not offered; use one of {', '.join(VIEWS)}."
        )
    if len(pairs) > MAX_ANSWERS:
        raise InvalidRequest(
            f"At most {MAX_ANSWERS} answers.",
            errors={"answers": [f"At most {MAX_ANSWERS} answers."]},
        )
    tree = state.catalog().get(tree_id, request.args.get("version"))
    result = decision_id = None
    if pairs:
        started = time.perf_counter()
        result = evaluate_tree(tree, parse_text_answers(tree, pairs))
        duration_ms = (time.perf_counter() - started) * 1000.0
        decision_id = record(
            request.environ, state.config().decisions, result, duration_ms, "diagram"
        )
    # Mermaid's registered type by default; text/plain for a caller that asks for it
    # (a browser shows it instead of downloading it).
    best = request.accept_mimetypes.best_match([MERMAID, PLAIN], default=MERMAID)
    response = flask.current_app.response_class(
        render_mermaid(tree, result, path_only=view == "path"),
        content_type=f"{best}; charset=utf-8",
    )
    response.headers.update(state.documents().entry(tree).deprecation)
    if decision_id is not None:
        response.headers[DECISION_ID_HEADER] = decision_id
    return response
