"""POST /v1/evaluations: many evaluations, in order, failing one by one."""

from __future__ import annotations

from flask.testing import FlaskClient
from support.api import assert_problem, make_app

URL = "/v1/evaluations"


def test_results_come_in_order_and_failures_stay_per_item(client: FlaskClient) -> None:
    requests = [
        {"tree": "example", "answers": {"external": False}},
        {"tree": "nope", "answers": {}},
        {"tree": "expose", "version": "1.0.0", "answers": {"external": True, "services": 2}},
        {"tree": "example", "answers": {"services": -1}},
        {"tree": "example", "version": "7.0.0", "answers": {}},
        {"tree": "example", "answers": {}, "pricing": {"lb_month_low": 1}},
    ]
    response = client.post(URL, json={"requests": requests})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == len(requests)
    assert results[0]["recommendation"]["id"] == "clusterip"
    assert results[1]["problem"]["status"] == 404
    assert results[1]["problem"]["type"] == "urn:netadvisor:problem:unknown-tree"
    assert results[2]["tree"]["version"] == "1.0.0"
    assert results[2]["recommendation"]["id"] == "ingress"
    assert results[3]["problem"]["errors"] == {"answers.services": ["-1 is below the minimum of 1"]}
    assert results[4]["problem"]["type"] == "urn:netadvisor:problem:unknown-version"
    assert results[5]["status"] == "needs_input"
    decision_ids = {r["decision_id"] for r in results if "decision_id" in r}
    assert len(decision_ids) == 3


def test_items_of_the_wrong_shape_refuse_the_whole_batch(client: FlaskClient) -> None:
    requests = [
        {"tree": "example", "answers": {}},
        {"answers": {}},
        5,
        {"tree": "example", "answers": {}, "extra": 1},
    ]
    problem = assert_problem(client.post(URL, json={"requests": requests}), 422)
    assert problem["errors"] == {
        "requests.1.tree": ["Missing data for required field."],
        "requests.2": ["Invalid input type."],
        "requests.3.extra": ["Unknown field."],
    }


def test_the_batch_envelope(client: FlaskClient) -> None:
    problem = assert_problem(client.post(URL, json={"requests": []}), 422)
    assert problem["errors"] == {"requests": ["At least one request."]}
    problem = assert_problem(client.post(URL, json={}), 422)
    assert problem["errors"] == {"requests": ["Missing data for required field."]}
    assert_problem(client.post(URL, json={"requests": {}}), 422)
    assert_problem(client.post(URL, data="[", content_type="application/json"), 400)
    assert_problem(client.post(URL, data="{}", content_type="text/csv"), 415)
    assert_problem(client.get(URL), 405)


def test_the_item_cap() -> None:
    client = make_app(BATCH_MAX_ITEMS=3).test_client()
    item = {"tree": "example", "answers": {}}
    assert client.post(URL, json={"requests": [item] * 3}).status_code == 200
    problem = assert_problem(client.post(URL, json={"requests": [item] * 4}), 422)
    assert problem["errors"] == {"requests": ["At most 3 requests in one batch."]}


def test_default_cap_is_100(client: FlaskClient) -> None:
    item = {"tree": "example", "answers": {"external": True}}
    assert len(client.post(URL, json={"requests": [item] * 100}).get_json()["results"]) == 100
    assert_problem(client.post(URL, json={"requests": [item] * 101}), 422)
