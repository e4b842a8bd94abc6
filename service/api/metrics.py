"""Prometheus metrics: what was advised, and the exposition of every metric of the process."""

from __future__ import annotations

import os
from typing import Any

import flask
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from service.engine import Result

bp = flask.Blueprint("metrics", __name__)

EVALUATIONS = Counter(
    "netadvisor_evaluations",
    "Evaluations by tree, version, status and recommendation (none while needs_input).",
    ("tree", "version", "status", "recommendation"),
)

# labels() formats and locks on every call; the label sets are few and fixed, so each
# child is looked up once per process and kept.
_evaluation_children: dict[tuple[str, str, str, str], Any] = {}


def count_evaluation(result: Result) -> None:
    tree = result.tree
    key = (tree.id, tree.version, result.status, result.recommendation_id or "none")
    child = _evaluation_children.get(key)
    if child is None:
        child = _evaluation_children[key] = EVALUATIONS.labels(*key)
    child.inc()


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
