"""The engine's error tree: every error carries structured fields a caller can act on."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, if one is close enough."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        tree: str | None = None,
        version: str | None = None,
        node: str | None = None,
        question: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.tree = tree
        self.version = version
        self.node = node
        self.question = question
        self.suggestion = suggestion

    def __str__(self) -> str:
        if self.suggestion:
            return f"{self.message} ({self.suggestion})"
        return self.message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a tree file: where, what, and what would be right."""

    file: str
    location: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: {self.location}: " if self.location else f"{self.file}: "
        hint = f" ({self.suggestion})" if self.suggestion else ""
        return f"{where}{self.message}{hint}"


class TreeCheckError(EngineError):
    """One or more tree files failed to load or check; nothing was loaded."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        # Tree files and the deployment's pricing file are checked together; each line
        # names its own file.
        super().__init__(f"nothing was loaded: {count} {noun} in the trees or prices:\n{lines}")

    def __str__(self) -> str:
        return self.message


class UnknownTree(EngineError):
    """No tree has that id."""


class UnknownVersion(EngineError):
    """The tree exists but not at that version."""


class InvalidInput(EngineError):
    """Answers or prices that do not fit the tree; `errors` maps each field to messages."""

    def __init__(
        self,
        message: str,
        errors: Mapping[str, Sequence[str]],
        *,
        tree: str | None = None,
        version: str | None = None,
    ) -> None:
        first = next(iter(errors), None)
        super().__init__(message, tree=tree, version=version, question=first)
        self.errors = {field: list(msgs) for field, msgs in errors.items()}

    def __str__(self) -> str:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items())
        return f"{self.message}: {details}"


class InvalidAnswers(InvalidInput):
    """Answers that name unknown questions, have the wrong type or are out of range."""


class InvalidPricing(InvalidInput):
    """Pricing overrides that name unknown prices or are not non-negative numbers."""
