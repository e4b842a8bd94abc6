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
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


@dataclass(frozen=True)
class Template:
    """A compiled text: literal pieces alternating with names to fill in."""

    source: str
    literals: tuple[str, ...]
    names: tuple[str, ...]
    # The text itself when it names nothing, so callers can skip rendering; else "".
    text: str = ""
    # Each name with the literal after it, paired once here rather than on every render.
    pairs: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pairs = tuple(zip(self.names, self.literals[1:], strict=True))
        object.__setattr__(self, "pairs", pairs)

    @classmethod
    def compile(cls, text: str) -> Template:
        parts = _PLACEHOLDER.split(text)
        names = tuple(parts[1::2])
        return cls(text, tuple(parts[0::2]), names, "" if names else text)

    def render(self, values: Values) -> str:
        if not self.names:
            return self.source
        out = self.literals[0]
        for name, literal in self.pairs:
            value = values.get(name)
            # Most answers are strings, which read as themselves: skip format_value.
            if value.__class__ is not str:
                value = "(not answered)" if value is None else format_value(value)
            out += f"{value}{literal}"
        return out
