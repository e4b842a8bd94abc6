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
# The largest whole-number answer a question without its own `max` takes: far above any
# real count of zones or services, far below what would overflow a cost into nonsense.
MAX_INTEGER_ANSWER = 10**6


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    url: str

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url}


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
            ceiling = MAX_INTEGER_ANSWER if self.maximum is None else self.maximum
            if value > ceiling:
                raise ValueError(f"{value} is above the maximum of {ceiling}")
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
    # The response entry when the message names nothing; results copy it (never hand it
    # out) instead of rebuilding it on every evaluation.
    fixed: dict[str, Any] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fixed = None if self.message.names else self.to_dict(self.message.source)
        object.__setattr__(self, "fixed", fixed)

    def to_dict(self, message: str) -> dict[str, Any]:
        """The response entry, with the message as rendered for this evaluation."""
        item: dict[str, Any] = {"code": self.code, "message": message}
        if self.source:
            item["source"] = self.source
        return item


@dataclass(frozen=True, slots=True)
class Command:
    command: str
    meaning: str

    def to_dict(self) -> dict[str, Any]:
        return {"command": self.command, "meaning": self.meaning}


# A cost factor: a number, a price name, an integer answer, or the part of an integer
# answer above N ("excess", (question, N)), for tiers such as "the first 5 rules together".
Factor = tuple[Literal["number", "answer", "price", "excess"], Any]


def factor_question(factor: Factor) -> str | None:
    """The question a factor reads, if any."""
    kind, ref = factor
    if kind == "answer":
        return str(ref)
    if kind == "excess":
        return str(ref[0])
    return None


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
    # Response fragments fixed at load time; results copy them.
    source_dicts: tuple[dict[str, Any], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "source_dicts", tuple(s.to_dict() for s in self.sources))


@dataclass(frozen=True, slots=True)
class Alternative:
    recommendation: Recommendation
    why_not: Template
    # The response entry when it depends on no answer or price (fixed text, no costs).
    fixed: dict[str, Any] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rec = self.recommendation
        fixed = None
        if not self.why_not.names and rec.costs is None:
            fixed = {"id": rec.id, "title": rec.title, "why_not": self.why_not.source}
        object.__setattr__(self, "fixed", fixed)


@dataclass(frozen=True, slots=True)
class Branch:
    label: str
    reason: Template
    target: str
    warnings: tuple[Warning, ...]
    samples: tuple[object, ...]
    # Position among its node's branches.
    index: int = 0
    # The node the branch leads to, linked by the compiler once every node exists (None
    # until then), so the walks of `what_if` go from node to node without lookups by id.
    child: Node | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class QuestionNode:
    id: str
    question: Question
    branches: tuple[Branch, ...]
    lookup: Mapping[object, Branch]
    int_ranges: tuple[tuple[IntRange, Branch], ...] = ()
    version_ranges: tuple[tuple[VersionRange, Branch], ...] = ()
    # The question's id, one attribute away for the walks that read it on every step.
    qid: str = field(init=False, repr=False, compare=False)
    # version_ranges as (low, high, branch) with an open low end as 0.0.0: plain tuple
    # comparisons instead of a method call per range.
    version_bounds: tuple[tuple[Version, Version | None, Branch], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "qid", self.question.id)
        bounds = tuple((r.low or (0, 0, 0), r.high, b) for r, b in self.version_ranges)
        object.__setattr__(self, "version_bounds", bounds)

    def select(self, value: object) -> Branch:
        """The branch an already-validated answer takes (coverage was proven at load)."""
        if self.int_ranges:
            number = value if isinstance(value, int) else 0
            for rng, branch in self.int_ranges:
                if rng.contains(number):
                    return branch
        elif self.version_bounds:
            version: Version = parse_version(str(value)) or (0, 0, 0)
            for low, high, branch in self.version_bounds:
                if low <= version and (high is None or version < high):
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
    # Derived below, so evaluation copies what is fixed instead of rebuilding it.
    command_dicts: tuple[dict[str, Any], ...] = field(init=False, repr=False, compare=False)
    # The leaf's warnings with repeated codes dropped (the first one stays).
    unique_warnings: tuple[Warning, ...] = field(init=False, repr=False, compare=False)
    # The texts as written when none of them names anything (they are then the response's
    # texts as they are); None when some need filling in.
    reason_texts: tuple[str, ...] | None = field(init=False, repr=False, compare=False)
    next_step_texts: tuple[str, ...] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason_texts", _fixed_texts(self.reasons))
        object.__setattr__(self, "next_step_texts", _fixed_texts(self.next_steps))
        object.__setattr__(self, "command_dicts", tuple(c.to_dict() for c in self.commands))
        seen: set[str] = set()
        unique = []
        for w in self.warnings:
            if w.code not in seen:
                seen.add(w.code)
                unique.append(w)
        object.__setattr__(self, "unique_warnings", tuple(unique))


def _fixed_texts(templates: tuple[Template, ...]) -> tuple[str, ...] | None:
    if any(t.names for t in templates):
        return None
    return tuple(t.source for t in templates)


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
    needed_questions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Prices no primary source gives (described "Assumption: ..."), while not overridden by
    # a deployment's pricing file.
    assumed_prices: frozenset[str] = frozenset()
    # Questions that more than one node asks: a changed answer may matter at each of them.
    repeated_questions: frozenset[str] = frozenset()
    defaults: Mapping[str, object] = field(default_factory=dict)
    prices: Mapping[str, float] = field(default_factory=dict)
    # The response's `tree` block, derived below; results copy it.
    header: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        header = {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "status": self.status,
            "digest": self.digest,
        }
        object.__setattr__(self, "header", header)

    @property
    def semver(self) -> tuple[int, int, int]:
        major, minor, patch = self.version.split(".")
        return int(major), int(minor), int(patch)
