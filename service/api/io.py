"""Request bodies in and JSON responses out, read from the WSGI environ with orjson."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import flask
import orjson
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_input_stream

from .errors import MalformedBody, UnsupportedMediaType

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

JSON = "application/json"


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == JSON or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _check_json_type(content_type: str) -> None:
    mimetype, params = parse_options_header(content_type)
    mimetype = mimetype.lower()
    if not is_json_mimetype(mimetype):
        shown = mimetype or "none"
        raise UnsupportedMediaType(
            f"The body must be JSON sent as Content-Type: application/json (got {shown})."
        )
    charset = params.get("charset")
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"JSON bodies are UTF-8; charset={charset} is not accepted.")


def declared_length(environ: WSGIEnvironment) -> int | None:
    declared: str = environ.get("CONTENT_LENGTH") or ""
    # isdigit() alone would pass digits such as "²" that int() refuses.
    return int(declared) if declared.isascii() and declared.isdigit() else None


def read_body(environ: WSGIEnvironment, limit: int) -> bytes:
    """The body, at most ``limit`` bytes (413 beyond); a read that fails or ends early
    is werkzeug's ClientDisconnected, with the cause (a deadline) as its context."""
    length = declared_length(environ)
    if length is None and environ.get("wsgi.input_terminated"):
        # Chunked: the server ends the stream. One byte past the limit tells a body that
        # is too large (werkzeug's bounded stream would cut it at the limit silently).
        try:
            chunked = bytes(environ["wsgi.input"].read(limit + 1))
        except (OSError, ValueError) as exc:
            raise ClientDisconnected() from exc
        if len(chunked) > limit:
            raise RequestEntityTooLarge()
        return chunked
    if length is None or length > limit:
        # No body (no length, no chunks) or too long: werkzeug's stream refuses it or
        # reads nothing, as Flask would.
        return bytes(get_input_stream(environ, max_content_length=limit).read())
    try:
        data: bytes = environ["wsgi.input"].read(length) if length else b""
    except (OSError, ValueError) as exc:
        raise ClientDisconnected() from exc
    if len(data) != length:
        raise ClientDisconnected()
    return data


def _json_bytes(environ: WSGIEnvironment, limit: int) -> bytes:
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type != JSON:
        _check_json_type(content_type)
    return read_body(environ, limit)


def _parse(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        # orjson names the problem and where it is (and refuses nesting past 1024
        # levels), never anything about this process.
        raise MalformedBody(f"The body is not valid JSON: {exc}.") from None


def read_json(environ: WSGIEnvironment, limit: int) -> Any:
    """The request body parsed as JSON: 415 if it is not declared JSON, 413 past
    ``limit``, 400 if it does not parse."""
    return _parse(_json_bytes(environ, limit))


def read_body_with_facts(environ: WSGIEnvironment, max_body: int, facts_max: int) -> Any:
    """The JSON body of a call that may carry facts: up to ``facts_max`` when it does,
    ``max_body`` when it does not (a large body is only worth reading for facts)."""
    data = _json_bytes(environ, facts_max)
    # The bytes received, not a declared length: a chunked body declares none.
    oversized = len(data) > max_body
    try:
        body = _parse(data)
    except MalformedBody:
        if oversized:  # past the ordinary limit, a body that does not parse is too large
            raise RequestEntityTooLarge() from None
        raise
    if oversized and not _carries_facts(body):
        raise RequestEntityTooLarge()
    return body


def _carries_facts(body: object) -> bool:
    if not isinstance(body, dict):
        return False
    if body.get("facts") is not None:
        return True
    items = body.get("requests")
    return isinstance(items, list) and any(
        isinstance(i, dict) and i.get("facts") is not None for i in items
    )


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> flask.Response:
    return raw_json_response(orjson.dumps(body), status, headers)


def raw_json_response(
    data: bytes, status: int = 200, headers: Mapping[str, str] | None = None
) -> flask.Response:
    response = flask.current_app.response_class(data, status=status, mimetype=JSON)
    if headers:
        response.headers.update(headers)
    return response
