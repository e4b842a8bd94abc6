"""Evaluate one tree with a caller's answers, as JSON, a Slack message or Markdown."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl

import orjson
from werkzeug.exceptions import MethodNotAllowed

from service.engine import Result, Tree, evaluate_tree
from service.render.markdown import render_markdown
from service.render.slack import render_slack

from .bodies import EvaluateBody, load_evaluate
from .config import ApiConfig
from .context import DECISION_ID_HEADER, DECISION_ID_KEY, ROUTE_KEY, Decision, DecisionSink
from .encoded import EncodedBodies
from .errors import InvalidParameter, clip, wsgi_error
from .facts import derived_answers
from .io import read_body_with_facts
from .live import LiveTrees
from .metrics import count_evaluations

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
    decision_id: str | None = None,
) -> str:
    """Give one evaluation its decision id (a new one unless given) and tell the sink
    (the decision log) of it; every operation that evaluates (evaluate, batch, compare,
    diagram) comes here."""
    tree = result.tree
    if decision_id is None:
        decision_id = secrets.token_hex(16)
    environ[DECISION_ID_KEY] = decision_id
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


class Evaluated(NamedTuple):
    """One evaluation served: its Result, its body as JSON, and the decision id the
    body carries last (every decision has its own, so it is added to the kept body)."""

    result: Result
    encoded: bytes
    decision_id: str

    def json(self) -> bytes:
        """The response body: the encoded evaluation with `decision_id` as its last member."""
        return b'%s,"decision_id":"%s"}' % (self.encoded[:-1], self.decision_id.encode())

    def body(self) -> dict[str, Any]:
        """The response body as a dict, for the renderers: what the JSON says, exactly."""
        body: dict[str, Any] = orjson.loads(self.encoded)
        body["decision_id"] = self.decision_id
        return body


def decision_ids(count: int) -> list[str]:
    """`count` new decision ids from one read of the system's random source (a batch's)."""
    data = secrets.token_bytes(16 * count).hex()
    return [data[i : i + 32] for i in range(0, 32 * count, 32)]


def run(
    tree: Tree,
    request: EvaluateBody,
    environ: WSGIEnvironment,
    sink: DecisionSink | None,
    bodies: EncodedBodies,
    decision_id: str | None = None,
) -> Evaluated:
    """Evaluate, encode (or find the body already encoded) and log one decision; the
    caller counts it (`count_evaluations`), a batch all of its items at once."""
    started = time.perf_counter()
    result = evaluate_tree(
        tree,
        request.answers,
        request.pricing,
        ask_all=request.ask_all,
        facts=derived_answers(request.facts),
    )
    encoded = bodies.json(result)
    duration_ms = (time.perf_counter() - started) * 1000.0
    decision_id = record(environ, sink, result, duration_ms, decision_id=decision_id)
    return Evaluated(result, encoded, decision_id)


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
        done = run(tree, load_evaluate(body), environ, config.decisions, snapshot.bodies)
        count_evaluations((done.result,))
        if fmt == "json":
            data, content_type = done.json(), JSON
        elif fmt == "slack":
            data = orjson.dumps(render_slack(done.body(), dict(done.result.given), tree=tree))
            content_type = JSON
        else:
            data, content_type = render_markdown(done.body()).encode(), MARKDOWN
        headers = [("Content-Type", content_type), (DECISION_ID_HEADER, done.decision_id)]
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
