"""Request bodies in and JSON responses out, with orjson and no more work than needed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask
import orjson

from .errors import MalformedBody, UnsupportedMediaType

JSON = "application/json"


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == JSON or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def read_json() -> Any:
    """The request body parsed as JSON: 415 if it is not declared JSON, 413 past the
    size limit (werkzeug raises while reading), 400 if it does not parse."""
    request = flask.request
    if not is_json_mimetype(request.mimetype):
        shown = request.mimetype or "none"
        raise UnsupportedMediaType(
            f"The body must be JSON sent as Content-Type: application/json (got {shown})."
        )
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"JSON bodies are UTF-8; charset={charset} is not accepted.")
    data = request.get_data(cache=False)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        # orjson names the problem and where it is (and refuses nesting past 1024
        # levels), never anything about this process.
        raise MalformedBody(f"The body is not valid JSON: {exc}.") from None


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
