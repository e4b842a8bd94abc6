"""Question kinds as types: each owns its coercion, text parsing, branches and coverage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    MAX_INTEGER_ANSWER,
    MAX_STRING_ANSWER,
    VERSION_FORM,
    Condition,
    Kind,
    Option,
    describe,
    whole_numbers,
)
from .choices import Boolean, Enum
from .numbers import Integer
from .strings import Pattern, VersionKind, below

BOOLEAN = Boolean()
ENUM = Enum()
INTEGER = Integer()
PATTERN = Pattern()
VERSION = VersionKind()
_BY_TYPE: Mapping[str, Kind] = {k.name: k for k in (BOOLEAN, ENUM, INTEGER)}


def kind_of(raw: Mapping[str, Any]) -> Kind:
    """The kind a (schema-checked) question definition declares."""
    found = _BY_TYPE.get(raw["type"])
    if found is not None:
        return found
    return VERSION if raw.get("format") == "version" else PATTERN


__all__ = [
    "BOOLEAN",
    "ENUM",
    "INTEGER",
    "MAX_INTEGER_ANSWER",
    "MAX_STRING_ANSWER",
    "PATTERN",
    "VERSION",
    "VERSION_FORM",
    "Condition",
    "Kind",
    "Option",
    "below",
    "describe",
    "kind_of",
    "whole_numbers",
]
