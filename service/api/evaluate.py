"""Evaluate one tree with a caller's answers, as JSON, a Slack message or Markdown."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl

import orjson

from service.engine import Result, Tree, evaluate_tree
from service.render.markdown import render_markdown
from service.render.slack import render_slack

from .bodies import EvaluateBody, load_evaluate
from .context import DECISION_ID_HEADER, DECISION_ID_KEY, Decision, DecisionSink
from .direct import JSON, DirectRoute, Headers
from .encoded import EncodedBodies
from .errors import InvalidParameter, clip
from .facts import derived_answers
from .io import read_body_with_facts
from .metrics import count_evaluations

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

RULE = "/v1/trees/<tree_id>/evaluate"
FORMATS = ("json", "slack", "markdown")
MARKDOWN = "text/markdown; charset=utf-8; variant=GFM"


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
    """One evaluation served: its Result, its body as JSON without the closing brace,
    and the decision id the body carries last (each decision has its own, so it follows
    the kept body)."""

    result: Result
    opened: bytes
    decision_id: str
    reused: bool  # the body was kept from an equal evaluation

    def json(self) -> bytes:
        """The response body: the evaluation with `decision_id` as its last member."""
        return b"".join((self.opened, b',"decision_id":"', self.decision_id.encode(), b'"}'))

    def body(self) -> dict[str, Any]:
        """The response body as a dict, for the renderers: what the JSON says, exactly."""
        body: dict[str, Any] = orjson.loads(self.json())
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
    opened, reused = bodies.open_json(result)
    duration_ms = (time.perf_counter() - started) * 1000.0
    decision_id = record(environ, sink, result, duration_ms, decision_id=decision_id)
    return Evaluated(result, opened, decision_id, reused)


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


class Evaluate(DirectRoute):
    """The evaluate endpoint, every format and query string: the API's one evaluate
    handler."""

    rule = RULE
    __slots__ = ()

    def answer(self, environ: WSGIEnvironment, param: str) -> tuple[bytes, Headers]:
        fmt, version = _query(environ)
        # One snapshot for the request: the tree and its headers come from the same load.
        snapshot = self.trees.current
        tree = snapshot.catalog.get(param, version)
        config = self.config
        body = read_body_with_facts(environ, config.max_body_bytes, config.facts_max_bytes)
        done = run(tree, load_evaluate(body), environ, config.decisions, snapshot.bodies)
        count_evaluations((done.result,), reused=int(done.reused))
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
