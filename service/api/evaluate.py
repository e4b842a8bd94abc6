"""Evaluate one tree with a caller's answers, as JSON, a Slack message or Markdown."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson
from werkzeug.exceptions import MethodNotAllowed

from service.engine import Result, Tree, evaluate_tree
from service.render.markdown import render_markdown
from service.render.slack import render_slack

from .bodies import EvaluateBody, load_evaluate
from .config import ApiConfig
from .context import DECISION_ID_HEADER, DECISION_ID_KEY, ROUTE_KEY, Decision, DecisionSink
from .errors import InvalidParameter, clip, wsgi_error
from .facts import derived_answers
from .io import read_body_with_facts
from .live import LiveTrees
from .metrics import count_evaluation

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

RULE = "/v1/trees/<tree_id>/evaluate"
FORMATS = ("json", "slack", "markdown")
JSON = "application/json"
MARKDOWN = "text/markdown; charset=utf-8; variant=GFM"
ALLOW = ("POST", "OPTIONS")
_PREFIX, _SUFFIX = "/v1/trees/", "/evaluate"


def record(
    environ: WSGIEnvironment,
    sink: DecisionSink | None,
    result: Result,
    duration_ms: float,
    operation: str = "evaluate",
) -> str:
    """Give one evaluation its decision id and tell the sink (the decision log) of it;
    every operation that evaluates (evaluate, batch, compare, diagram) comes here."""
    tree = result.tree
    decision_id = environ[DECISION_ID_KEY] = secrets.token_hex(16)
    if sink is not None:
        sink(
            environ,
            Decision(
                decision_id,
                tree.id,
                tree.version,
                tree.digest,
                result.given,
                result.recommendation_id,
                result.status,
                duration_ms,
                operation,
            ),
        )
    return decision_id


def run(
    tree: Tree, request: EvaluateBody, environ: WSGIEnvironment, sink: DecisionSink | None
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
    body = result.to_dict()
    count_evaluation(result)
    duration_ms = (time.perf_counter() - started) * 1000.0
    body["decision_id"] = record(environ, sink, result, duration_ms)
    return result, body


def _query(environ: WSGIEnvironment) -> tuple[str, str | None]:
    """The format and version asked for; an empty query string (the usual case) is not parsed."""
    query = environ.get("QUERY_STRING")
    if not query:
        return "json", None
    args: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        args.setdefault(key, value)
    fmt = args.get("format", "json")
    if fmt not in FORMATS:
        raise InvalidParameter(
            f"format={clip(fmt)!r} is not offered; use one of {', '.join(FORMATS)}."
        )
    return fmt, args.get("version")


class Evaluate:
    """The evaluate endpoint, every method, format and query string: the API's one
    evaluate handler, answered from WSGI ahead of Flask's routing (which costs several
    times the evaluation), with the API's body reader, validator and error answers."""

    __slots__ = ("config", "trees")

    def __init__(self, trees: LiveTrees, config: ApiConfig) -> None:
        self.trees = trees
        self.config = config

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse, tree_id: str
    ) -> Iterable[bytes]:
        environ[ROUTE_KEY] = RULE
        try:
            method = environ.get("REQUEST_METHOD")
            if method == "OPTIONS":
                start_response("200 OK", [("Allow", ", ".join(ALLOW)), ("Content-Length", "0")])
                return [b""]
            if method != "POST":
                raise MethodNotAllowed(valid_methods=ALLOW)
            data, headers = self.answer(environ, tree_id)
        except Exception as exc:
            return wsgi_error(exc, environ, start_response)
        headers.append(("Content-Length", str(len(data))))
        start_response("200 OK", headers)
        return [data]

    def answer(self, environ: WSGIEnvironment, tree_id: str) -> tuple[bytes, list[tuple[str, str]]]:
        fmt, version = _query(environ)
        # One snapshot for the request: the tree and its headers come from the same load.
        snapshot = self.trees.current
        tree = snapshot.catalog.get(tree_id, version)
        config = self.config
        body = read_body_with_facts(environ, config.max_body_bytes, config.facts_max_bytes)
        result, out = run(tree, load_evaluate(body), environ, config.decisions)
        if fmt == "json":
            data, content_type = orjson.dumps(out), JSON
        elif fmt == "slack":
            data = orjson.dumps(render_slack(out, dict(result.given), tree=tree))
            content_type = JSON
        else:
            data, content_type = render_markdown(out).encode(), MARKDOWN
        headers = [("Content-Type", content_type), (DECISION_ID_HEADER, out["decision_id"])]
        headers.extend(snapshot.documents.entry(tree).deprecation.items())
        return data, headers


class Routes:
    """The API's WSGI callable: evaluate requests to their handler, the rest to Flask."""

    __slots__ = ("evaluate", "flask_app")

    def __init__(self, evaluate: Evaluate, flask_app: WSGIApplication) -> None:
        self.evaluate = evaluate
        self.flask_app = flask_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path.endswith(_SUFFIX) and path.startswith(_PREFIX):
            tree_id = path[len(_PREFIX) : -len(_SUFFIX)]
            if tree_id and "/" not in tree_id:
                return self.evaluate(environ, start_response, tree_id)
        return self.flask_app(environ, start_response)
