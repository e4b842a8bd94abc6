"""Cluster facts: what `kubectl get -o json` printed, and an error text, turned into answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask

from service.facts import derive

from . import state
from .bodies import load_facts
from .io import json_response, read_json

bp = flask.Blueprint("facts", __name__)

Derived = dict[str, tuple[object, str]]


def derived_answers(facts: Mapping[str, Any] | None) -> Derived | None:
    """A request's `facts` ({"objects", "error"}) as question id -> (value, evidence)."""
    if not facts:
        return None
    found = derive(facts.get("objects"), facts.get("error"))
    return {qid: (a.value, a.evidence) for qid, a in found.answers.items()}


@bp.post("/v1/facts")
def facts() -> flask.Response:
    body = read_json(flask.request.environ, state.config().facts_max_bytes)
    objects, error = load_facts(body)
    return json_response(derive(objects, error).to_dict())
