"""The one body validator: what it accepts, and each bad field named with its message."""

from __future__ import annotations

from typing import Any

import pytest

from service.api.bodies import (
    ANSWER_TYPE,
    PRICE_TYPE,
    EvaluateBody,
    load_batch,
    load_compare,
    load_evaluate,
    load_facts,
)
from service.api.errors import InvalidRequest

LONG = "k" * 101


def _errors(load: Any, body: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidRequest) as caught:
        load(body)
    assert caught.value.errors is not None
    return dict(caught.value.errors)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"answers": ["Missing data for required field."]}),
        ([], {"body": ["Invalid input type."]}),
        ({"answers": None}, {"answers": ["Field may not be null."]}),
        ({"answers": []}, {"answers": ["Not a valid mapping type."]}),
        ({"answers": {"a": 1.5}}, {"answers.a": [ANSWER_TYPE]}),
        ({"answers": {"a": "x" * 201}}, {"answers.a": ["Longer than 200 characters."]}),
        ({"answers": {LONG: 1}}, {f"answers.{LONG}": ["Names are at most 100 characters."]}),
        ({"answers": {f"q{i}": 1 for i in range(101)}}, {"answers": ["At most 100 answers."]}),
        ({"answers": {}, "pricing": {"p": True}}, {"pricing.p": [PRICE_TYPE]}),
        ({"answers": {}, "pricing": {"p": 1e12}}, {"pricing.p": [PRICE_TYPE]}),
        ({"answers": {}, "ask": "some"}, {"ask": ["Must be one of: required, all."]}),
        ({"answers": {}, "ask": None}, {"ask": ["Field may not be null."]}),
        ({"answers": {}, "facts": []}, {"facts": ["Invalid input type."]}),
        ({"answers": {}, "facts": {"x": 1}}, {"facts.x": ["Unknown field."]}),
        (
            {"answers": {}, "facts": {"error": "e" * 20_001}},
            {"facts.error": ["Longer than maximum length 20000."]},
        ),
        ({"answers": {}, "extra": 1}, {"extra": ["Unknown field."]}),
    ],
)
def test_evaluate_bodies_name_each_bad_field(body: Any, errors: dict[str, list[str]]) -> None:
    assert _errors(load_evaluate, body) == errors


def test_an_evaluate_body_that_fits_is_loaded_as_it_is() -> None:
    facts = {"error": "dial tcp: i/o timeout"}
    body = {"answers": {"a": True}, "pricing": {"p": 2.5}, "ask": "all", "facts": facts}
    assert load_evaluate(body) == EvaluateBody({"a": True}, {"p": 2.5}, True, facts)
    assert load_evaluate({"answers": {}}) == EvaluateBody({}, None)


def test_compare_takes_answers_only() -> None:
    assert load_compare({"answers": {"a": 1}}) == {"a": 1}
    assert _errors(load_compare, {"answers": {}, "ask": "all"}) == {"ask": ["Unknown field."]}


def test_batch_items_are_named_by_index() -> None:
    body = {"requests": [{"tree": "t", "answers": {}}, None, {"answers": {}}, {"tree": ""}]}
    assert _errors(lambda b: load_batch(b, 10), body) == {
        "requests.1": ["Field may not be null."],
        "requests.2.tree": ["Missing data for required field."],
        "requests.3.answers": ["Missing data for required field."],
        "requests.3.tree": ["Length must be between 1 and 100."],
    }
    loaded = load_batch({"requests": [{"tree": "t", "version": "1", "answers": {}}]}, 10)
    assert loaded == [("t", "1", EvaluateBody({}, None))]
    too_many = {"requests": [{"tree": "t", "answers": {}}] * 3}
    assert _errors(lambda b: load_batch(b, 2), too_many) == {
        "requests": ["At most 2 requests in one batch."]
    }


def test_facts_need_objects_or_an_error() -> None:
    assert load_facts({"error": "boom"}) == (None, "boom")
    assert "objects" in _errors(load_facts, {})
