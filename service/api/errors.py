"""One error hierarchy for the API, turned into RFC 9457 problem+json in one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import flask
import orjson
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from service.engine import (
    EngineError,
    InvalidAnswers,
    InvalidInput,
    InvalidPricing,
    UnknownTree,
    UnknownVersion,
)

PROBLEM_JSON = "application/problem+json"
# Problems of HTTP itself (a wrong method, a bad body) carry no more meaning than their
# status, which is what RFC 9457 section 4.2.1 reserves about:blank for.
BLANK = "about:blank"
_TYPE = "urn:netadvisor:problem:"

log = logging.getLogger("netadvisor.api")


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


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    type: str = BLANK,
    errors: Mapping[str, Sequence[str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A problem object: the RFC's members, then `errors` and any extension members."""
    body: dict[str, Any] = {"type": type, "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = {field: list(messages) for field, messages in errors.items()}
    for key, value in extra.items():
        if value is not None:
            body[key] = value
    return body


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as one level of dotted field paths."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            # marshmallow's `_schema` means the value itself: the body, or an item.
            if key == "_schema":
                path = prefix or "body"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for field, found in flatten_messages(value, path).items():
                out.setdefault(field, []).extend(found)
    elif isinstance(messages, list | tuple):
        for item in messages:
            if isinstance(item, Mapping | list | tuple):
                for field, found in flatten_messages(item, prefix).items():
                    out.setdefault(field, []).extend(found)
            else:
                out.setdefault(prefix or "body", []).append(str(item))
    else:
        out.setdefault(prefix or "body", []).append(str(messages))
    return out


def _engine_problem(exc: EngineError) -> dict[str, Any] | None:
    for cls, status, title, type_ in _ENGINE:
        if isinstance(exc, cls):
            errors = None
            if isinstance(exc, InvalidInput):
                scope = "pricing" if isinstance(exc, InvalidPricing) else "answers"
                errors = {f"{scope}.{k}": v for k, v in exc.errors.items()}
            detail = exc.message
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
    if isinstance(exc, ValidationError):
        return problem(
            422,
            InvalidRequest.title,
            "The request body does not have the expected fields; `errors` names each one.",
            type=InvalidRequest.type,
            errors=flatten_messages(exc.messages),
        )
    return None


def problem_response(
    body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> flask.Response:
    response = flask.current_app.response_class(
        orjson.dumps(body), status=body["status"], mimetype=PROBLEM_JSON
    )
    if headers:
        response.headers.update(headers)
    return response


def _http_problem(exc: HTTPException) -> flask.Response:
    status = exc.code or 500
    detail = {
        404: "No endpoint at this path; GET /openapi.yaml lists them all.",
        405: "This endpoint does not take this method; the Allow header lists those it takes.",
        413: "The request body is larger than this service accepts.",
    }.get(status, exc.description or exc.name)
    # Keep headers such as Allow (405) and Retry-After; the body's type is ours.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem_response(problem(status, exc.name, detail), headers)


def _known(exc: Exception) -> flask.Response:
    body = problem_for(exc)
    if body is None:
        return _unexpected(exc)
    headers = exc.headers if isinstance(exc, ApiError) else None
    return problem_response(body, headers)


def _unexpected(exc: Exception) -> flask.Response:
    # The trace goes to the log with the request id; the caller learns nothing of it.
    log.error("unhandled error on %s %s", flask.request.method, flask.request.path, exc_info=exc)
    return problem_response(
        problem(
            500,
            "Internal Server Error",
            "The service failed to answer this request; the error is logged with its request id.",
        )
    )


def register_error_handlers(app: flask.Flask) -> None:
    """Every error a request can meet becomes a problem+json response, through here."""
    app.register_error_handler(ApiError, _known)
    app.register_error_handler(EngineError, _known)
    app.register_error_handler(ValidationError, _known)
    app.register_error_handler(HTTPException, _http_problem)
    app.register_error_handler(Exception, _unexpected)
