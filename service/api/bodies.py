"""Request bodies at the edge: one validator per body, every bad field named in one 422."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .errors import InvalidRequest

MAX_ANSWERS = 100
MAX_PRICES = 100
MAX_ID_LENGTH = 100
MAX_TEXT_ANSWER = 200
MAX_PRICE = 1e12
MAX_ERROR_TEXT = 20_000
ASK_MODES = ("required", "all")

Answers = dict[str, Any]
Pricing = dict[str, Any] | None
Errors = dict[str, list[str]]

ANSWER_TYPE = "Expected true or false, a whole number or a string."
PRICE_TYPE = "Expected a number of US dollars from 0 up to 1e12."
# The messages callers have always read (they were marshmallow's).
MISSING = "Missing data for required field."
UNKNOWN = "Unknown field."
NULL = "Field may not be null."
NOT_STRING = "Not a valid string."
NOT_MAPPING = "Not a valid mapping type."
NOT_OBJECT = "Invalid input type."
DETAIL = "The request body does not have the expected fields; `errors` names each one."


class EvaluateBody(NamedTuple):
    """An evaluate body as loaded: `facts` is the raw {"objects", "error"} or None."""

    answers: Answers
    pricing: Pricing
    ask_all: bool = False
    facts: dict[str, Any] | None = None


BatchItems = list[tuple[str, str | None, EvaluateBody]]


def _answer_problem(value: object) -> str | None:
    kind = type(value)
    if kind is bool or kind is int:
        return None
    if isinstance(value, str):
        return (
            None if len(value) <= MAX_TEXT_ANSWER else f"Longer than {MAX_TEXT_ANSWER} characters."
        )
    return ANSWER_TYPE


def _price_problem(value: object) -> str | None:
    kind = type(value)
    if (kind is int or kind is float) and 0 <= value < MAX_PRICE:  # type: ignore[operator]
        return None
    return PRICE_TYPE


def _entries(
    errors: Errors,
    value: object,
    problem: Callable[[object], str | None],
    limit: int,
    noun: str,
    at: str,
) -> None:
    """Add the errors of a JSON object of at most `limit` entries with short keys, keyed
    by entry."""
    if type(value) is not dict:
        errors[at] = [NOT_MAPPING]
        return
    if len(value) > limit:
        errors[at] = [f"At most {limit} {noun}."]
        return
    for key, item in value.items():
        if len(key) > MAX_ID_LENGTH:
            errors[f"{at}.{key}"] = [f"Names are at most {MAX_ID_LENGTH} characters."]
            continue
        message = problem(item)
        if message is not None:
            errors[f"{at}.{key}"] = [message]


def _string(value: object, at: str, *, low: int = 0, high: int | None = None) -> Errors:
    if value is None:
        return {at: [NULL]}
    if type(value) is not str:
        return {at: [NOT_STRING]}
    if high is not None and not low <= len(value) <= high:
        if low:
            return {at: [f"Length must be between {low} and {high}."]}
        return {at: [f"Longer than maximum length {high}."]}
    return {}


def _facts(value: object, at: str) -> Errors:
    if value is None:
        return {}
    if type(value) is not dict:
        return {at: [NOT_OBJECT]}
    errors = {f"{at}.{key}": [UNKNOWN] for key in value if key not in ("objects", "error")}
    if value.get("error") is not None:
        errors.update(_string(value["error"], f"{at}.error", high=MAX_ERROR_TEXT))
    return errors


_ABSENT = object()
_EVALUATE_FIELDS = frozenset(("answers", "pricing", "ask", "facts"))
_COMPARE_FIELDS = frozenset(("answers",))
_BATCH_FIELDS = _EVALUATE_FIELDS | {"tree", "version"}


def _evaluate_errors(errors: Errors, body: dict[str, Any], fields: frozenset[str], at: str) -> None:
    """Add the errors of an evaluate-shaped object (`at` is its path prefix, "" for the
    body); a body with nothing wrong allocates nothing here (batches check 100 of them)."""
    if not body.keys() <= fields:
        for key in body:
            if key not in fields:
                errors[f"{at}{key}"] = [UNKNOWN]
    answers = body.get("answers", _ABSENT)
    if answers is _ABSENT:
        errors[f"{at}answers"] = [MISSING]
    elif answers is None:
        errors[f"{at}answers"] = [NULL]
    else:
        _entries(errors, answers, _answer_problem, MAX_ANSWERS, "answers", f"{at}answers")
    pricing = body.get("pricing")
    if pricing is not None and "pricing" in fields:
        _entries(errors, pricing, _price_problem, MAX_PRICES, "prices", f"{at}pricing")
    if "ask" in body and "ask" in fields:
        ask = body["ask"]
        found = _string(ask, f"{at}ask")
        if not found and ask not in ASK_MODES:
            found = {f"{at}ask": [f"Must be one of: {', '.join(ASK_MODES)}."]}
        errors.update(found)
    facts = body.get("facts")
    if facts is not None and "facts" in fields:
        errors.update(_facts(facts, f"{at}facts"))


def _refuse(errors: Errors) -> InvalidRequest:
    return InvalidRequest(DETAIL, errors=errors)


def _object(body: object) -> dict[str, Any]:
    if type(body) is not dict:
        raise _refuse({"body": [NOT_OBJECT]})
    return body


def _evaluate_body(body: dict[str, Any]) -> EvaluateBody:
    return EvaluateBody(
        body["answers"], body.get("pricing"), body.get("ask") == "all", body.get("facts")
    )


def _checked(body: object, fields: frozenset[str]) -> dict[str, Any]:
    """An evaluate-shaped body with these fields, or InvalidRequest naming each bad one."""
    data = _object(body)
    errors: Errors = {}
    _evaluate_errors(errors, data, fields, "")
    if errors:
        raise _refuse(errors)
    return data


def load_evaluate(body: object) -> EvaluateBody:
    """The evaluate body's parts, or InvalidRequest naming each bad field."""
    return _evaluate_body(_checked(body, _EVALUATE_FIELDS))


