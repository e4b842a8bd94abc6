"""GET /v1/trees/{id}/diagram: Mermaid, with the answers' path highlighted."""

from __future__ import annotations

import io
import json

import pytest
from flask.testing import FlaskClient
from support.api import assert_problem, make_app

from service.serving import events


def test_plain_diagram_is_mermaid(client: FlaskClient) -> None:
    response = client.get("/v1/trees/example/diagram")
    assert response.status_code == 200
    assert response.mimetype == "text/vnd.mermaid"
    text = response.get_data(as_text=True)
    assert text.startswith("flowchart")
    assert "One shared Ingress" in text
    assert "chosen" not in text.split("classDef chosen", 1)[-1].split("\n", 1)[-1]


def test_answers_in_the_query_highlight_the_path(client: FlaskClient) -> None:
    text = client.get("/v1/trees/example/diagram?external=yes&services=20").get_data(as_text=True)
    plain = client.get("/v1/trees/example/diagram").get_data(as_text=True)
    assert text != plain
    assert "class n_shared chosen" in text


def test_text_plain_when_asked(client: FlaskClient) -> None:
    response = client.get("/v1/trees/example/diagram", headers={"Accept": "text/plain"})
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith("flowchart")


def test_version_pinning_and_deprecation(client: FlaskClient) -> None:
    old = client.get("/v1/trees/expose/diagram?version=1.0.0")
    assert "Deprecation" in old.headers
    assert "Gateway" not in old.get_data(as_text=True)
    assert "One shared Gateway" in client.get("/v1/trees/expose/diagram").get_data(as_text=True)


def test_errors(client: FlaskClient) -> None:
    problem = assert_problem(client.get("/v1/trees/example/diagram?extrnal=yes"), 422)
    assert "answers.extrnal" in problem["errors"]
    problem = assert_problem(client.get("/v1/trees/example/diagram?services=lots"), 422)
    assert problem["errors"] == {
        "answers.services": ["expected a whole number, got the string 'lots'"]
    }
    assert_problem(client.get("/v1/trees/nope/diagram"), 404)
    assert_problem(client.get("/v1/trees/example/diagram?version=0.0.1"), 404)
    assert_problem(client.post("/v1/trees/example/diagram"), 405)


def test_answers_highlighted_are_a_decision_event(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(events, "output", out)
    client = make_app(DECISION_LOG=True).test_client()
    plain = client.get("/v1/trees/example/diagram")
    assert "X-Decision-ID" not in plain.headers and out.getvalue() == ""
    response = client.get("/v1/trees/example/diagram?external=yes&services=20")
    (line,) = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["event"] == "decision" and line["operation"] == "diagram"
    assert line["decision_id"] == response.headers["X-Decision-ID"]
    assert (line["tree_id"], line["recommendation"]) == ("example", "ingress")
    assert line["answers"] == {"external": True, "services": 20}
