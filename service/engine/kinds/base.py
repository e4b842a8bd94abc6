"""What every question kind provides, and the pieces the kinds share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from ..conditions import ConditionError, IntRange, VersionRange

if TYPE_CHECKING:
    from ..model import Branch, Question

MAX_STRING_ANSWER = 200
# The largest whole-number answer a question without its own `max` takes: far above any
# real count of zones or services, far below what would overflow a cost into nonsense.
MAX_INTEGER_ANSWER = 10**6
VERSION_FORM = "a version, MAJOR.MINOR, like 5.10"
_SPECIFIC_KEYS = frozenset({"options", "min", "max", "pattern", "format"})


def describe(value: object) -> str:
    """A value as an error message names it."""
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


def whole_numbers(low: object, high: object) -> str:
    """The allowed whole numbers between optional bounds, in words."""
    if low is not None and high is not None:
        return f"a whole number from {low} to {high}"
    if low is not None:
        return f"a whole number of at least {low}"
    if high is not None:
        return f"a whole number up to {high}"
    return "a whole number"


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str


class Condition(NamedTuple):
    """One branch's `when`, read: its label, the answers it takes by value (keyed kinds) or
    its range (ranged kinds), and the typical answers that stand for it."""

    label: str
    keys: tuple[object, ...]
    range: IntRange | VersionRange | None
    samples: tuple[object, ...]


class Kind:
    """A kind of question; subclasses own everything that differs between kinds."""

    name: ClassVar[str]  # the `type` in tree files and in the API
    keys: ClassVar[frozenset[str]] = frozenset()  # the specific keys its definition takes
    # Answers of exactly this class that are in `Question.plain_values` need no check.
    plain_class: ClassVar[type] = type(None)
    format: ClassVar[str | None] = None  # the `format` of string questions that have one
    countable: ClassVar[bool] = False  # whether cost factors may multiply by its answers

    def definition(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The Question fields this kind reads from a definition, and what is wrong with it."""
        extra = sorted(set(raw) & _SPECIFIC_KEYS - self.keys)
        problems = [f"a {self.name} question does not take {', '.join(extra)}"] if extra else []
        return {}, problems

    def plain_values(self, question: Question) -> frozenset[object]:
        return frozenset()

    def coerce(self, question: Question, value: object) -> object:
        """The answer if it fits; ValueError saying what would otherwise."""
        raise NotImplementedError

    def parse_text(self, question: Question, text: str) -> object:
        """An answer written as text in its JSON type; text that does not parse is returned
        as it is, for `coerce` to word the error."""
        return text

    def read(self, question: Question, text: str) -> object:
        """An answer a person typed, checked; ValueError saying what would fit."""
        return self.coerce(question, self.parse_text(question, text))

    def form(self, question: Question) -> str | None:
        """What a typed answer looks like, in words, for kinds without options."""
        return None

    def option_dicts(self, question: Question) -> list[dict[str, Any]]:
        return [{"id": o.id, "label": o.label} for o in question.options]

    def describe(self, question: Question, out: dict[str, Any]) -> None:
        """Add the kind's own fields to the question as callers see it."""

    def choices(
        self, question: Question, ranges: Sequence[tuple[Any, Branch]]
    ) -> list[tuple[str, object]]:
        """(words, typical answer) to offer as buttons: each option, or one per range."""
        return [(str(o["label"]), o["id"]) for o in self.option_dicts(question)]

    def condition(self, question: Question, when: object) -> Condition:
        raise ConditionError(
            "only integer questions and string questions with format: version "
            "can be branched on; use an enum for fixed choices"
        )

    def coverage(self, question: Question, conditions: Sequence[Condition]) -> list[str]:
        """Why the branches do not take every answer exactly once (empty when they do)."""
        return []

    def arrange(self, ranges: Sequence[tuple[Any, Any]]) -> tuple[tuple[Any, Any], ...]:
        """Ranges in the order callers list them (branch order unless a kind sorts them)."""
        return tuple(ranges)

    def bounds(self, rng: Any) -> tuple[Any, Any]:
        """A range as half-open (low, high) bounds on `rank`; None for no upper end."""
        raise NotImplementedError

    def rank(self, value: object) -> Any:
        """An answer as what ranges compare."""
        raise NotImplementedError
