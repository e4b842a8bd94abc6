"""Request bodies at the edge: marshmallow schemas, with a quick check for the common case.

A marshmallow `load` costs more than the evaluation itself, so a body that plainly fits
(the usual case) is accepted by a few type checks; anything else goes through the
schema, which raises the ValidationError that becomes the 422 with its `errors`. Both
accept exactly the same bodies (tests hold them to it).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from marshmallow import RAISE, Schema, ValidationError, fields, validate

MAX_ANSWERS = 100
MAX_PRICES = 100
MAX_ID_LENGTH = 100
MAX_TEXT_ANSWER = 200
MAX_PRICE = 1e12
MAX_ERROR_TEXT = 20_000
ASK_MODES = ("required", "all")

Answers = dict[str, Any]
Pricing = dict[str, Any] | None

ANSWER_TYPE = "Expected true or false, a whole number or a string."
PRICE_TYPE = "Expected a number of US dollars from 0 up to 1e12."


def _answer_ok(value: object) -> bool:
    kind = type(value)
    return kind is bool or kind is int or (kind is str and len(value) <= MAX_TEXT_ANSWER)  # type: ignore[arg-type]


def _price_ok(value: object) -> bool:
    kind = type(value)
    return (kind is int or kind is float) and 0 <= value < MAX_PRICE  # type: ignore[operator]


def _answer_problem(value: object) -> str | None:
    if type(value) is str and len(value) > MAX_TEXT_ANSWER:
        return f"Longer than {MAX_TEXT_ANSWER} characters."
    return None if _answer_ok(value) else ANSWER_TYPE


def _price_problem(value: object) -> str | None:
    return None if _price_ok(value) else PRICE_TYPE


class _Entries(fields.Field):  # type: ignore[type-arg]
    """A JSON object of at most `limit` entries with short keys, each value checked.

    Errors are keyed by the entry's own key, so they read `answers.<question id>`.
    """

    def __init__(self, problem: Any, limit: int, noun: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem = problem
        self.limit = limit
        self.noun = noun

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if type(value) is not dict:
            raise ValidationError("Not a valid mapping type.")
        if len(value) > self.limit:
            raise ValidationError(f"At most {self.limit} {self.noun}.")
        errors: dict[str, list[str]] = {}
        for key, item in value.items():
            if len(key) > MAX_ID_LENGTH:
                errors[key] = [f"Names are at most {MAX_ID_LENGTH} characters."]
                continue
            message = self.problem(item)
            if message is not None:
                errors[key] = [message]
        if errors:
            raise ValidationError(errors)
        return value


def _answers() -> _Entries:
    return _Entries(_answer_problem, MAX_ANSWERS, "answers", required=True)


def _pricing() -> _Entries:
    return _Entries(_price_problem, MAX_PRICES, "prices", allow_none=True, load_default=None)


class FactsInput(Schema):
    """What `kubectl get ... -o json` printed, and the error text a user saw."""

    class Meta:
        unknown = RAISE

    objects = fields.Raw(allow_none=True, load_default=None)
    error = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=MAX_ERROR_TEXT)
    )


class EvaluateRequest(Schema):
    """`POST /v1/trees/{id}/evaluate`: answers so far, optional price overrides, whether to
    ask every question, and cluster facts to fill the answers left open."""

    class Meta:
        unknown = RAISE

    answers = _answers()
    pricing = _pricing()
    ask = fields.String(load_default="required", validate=validate.OneOf(ASK_MODES))
    facts = fields.Nested(FactsInput, allow_none=True, load_default=None)


class CompareRequest(Schema):
    """`POST /v1/trees/{id}/compare`: the answers to try under every version."""

    class Meta:
        unknown = RAISE

    answers = _answers()


class BatchItem(EvaluateRequest):
    """One evaluation of a batch: which tree (and version), answers, prices."""

    tree = fields.String(required=True, validate=validate.Length(min=1, max=MAX_ID_LENGTH))
    version = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(min=1, max=MAX_ID_LENGTH)
    )


class BatchRequest(Schema):
    """`POST /v1/evaluations`: the items, each of the BatchItem shape."""

    class Meta:
        unknown = RAISE

    requests = fields.List(
        fields.Nested(BatchItem),
        required=True,
        validate=validate.Length(min=1, error="At least one request."),
    )


_EVALUATE = EvaluateRequest()
_COMPARE = CompareRequest()
_BATCH = BatchRequest()
_EVALUATE_KEYS = frozenset(("answers", "pricing"))


class EvaluateBody(NamedTuple):
    """An evaluate body as loaded: `facts` is the raw {"objects", "error"} or None."""

    answers: Answers
    pricing: Pricing
    ask_all: bool = False
    facts: dict[str, Any] | None = None


_BATCH_KEYS = frozenset(("tree", "version", "answers", "pricing"))


def _plain_answers(value: object) -> bool:
    return (
        type(value) is dict
        and len(value) <= MAX_ANSWERS
        and all(len(k) <= MAX_ID_LENGTH and _answer_ok(v) for k, v in value.items())
    )


def _plain_pricing(value: object) -> bool:
    return value is None or (
        type(value) is dict
        and len(value) <= MAX_PRICES
        and all(len(k) <= MAX_ID_LENGTH and _price_ok(v) for k, v in value.items())
    )


def _fits(body: dict[str, Any]) -> bool:
    return _plain_answers(body.get("answers")) and _plain_pricing(body.get("pricing"))


def _schema_load(schema: Schema, body: object) -> dict[str, Any]:
    loaded: dict[str, Any] = schema.load(body)  # type: ignore[arg-type]
    return loaded


def plain_evaluate(body: object) -> tuple[Answers, Pricing] | None:
    """(answers, pricing) of an evaluate body already in the request's shape, else None:
    the common body is checked in a few comparisons instead of a schema load."""
    if type(body) is dict and body.keys() <= _EVALUATE_KEYS and _fits(body):
        return body["answers"], body.get("pricing")
    return None


def load_evaluate(body: object) -> EvaluateBody:
    """The evaluate body's parts, or ValidationError."""
    plain = plain_evaluate(body)
    if plain is not None:
        return EvaluateBody(*plain)
    return _loaded(_schema_load(_EVALUATE, body))


