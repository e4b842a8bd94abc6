"""CORS for browser portals: an explicit list of origins from configuration, none by default."""

from __future__ import annotations

import re

import flask
from flask_cors import CORS

# scheme://host[:port] and nothing else: a path, a wildcard or a pattern would widen
# the list beyond the origins an operator named.
_ORIGIN = re.compile(
    r"https?://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?"
)
_SEPARATORS = re.compile(r"[\s,]+")

ALLOW_HEADERS = ("Authorization", "Content-Type", "If-None-Match", "X-Request-ID", "traceparent")
EXPOSE_HEADERS = ("X-Request-ID", "X-Decision-ID", "ETag", "Deprecation", "Link", "Sunset")


class CorsConfigError(ValueError):
    """``CORS_ORIGINS`` names something that is not an origin."""


def parse_origins(value: object) -> list[str]:
    """Origins from a comma-separated string or a list, validated and lower-cased."""
    if value is None:
        return []
    if isinstance(value, str):
        items = [part for part in _SEPARATORS.split(value) if part]
    elif isinstance(value, list | tuple):
        items = [str(item).strip() for item in value]
    else:
        raise CorsConfigError(
            f"NETADVISOR_CORS_ORIGINS must be a comma-separated list, not {type(value).__name__}"
        )
    origins = []
    for item in items:
        origin = item.lower().rstrip("/")
        if not _ORIGIN.fullmatch(origin):
            raise CorsConfigError(
                f"NETADVISOR_CORS_ORIGINS: {item!r} is not an origin "
                "(expected scheme://host[:port], e.g. https://portal.example.com; "
                "wildcards are not accepted)"
            )
        origins.append(origin)
    return origins


CORS_EXTENSION = "netadvisor.cors_origins"


def init_cors(app: flask.Flask, origins: list[str]) -> None:
    """Answer CORS for the API and the spec, only for the configured origins."""
    app.extensions[CORS_EXTENSION] = tuple(origins)
    if not origins:
        return
    options = {
        "origins": origins,
        "methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": list(ALLOW_HEADERS),
        "expose_headers": list(EXPOSE_HEADERS),
        # Tokens travel in a header, never in cookies.
        "supports_credentials": False,
        "max_age": 600,
        # CORS headers answer a browser's Origin; a request without one (a server-side
        # caller) gets none, rather than the list of every allowed origin.
        "always_send": False,
    }
    CORS(app, resources={r"^/v1(/.*)?$": options, r"^/openapi\.yaml$": options})
    app.after_request(_vary_on_origin)


def _is_cors_resource(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/") or path == "/openapi.yaml"


def _vary_on_origin(response: flask.Response) -> flask.Response:
    # The CORS headers depend on the request's Origin, and tree definitions and the spec
    # are cacheable: a shared cache must not hand one origin's answer (or a server-side
    # caller's, which has none) to another.
    if _is_cors_resource(flask.request.path):
        response.vary.add("Origin")
    return response
