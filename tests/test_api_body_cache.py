"""Evaluation bodies kept for reuse: a kept body is the one its request would build, never
another request's, and the memory they take stays within its bound."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import flask
import pytest
from support.api import QUIET, TEST_TREES, make_app

from service.api import live_trees
from service.api.encoded import EncodedBodies
from service.engine import Catalog, bundled_trees_dir, evaluate_tree
from service.serving import create_app

pytestmark = pytest.mark.slow

Request = tuple[str, str, dict[str, Any]]


def _requests() -> list[Request]:
    """Every test case of every bundled tree version, and each one again with what a
    kept body's key must tell apart: the answers in another order, every question asked,
    and a price changed."""
    out: list[Request] = []
    catalog = Catalog.load(bundled_trees_dir())
    for tree_id in catalog.tree_ids:
        for tree in catalog.versions(tree_id):
            for case in tree.tests:
                answers = dict(case.answers)
                body: dict[str, Any] = {"answers": answers}
                if case.pricing:
                    body["pricing"] = dict(case.pricing)
                out.append((tree_id, tree.version, body))
                backwards = dict(reversed(answers.items()))
                out.append((tree_id, tree.version, {**body, "answers": backwards}))
                out.append((tree_id, tree.version, {**body, "ask": "all"}))
                if tree.prices and not case.pricing:
                    name, value = next(iter(tree.prices.items()))
                    out.append((tree_id, tree.version, {**body, "pricing": {name: value + 1}}))
    return out


def _post(client: Any, tree_id: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/v1/trees/{tree_id}/evaluate?version={version}", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    out: dict[str, Any] = response.get_json()
    assert out.pop("decision_id") == response.headers["X-Decision-Id"]
    return out


def _bundled(cache_bytes: int) -> flask.Flask:
    return create_app({"TESTING": True, "BODY_CACHE_BYTES": cache_bytes, **QUIET})


def test_every_kept_body_is_the_body_its_answers_build() -> None:
    requests = _requests()
    assert len(requests) > 1500
    kept = _bundled(64 * 1024 * 1024).test_client()
    built = _bundled(0).test_client()
    # Fill the cache with every request first, so a key that fails to tell two requests
    # apart hands one of them the other's body below.
    first = [_post(kept, *r) for r in requests]
    snapshot = live_trees(kept.application)
    assert snapshot is not None and len(snapshot.current.bodies) > 500
    for request, was in zip(requests, first, strict=True):
        fresh = _post(built, *request)
        assert was == fresh, request
        assert _post(kept, *request) == fresh, request


def test_a_kept_body_goes_out_through_every_format_and_the_batch() -> None:
    client = _bundled(1024 * 1024).test_client()
    answers = {
        "platform": "aws",
        "current_cni": "aws-vpc-cni",
        "network_policy": True,
        "l7_visibility": False,
        "encryption": False,
    }
    plain = _post(client, "cni", "3.0.0", {"answers": answers})
    assert plain["status"] == "complete"
    again = client.post("/v1/trees/cni/evaluate?format=json", json={"answers": answers})
    assert {k: v for k, v in again.get_json().items() if k != "decision_id"} == plain
    markdown = client.post("/v1/trees/cni/evaluate?format=markdown", json={"answers": answers})
    assert plain["recommendation"]["title"] in markdown.get_data(as_text=True)
    slack = client.post("/v1/trees/cni/evaluate?format=slack", json={"answers": answers})
    assert plain["recommendation"]["title"] in json.dumps(slack.get_json())
    items = [{"tree": "cni", "answers": answers}] * 3
    results = client.post("/v1/evaluations", json={"requests": items}).get_json()["results"]
    assert len({r.pop("decision_id") for r in results}) == 3
    assert results == [plain] * 3


def test_facts_and_the_same_answers_given_keep_two_bodies() -> None:
    client = _bundled(1024 * 1024).test_client()
    given = {"answers": {"symptom": "service-unreachable", "error_class": "timeout"}}
    from_facts = {
        "answers": {"symptom": "service-unreachable"},
        "facts": {"error": "dial tcp 10.96.14.7:8080: i/o timeout"},
    }
    for _ in range(2):
        plain = _post(client, "network-troubleshooting", "2.0.0", given)
        derived = _post(client, "network-troubleshooting", "2.0.0", from_facts)
        assert not any(step.get("from_facts") for step in plain["justification"])
        assert any(step.get("from_facts") for step in derived["justification"])


def test_a_reload_lets_the_kept_bodies_go(tmp_path: Path) -> None:
    shutil.copytree(TEST_TREES / "example", tmp_path / "example")
    app = make_app(TREES_DIR=str(tmp_path), OVERLAY_DIRS=[], BODY_CACHE_BYTES=1024 * 1024)
    client = app.test_client()
    body = {"answers": {"external": True}}
    before = client.post("/v1/trees/example/evaluate", json=body).get_json()
    tree_file = next((tmp_path / "example").glob("*.yaml"))
    tree_file.write_text(
        tree_file.read_text().replace(f"title: {before['tree']['title']}", "title: Retitled", 1)
    )
    live = live_trees(app)
    assert live is not None and live.reload(force=True) is True
    assert len(live.current.bodies) == 0
    after = client.post("/v1/trees/example/evaluate", json=body).get_json()
    assert after["tree"]["title"] == "Retitled"
    assert after["tree"]["digest"] != before["tree"]["digest"]


def test_the_kept_bodies_stay_within_their_bound() -> None:
    tree = Catalog.load(bundled_trees_dir()).get("cni")
    results = [
        evaluate_tree(tree, {"platform": "on-prem", "nodes": nodes, "current_cni": "none"})
        for nodes in range(1, 200)
    ]
    one = len(json.dumps(results[0].to_dict()))
    bodies = EncodedBodies(20 * one)
    encoded = [bodies.open_json(result)[0] for result in results]
    for result, data in zip(results, encoded, strict=True):
        assert json.loads(data + b"}") == result.to_dict()
    assert 0 < len(bodies) < 20
    assert bodies.current_bytes <= 20 * one
    # The most recently used are the ones kept; the first ones were let go.
    assert bodies.open_json(results[-1]) == (encoded[-1], True)
    assert bodies.open_json(results[-1])[0] is encoded[-1]
    assert bodies.open_json(results[0])[1] is False


def test_no_body_is_kept_with_no_memory_for_them_or_one_too_large() -> None:
    tree = Catalog.load(bundled_trees_dir()).get("cni")
    result = evaluate_tree(tree, {"platform": "on-prem"})
    none = EncodedBodies(0)
    assert json.loads(none.open_json(result)[0] + b"}") == result.to_dict()
    assert none.open_json(result)[1] is False
    assert len(none) == 0 and none.current_bytes == 0
    small = EncodedBodies(100)
    small.open_json(result)
    assert len(small) == 0


def test_the_setting_refuses_a_negative_size() -> None:
    with pytest.raises(Exception, match="NETADVISOR_BODY_CACHE_BYTES"):
        create_app({"TESTING": True, "BODY_CACHE_BYTES": -1, **QUIET})


def _bodies_counted(client: Any) -> dict[str, float]:
    text = client.get("/metrics").get_data(as_text=True)
    counted = {"reused": 0.0, "built": 0.0}
    for line in text.splitlines():
        for outcome in counted:
            if line.startswith(f'netadvisor_evaluation_bodies_total{{outcome="{outcome}"}}'):
                counted[outcome] = float(line.split()[-1])
    return counted


def test_reused_and_built_bodies_are_counted() -> None:
    client = _bundled(1024 * 1024).test_client()
    before = _bodies_counted(client)
    answers = {"platform": "on-prem", "current_cni": "cilium", "network_policy": True}
    items = [{"tree": "cni", "answers": answers}] * 4 + [{"tree": "nope", "answers": {}}]
    assert client.post("/v1/evaluations", json={"requests": items}).status_code == 200
    _post(client, "cni", "3.0.0", {"answers": answers})
    after = _bodies_counted(client)
    assert after["built"] - before["built"] == 1
    assert after["reused"] - before["reused"] == 4
