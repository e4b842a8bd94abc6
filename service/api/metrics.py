"""Prometheus metrics: what was advised, and the exposition of every metric of the process."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from typing import Any, NamedTuple

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


# Each evaluation's body is either reused (kept from an equal evaluation) or built; the
# share reused tells whether NETADVISOR_BODY_CACHE_BYTES is large enough for the traffic.
BODIES = Counter(
    "netadvisor_evaluation_bodies",
    "Evaluation bodies by outcome: reused (kept from an equal evaluation) or built.",
    ("outcome",),
)


class ReloadCounters(NamedTuple):
    reloads: Counter
    failures: Counter


@functools.cache
def reload_counters() -> ReloadCounters:
    """The tree reload counters, made when the app is (in gunicorn's master, after the
    metrics directory exists) rather than at import, which the server's configuration
    does before it prepares that directory; made then, they are exposed at zero."""
    return ReloadCounters(
        Counter(
            "netadvisor_tree_reloads",
            "Tree reloads that took effect: the files changed, loaded and checked cleanly.",
        ),
        Counter(
            "netadvisor_tree_reload_failures",
            "Tree reloads refused: the changed files did not load; the previous trees "
            "kept serving.",
        ),
    )


# labels() formats and locks on every call; the label sets are few and fixed, so each
# child is looked up once per process and kept.
_evaluation_children: dict[tuple[str, str, str, str], Any] = {}


def count_evaluations(results: Iterable[Result], reused: int = 0) -> None:
    """Count evaluations by their labels, one increment per label set (a batch's items
    mostly share a few, and each increment writes the worker's metrics file), and their
    bodies, `reused` of them kept from equal evaluations."""
    tally: dict[tuple[str, str, str, str], int] = {}
    for result in results:
        tree = result.tree
        key = (tree.id, tree.version, result.status, result.recommendation_id or "none")
        tally[key] = tally.get(key, 0) + 1
    for key, count in tally.items():
        child = _evaluation_children.get(key)
        if child is None:
            child = _evaluation_children[key] = EVALUATIONS.labels(*key)
        child.inc(count)
    built = sum(tally.values()) - reused
    if reused:
        _body_child("reused").inc(reused)
    if built:
        _body_child("built").inc(built)


@functools.cache
def _body_child(outcome: str) -> Any:
    # Made at first use, in a worker, like the evaluation children: not at import, which
    # comes before the metrics directory is prepared.
    return BODIES.labels(outcome)


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
