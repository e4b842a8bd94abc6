"""The advisor page at / and its files under /ui/, served from service/web (no CDN, no build)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import flask

bp = flask.Blueprint("page", __name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MERMAID_VERSION = "11.17.2"
# What the page loads, by the name it asks for, and the file under service/web; anything
# else under /ui/ is a 404. The vendored Mermaid's name carries its version, so a browser
# may keep it for good; the page's own files are revalidated (ETag) on every load.
ASSETS: dict[str, str] = {
    name: name
    for name in (
        "api.js",
        "app.js",
        "auth.js",
        "chart.js",
        "diagram.js",
        "dom.js",
        "facts.js",
        "flow.js",
        "pricing.js",
        "result.js",
        "share.js",
        "state.js",
        "style.css",
    )
}
ASSETS[f"mermaid-{MERMAID_VERSION}.min.js"] = f"vendor/mermaid-{MERMAID_VERSION}.min.js"
IMMUTABLE = frozenset({f"mermaid-{MERMAID_VERSION}.min.js"})
_ASSET_RULE = "/ui/<any(" + ", ".join(f'"{a}"' for a in ASSETS) + "):asset>"

_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
}
# Scripts and styles only from this service: no inline script, nothing from elsewhere.
# Mermaid writes style attributes into the SVG it draws, hence 'unsafe-inline' for styles.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)


@functools.cache
def _read(relative: str) -> tuple[bytes, str]:
    # Read once per worker on first use and kept in memory with its ETag.
    data = (WEB_DIR / relative).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:32]


def _send(relative: str, cache_control: str) -> flask.Response:
    data, etag = _read(relative)
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
    }
    response_class = flask.current_app.response_class
    if flask.request.if_none_match.contains_weak(etag):
        return response_class(status=304, headers=headers)
    content_type = _TYPES[relative.rsplit(".", 1)[-1]]
    return response_class(data, content_type=content_type, headers=headers)


@bp.get("/")
def index() -> flask.Response:
    response = _send("index.html", "no-cache")
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.get(_ASSET_RULE)
def asset(asset: str) -> flask.Response:
    cache = "public, max-age=31536000, immutable" if asset in IMMUTABLE else "no-cache"
    return _send(ASSETS[asset], cache)
