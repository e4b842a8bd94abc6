"""Questions answered by choosing: yes or no, or one of a list of options."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..conditions import ConditionError
from ..errors import did_you_mean
from .base import Condition, Kind, Option, describe

if TYPE_CHECKING:
    from ..model import Question

_TRUE = ("true", "yes", "y", "1")
_FALSE = ("false", "no", "n", "0")


class _Keyed(Kind):
    """Kinds whose branches name the answers they take."""

    def plain_values(self, question: Question) -> frozenset[object]:
        return frozenset(self.answers(question))

    def answers(self, question: Question) -> tuple[object, ...]:
        raise NotImplementedError

    def coverage(self, question: Question, conditions: Sequence[Condition]) -> list[str]:
        handled = {key for c in conditions for key in c.keys}
        missing = [self.word(a) for a in self.answers(question) if a not in handled]
        if not missing:
            return []
        return [
            f"no branch handles {', '.join(missing)} for {question.id}; every answer needs a branch"
        ]

    def word(self, answer: object) -> str:
        return str(answer)


class Boolean(_Keyed):
    name = "boolean"
    plain_class = bool

    def answers(self, question: Question) -> tuple[object, ...]:
        return (True, False)

    def word(self, answer: object) -> str:
        return str(answer).lower()

    def coerce(self, question: Question, value: object) -> object:
        if isinstance(value, bool):
            return value
        raise ValueError(f"expected true or false, got {describe(value)}")

    def parse_text(self, question: Question, text: str) -> object:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        return False if lowered in _FALSE else text

    def option_dicts(self, question: Question) -> list[dict[str, Any]]:
        return [{"id": True, "label": "Yes"}, {"id": False, "label": "No"}]

    def condition(self, question: Question, when: object) -> Condition:
        if not isinstance(when, bool):
            raise ConditionError("a boolean question branches on true or false")
        return Condition("yes" if when else "no", (when,), None, (when,))


class Enum(_Keyed):
    name = "enum"
    keys = frozenset({"options"})
    plain_class = str

    def definition(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        fields, problems = super().definition(raw)
        if "options" not in raw:
            problems.append("an enum question needs options: [{id, label}, ...]")
        options: tuple[Option, ...] = tuple(
            Option(o["id"], o["label"]) for o in raw.get("options", [])
        )
        ids = [o.id for o in options]
        problems += [f"option {dup!r} is listed twice" for dup in sorted(_repeated(ids))]
        fields["options"] = options
        return fields, problems

    def answers(self, question: Question) -> tuple[object, ...]:
        return tuple(o.id for o in question.options)

    def coerce(self, question: Question, value: object) -> object:
        ids = [o.id for o in question.options]
        if not isinstance(value, str):
            raise ValueError(f"expected one of {', '.join(ids)}, got {describe(value)}")
        if value in question.option_ids:
            return value
        close = did_you_mean(value, ids)
        hint = f" Did you mean {close!r}?" if close else ""
        raise ValueError(f"{value!r} is not an option; choose one of: {', '.join(ids)}.{hint}")

    def condition(self, question: Question, when: object) -> Condition:
        offered = [o.id for o in question.options]
        values: list[str] = []
        for v in when if isinstance(when, list) else [when]:
            if not isinstance(v, str) or v not in offered:
                raise ConditionError(
                    f"{v!r} is not an option of {question.id}; options: " + ", ".join(offered)
                )
            values.append(v)
        return Condition(", ".join(values), tuple(values), None, tuple(values))


def _repeated(ids: Sequence[str]) -> set[str]:
    return {x for x in ids if ids.count(x) > 1}
