"""One error hierarchy for the API, turned into RFC 9457 problem+json in one place."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import flask
import orjson
from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from service.engine import (
    EngineError,
    InvalidAnswers,
    InvalidInput,
    InvalidPricing,
    UnknownTree,
    UnknownVersion,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PROBLEM_JSON = "application/problem+json"
# Problems of HTTP itself (a wrong method, a bad body) carry no more meaning than their
# status, which is what RFC 9457 section 4.2.1 reserves about:blank for.
BLANK = "about:blank"
_TYPE = "urn:netadvisor:problem:"

log = logging.getLogger("netadvisor.api")

# A problem's size is bounded whatever the request held: values it echoes (an id, a
# version, a query value, a field name) are cut to ECHO_LIMIT characters with CUT after
# them, and `errors` lists at most MAX_ERROR_FIELDS fields of MAX_MESSAGES messages each,
# with `errors_omitted` counting the fields left out. A 44 KB batch of wrong answers
# once made a 1.3 MB body, and a 3,900-character id was echoed twice.
ECHO_LIMIT = 100
MAX_ERROR_FIELDS = 50
MAX_MESSAGES = 5
MAX_MESSAGE = 300
MAX_DETAIL = 1000
CUT = "...[cut]"


class ApiError(Exception):
    """An error the API raises on purpose; its class fixes status, title and type."""

    status = 400
    title = "Bad Request"
    type = BLANK

    def __init__(
        self,
        detail: str,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class MalformedBody(ApiError):
    """The body is not JSON at all."""


class UnsupportedMediaType(ApiError):
    status = 415
    title = "Unsupported Media Type"


class InvalidRequest(ApiError):
    """JSON of the wrong shape: `errors` names each bad field."""

    status = 422
    title = "Invalid request"
    type = _TYPE + "invalid-request"


class InvalidParameter(ApiError):
    """A query parameter with a value the operation does not take."""

    title = "Invalid query parameter"
    type = _TYPE + "invalid-parameter"


# Engine errors by class, most specific first: (status, title, type).
_ENGINE: tuple[tuple[type[EngineError], int, str, str], ...] = (
    (UnknownTree, 404, "Unknown tree", _TYPE + "unknown-tree"),
    (UnknownVersion, 404, "Unknown tree version", _TYPE + "unknown-version"),
    (InvalidAnswers, 422, "Invalid answers", _TYPE + "invalid-answers"),
    (InvalidPricing, 422, "Invalid pricing", _TYPE + "invalid-pricing"),
    (InvalidInput, 422, "Invalid input", _TYPE + "invalid-input"),
)


def clip(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` as a problem or log echoes it: at most ``limit`` characters, then CUT."""
    return text if len(text) <= limit else text[:limit] + CUT


