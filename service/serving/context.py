"""Per-request context as WSGI middleware: request id, trace id, timing, metrics, access line."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from service.api.context import DECISION_ID_KEY, ROUTE_KEY
from service.serving.events import ACCESS_LOGGER, write_event

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REQUEST_ID_HEADER = "X-Request-ID"

# Where a request's context lives in its WSGI environ, so the log filter, the decision
# log and the middleware all read one place, after the app is done with the request too.
REQUEST_ID_KEY = "netadvisor.request_id"
TRACE_KEY = "netadvisor.trace"

# A caller's id is kept only if it is short and plain, so it cannot flood or forge log
# lines; anything else is replaced by a fresh id rather than rejected, because tracing
# must never make a request fail.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/@-]{1,128}")
# W3C Trace Context: version-traceid-parentid-flags, lower-case hex; version ff and
# all-zero ids are invalid.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE = "0" * 32
_ZERO_PARENT = "0" * 16

# Called once per response: method, route template (None when no route matched),
# status and seconds since the request reached the app. Metrics register one.
ResponseObserver = Callable[[str, str | None, int, float], None]


# The environ of the request being answered, for log lines written meanwhile.
current_environ: ContextVar[WSGIEnvironment | None] = ContextVar("environ", default=None)


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is acceptable, else a new one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)


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


def context_fields(environ: WSGIEnvironment) -> dict[str, str]:
    """The request id and trace id of a request, for any line logged while handling it."""
    fields: dict[str, str] = {}
    request_id = environ.get(REQUEST_ID_KEY)
    if request_id is not None:
        fields["request_id"] = request_id
    trace = environ.get(TRACE_KEY)
    if trace is not None:
        fields["trace_id"] = trace[0]
    return fields


class RequestContext:
    """WSGI middleware, outermost: gives each request an id (the caller's when plain,
    echoed in ``X-Request-ID``), keeps its trace id, and once the app has answered,
    reports the response to the observers (metrics) and writes the access line."""

    __slots__ = ("access_log", "app", "observers")

    def __init__(
        self,
        app: WSGIApplication,
        *,
        access_log: bool,
        observers: Sequence[ResponseObserver] = (),
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.observers = tuple(observers)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ[REQUEST_ID_KEY] = request_id
        header = environ.get("HTTP_TRACEPARENT")
        if header:
            trace = parse_traceparent(header)
            if trace is not None:
                environ[TRACE_KEY] = trace
        # A request that escapes the app with an exception (only when Flask propagates
        # them, as in testing) is recorded as the 500 the server will send.
        status = 500

        def start(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status
            status = int(status_line[:3])
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status_line, headers, exc_info)

        token = current_environ.set(environ)
        try:
            return self.app(environ, start)
        finally:
            current_environ.reset(token)
            self._finish(environ, status, time.perf_counter() - started)

    def _finish(self, environ: WSGIEnvironment, status: int, seconds: float) -> None:
        # The route template, not the raw path, so lines and series group by endpoint.
        route = environ.get(ROUTE_KEY)
        method = environ.get("REQUEST_METHOD", "GET")
        for observe in self.observers:
            observe(method, route, status, seconds)
        if self.access_log:
            write_event(
                ACCESS_LOGGER, "request", _access_fields(environ, method, route, status, seconds)
            )


def _access_fields(
    environ: WSGIEnvironment, method: str, route: str | None, status: int, seconds: float
) -> dict[str, object]:
    path: str = environ.get("PATH_INFO") or "/"
    fields: dict[str, object] = {
        "request_id": environ[REQUEST_ID_KEY],
        "method": method,
        "route": route,
        # WSGI carries the path as latin-1; the line shows the UTF-8 the client sent.
        "path": path.encode("latin-1", "replace").decode("utf-8", "replace"),
        "status": status,
        "duration_ms": round(seconds * 1000.0, 3),
        "remote_addr": environ.get("REMOTE_ADDR"),
    }
    trace = environ.get(TRACE_KEY)
    if trace is not None:
        fields["trace_id"], fields["parent_id"] = trace
    decision_id = environ.get(DECISION_ID_KEY)
    if decision_id is not None:
        fields["decision_id"] = decision_id
    return fields
