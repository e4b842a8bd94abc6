"""The renderers through the real app: ?format=slack and ?format=markdown, diagrams, compare, batch.

Every node of every bundled tree version is requested in each format; the shared client
also checks each response against openapi.yaml.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from support.api import bundled_catalog
from support.render_checks import (
    STOPS,
    Stop,
    buttons,
    check_block_kit,
    parse_mermaid,
    unescape,
)

from service.engine import EngineError
from service.engine.evaluate import evaluate_tree
from service.engine.model import Leaf, QuestionNode
from service.render.common import option_text
from service.render.markdown import render_markdown

# Real processes or every stop of every tree: in `make test`, not the quick `make check`.
pytestmark = pytest.mark.slow

BUNDLED = bundled_catalog()
BUNDLED_STOPS = [
    s
    for s in STOPS
    if s.tree.id in BUNDLED.versions_by_tree
    and s.tree.digest == BUNDLED.get(s.tree.id, s.tree.version).digest
]


def evaluate(client: FlaskClient, stop: Stop, fmt: str) -> Any:
    return client.post(
        f"/v1/trees/{stop.tree.id}/evaluate?format={fmt}&version={stop.tree.version}",
        json={"answers": dict(stop.answers)},
    )


def test_every_bundled_tree_version_is_requested() -> None:
    versions = {(s.tree.id, s.tree.version) for s in BUNDLED_STOPS}
    assert versions == {
        (t.id, t.version) for tid in BUNDLED.tree_ids for t in BUNDLED.versions(tid)
    }


@pytest.mark.parametrize("stop", BUNDLED_STOPS, ids=str)
def test_slack_markdown_and_diagram_of_every_node(bundled_client: FlaskClient, stop: Stop) -> None:
    local = evaluate_tree(stop.tree, stop.answers)
    body = local.to_dict()

    slack = evaluate(bundled_client, stop, "slack")
    assert slack.status_code == 200 and slack.mimetype == "application/json"
    message = slack.get_json()
    check_block_kit(message)
    info = message["blocks"][-1]["elements"][0]["text"]
    assert f"{stop.tree.id} {stop.tree.version}" in info and stop.tree.digest[:12] in info
    if isinstance(local.node, QuestionNode) and local.node.question.type in ("boolean", "enum"):
        offered = [json.loads(b["value"])["o"] for b in buttons(message, "answer")]
        assert offered == [o["id"] for o in local.node.question.to_dict()["options"]]
    if stop.tree.status == "deprecated":
        assert slack.headers["Deprecation"]

    markdown = evaluate(bundled_client, stop, "markdown")
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    # The same document the renderer writes from the JSON body.
    assert markdown.get_data(as_text=True) == render_markdown(body)
    text = unescape(markdown.get_data(as_text=True))
    if isinstance(local.node, Leaf):
        assert f"## Recommendation: {body['recommendation']['title']}" in text
    else:
        assert body["next_question"]["prompt"].split()[0] in text

    query = "&".join(f"{k}={option_text(v)}" for k, v in stop.answers.items())
    diagram = bundled_client.get(
        f"/v1/trees/{stop.tree.id}/diagram?version={stop.tree.version}&{query}"
    )
    assert diagram.status_code == 200 and diagram.mimetype == "text/vnd.mermaid"
    parsed = parse_mermaid(diagram.get_data(as_text=True))
    assert len(parsed.nodes) == len(stop.tree.nodes)
    if stop.answers:
        assert len(parsed.link_styles) == len(local.steps)
        end = "chosen" if local.complete else "waiting"
        assert len(parsed.classes[end]) == 1
    else:  # no answers, no path: the plain tree
        assert not {"chosen", "waiting", "taken"} & set(parsed.classes)


def test_slack_answers_in_buttons_lead_on(client: FlaskClient) -> None:
    first = client.post("/v1/trees/example/evaluate?format=slack", json={"answers": {}})
    (yes, _) = buttons(first.get_json(), "answer")
    assert json.loads(yes["value"]) == {
        "t": "example",
        "v": "1.0.0",
        "q": "external",
        "o": True,
        "a": {},
    }
    payload = json.loads(yes["value"])
    nxt = client.post(
        f"/v1/trees/{payload['t']}/evaluate?format=slack&version={payload['v']}",
        json={"answers": {**payload["a"], payload["q"]: payload["o"]}},
    )
    assert nxt.get_json()["blocks"][0]["text"]["text"] == (
        "Recommendation: One LoadBalancer Service each"
    )


def test_slack_integer_question_through_the_api_offers_ranges(bundled_client: FlaskClient) -> None:
    stop = next(
        s
        for s in BUNDLED_STOPS
        if isinstance(s.tree.nodes[s.node_id], QuestionNode)
        and s.tree.nodes[s.node_id].question.type == "integer"  # type: ignore[union-attr]
        and evaluate_tree(s.tree, s.answers).node.id == s.node_id
    )
    node = stop.tree.nodes[stop.node_id]
    assert isinstance(node, QuestionNode)
    message = evaluate(bundled_client, stop, "slack").get_json()
    assert len(buttons(message, "answer")) == len(node.branches)


def test_markdown_and_slack_refuse_bad_answers_as_problems(client: FlaskClient) -> None:
    for fmt in ("slack", "markdown"):
        response = client.post(
            f"/v1/trees/example/evaluate?format={fmt}", json={"answers": {"external": "perhaps"}}
        )
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        assert list(response.get_json()["errors"]) == ["answers.external"]
    response = client.post("/v1/trees/example/evaluate?format=html", json={"answers": {}})
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_diagram_without_answers_and_with_bad_ones(client: FlaskClient) -> None:
    plain = client.get("/v1/trees/example/diagram")
    diagram = parse_mermaid(plain.get_data(as_text=True))
    assert not diagram.link_styles and "chosen" not in diagram.classes
    highlighted = client.get("/v1/trees/example/diagram?external=true&services=20")
    diagram = parse_mermaid(highlighted.get_data(as_text=True))
    assert diagram.classes["chosen"] == {"n_shared"}
    assert (
        client.get("/v1/trees/example/diagram", headers={"Accept": "text/plain"}).mimetype
        == "text/plain"
    )
    for query in ("external=perhaps", "nosuch=1", "services=0"):
        bad = client.get(f"/v1/trees/example/diagram?{query}")
        assert bad.status_code == 422, query
        assert bad.mimetype == "application/problem+json"
    assert client.get("/v1/trees/nosuch/diagram").status_code == 404


def compare(client: FlaskClient, tree: str, answers: dict[str, object]) -> dict[str, Any]:
    response = client.post(f"/v1/trees/{tree}/compare", json={"answers": answers})
    assert response.status_code == 200, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def test_compare_agrees_with_each_version(bundled_client: FlaskClient) -> None:
    """For the answers of every node of every bundled tree: compare says what each version does."""
    for tree_id in BUNDLED.tree_ids:
        stops = [s for s in BUNDLED_STOPS if s.tree.id == tree_id]
        for stop in stops:
            data = compare(bundled_client, tree_id, dict(stop.answers))
            versions = BUNDLED.versions(tree_id)
            assert [r["version"] for r in data["results"]] == [t.version for t in versions]
            outcomes = set()
            for item, tree in zip(data["results"], versions, strict=True):
                asked = {q: v for q, v in stop.answers.items() if q in tree.questions}
                assert sorted(item["ignored"]) == sorted(q for q in stop.answers if q not in asked)
                try:
                    result = evaluate_tree(tree, asked)
                except EngineError:
                    assert item["status"] == "invalid" and item["problem"]["status"] == 422
                    outcomes.add(("invalid", None))
                    continue
                assert item["status"] == result.status
                rec = item["recommendation"]
                assert (rec["id"] if rec else None) == result.recommendation_id
                outcomes.add((result.status, result.recommendation_id or item["next_question"]))
            assert data["changed"] == (len(outcomes) > 1)


def test_compare_shows_what_a_cni_upgrade_changes(bundled_client: FlaskClient) -> None:
    answers = {"network_policy": True, "l7_visibility": False, "encryption": True}
    data = compare(bundled_client, "cni", answers)
    by_version = {r["version"]: r for r in data["results"]}
    assert by_version["1.0.0"]["recommendation"]["id"] == "weave"
    assert by_version["2.0.0"]["recommendation"]["id"] != "weave"
    assert data["changed"] is True


def test_batch_keeps_order_and_isolates_failures(bundled_client: FlaskClient) -> None:
    picked = [s for s in BUNDLED_STOPS if isinstance(s.tree.nodes[s.node_id], Leaf)][:20]
    requests: list[dict[str, Any]] = [
        {"tree": s.tree.id, "version": s.tree.version, "answers": dict(s.answers)} for s in picked
    ]
    requests.insert(3, {"tree": "nosuch", "answers": {}})
    requests.insert(7, {"tree": "cni", "answers": {"network_policy": "perhaps"}})
    requests.insert(9, {"tree": "cni", "version": "9.9.9", "answers": {}})
    response = bundled_client.post("/v1/evaluations", json={"requests": requests})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == len(requests)
    assert results[3]["problem"]["status"] == 404
    assert results[7]["problem"]["status"] == 422
    assert list(results[7]["problem"]["errors"]) == ["answers.network_policy"]
    assert results[9]["problem"]["status"] == 404
    good = [r for i, r in enumerate(results) if i not in (3, 7, 9)]
    for stop, result in zip(picked, good, strict=True):
        expected = evaluate_tree(stop.tree, stop.answers).to_dict()
        assert result["tree"]["id"] == stop.tree.id
        assert result["recommendation"]["id"] == expected["recommendation"]["id"]
        assert result["costs"] == expected["costs"]
        # Each item renders like a single evaluation would.
        assert render_markdown(result) == render_markdown(expected)


def test_batch_cap(client: FlaskClient, app: Any) -> None:
    from service.api.state import CONFIG

    cap = app.extensions[CONFIG].batch_max_items
    item = {"tree": "example", "answers": {}}
    ok = client.post("/v1/evaluations", json={"requests": [item] * cap})
    assert ok.status_code == 200 and len(ok.get_json()["results"]) == cap
    over = client.post("/v1/evaluations", json={"requests": [item] * (cap + 1)})
    assert over.status_code in (413, 422)
    assert over.mimetype == "application/problem+json"
