"""POST /v1/trees/{id}/evaluate: results, pinning, pricing, formats and every error."""

from __future__ import annotations

import json
import logging
import re

import flask
import pytest
from flask.testing import FlaskClient
from support.api import assert_problem, make_app

from service.api import evaluate as evaluate_module
from service.api.bodies import ANSWER_TYPE

URL = "/v1/trees/example/evaluate"


def post(client: FlaskClient, body: object, url: str = URL, **kwargs: object) -> flask.Response:
    return client.post(url, json=body, **kwargs)  # type: ignore[arg-type]


def test_complete_answers_give_a_recommendation(client: FlaskClient) -> None:
    response = post(client, {"answers": {"external": True, "services": 20}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "complete"
    assert body["recommendation"]["id"] == "ingress"
    assert [j["question"] for j in body["justification"]] == ["external", "protocol", "services"]
    assert body["costs"]["total"] == {"low": 16.43, "high": 30.0}
    assert body["next_question"] is None and body["missing"] == []
    assert {
        "question": "external",
        "answer": False,
        "recommendation": {"id": "clusterip", "title": "ClusterIP Service"},
    } in body["what_if"]
    assert response.headers["X-Decision-ID"] == body["decision_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", body["decision_id"])


def test_partial_answers_ask_the_next_question(client: FlaskClient) -> None:
    body = post(client, {"answers": {}}).get_json()
    assert body["status"] == "needs_input"
    assert body["recommendation"] is None
    assert body["next_question"]["id"] == "external"
    assert body["next_question"]["options"] == [
        {"id": True, "label": "Yes"},
        {"id": False, "label": "No"},
    ]
    body = post(client, {"answers": {"external": True}}, "/v1/trees/expose/evaluate").get_json()
    assert body["status"] == "complete"  # services and gateway_api have defaults
    body = post(client, {"answers": {"services": 3}}, "/v1/trees/expose/evaluate").get_json()
    assert (body["status"], body["next_question"]["id"]) == ("needs_input", "external")
    assert body["missing"] == ["external"]


def test_version_pinning_and_the_deprecation_warning(client: FlaskClient) -> None:
    answers = {"answers": {"external": True, "services": 5}}
    current = post(client, answers, "/v1/trees/expose/evaluate")
    assert current.get_json()["tree"]["version"] == "2.0.0"
    assert current.get_json()["recommendation"]["id"] == "gateway"
    assert "Deprecation" not in current.headers
    old = post(client, answers, "/v1/trees/expose/evaluate?version=1.0.0")
    body = old.get_json()
    assert body["tree"] == {**body["tree"], "version": "1.0.0", "status": "deprecated"}
    assert body["recommendation"]["id"] == "ingress"
    assert body["warnings"][0]["code"] == "TREE_VERSION_DEPRECATED"
    assert "2.0.0" in body["warnings"][0]["message"]
    assert old.headers["Deprecation"].startswith("@")
    assert 'rel="successor-version"' in old.headers["Link"]


def test_pricing_overrides_change_the_costs(client: FlaskClient) -> None:
    answers = {"external": True, "services": 20}
    body = post(
        client, {"answers": answers, "pricing": {"lb_month_low": 10, "lb_month_high": 12.5}}
    )
    costs = body.get_json()["costs"]
    assert costs["total"] == {"low": 10.0, "high": 12.5}
    assert "$10-12.50 a month" in costs["items"][0]["basis"]
    assert post(client, {"answers": answers, "pricing": None}).get_json()["costs"]["total"] == {
        "low": 16.43,
        "high": 30.0,
    }


def test_invalid_pricing_is_422_naming_each_price(client: FlaskClient) -> None:
    response = post(client, {"answers": {}, "pricing": {"lb_month": 1, "lb_month_hig": 2}})
    problem = assert_problem(response, 422)
    assert problem["type"] == "urn:netadvisor:problem:invalid-pricing"
    assert problem["errors"] == {
        "pricing.lb_month": [
            "unknown price. Did you mean 'lb_month_low'? Prices of this tree: lb_month_low, "
            "lb_month_high."
        ],
        "pricing.lb_month_hig": [
            "unknown price. Did you mean 'lb_month_high'? Prices of this tree: lb_month_low, "
            "lb_month_high."
        ],
    }
    # A price that is no amount of money is refused at the edge, for any tree.
    for value in (-1, "ten", None, True, 1e13):
        problem = assert_problem(
            post(client, {"answers": {}, "pricing": {"lb_month_high": value}}), 422
        )
        assert problem["errors"] == {
            "pricing.lb_month_high": ["Expected a number of US dollars from 0 up to 1e12."]
        }


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        (
            {"extrnal": True},
            "answers.extrnal",
            "unknown question. Did you mean 'external'? Valid questions: external, services, "
            "protocol, kernel.",
        ),
        (
            {"external": "maybe"},
            "answers.external",
            "expected true or false, got the string 'maybe'",
        ),
        (
            {"protocol": "udp"},
            "answers.protocol",
            "'udp' is not an option; choose one of: http, tcp.",
        ),
        ({"services": 0}, "answers.services", "0 is below the minimum of 1"),
        (
            {"kernel": "five"},
            "answers.kernel",
            "'five' is not a version; write MAJOR.MINOR, like 5.10",
        ),
    ],
)
def test_answers_that_do_not_fit_the_tree_are_422_with_errors(
    client: FlaskClient, answers: dict[str, object], field: str, message: str
) -> None:
    problem = assert_problem(post(client, {"answers": answers}), 422)
    assert problem["type"] == "urn:netadvisor:problem:invalid-answers"
    assert problem["errors"] == {field: [message]}
    assert (problem["tree"], problem["version"]) == ("example", "1.0.0")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"answers": ["Missing data for required field."]}),
        ({"answers": {}, "answer": {}}, {"answer": ["Unknown field."]}),
        ({"answers": []}, {"answers": ["Not a valid mapping type."]}),
        ({"answers": {}, "pricing": "cheap"}, {"pricing": ["Not a valid mapping type."]}),
        ([1, 2], {"body": ["Invalid input type."]}),
        ("answers", {"body": ["Invalid input type."]}),
        ({"answers": {f"q{i}": 1 for i in range(101)}}, {"answers": ["At most 100 answers."]}),
        ({"answers": {"external": None}}, {"answers.external": [ANSWER_TYPE]}),
        ({"answers": {"external": [[[]]]}}, {"answers.external": [ANSWER_TYPE]}),
        ({"answers": {"services": 2.5}}, {"answers.services": [ANSWER_TYPE]}),
        ({"answers": {"services": 10**30}}, {"answers.services": [ANSWER_TYPE]}),
        ({"answers": {"kernel": "5" * 201}}, {"answers.kernel": ["Longer than 200 characters."]}),
        (
            {"answers": {"k" * 101: 1}},
            {"answers." + "k" * 101: ["Names are at most 100 characters."]},
        ),
    ],
)
def test_bodies_of_the_wrong_shape_are_422(
    client: FlaskClient, body: object, errors: dict[str, list[str]]
) -> None:
    problem = assert_problem(post(client, body), 422)
    assert problem["type"] == "urn:netadvisor:problem:invalid-request"
    assert problem["errors"] == errors