def _loaded(data: dict[str, Any]) -> EvaluateBody:
    return EvaluateBody(data["answers"], data["pricing"], data["ask"] == "all", data.get("facts"))


_FACTS = FactsInput()


def load_facts(body: object) -> tuple[Any, str | None]:
    """(objects, error) of a facts body, or ValidationError; one of them must be there."""
    data = _schema_load(_FACTS, body)
    if data["objects"] is None and not data["error"]:
        raise ValidationError(
            {"objects": ["Give objects (kubectl get ... -o json), error, or both."]}
        )
    return data["objects"], data["error"]


def load_compare(body: object) -> Answers:
    if type(body) is dict and body.keys() == {"answers"} and _plain_answers(body["answers"]):
        answers: Answers = body["answers"]
        return answers
    loaded: Answers = _schema_load(_COMPARE, body)["answers"]
    return loaded


def _batch_item(item: object) -> tuple[str, str | None, EvaluateBody] | None:
    if type(item) is dict and item.keys() <= _BATCH_KEYS and _fits(item):
        tree, version = item.get("tree"), item.get("version")
        if (
            type(tree) is str
            and 0 < len(tree) <= MAX_ID_LENGTH
            and (version is None or (type(version) is str and 0 < len(version) <= MAX_ID_LENGTH))
        ):
            return tree, version, EvaluateBody(item["answers"], item.get("pricing"))
    return None


BatchItems = list[tuple[str, str | None, EvaluateBody]]


def load_batch(body: object, max_items: int) -> BatchItems:
    """(tree, version, body) of every item, or one ValidationError naming each field of
    each item that does not have the request shape."""
    if type(body) is dict and body.keys() == {"requests"} and type(body["requests"]) is list:
        items: list[Any] = body["requests"]
        if len(items) > max_items:
            raise ValidationError({"requests": [f"At most {max_items} requests in one batch."]})
        loaded = [_batch_item(item) for item in items]
        if items and None not in loaded:
            return loaded  # type: ignore[return-value]
    data = _schema_load(_BATCH, body)
    if len(data["requests"]) > max_items:
        raise ValidationError({"requests": [f"At most {max_items} requests in one batch."]})
    return [(i["tree"], i["version"], _loaded(i)) for i in data["requests"]]
