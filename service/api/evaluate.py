"""Evaluate one tree with a caller's answers, as JSON, a Slack message or Markdown."""

from __future__ import annotations

import time
from typing import Any

import flask
import orjson

from service.engine import Result, Tree
from service.engine.evaluate import evaluate_tree
from service.serving import DecisionLog, decision_log

from . import state
from .errors import InvalidParameter
from .facts import derived_answers, read_body_with_facts
from .metrics import count_evaluation
from .schemas import EvaluateBody, load_evaluate

bp = flask.Blueprint("evaluate", __name__)

DECISION_ID_HEADER = "X-Decision-ID"
FORMATS = ("json", "slack", "markdown")
MARKDOWN = "text/markdown; charset=utf-8; variant=GFM"


def run(
    tree: Tree,
    request: EvaluateBody,
    decisions: DecisionLog,
    environ: dict[str, Any],
) -> tuple[Result, dict[str, Any]]:
    """Evaluate, count and log one decision; the body carries its `decision_id`."""
    started = time.perf_counter()
    result = evaluate_tree(
        tree,
        request.answers,
        request.pricing,
        ask_all=request.ask_all,
        facts=derived_answers(request.facts),
    )
    return result, record(result, started, decisions, environ)


def record(
    result: Result, started: float, decisions: DecisionLog, environ: dict[str, Any]
) -> dict[str, Any]:
    """The body of an evaluation made since `started`, counted and logged as a decision."""
    body = result.to_dict()
    count_evaluation(result)
    tree = result.tree
    body["decision_id"] = decisions.record(
        environ,
        tree_id=tree.id,
        version=tree.version,
        digest=tree.digest,
        answers=result.given,
        recommendation=result.recommendation_id,
        status=result.status,
        duration_ms=(time.perf_counter() - started) * 1000.0,
    )
    return body


def _format() -> str:
    fmt = flask.request.args.get("format", "json")
    if fmt not in FORMATS:
        raise InvalidParameter(f"format={fmt!r} is not offered; use one of {', '.join(FORMATS)}.")
    return fmt


@bp.post("/v1/trees/<tree_id>/evaluate")
def evaluate(tree_id: str) -> flask.Response:
    # An empty query string is the usual case; skip parsing it.
    has_query = bool(flask.request.query_string)
    fmt = _format() if has_query else "json"
    version = flask.request.args.get("version") if has_query else None
    tree = state.catalog().get(tree_id, version)
    result, body = run(
        tree,
        load_evaluate(read_body_with_facts()),
        decision_log(flask.current_app),
        flask.request.environ,
    )
    decision_id = body["decision_id"]
    headers = {DECISION_ID_HEADER: decision_id, **state.documents().entry(tree).deprecation}
    response_class = flask.current_app.response_class
    if fmt == "json":
        response = response_class(orjson.dumps(body), mimetype="application/json")
    elif fmt == "slack":
        from service.render.slack import render_slack

        response = response_class(
            orjson.dumps(render_slack(body, dict(result.given), tree=tree)),
            mimetype="application/json",
        )
    else:
        from service.render.markdown import render_markdown

        response = response_class(render_markdown(body), content_type=MARKDOWN)
    response.headers.update(headers)
    return response
