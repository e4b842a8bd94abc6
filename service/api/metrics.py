"""Prometheus metrics: requests by route and status, latency, and what was advised."""

from __future__ import annotations

import os
from typing import Any

import flask
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from service.engine import Result

bp = flask.Blueprint("metrics", __name__)

# Evaluations take well under a millisecond; the buckets resolve that end and still
# show a slow worker.
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))

REQUESTS = Counter(
    "netadvisor_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ("method", "route", "status"),
)
LATENCY = Histogram(
    "netadvisor_http_request_duration_seconds",
    "Time from the request reaching the app to its response, by method, route and status.",
    ("method", "route", "status"),
    buckets=_BUCKETS,
)
EVALUATIONS = Counter(
    "netadvisor_evaluations",
    "Evaluations by tree, version, status and recommendation (none while needs_input).",
    ("tree", "version", "status", "recommendation"),
)

# labels() formats and locks on every call; the label sets are few and fixed, so each
# child is looked up once per process and kept.
_request_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
_evaluation_children: dict[tuple[str, str, str, str], Any] = {}


def count_evaluation(result: Result) -> None:
    tree = result.tree
    key = (tree.id, tree.version, result.status, result.recommendation_id or "none")
    child = _evaluation_children.get(key)
    if child is None:
        child = _evaluation_children[key] = EVALUATIONS.labels(*key)
    child.inc()


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Count one response and its latency; the serving middleware calls this for each."""
    key = (
        method if method in _METHODS else "other",
        # Unrouted paths share one label so scanners cannot grow the series without bound.
        route if route is not None else "unmatched",
        str(status),
    )
    children = _request_children.get(key)
    if children is None:
        children = _request_children[key] = (REQUESTS.labels(*key), LATENCY.labels(*key))
    children[0].inc()
    children[1].observe(seconds)


def _registry() -> CollectorRegistry:
    # Under several gunicorn workers each one writes its own files in this directory;
    # reading them all is what makes the counts add up across workers.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


@bp.get("/metrics")
def metrics() -> flask.Response:
    return flask.current_app.response_class(
        generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST
    )
