"""Questions answered with a whole number, branched on by ranges."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..conditions import IntRange, int_coverage_problems, parse_int_condition
from .base import MAX_INTEGER_ANSWER, Condition, Kind, describe, whole_numbers

if TYPE_CHECKING:
    from ..model import Branch, Question

# Whole numbers as text: \d is what int() reads; "--5" or "²" stay text for the check.
_WHOLE = re.compile(r"-?\d+")


class Integer(Kind):
    name = "integer"
    keys = frozenset({"min", "max"})
    countable = True

    def definition(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        fields, problems = super().definition(raw)
        if "min" not in raw:
            problems.append("an integer question needs min (and optionally max)")
        elif "max" in raw and raw["max"] < raw["min"]:
            problems.append(f"max {raw['max']} is below min {raw['min']}")
        return fields, problems

    def coerce(self, question: Question, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {describe(value)}")
        if question.minimum is not None and value < question.minimum:
            raise ValueError(f"{value} is below the minimum of {question.minimum}")
        ceiling = MAX_INTEGER_ANSWER if question.maximum is None else question.maximum
        if value > ceiling:
            raise ValueError(f"{value} is above the maximum of {ceiling}")
        return value

    def parse_text(self, question: Question, text: str) -> object:
        stripped = text.strip()
        return int(stripped) if _WHOLE.fullmatch(stripped) else text

    def read(self, question: Question, text: str) -> object:
        value = self.parse_text(question, text)
        if isinstance(value, str):
            raise ValueError(f"expected {self.form(question)}")
        return self.coerce(question, value)

    def form(self, question: Question) -> str:
        return whole_numbers(question.minimum, question.maximum)

    def choices(
        self, question: Question, ranges: Sequence[tuple[IntRange, Branch]]
    ) -> list[tuple[str, object]]:
        """One button a range, sending the default where it falls in the range."""
        default = question.default
        out: list[tuple[str, object]] = []
        for rng, _branch in ranges:
            typical = default if isinstance(default, int) and rng.contains(default) else rng.low
            out.append((_range_words(rng, question.maximum), typical))
        return out

    def condition(self, question: Question, when: object) -> Condition:
        rng = parse_int_condition(when, question.minimum or 0, question.maximum)
        return Condition(str(when).strip(), (), rng, (rng.low,))

    def coverage(self, question: Question, conditions: Sequence[Condition]) -> list[str]:
        ranges = [c.range for c in conditions if isinstance(c.range, IntRange)]
        gaps = int_coverage_problems(ranges, question.minimum or 0, question.maximum)
        return [f"{question.id}: {gap}" for gap in gaps]

    def arrange(self, ranges: Sequence[tuple[Any, Any]]) -> tuple[tuple[Any, Any], ...]:
        return tuple(sorted(ranges, key=lambda pair: pair[0].low))

    def bounds(self, rng: IntRange) -> tuple[int, int | None]:
        return rng.low, None if rng.high is None else rng.high + 1

    def rank(self, value: object) -> int:
        return value if isinstance(value, int) else 0


def _range_words(rng: IntRange, maximum: int | None) -> str:
    if rng.high is None or rng.high == maximum:
        return f"{rng.low} or more"
    return str(rng.low) if rng.low == rng.high else f"{rng.low} to {rng.high}"
