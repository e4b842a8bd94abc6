"""The spec this service implements, and Swagger UI for it, served from local files only."""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import importlib.util
from pathlib import Path

import flask

bp = flask.Blueprint("spec", __name__)

YAML = "application/yaml"
# What the docs page loads; anything else under /docs/ is a 404.
ASSETS = (
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
    "swagger-initializer.js",
)
_ASSET_RULE = "/docs/<any(" + ", ".join(f'"{a}"' for a in ASSETS) + "):asset>"

# Asset links are relative, so the page works behind any path prefix; {base} is "docs/"
# for /docs and "" for /docs/.
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>netadvisor API</title>
  <link rel="stylesheet" type="text/css" href="{base}swagger-ui.css">
  <link rel="icon" type="image/png" href="{base}favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="{base}favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{base}swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="{base}swagger-ui-standalone-preset.js" charset="UTF-8"></script>
  <script src="{base}swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
"""

# A file rather than an inline script, so a Content-Security-Policy without
# 'unsafe-inline' can cover the page. The spec is found relative to the page (so a path
# prefix in front of the service is kept), and validatorUrl is off: Swagger UI would
# otherwise send the spec's URL to validator.swagger.io and show a broken badge offline.
_INITIALIZER = """window.onload = function () {
  var here = window.location.pathname;
  window.ui = SwaggerUIBundle({
    url: here.endsWith("/") ? "../openapi.yaml" : "openapi.yaml",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""


def spec_path() -> Path:
    """The installed copy (the wheel puts it in the package), else the checkout's."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "openapi.yaml"
    return installed if installed.is_file() else here.parent / "openapi.yaml"


def swagger_ui_dir() -> Path:
    """Swagger UI 5's distribution files from flask-swagger-ui (no CDN at run time)."""
    return Path(str(importlib.resources.files("flask_swagger_ui"))) / "dist"


def init_spec(app: flask.Flask) -> None:
    data = spec_path().read_bytes()
    app.extensions["netadvisor.spec"] = (data, hashlib.sha256(data).hexdigest()[:32])
    app.extensions["netadvisor.swagger_ui"] = swagger_ui_dir()


@bp.get("/openapi.yaml")
def openapi() -> flask.Response:
    data, etag = flask.current_app.extensions["netadvisor.spec"]
    headers = {"ETag": f'"{etag}"', "Cache-Control": "max-age=300"}
    if flask.request.if_none_match.contains_weak(etag):
        return flask.current_app.response_class(status=304, headers=headers)
    # YAML by default; text/plain for a caller that prefers it (a browser shows it, and a
    # client generator that knows no YAML media type reads it as text).
    best = flask.request.accept_mimetypes.best_match([YAML, "text/plain"], default=YAML)
    headers["Vary"] = "Accept"
    return flask.current_app.response_class(
        data, content_type=f"{best}; charset=utf-8", headers=headers
    )


_PAGES = {"/docs": _PAGE.replace("{base}", "docs/"), "/docs/": _PAGE.replace("{base}", "")}


@bp.get("/docs", strict_slashes=True)
@bp.get("/docs/", endpoint="docs_slash")
def docs() -> flask.Response:
    page = _PAGES["/docs/" if flask.request.path.endswith("/") else "/docs"]
    return flask.current_app.response_class(page, content_type="text/html; charset=utf-8")


@bp.get(_ASSET_RULE)
def docs_asset(asset: str) -> flask.Response:
    if asset == "swagger-initializer.js":
        return flask.current_app.response_class(
            _INITIALIZER, content_type="text/javascript; charset=utf-8"
        )
    directory: Path = flask.current_app.extensions["netadvisor.swagger_ui"]
    data = _read_asset(directory, asset)
    content_type = _TYPES[asset.rsplit(".", 1)[-1]]
    return flask.current_app.response_class(
        data, content_type=content_type, headers={"Cache-Control": "public, max-age=86400"}
    )


_TYPES = {
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "png": "image/png",
}


@functools.cache
def _read_asset(directory: Path, asset: str) -> bytes:
    # Read once per worker on first use: a few files a browser fetches once, kept in
    # memory rather than streamed (no open file handles, no Range/If-* handling).
    return (directory / asset).read_bytes()
