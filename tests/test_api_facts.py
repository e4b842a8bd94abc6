"""POST /v1/facts and facts sent with an evaluation: real kubectl-shaped fixtures in,
answers with evidence out, explicit answers first, and the objects never logged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from support.api import QUIET, CheckedClient, assert_problem

from service.serving import create_app

FIXTURES = Path(__file__).parent / "fixtures" / "kubectl"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def logged(capsys: pytest.CaptureFixture[str]) -> Any:
    app = create_app({"TESTING": True, "ACCESS_LOG": False, "DECISION_LOG": True})
    app.test_client_class = CheckedClient
    return app


def test_facts_from_an_eks_cluster_name_each_field_they_came_from(
    bundled_client: FlaskClient,
) -> None:
    response = bundled_client.post("/v1/facts", json={"objects": _fixture("eks")})
    assert response.status_code == 200
    answers = response.get_json()["answers"]
    assert answers["platform"]["value"] == "aws"
    assert "spec.providerID = aws://" in answers["platform"]["evidence"]
    assert answers["kernel_version"]["value"] == "6.1"
    assert answers["current_cni"]["value"] == "aws-vpc-cni"
    assert answers["zones"]["value"] == 3


def test_an_error_text_alone_gives_its_class(bundled_client: FlaskClient) -> None:
    body = {
        "error": 'Get "http://web.shop:8080/": dial tcp 10.96.4.1:8080: connect: connection refused'
    }
    answers = bundled_client.post("/v1/facts", json=body).get_json()["answers"]
    assert answers["error_class"]["value"] == "refused"
    assert "connection refused" in answers["error_class"]["evidence"]


def test_evaluate_with_facts_asks_only_what_the_cluster_cannot_say(
    bundled_client: FlaskClient,
) -> None:
    answers = {"network_policy": True, "l7_visibility": False, "encryption": False}
    body = bundled_client.post(
        "/v1/trees/cni/evaluate", json={"answers": answers, "facts": {"objects": _fixture("eks")}}
    ).get_json()
    assert body["tree"]["version"] == "3.0.0"
    assert body["status"] == "complete"
    assert body["recommendation"]["id"] == "aws-vpc-cni"
    steps = {s["question"]: s for s in body["justification"]}
    assert steps["platform"]["from_facts"] is True
    assert steps["platform"]["evidence"].startswith("Node/")
    assert steps["current_cni"]["evidence"].startswith("DaemonSet/kube-system/aws-node")
    assert "from_facts" not in steps["network_policy"]


def test_an_explicit_answer_wins_over_a_fact(bundled_client: FlaskClient) -> None:
    answers = {
        "platform": "on-prem",
        "current_cni": "calico",
        "network_policy": True,
        "l7_visibility": False,
        "encryption": False,
        "kernel_version": "6.8",
    }
    body = bundled_client.post(
        "/v1/trees/cni/evaluate", json={"answers": answers, "facts": {"objects": _fixture("eks")}}
    ).get_json()
    steps = {s["question"]: s for s in body["justification"]}
    assert steps["platform"]["answer"] == "on-prem" and "from_facts" not in steps["platform"]
    assert body["recommendation"]["id"] == "calico"


def test_batch_items_take_facts_too(bundled_client: FlaskClient) -> None:
    item = {
        "tree": "cni",
        "answers": {"network_policy": False, "l7_visibility": False, "encryption": False},
        "facts": {"objects": _fixture("gke")},
    }
    (result,) = bundled_client.post("/v1/evaluations", json={"requests": [item]}).get_json()[
        "results"
    ]
    assert result["recommendation"]["id"] == "gke-dataplane-v2"


def test_the_decision_log_records_answers_never_the_objects(
    logged: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = {"network_policy": True, "l7_visibility": False, "encryption": False}
    with logged.test_client() as client:
        client.post(
            "/v1/trees/cni/evaluate",
            json={"answers": answers, "facts": {"objects": _fixture("eks")}},
        )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    (decision,) = [line for line in lines if line.get("logger") == "netadvisor.decision"]
    assert decision["answers"]["platform"] == "aws"
    text = json.dumps(decision)
    assert "providerID" not in text and "ip-10-0-1-5" not in text


def test_bad_facts_bodies_are_problems(bundled_client: FlaskClient) -> None:
    assert_problem(
        bundled_client.post("/v1/facts", data=b"{", content_type="application/json"), 400
    )
    problem = assert_problem(bundled_client.post("/v1/facts", json={}), 422)
    assert "objects" in problem["errors"]
    assert_problem(bundled_client.post("/v1/facts", json={"objects": [], "nodes": 1}), 422)
    assert_problem(bundled_client.post("/v1/facts", json=[1]), 422)
    # Anything unreadable inside `objects` is skipped, never an error.
    response = bundled_client.post("/v1/facts", json={"objects": [1, "x", {"kind": 5}]})
    assert response.status_code == 200 and response.get_json()["answers"] == {}


def test_size_limits_ordinary_bodies_small_and_facts_up_to_their_own_limit(
    bundled_client: FlaskClient,
) -> None:
    pad = "x" * (200 * 1024)
    big = {"kind": "List", "items": [], "metadata": {"pad": pad}}
    assert bundled_client.post("/v1/facts", json={"objects": big}).status_code == 200
    answers = {"network_policy": True}
    response = bundled_client.post(
        "/v1/trees/cni/evaluate", json={"answers": answers, "facts": {"objects": big}}
    )
    assert response.status_code == 200
    # The same size without facts is over the ordinary limit.
    too_big = bundled_client.post("/v1/trees/cni/evaluate", json={"answers": answers, "pad": pad})
    assert_problem(too_big, 413)
    huge = {"objects": "x" * (16 * 1024 * 1024 + 1)}
    assert_problem(bundled_client.post("/v1/facts", json=huge), 413)


def test_facts_work_without_a_token_only_when_the_api_is_open() -> None:
    app = create_app({"TESTING": True, **QUIET, "API_TOKENS": "s3cret"})
    with app.test_client() as client:
        assert_problem(client.post("/v1/facts", json={"error": "i/o timeout"}), 401)
        ok = client.post(
            "/v1/facts",
            json={"error": "i/o timeout"},
            headers={"Authorization": "Bearer s3cret"},
        )
        assert ok.status_code == 200
