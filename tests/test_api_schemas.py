"""The quick body checks accept exactly what the marshmallow schemas accept."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError

from service.api import schemas

LONG = "k" * 101
BODIES: list[Any] = [
    {"answers": {}},
    {"answers": {"a": True, "b": 3, "c": "x" * 200}},
    {"answers": {"a": None}},
    {"answers": {"a": 1.5}},
    {"answers": {"a": 1.0}},
    {"answers": {"a": [1]}},
    {"answers": {"a": {"b": 1}}},
    {"answers": {"a": "x" * 201}},
    {"answers": {}, "pricing": {"p": 0}},
    {"answers": {}, "pricing": {"p": -0.01}},
    {"answers": {}, "pricing": {"p": 999999999999.9}},
    {"answers": {}, "pricing": {"p": 1e12}},
    {"answers": {}, "pricing": {"p": True}},
    {"answers": {}, "pricing": {"p": None}},
    {"answers": {}, "pricing": {"p": "1"}},
    {"answers": {"a": 1}, "pricing": {"p": 2.5}},
    {"answers": {"a": 1}, "pricing": None},
    {"answers": {"a": 1}, "pricing": {}},
    {"answers": {f"q{i}": 1 for i in range(100)}},
    {"answers": {f"q{i}": 1 for i in range(101)}},
    {"answers": {LONG: 1}},
    {"answers": {"a": 1}, "pricing": {LONG: 1}},
    {"answers": {}, "pricing": {f"p{i}": 1 for i in range(101)}},
    {"answers": []},
    {"answers": None},
    {"answers": {}, "pricing": []},
    {"answers": {}, "extra": 1},
    {"answers": {}, "ask": "all"},
    {"answers": {}, "ask": "required"},
    {"answers": {}, "ask": "some"},
    {"answers": {}, "ask": None},
    {},
    [],
    "text",
    None,
    3,
]
ITEMS: list[Any] = [
    {"tree": "t", "answers": {}},
    {"tree": "t", "version": "1.0.0", "answers": {"a": 1}, "pricing": {"p": 1}},
    {"tree": "t", "version": None, "answers": {}},
    {"tree": "", "answers": {}},
    {"tree": LONG, "answers": {}},
    {"tree": "t", "version": "", "answers": {}},
    {"tree": 5, "answers": {}},
    {"tree": "t", "version": 1, "answers": {}},
    {"tree": "t"},
    {"answers": {}},
    {"tree": "t", "answers": {}, "other": 1},
    {"tree": "t", "answers": {}, "ask": "all"},
    [],
    None,
]


def _marshmallow(schema: Any, body: Any) -> Any:
    try:
        return schema.load(body)
    except ValidationError as exc:
        return exc


@pytest.mark.parametrize("body", BODIES)
def test_evaluate_body(body: Any) -> None:
    expected = _marshmallow(schemas.EvaluateRequest(), body)
    if isinstance(expected, ValidationError):
        with pytest.raises(ValidationError) as caught:
            schemas.load_evaluate(body)
        assert caught.value.messages == expected.messages
    else:
        assert schemas.load_evaluate(body) == (
            expected["answers"],
            expected["pricing"],
            expected["ask"] == "all",
            expected.get("facts"),
        )


@pytest.mark.parametrize("body", BODIES)
def test_compare_body(body: Any) -> None:
    expected = _marshmallow(schemas.CompareRequest(), body)
    if isinstance(expected, ValidationError):
        with pytest.raises(ValidationError) as caught:
            schemas.load_compare(body)
        assert caught.value.messages == expected.messages
    else:
        assert schemas.load_compare(body) == expected["answers"]


@pytest.mark.parametrize("item", ITEMS)
def test_batch_item(item: Any) -> None:
    body = {"requests": [item]}
    expected = _marshmallow(schemas.BatchRequest(), body)
    if isinstance(expected, ValidationError):
        with pytest.raises(ValidationError) as caught:
            schemas.load_batch(body, 100)
        assert caught.value.messages == expected.messages
    else:
        loaded = expected["requests"][0]
        assert schemas.load_batch(body, 100) == [
            (
                loaded["tree"],
                loaded["version"],
                (loaded["answers"], loaded["pricing"], loaded["ask"] == "all", None),
            )
        ]