def test_malformed_json_is_400(client: FlaskClient) -> None:
    for data in (b'{"answers": ', b"\xff\xfe", b"", b"[" * 2000 + b"]" * 2000, b'{"a": 1e999}'):
        problem = assert_problem(client.post(URL, data=data, content_type="application/json"), 400)
        assert str(problem["detail"]).startswith("The body is not valid JSON")


def test_a_body_that_is_not_json_is_415(client: FlaskClient) -> None:
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        None,
        "application/json; charset=latin-1",
    ):
        response = client.post(URL, data=b'{"answers": {}}', content_type=content_type)
        assert_problem(response, 415)
    vendor = client.post(URL, data=b'{"answers": {}}', content_type="application/vnd.api+json")
    assert vendor.status_code == 200


def test_a_body_over_the_limit_is_413() -> None:
    client = make_app(MAX_BODY_BYTES=1024).test_client()
    small = {"answers": {"external": True}}
    assert post(client, small).status_code == 200
    big = json.dumps({"answers": {"external": True, "pad": "x" * 2000}})
    problem = assert_problem(client.post(URL, data=big, content_type="application/json"), 413)
    assert problem["title"] == "Request Entity Too Large"


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.get(URL)
    assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}


def test_unknown_tree_or_version_is_404(client: FlaskClient) -> None:
    problem = assert_problem(post(client, {"answers": {}}, "/v1/trees/exampel/evaluate"), 404)
    assert problem["suggestion"] == "did you mean 'example'?"
    problem = assert_problem(post(client, {"answers": {}}, URL + "?version=9.9.9"), 404)
    assert problem["type"] == "urn:netadvisor:problem:unknown-version"


