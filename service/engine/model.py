"""Compiled, immutable tree objects: built once at load time and shared by all requests."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .conditions import IntRange, Version, VersionRange, parse_version
from .errors import did_you_mean
from .templates import Template

QuestionType = Literal["boolean", "enum", "integer", "string"]
MAX_STRING_ANSWER = 200


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Price:
    name: str
    value: float
    unit: str
    description: str
    source: str | None


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    prompt: str
    help: str | None
    type: QuestionType
    options: tuple[Option, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    pattern: re.Pattern[str] | None = None
    is_version: bool = False
    default: object = None
    option_ids: frozenset[str] = frozenset()

    def coerce(self, value: object) -> object:
        """Return the answer if it fits this question; raise ValueError saying what would."""
        kind = self.type
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            raise ValueError(f"expected true or false, got {_describe(value)}")
        if kind == "enum":
            if isinstance(value, str):
                for option in self.options:
                    if option.id == value:
                        return value
                ids = [o.id for o in self.options]
                close = did_you_mean(value, ids)
                hint = f" Did you mean {close!r}?" if close else ""
                raise ValueError(
                    f"{value!r} is not an option; choose one of: {', '.join(ids)}.{hint}"
                )
            raise ValueError(
                f"expected one of {', '.join(o.id for o in self.options)}, got {_describe(value)}"
            )
        if kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"expected a whole number, got {_describe(value)}")
            if self.minimum is not None and value < self.minimum:
                raise ValueError(f"{value} is below the minimum of {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise ValueError(f"{value} is above the maximum of {self.maximum}")
            return value
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {_describe(value)}")
        if len(value) > MAX_STRING_ANSWER:
            raise ValueError(f"longer than {MAX_STRING_ANSWER} characters")
        if self.is_version:
            if parse_version(value) is None:
                raise ValueError(f"{value!r} is not a version; write MAJOR.MINOR, like 5.10")
            return value
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise ValueError(f"{value!r} does not match the pattern {self.pattern.pattern}")
        return value

    def to_dict(self) -> dict[str, Any]:
        """The question as callers see it: enough to ask it and check the answer."""
        out: dict[str, Any] = {"id": self.id, "prompt": self.prompt, "type": self.type}
        if self.help:
            out["help"] = self.help
        if self.type == "boolean":
            out["options"] = [{"id": True, "label": "Yes"}, {"id": False, "label": "No"}]
        else:
            out["options"] = [{"id": o.id, "label": o.label} for o in self.options]
        if self.minimum is not None:
            out["min"] = self.minimum
        if self.maximum is not None:
            out["max"] = self.maximum
        if self.is_version:
            out["format"] = "version"
        elif self.pattern is not None:
            out["pattern"] = self.pattern.pattern
        if self.default is not None:
            out["default"] = self.default
        return out


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a value of another kind"


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    message: Template
    source: str | None


@dataclass(frozen=True, slots=True)
class Command:
    command: str
    meaning: str


Factor = tuple[Literal["number", "answer", "price"], Any]


@dataclass(frozen=True, slots=True)
class CostItem:
    id: str
    label: str
    low: tuple[Factor, ...]
    high: tuple[Factor, ...]
    basis: Template
    source: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    id: str
    title: str
    summary: Template
    sources: tuple[Source, ...]
    warnings: tuple[Warning, ...]
    next_steps: tuple[Template, ...]
    commands: tuple[Command, ...]
    costs: tuple[CostItem, ...] | None


@dataclass(frozen=True, slots=True)
class Alternative:
    recommendation: Recommendation
    why_not: Template


@dataclass(frozen=True, slots=True)
class Branch:
    label: str
    reason: Template
    target: str
    warnings: tuple[Warning, ...]
    samples: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class QuestionNode:
    id: str
    question: Question
    branches: tuple[Branch, ...]
    lookup: Mapping[object, Branch]
    int_ranges: tuple[tuple[IntRange, Branch], ...] = ()
    version_ranges: tuple[tuple[VersionRange, Branch], ...] = ()

    def select(self, value: object) -> Branch:
        """The branch an already-validated answer takes (coverage was proven at load)."""
        if self.int_ranges:
            number = value if isinstance(value, int) else 0
            for rng, branch in self.int_ranges:
                if rng.contains(number):
                    return branch
        elif self.version_ranges:
            version: Version = parse_version(str(value)) or (0, 0, 0)
            for vrange, branch in self.version_ranges:
                if vrange.contains(version):
                    return branch
        else:
            return self.lookup[value]
        raise AssertionError(f"no branch of {self.id} takes {value!r}")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Leaf:
    id: str
    recommendation: Recommendation
    summary: Template
    reasons: tuple[Template, ...]
    warnings: tuple[Warning, ...]
    alternatives: tuple[Alternative, ...]
    next_steps: tuple[Template, ...]
    commands: tuple[Command, ...]
    costs: tuple[CostItem, ...] | None
    # True when any text of the leaf names an answer or a price; otherwise every text is
    # fixed and evaluation copies it instead of filling it in.
    dynamic: bool = False


Node = QuestionNode | Leaf


@dataclass(frozen=True, slots=True)
class TestCase:
    name: str
    answers: Mapping[str, object]
    pricing: Mapping[str, object]
    expect: Mapping[str, Any]


@dataclass(frozen=True)
class Tree:
    """One version of one decision tree, valid by construction."""

    id: str
    version: str
    title: str
    description: str
    status: Literal["current", "deprecated"]
    as_of: dt.date
    changes: tuple[str, ...]
    sources: Mapping[str, Source]
    pricing: Mapping[str, Price]
    questions: Mapping[str, Question]
    recommendations: Mapping[str, Recommendation]
    root: str
    nodes: Mapping[str, Node]
    tests: tuple[TestCase, ...]
    digest: str
    path: str
    deprecation_message: str | None = None
    deprecation_source: str | None = None
    # Filled by the catalog once every version is known (the current one is named).
    notices: tuple[Warning, ...] = ()
    # Derived at compile time so evaluation does no graph work.
    reachable_questions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: Mapping[str, object] = field(default_factory=dict)
    prices: Mapping[str, float] = field(default_factory=dict)

    @property
    def semver(self) -> tuple[int, int, int]:
        major, minor, patch = self.version.split(".")
        return int(major), int(minor), int(patch)