def load_compare(body: object) -> Answers:
    answers: Answers = _checked(body, _COMPARE_FIELDS)["answers"]
    return answers


def load_facts(body: object) -> tuple[Any, str | None]:
    """(objects, error) of a facts body; one of them must be there."""
    data = _object(body)
    errors = _facts(data, "")
    if errors:
        raise _refuse({key.lstrip("."): value for key, value in errors.items()})
    if data.get("objects") is None and not data.get("error"):
        raise _refuse({"objects": ["Give objects (kubectl get ... -o json), error, or both."]})
    return data.get("objects"), data.get("error")


def _batch_item_errors(errors: Errors, item: object, at: str) -> None:
    if item is None:
        errors[at.rstrip(".")] = [NULL]
        return
    if type(item) is not dict:
        errors[at.rstrip(".")] = [NOT_OBJECT]
        return
    _evaluate_errors(errors, item, _BATCH_FIELDS, at)
    if "tree" not in item:
        errors[f"{at}tree"] = [MISSING]
    else:
        errors.update(_string(item["tree"], f"{at}tree", low=1, high=MAX_ID_LENGTH))
    if item.get("version") is not None:
        errors.update(_string(item["version"], f"{at}version", low=1, high=MAX_ID_LENGTH))


def load_batch(body: object, max_items: int) -> BatchItems:
    """(tree, version, body) of every item, or one InvalidRequest naming each field of
    each item that does not have the request shape."""
    data = _object(body)
    errors: Errors = {f"{key}": [UNKNOWN] for key in data if key != "requests"}
    items = data.get("requests")
    if "requests" not in data:
        errors["requests"] = [MISSING]
    elif items is None:
        errors["requests"] = [NULL]
    elif type(items) is not list:
        errors["requests"] = ["Not a valid list."]
    elif not items:
        errors["requests"] = ["At least one request."]
    elif len(items) > max_items:
        errors["requests"] = [f"At most {max_items} requests in one batch."]
    else:
        for index, item in enumerate(items):
            _batch_item_errors(errors, item, f"requests.{index}.")
    if errors:
        raise _refuse(errors)
    return [(i["tree"], i.get("version"), _evaluate_body(i)) for i in items]  # type: ignore[union-attr]
