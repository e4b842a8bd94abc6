"""Marshmallow schemas for the structure of a tree file (shapes and types, not meaning)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .patterns import unsafe_pattern
from .schema_errors import iter_schema_errors

__all__ = ["TREE_SCHEMA", "iter_schema_errors"]

TREE_ID = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
SEMVER = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"  # ASCII digits only
QUESTION_ID = r"^[a-z][a-z0-9_]*$"
ITEM_ID = r"^[a-z0-9][a-z0-9_-]*$"
WARNING_CODE = r"^[A-Z][A-Z0-9_]*$"
QUESTION_TYPES = ("boolean", "enum", "integer", "string")

_text = validate.Length(min=1, max=4000)


def _str(*, required: bool = True, pattern: str | None = None, error: str = "") -> fields.Str:
    validators: list[Any] = [_text]
    if pattern:
        validators.append(validate.Regexp(pattern, error=error or f"must match {pattern}"))
    return fields.Str(required=required, validate=validators)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class YamlDate(fields.Field[dt.date]):
    """A date written as YYYY-MM-DD (YAML already parses it to a date)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            raise ValidationError("expected a date (YYYY-MM-DD), not a date and time")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError as exc:
                # The loader leaves a date that does not exist (2026-13-45) as text.
                shown = value if len(value) <= 40 else value[:40] + "..."
                raise ValidationError(
                    f"{shown!r} is not a date ({exc}); write YYYY-MM-DD"
                ) from None
        raise ValidationError("expected a date written as YYYY-MM-DD")


class SourceSchema(_Strict):
    id = _str(pattern=ITEM_ID)
    title = _str()
    url = _str(pattern=r"^https://\S+$", error="must be an https:// URL")


class DeprecationSchema(_Strict):
    message = _str()
    source = _str(required=False)


class PriceSchema(_Strict):
    value = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0))
    unit = _str()
    description = _str()
    source = _str(required=False)


class OptionSchema(_Strict):
    id = _str(pattern=ITEM_ID)
    label = _str()


class QuestionSchema(_Strict):
    id = _str(pattern=QUESTION_ID, error="must be lowercase snake_case, like network_policy")
    prompt = _str()
    help = _str(required=False)
    type = fields.Str(required=True, validate=validate.OneOf(QUESTION_TYPES))
    options = fields.List(fields.Nested(OptionSchema), validate=validate.Length(min=2))
    min = fields.Integer(strict=True)
    max = fields.Integer(strict=True)
    pattern = _str(required=False)
    format = fields.Str(validate=validate.OneOf(["version"]))
    default = fields.Raw(allow_none=False)

    @validates_schema
    def _safe_pattern(self, data: Mapping[str, Any], **_: Any) -> None:
        # `re` has no timeout: one answer to a catastrophic pattern would pin a worker.
        pattern = data.get("pattern")
        why = unsafe_pattern(pattern) if isinstance(pattern, str) else None
        if why:
            raise ValidationError(
                f"the pattern of question {data.get('id')!r} is refused: {why}; rewrite it "
                "so each part can match a text in only one way, or use an enum",
                "pattern",
            )


class WarningSchema(_Strict):
    code = _str(pattern=WARNING_CODE, error="must be UPPER_SNAKE_CASE, like WEAVE_UNMAINTAINED")
    message = _str()
    source = _str(required=False)


class CommandSchema(_Strict):
    command = _str()
    meaning = _str()


class AlternativeSchema(_Strict):
    id = _str(pattern=ITEM_ID)
    why_not = _str()


class CostItemSchema(_Strict):
    id = _str(pattern=ITEM_ID)
    label = _str()
    low = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))
    high = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))
    basis = _str()
    source = _str()


def _str_list(*, required: bool = False, min_items: int = 0) -> fields.List[str]:
    return fields.List(
        fields.Str(validate=_text), required=required, validate=validate.Length(min=min_items)
    )


