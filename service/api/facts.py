"""Cluster facts: what `kubectl get -o json` printed, and an error text, turned into answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask
from werkzeug.exceptions import RequestEntityTooLarge

from service.facts import derive

from .errors import MalformedBody
from .io import json_response, read_json
from .schemas import load_facts

bp = flask.Blueprint("facts", __name__)

Derived = dict[str, tuple[object, str]]


def derived_answers(facts: Mapping[str, Any] | None) -> Derived | None:
    """A request's `facts` ({"objects", "error"}) as question id -> (value, evidence)."""
    if not facts:
        return None
    found = derive(facts.get("objects"), facts.get("error"))
    return {qid: (a.value, a.evidence) for qid, a in found.answers.items()}


def read_body_with_facts() -> Any:
    """The JSON body of a call that may carry facts: up to the facts limit when it does,
    the ordinary body limit when it does not (a large body is only worth reading for
    facts)."""
    app = flask.current_app
    flask.request.max_content_length = int(app.config["FACTS_MAX_BYTES"])
    oversized = (flask.request.content_length or 0) > int(app.config["MAX_BODY_BYTES"])
    try:
        body = read_json()
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


@bp.post("/v1/facts")
def facts() -> flask.Response:
    flask.request.max_content_length = int(flask.current_app.config["FACTS_MAX_BYTES"])
    objects, error = load_facts(read_json())
    return json_response(derive(objects, error).to_dict())
