"""Trees: the list, one version's definition (cacheable), and a tree's versions."""

from __future__ import annotations

import flask

from . import state
from .definitions import CACHE_DEFAULT, CACHE_PINNED
from .io import raw_json_response

bp = flask.Blueprint("trees", __name__)


@bp.get("/v1/trees")
def list_trees() -> flask.Response:
    return raw_json_response(state.documents().trees_list)


@bp.get("/v1/trees/<tree_id>")
def get_tree(tree_id: str) -> flask.Response:
    version = flask.request.args.get("version")
    tree = state.catalog().get(tree_id, version)
    entry = state.documents().entry(tree)
    headers = {
        "ETag": f'"{entry.etag}"',
        "Cache-Control": CACHE_PINNED if version is not None else CACHE_DEFAULT,
        **entry.deprecation,
    }
    # Weak comparison, as RFC 9110 section 13.1.2 asks for If-None-Match.
    if flask.request.if_none_match.contains_weak(entry.etag):
        response = flask.current_app.response_class(status=304)
        response.headers.update(headers)
        return response
    return raw_json_response(entry.definition, headers=headers)


@bp.get("/v1/trees/<tree_id>/versions")
def list_versions(tree_id: str) -> flask.Response:
    state.catalog().versions(tree_id)  # 404 with a suggestion for an unknown id
    return raw_json_response(state.documents().versions[tree_id])