class RecommendationSchema(_Strict):
    title = _str()
    summary = _str()
    sources = _str_list()
    warnings = fields.List(fields.Nested(WarningSchema))
    next_steps = _str_list()
    commands = fields.List(fields.Nested(CommandSchema))
    costs = fields.List(fields.Nested(CostItemSchema))


class BranchSchema(_Strict):
    when = fields.Raw(required=True, allow_none=False)
    reason = _str()
    next = _str()
    warnings = fields.List(fields.Nested(WarningSchema))


class NodeSchema(_Strict):
    question = _str(required=False)
    branches = fields.List(fields.Nested(BranchSchema), validate=validate.Length(min=1))
    recommend = _str(required=False)
    summary = _str(required=False)
    reasons = _str_list()
    warnings = fields.List(fields.Nested(WarningSchema))
    alternatives = fields.List(fields.Nested(AlternativeSchema))
    next_steps = _str_list()
    commands = fields.List(fields.Nested(CommandSchema))
    costs = fields.List(fields.Nested(CostItemSchema))

    @validates_schema
    def _one_kind(self, data: Mapping[str, Any], **_: Any) -> None:
        is_question = "question" in data or "branches" in data
        is_leaf = "recommend" in data
        leaf_keys = set(data) - {"question", "branches"}
        if is_question and is_leaf:
            raise ValidationError(
                "a node is either a question node (question, branches) or a leaf "
                "(recommend, reasons, ...), not both"
            )
        if is_question:
            if "question" not in data or "branches" not in data:
                raise ValidationError("a question node needs both question and branches")
            if leaf_keys:
                raise ValidationError(
                    f"a question node takes only question and branches, not {sorted(leaf_keys)}"
                )
        elif not is_leaf:
            raise ValidationError("a node needs question and branches, or recommend and reasons")
        elif not data.get("reasons"):
            raise ValidationError("a leaf needs reasons: at least one, in words", "reasons")


class CostExpectSchema(_Strict):
    low = fields.Float(required=True)
    high = fields.Float(required=True)


class ExpectSchema(_Strict):
    status = fields.Str(required=True, validate=validate.OneOf(["complete", "needs_input"]))
    recommendation = _str(required=False)
    next_question = _str(required=False)
    costs = fields.Nested(CostExpectSchema)
    warnings = _str_list()


class TestCaseSchema(_Strict):
    name = _str()
    answers = fields.Dict(keys=fields.Str(), values=fields.Raw(), required=True)
    pricing = fields.Dict(keys=fields.Str(), values=fields.Raw())
    expect = fields.Nested(ExpectSchema, required=True)


class TreeFileSchema(_Strict):
    id = _str(pattern=TREE_ID, error="must be lowercase words joined by dashes, like cni")
    version = _str(pattern=SEMVER, error="must be a semantic version, like 1.0.0")
    title = _str()
    description = _str()
    status = fields.Str(required=True, validate=validate.OneOf(["current", "deprecated"]))
    deprecation = fields.Nested(DeprecationSchema)
    as_of = YamlDate(required=True)
    changes = _str_list(required=True, min_items=1)
    sources = fields.List(
        fields.Nested(SourceSchema), required=True, validate=validate.Length(min=1)
    )
    pricing = fields.Dict(
        keys=fields.Str(validate=validate.Regexp(QUESTION_ID)), values=fields.Nested(PriceSchema)
    )
    questions = fields.List(
        fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1)
    )
    recommendations = fields.Dict(
        keys=fields.Str(validate=validate.Regexp(ITEM_ID)),
        values=fields.Nested(RecommendationSchema),
        required=True,
    )
    root = _str()
    nodes = fields.Dict(
        keys=fields.Str(validate=validate.Regexp(ITEM_ID)),
        values=fields.Nested(NodeSchema),
        required=True,
    )
    tests = fields.List(
        fields.Nested(TestCaseSchema), required=True, validate=validate.Length(min=1)
    )


TREE_SCHEMA = TreeFileSchema()
