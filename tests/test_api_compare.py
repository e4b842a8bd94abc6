"""POST /v1/trees/{id}/compare: the same answers under every version."""

from __future__ import annotations

import io
import json
import re

import pytest
from flask.testing import FlaskClient
from support.api import assert_problem, make_app

from service.serving import events

URL = "/v1/trees/expose/compare"


def test_an_outcome_that_moved_between_versions(client: FlaskClient) -> None:
    response = client.post(URL, json={"answers": {"external": True, "services": 5}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["tree"] == "expose"
    assert body["changed"] is True
    ids = [item.pop("decision_id") for item in body["results"]]
    assert all(re.fullmatch("[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 2
    assert body["results"] == [
        {
            "version": "1.0.0",
            "version_status": "deprecated",
            "default": False,
            "ignored": [],
            "status": "complete",
            "recommendation": {"id": "ingress", "title": "One shared Ingress"},
            "next_question": None,
        },
        {
            "version": "2.0.0",
            "version_status": "current",
            "default": True,
            "ignored": [],
            "status": "complete",
            "recommendation": {"id": "gateway", "title": "One shared Gateway"},
            "next_question": None,
        },
    ]


def test_an_outcome_that_stayed(client: FlaskClient) -> None:
    body = client.post(URL, json={"answers": {"external": False}}).get_json()
    assert body["changed"] is False
    assert {r["recommendation"]["id"] for r in body["results"]} == {"clusterip"}


def test_partial_answers_compare_the_next_question(client: FlaskClient) -> None:
    body = client.post(URL, json={"answers": {}}).get_json()
    assert [(r["status"], r["next_question"]) for r in body["results"]] == [
        ("needs_input", "external"),
        ("needs_input", "external"),
    ]
    assert body["changed"] is False


def test_a_question_an_older_version_does_not_ask_is_left_out_for_it(
    client: FlaskClient,
) -> None:
    answers = {"external": True, "services": 5, "gateway_api": False}
    body = client.post(URL, json={"answers": answers}).get_json()
    old, new = body["results"]
    assert old["ignored"] == ["gateway_api"] and old["recommendation"]["id"] == "ingress"
    assert new["ignored"] == [] and new["recommendation"]["id"] == "ingress"
    assert body["changed"] is False


def test_a_version_the_answers_do_not_fit_carries_its_own_problem(client: FlaskClient) -> None:
    # 20000 services is over both versions' maximum: each version says so on its own.
    body = client.post(URL, json={"answers": {"external": True, "services": 20000}}).get_json()
    for item in body["results"]:
        assert item["status"] == "invalid" and item["recommendation"] is None
        assert item["problem"]["status"] == 422
        assert "answers.services" in item["problem"]["errors"]
    assert body["changed"] is False


def test_errors(client: FlaskClient) -> None:
    assert_problem(client.post("/v1/trees/nope/compare", json={"answers": {}}), 404)
    problem = assert_problem(client.post(URL, json={"answers": {}, "pricing": {}}), 422)
    assert problem["errors"] == {"pricing": ["Unknown field."]}
    assert_problem(client.post(URL, data="{", content_type="application/json"), 400)
    assert_problem(client.post(URL, data="{}", content_type="text/plain"), 415)
    assert_problem(client.get(URL), 405)


def test_bundled_cni_upgrade_replaces_weave(bundled_client: FlaskClient) -> None:
    answers = {"network_policy": False, "l7_visibility": False, "encryption": True}
    body = bundled_client.post("/v1/trees/cni/compare", json={"answers": answers}).get_json()
    outcome = {r["version"]: r for r in body["results"]}
    assert outcome["1.0.0"]["recommendation"]["id"] == "weave"
    assert outcome["2.0.0"]["recommendation"]["id"] != "weave"
    # Version 3 asks the platform and the CNI that runs first: no answer, no advice.
    assert outcome["3.0.0"]["status"] == "needs_input"
    assert outcome["3.0.0"]["next_question"] == "platform"
    assert body["changed"] is True
    answers |= {"platform": "on-prem", "current_cni": "weave", "kernel_version": "6.1"}
    body = bundled_client.post("/v1/trees/cni/compare", json={"answers": answers}).get_json()
    latest = body["results"][-1]
    assert latest["version"] == "3.0.0" and latest["recommendation"]["id"] != "weave"
    assert latest["ignored"] == [] and body["results"][0]["ignored"]


def test_every_version_evaluated_is_a_decision_event(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(events, "output", out)
    client = make_app(DECISION_LOG=True).test_client()
    # One event per version, tagged compare, with the id the response gives that version.
    answers = {"external": True, "services": 5}
    body = client.post(URL, json={"answers": answers}).get_json()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    decisions = [line for line in lines if line.get("event") == "decision"]
    assert [(d["tree_version"], d["operation"]) for d in decisions] == [
        ("1.0.0", "compare"),
        ("2.0.0", "compare"),
    ]
    assert [d["decision_id"] for d in decisions] == [r["decision_id"] for r in body["results"]]
    assert decisions[1]["answers"] == answers and decisions[1]["recommendation"] == "gateway"
    # A version the answers do not fit is not evaluated: no decision, no id.
    out.seek(0)
    out.truncate(0)
    invalid = client.post(URL, json={"answers": {"external": True, "services": 20000}})
    assert "decision_id" not in invalid.get_json()["results"][0]
    assert '"event":"decision"' not in out.getvalue()