def _bounded_errors(errors: Mapping[str, Sequence[str]]) -> tuple[dict[str, list[str]], int]:
    """At most MAX_ERROR_FIELDS fields, their names and messages cut; and how many fields
    were left out."""
    listed: dict[str, list[str]] = {}
    for field, messages in list(errors.items())[:MAX_ERROR_FIELDS]:
        # A field path holds a caller's key: cut, two long keys may meet under one name.
        kept = listed.setdefault(clip(field, 2 * ECHO_LIMIT), [])
        for message in list(messages)[:MAX_MESSAGES]:
            if len(kept) < MAX_MESSAGES:
                kept.append(clip(message, MAX_MESSAGE))
    return listed, max(0, len(errors) - MAX_ERROR_FIELDS)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    type: str = BLANK,
    errors: Mapping[str, Sequence[str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A problem object: the RFC's members, then `errors` and any extension members, each
    bounded (see ECHO_LIMIT)."""
    body: dict[str, Any] = {"type": type, "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"], omitted = _bounded_errors(errors)
        if omitted:
            body["errors_omitted"] = omitted
            detail = f"{detail} {omitted} more fields are not listed."
    body["detail"] = clip(detail, MAX_DETAIL)
    for key, value in extra.items():
        if value is not None:
            body[key] = clip(value) if isinstance(value, str) else value
    return body


def _engine_problem(exc: EngineError) -> dict[str, Any] | None:
    for cls, status, title, type_ in _ENGINE:
        if isinstance(exc, cls):
            errors = None
            if isinstance(exc, InvalidInput):
                scope = "pricing" if isinstance(exc, InvalidPricing) else "answers"
                errors = {f"{scope}.{k}": v for k, v in exc.errors.items()}
            detail = exc.message
            for echoed in (exc.tree, exc.version):
                # The id or version asked for, echoed in the message: once, and cut.
                if echoed and len(echoed) > ECHO_LIMIT:
                    detail = detail.replace(echoed, clip(echoed))
            if exc.suggestion:
                detail = f"{detail} ({exc.suggestion})"
            return problem(
                status,
                title,
                detail,
                type=type_,
                errors=errors,
                tree=exc.tree,
                version=exc.version,
                suggestion=exc.suggestion,
            )
    return None


def problem_for(exc: Exception) -> dict[str, Any] | None:
    """The problem object for an error a request can cause; None for anything else.

    Batch items use this too, so an item's problem reads like a whole request's.
    """
    if isinstance(exc, ApiError):
        return problem(exc.status, exc.title, exc.detail, type=exc.type, errors=exc.errors)
    if isinstance(exc, EngineError):
        return _engine_problem(exc)
    if isinstance(exc, HTTPException):
        return _http_problem(exc)
    return None


_HTTP_DETAIL = {
    404: "No endpoint at this path; GET /openapi.yaml lists them all.",
    405: "This endpoint does not take this method; the Allow header lists those it takes.",
    413: "The request body is larger than this service accepts.",
}


def _http_problem(exc: HTTPException) -> dict[str, Any]:
    if isinstance(exc, ClientDisconnected):
        # The body stopped arriving: the connection's deadline passed (the worker's read
        # raised a TimeoutError under werkzeug's error) or the client closed early.
        if isinstance(exc.__context__, TimeoutError):
            return problem(408, "Request Timeout", "The request body was not sent in time.")
        return problem(400, "Bad Request", "The request body ended before its declared length.")
    status = exc.code or 500
    return problem(status, exc.name, _HTTP_DETAIL.get(status, exc.description or exc.name))


def _headers(exc: Exception, body: Mapping[str, Any]) -> dict[str, str]:
    if isinstance(exc, ApiError):
        return dict(exc.headers or {})
    if isinstance(exc, ClientDisconnected):
        return {"Connection": "close"}
    if isinstance(exc, HTTPException):
        # Keep headers such as Allow (405) and Retry-After; the body's type is ours.
        return {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return {}


def _unexpected(exc: Exception, method: str, path: str) -> dict[str, Any]:
    # The trace goes to the log with the request id; the caller learns nothing of it.
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return problem(
        500,
        "Internal Server Error",
        "The service failed to answer this request; the error is logged with its request id.",
    )


def answer(exc: Exception, environ: WSGIEnvironment) -> tuple[bytes, dict[str, str], int]:
    """The problem+json bytes, headers and status of any error a request met."""
    body = problem_for(exc)
    if body is None:
        body = _unexpected(exc, environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
    return orjson.dumps(body), _headers(exc, body), int(body["status"])


def encode(status: int, title: str, detail: str) -> bytes:
    """A problem document's bytes, for answers made outside any app (the worker's)."""
    return orjson.dumps(problem(status, title, detail))


def respond(
    environ: WSGIEnvironment,
    start_response: StartResponse,
    status: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
) -> Iterable[bytes]:
    """Answer a WSGI request with a problem (middleware refusing a request)."""
    return send(environ, start_response, encode(status, title, detail), status, headers or {})


def send(
    environ: WSGIEnvironment,
    start_response: StartResponse,
    data: bytes,
    status: int,
    headers: Mapping[str, str],
) -> Iterable[bytes]:
    start_response(
        f"{status} {HTTP_STATUS_CODES.get(status, '')}".rstrip(),
        [
            ("Content-Type", PROBLEM_JSON),
            ("Content-Length", str(len(data))),
            *headers.items(),
        ],
    )
    return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [data]


def wsgi_error(
    exc: Exception, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    """Answer a WSGI request that raised ``exc`` as the Flask handlers would."""
    data, headers, status = answer(exc, environ)
    return send(environ, start_response, data, status, headers)


def _flask_error(exc: Exception) -> flask.Response:
    data, headers, status = answer(exc, flask.request.environ)
    response = flask.current_app.response_class(data, status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers)
    return response


def register_error_handlers(app: flask.Flask) -> None:
    """Every error a Flask view can meet becomes a problem+json response, through here."""
    app.register_error_handler(Exception, _flask_error)