def test_an_unknown_format_is_400(client: FlaskClient) -> None:
    problem = assert_problem(post(client, {"answers": {}}, URL + "?format=xml"), 400)
    assert problem["type"] == "urn:netadvisor:problem:invalid-parameter"
    assert "json, slack, markdown" in str(problem["detail"])


def test_markdown_format(client: FlaskClient) -> None:
    response = post(
        client, {"answers": {"external": True, "services": 20}}, URL + "?format=markdown"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text.startswith("# ")
    assert "One shared Ingress" in text
    assert "|" in text  # the costs table
    assert response.headers["X-Decision-ID"]


def test_slack_format(client: FlaskClient) -> None:
    response = post(client, {"answers": {"external": True}}, URL + "?format=slack")
    assert response.status_code == 200
    message = response.get_json()
    assert 0 < len(message["blocks"]) <= 50
    assert "loadbalancer" not in message  # a Block Kit message, not the evaluation body
    question = post(client, {"answers": {}}, URL + "?format=slack").get_json()
    buttons = [e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Yes", "No"]


def test_evaluations_are_counted_by_tree_version_status_and_recommendation(
    client: FlaskClient,
) -> None:
    def count() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        line = next(
            (
                line
                for line in text.splitlines()
                if line.startswith(
                    'netadvisor_evaluations_total{recommendation="gateway",status="complete",'
                    'tree="expose",version="2.0.0"}'
                )
            ),
            None,
        )
        return float(line.rsplit(" ", 1)[1]) if line else 0.0

    before = count()
    for _ in range(3):
        post(client, {"answers": {"external": True, "services": 4}}, "/v1/trees/expose/evaluate")
    assert count() == before + 3


def test_an_unexpected_failure_is_a_500_problem_and_logged(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals at /srv/app/engine.py")

    monkeypatch.setattr(evaluate_module, "evaluate_tree", broken)
    with caplog.at_level(logging.ERROR, logger="netadvisor.api"):
        response = post(client, {"answers": {}})
    problem = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert problem["title"] == "Internal Server Error"
    assert "secret internals" in caplog.text  # the operator sees it, the caller does not


def test_ask_all_offers_defaulted_questions_one_at_a_time(client: FlaskClient) -> None:
    body = post(client, {"answers": {"external": True}, "ask": "all"}).get_json()
    assert (body["status"], body["next_question"]["id"]) == ("needs_input", "protocol")
    assert body["next_question"]["default"] == "http"
    assert body["missing"] == ["protocol"]
    batch = client.post(
        "/v1/evaluations",
        json={"requests": [{"tree": "example", "answers": {"external": True}, "ask": "all"}]},
    ).get_json()
    assert batch["results"][0]["next_question"]["id"] == "protocol"
    # Without it, the defaults answer for the caller.
    assert post(client, {"answers": {"external": True}}).get_json()["status"] == "complete"


def test_an_unknown_ask_mode_is_a_422_naming_the_modes(client: FlaskClient) -> None:
    response = post(client, {"answers": {}, "ask": "everything"})
    assert_problem(response, 422)
    assert "required" in json.dumps(response.get_json()["errors"])
