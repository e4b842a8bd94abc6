"""Per-request context: request id accepted or generated and echoed, trace id, access log."""

from __future__ import annotations

import logging
import re
import time
import uuid

import flask

from service.serving.logs import ACCESS_LOGGER
from service.serving.runtime import as_bool

REQUEST_ID_HEADER = "X-Request-ID"

# A caller's id is kept only if it is short and plain, so it cannot flood or forge log
# lines; anything else is replaced by a fresh id rather than rejected, because tracing
# must never make a request fail.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/@-]{1,128}")
# W3C Trace Context: version-traceid-parentid-flags, lower-case hex; version ff and
# all-zero ids are invalid.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE = "0" * 32
_ZERO_PARENT = "0" * 16

access_log = logging.getLogger(ACCESS_LOGGER)
ACCESS_LOG_EXTENSION = "netadvisor.access_log"


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is acceptable, else a new one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def parse_traceparent(header: str | None) -> tuple[str, str] | None:
    """(trace id, parent id) of a valid ``traceparent`` header, else None."""
    if not header:
        return None
    match = _TRACEPARENT.fullmatch(header.strip())
    if match is None:
        return None
    version, trace_id, parent_id, _flags = match.groups()
    if version == "ff" or trace_id == _ZERO_TRACE or parent_id == _ZERO_PARENT:
        return None
    return trace_id, parent_id


def _begin() -> None:
    g = flask.g
    g.request_started = time.perf_counter()
    headers = flask.request.headers
    g.request_id = request_id_from(headers.get(REQUEST_ID_HEADER))
    trace = parse_traceparent(headers.get("traceparent"))
    if trace is not None:
        g.trace_id, g.parent_id = trace


def _finish(response: flask.Response) -> flask.Response:
    g = flask.g
    request_id = g.get("request_id")
    if request_id is None:
        # A response built before our first hook ran (another before_request hook
        # failed first) still gets an id.
        _begin()
        request_id = g.request_id
    response.headers[REQUEST_ID_HEADER] = request_id
    if flask.current_app.extensions[ACCESS_LOG_EXTENSION]:
        _log_access(response, request_id)
    return response


def _log_access(response: flask.Response, request_id: str) -> None:
    request = flask.request
    g = flask.g
    rule = request.url_rule
    extra: dict[str, object] = {
        "request_id": request_id,
        "method": request.method,
        # The route template, not the raw path, so lines group by endpoint.
        "route": rule.rule if rule is not None else None,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.request_started) * 1000.0, 3),
        "remote_addr": request.remote_addr,
    }
    trace_id = g.get("trace_id")
    if trace_id is not None:
        extra["trace_id"] = trace_id
        extra["parent_id"] = g.parent_id
    decision_id = g.get("decision_id")
    if decision_id is not None:
        extra["decision_id"] = decision_id
    access_log.info("request", extra=extra)


def init_context(app: flask.Flask) -> None:
    """Register the hooks: ours run first before the request and last after it (Flask
    runs after-request hooks in reverse order), so every other hook sees the request id
    and the access line records the final status."""
    app.extensions[ACCESS_LOG_EXTENSION] = as_bool(
        app.config.get("ACCESS_LOG", True), "NETADVISOR_ACCESS_LOG"
    )
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)
