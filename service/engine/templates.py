"""Text with {name} placeholders, compiled once and filled from answers and prices."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class Values(Protocol):
    """Anything that looks a name up: a dict, or the engine's answers-then-prices view."""

    def get(self, name: str, /) -> object: ...


def format_value(value: object) -> str:
    """How an answer or a price reads in a sentence: 16.43, 30, yes, 5.10."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        if abs(value) >= 1:
            return f"{value:.2f}"  # 14.20, as money is written, never 14.2
        # Below one (hourly prices, per-request figures): keep what the figure says.
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled text: the literal before the first name, then each name to fill in with
    the literal after it (paired once here rather than on every render).

    Slotted and without a tuple of literals: a tree holds a template for every reason,
    summary, warning and step, most of them naming nothing, so each one is kept small.
    """

    source: str
    head: str
    pairs: tuple[tuple[str, str], ...] = ()
    # The text itself when it names nothing, so callers can skip rendering; else "".
    text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", "" if self.pairs else self.source)

    @classmethod
    def compile(cls, text: str) -> Template:
        parts = _PLACEHOLDER.split(text)
        return cls(text, parts[0], tuple(zip(parts[1::2], parts[2::2], strict=True)))

    @property
    def names(self) -> tuple[str, ...]:
        """The names to fill in, in order."""
        return tuple(name for name, _ in self.pairs)

    def render(self, values: Values) -> str:
        if not self.pairs:
            return self.source
        out = self.head
        for name, literal in self.pairs:
            value = values.get(name)
            # Most answers are strings, which read as themselves: skip format_value.
            if value.__class__ is not str:
                value = "(not answered)" if value is None else format_value(value)
            out += f"{value}{literal}"
        return out
