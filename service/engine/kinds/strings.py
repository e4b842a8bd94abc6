"""Questions answered with text: a version (branched on by ranges) or a pattern's match."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..conditions import (
    Version,
    VersionRange,
    format_version,
    parse_version,
    parse_version_condition,
    version_coverage_problems,
)
from .base import MAX_STRING_ANSWER, VERSION_FORM, Condition, Kind, describe

if TYPE_CHECKING:
    from ..model import Branch, Question


class _Text(Kind):
    """String questions: a version (format: version) or text matching a pattern."""

    keys = frozenset({"pattern", "format"})
    name = "string"

    def definition(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        fields, problems = super().definition(raw)
        if ("pattern" in raw) == ("format" in raw):
            problems.append("a string question needs either pattern or format: version")
        return fields, problems

    def coerce(self, question: Question, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {describe(value)}")
        if len(value) > MAX_STRING_ANSWER:
            raise ValueError(f"longer than {MAX_STRING_ANSWER} characters")
        return self.check_text(question, value)

    def check_text(self, question: Question, value: str) -> str:
        return value


class Pattern(_Text):
    def definition(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        fields, problems = super().definition(raw)
        if "pattern" in raw:
            try:
                fields["pattern"] = re.compile(raw["pattern"])
            except re.error as exc:
                problems.append(f"pattern does not compile: {exc}")
        return fields, problems

    def check_text(self, question: Question, value: str) -> str:
        pattern = question.pattern
        if pattern is not None and not pattern.fullmatch(value):
            raise ValueError(f"{value!r} does not match the pattern {pattern.pattern}")
        return value

    def describe(self, question: Question, out: dict[str, Any]) -> None:
        if question.pattern is not None:
            out["pattern"] = question.pattern.pattern


class VersionKind(_Text):
    format = "version"

    def check_text(self, question: Question, value: str) -> str:
        if parse_version(value) is None:
            raise ValueError(f"{value!r} is not a version; write MAJOR.MINOR, like 5.10")
        return value

    def form(self, question: Question) -> str:
        return VERSION_FORM

    def describe(self, question: Question, out: dict[str, Any]) -> None:
        out["format"] = self.format

    def condition(self, question: Question, when: object) -> Condition:
        vrange = parse_version_condition(when)
        sample = format_version(vrange.low or below(vrange.high))
        return Condition(str(when).strip(), (), vrange, (sample,))

    def coverage(self, question: Question, conditions: Sequence[Condition]) -> list[str]:
        ranges = [c.range for c in conditions if isinstance(c.range, VersionRange)]
        return [f"{question.id}: {gap}" for gap in version_coverage_problems(ranges)]

    def choices(
        self, question: Question, ranges: Sequence[tuple[VersionRange, Branch]]
    ) -> list[tuple[str, object]]:
        """One button a range, sending its typical version (the branch's sample)."""
        return [(_range_words(rng), branch.samples[0]) for rng, branch in ranges]

    def bounds(self, rng: VersionRange) -> tuple[Version, Version | None]:
        return rng.low or (0, 0, 0), rng.high

    def rank(self, value: object) -> Version:
        return parse_version(str(value)) or (0, 0, 0)


def below(version: Version | None) -> Version:
    """A typical version under an upper bound: 5.10 -> 5.9, 5.0 -> 4.0."""
    if version is None:
        return (0, 0, 0)
    major, minor, _ = version
    return (major, minor - 1, 0) if minor > 0 else (max(major - 1, 0), 0, 0)


def _range_words(rng: VersionRange) -> str:
    if rng.low is not None:
        low = format_version(rng.low)
        return f"{low} or newer" if rng.high is None else f"{low} up to {format_version(rng.high)}"
    return "any version" if rng.high is None else f"older than {format_version(rng.high)}"
