"""CORS for browser portals: an explicit list of origins from the settings, none by default."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# scheme://host[:port] and nothing else: a path, a wildcard or a pattern would widen
# the list beyond the origins an operator named.
_ORIGIN = re.compile(
    r"https?://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?"
)
ALLOW_HEADERS = ("Authorization", "Content-Type", "If-None-Match", "X-Request-ID", "traceparent")
EXPOSE_HEADERS = ("Deprecation", "ETag", "Link", "Sunset", "X-Decision-ID", "X-Request-ID")
ALLOW_METHODS = "GET, OPTIONS, POST"
MAX_AGE = "600"


class CorsConfigError(ValueError):
    """``CORS_ORIGINS`` names something that is not an origin."""


def check_origins(items: Sequence[str], name: str) -> tuple[str, ...]:
    """Origins validated and lower-cased."""
    origins = []
    for item in items:
        origin = item.lower().rstrip("/")
        if not _ORIGIN.fullmatch(origin):
            raise CorsConfigError(
                f"{name}: {item!r} is not an origin "
                "(expected scheme://host[:port], e.g. https://portal.example.com; "
                "wildcards are not accepted)"
            )
        origins.append(origin)
    return tuple(origins)


def is_preflight(environ: WSGIEnvironment, origins: frozenset[str]) -> bool:
    """A CORS preflight from one of ``origins``: OPTIONS with an allowed Origin and
    Access-Control-Request-Method (a browser sends it without credentials)."""
    return (
        environ["REQUEST_METHOD"] == "OPTIONS"
        and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        and environ.get("HTTP_ORIGIN", "").lower() in origins
    )


def is_cors_resource(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/") or path == "/openapi.yaml"


class Cors:
    """WSGI middleware: adds CORS headers to the API's and the spec's responses for the
    configured origins, preflights included, and passes every request on."""

    __slots__ = ("allow_headers", "app", "origins")

    def __init__(self, app: WSGIApplication, origins: Iterable[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)
        self.allow_headers = {h.lower(): h for h in ALLOW_HEADERS}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not is_cors_resource(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        # The headers depend on the request's Origin, and tree definitions and the spec
        # are cacheable: a shared cache must not hand one origin's answer to another.
        added = [("Vary", "Origin")]
        origin = environ.get("HTTP_ORIGIN", "").lower()
        # A request without Origin (a server-side caller) gets no CORS headers.
        if origin in self.origins:
            added.append(("Access-Control-Allow-Origin", environ["HTTP_ORIGIN"]))
            added.append(("Access-Control-Expose-Headers", ", ".join(EXPOSE_HEADERS)))
            if is_preflight(environ, self.origins):
                added.extend(self._preflight(environ))

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, headers + added, exc_info)

        return self.app(environ, start)

    def _preflight(self, environ: WSGIEnvironment) -> list[tuple[str, str]]:
        headers = [
            ("Access-Control-Allow-Methods", ALLOW_METHODS),
            ("Access-Control-Max-Age", MAX_AGE),
        ]
        asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
        allowed = [
            self.allow_headers[name.strip().lower()]
            for name in asked.split(",")
            if name.strip().lower() in self.allow_headers
        ]
        if allowed:
            headers.append(("Access-Control-Allow-Headers", ", ".join(allowed)))
        return headers
