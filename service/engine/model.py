"""Compiled, immutable tree objects: built once at load time and shared by all requests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .conditions import IntRange, VersionRange
from .kinds import MAX_INTEGER_ANSWER, MAX_STRING_ANSWER, Kind, Option
from .templates import Template

# Re-exported: callers read the answer limits here.
__all__ = ["MAX_INTEGER_ANSWER", "MAX_STRING_ANSWER", "Option"]


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    url: str

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True, slots=True)
class Command:
    command: str
    meaning: str


@dataclass(frozen=True, slots=True)
class Price:
    name: str
    value: float
    unit: str
    description: str
    source: str | None


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    prompt: str
    help: str | None
    kind: Kind
    options: tuple[Option, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    pattern: re.Pattern[str] | None = None
    default: object = None
    option_ids: frozenset[str] = field(init=False, repr=False, compare=False)
    # Answers of exactly `plain_class` found in `plain_values` fit without a check: the
    # common well-typed answers to choice questions, accepted inline by evaluation.
    plain_class: type = field(init=False, repr=False, compare=False)
    plain_values: frozenset[object] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "option_ids", frozenset(o.id for o in self.options))
        object.__setattr__(self, "plain_class", self.kind.plain_class)
        object.__setattr__(self, "plain_values", self.kind.plain_values(self))

    @property
    def type(self) -> str:
        """The kind's name as tree files and callers write it."""
        return self.kind.name

    @property
    def is_version(self) -> bool:
        return self.kind.format == "version"

    def coerce(self, value: object) -> object:
        """Return the answer if it fits this question; raise ValueError saying what would."""
        return self.kind.coerce(self, value)

    def parse_text(self, text: str) -> object:
        """An answer written as text in its JSON type (unparsed text is returned as it is)."""
        return self.kind.parse_text(self, text)

    def read(self, text: str) -> object:
        """An answer a person typed, checked; ValueError saying what would fit."""
        return self.kind.read(self, text)

    def form(self) -> str | None:
        """What a typed answer looks like, in words (None for choice questions)."""
        return self.kind.form(self)

    def to_dict(self) -> dict[str, Any]:
        """The question as callers see it: enough to ask it and check the answer."""
        out: dict[str, Any] = {"id": self.id, "prompt": self.prompt, "type": self.kind.name}
        if self.help:
            out["help"] = self.help
        out["options"] = self.kind.option_dicts(self)
        if self.minimum is not None:
            out["min"] = self.minimum
        if self.maximum is not None:
            out["max"] = self.maximum
        self.kind.describe(self, out)
        if self.default is not None:
            out["default"] = self.default
        return out


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Advice:
    """What a recommendation says, and what a leaf says with its own additions."""

    id: str
    summary: Template
    warnings: tuple[Warning, ...]
    next_steps: tuple[Template, ...]
    commands: tuple[Command, ...]
    costs: tuple[CostItem, ...] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation(Advice):
    title: str
    sources: tuple[Source, ...]
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


Range = IntRange | VersionRange


@dataclass(frozen=True, slots=True)
class QuestionNode:
    id: str
    question: Question
    branches: tuple[Branch, ...]
    # Choice questions: each answer's branch. Ranged questions: each range's branch.
    lookup: Mapping[object, Branch]
    ranges: tuple[tuple[Range, Branch], ...] = ()
    # Filled in when the nodes are linked, for `what_if`: the questions asked here or at
    # any node below (a walk with one answer changed is past the change once past them
    # all); the one recommendation every path from here leads to, if there is only one;
    # whether other nodes ask this question too; and each branch with its typical answers.
    asks: frozenset[str] = frozenset()
    only: Recommendation | None = None
    repeated: bool = False
    alternatives: tuple[tuple[Branch, tuple[object, ...]], ...] = ()
    # The question's id, one attribute away for the walks that read it on every step.
    qid: str = field(init=False, repr=False, compare=False)
    # The ranges as half-open (low, high, branch) on the kind's rank of an answer: plain
    # tuple comparisons instead of a method call per range.
    bounds: tuple[tuple[Any, Any, Branch], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "qid", self.question.id)
        kind = self.question.kind
        bounds = tuple((*kind.bounds(r), b) for r, b in self.ranges)
        object.__setattr__(self, "bounds", bounds)

    @property
    def int_ranges(self) -> tuple[tuple[IntRange, Branch], ...]:
        return tuple((r, b) for r, b in self.ranges if isinstance(r, IntRange))

    @property
    def version_ranges(self) -> tuple[tuple[VersionRange, Branch], ...]:
        return tuple((r, b) for r, b in self.ranges if isinstance(r, VersionRange))

    def select(self, value: object) -> Branch:
        """The branch an already-validated answer takes (coverage was proven at load)."""
        if self.lookup:
            return self.lookup[value]
        rank = self.question.kind.rank(value)
        for low, high, branch in self.bounds:
            if low <= rank and (high is None or rank < high):
                return branch
        raise AssertionError(f"no branch of {self.id} takes {value!r}")  # pragma: no cover


@dataclass(frozen=True, slots=True, kw_only=True)
class Leaf(Advice):
    recommendation: Recommendation
    reasons: tuple[Template, ...]
    alternatives: tuple[Alternative, ...]
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
        commands = tuple({"command": c.command, "meaning": c.meaning} for c in self.commands)
        object.__setattr__(self, "command_dicts", commands)
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
