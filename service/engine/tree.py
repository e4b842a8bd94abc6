"""The compiled tree: one version of one decision tree, valid by construction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .graph import needed_questions
from .model import Node, Price, Question, QuestionNode, Recommendation, Source, Warning

# A price whose description starts so is a figure no primary source gives (the tree
# format's convention): it is listed as an assumption, not as a fact.
ASSUMPTION_PREFIX = "Assumption"


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
    # Prices a deployment's pricing file set: the team's own figures, never assumptions.
    deployment_prices: frozenset[str] = frozenset()
    # Derived from the fields above in __post_init__, so evaluation does no graph work and
    # a copy made with `replace` (priced, given a notice) is derived afresh.
    needed_questions: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    # Prices no primary source gives (described "Assumption: ...") and no deployment set.
    assumed_prices: frozenset[str] = field(init=False, repr=False, compare=False)
    # Questions that more than one node asks: a changed answer may matter at each of them.
    repeated_questions: frozenset[str] = field(init=False, repr=False, compare=False)
    defaults: Mapping[str, object] = field(init=False, repr=False, compare=False)
    prices: Mapping[str, float] = field(init=False, repr=False, compare=False)
    # The response's `tree` block; results copy it.
    header: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        derived: dict[str, object] = {
            "needed_questions": needed_questions(self.root, self.nodes),
            "assumed_prices": frozenset(
                name
                for name, p in self.pricing.items()
                if p.description.startswith(ASSUMPTION_PREFIX)
                and name not in self.deployment_prices
            ),
            "repeated_questions": frozenset(
                n.qid for n in self.nodes.values() if isinstance(n, QuestionNode) and n.repeated
            ),
            "defaults": {q.id: q.default for q in self.questions.values() if q.default is not None},
            "prices": {name: p.value for name, p in self.pricing.items()},
            "header": {
                "id": self.id,
                "version": self.version,
                "title": self.title,
                "status": self.status,
                "digest": self.digest,
            },
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @property
    def semver(self) -> tuple[int, int, int]:
        major, minor, patch = self.version.split(".")
        return int(major), int(minor), int(patch)
