"""Request metrics: every response counted and timed by method, route template and status."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

# Requests take well under a millisecond; the buckets resolve that end and still show
# a slow worker.
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

# labels() formats and locks on every call; the label sets are few and fixed, so each
# child is looked up once per process and kept.
_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Count one response and its latency; the request context calls this for each."""
    key = (
        method if method in _METHODS else "other",
        # Unrouted paths share one label so scanners cannot grow the series without bound.
        route if route is not None else "unmatched",
        str(status),
    )
    children = _children.get(key)
    if children is None:
        children = _children[key] = (REQUESTS.labels(*key), LATENCY.labels(*key))
    children[0].inc()
    children[1].observe(seconds)
