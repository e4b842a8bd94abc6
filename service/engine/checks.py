"""Collects a tree file's problems, and the checks that need the whole tree built."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import Problem, did_you_mean
from .graph import must_answer_sets
from .loader import RawTree
from .model import Leaf, Node, Price, Question, Recommendation, Source, Warning, factor_question
from .templates import Template
from .tree import TestCase


class Checker:
    """Collects problems for one file so a single run reports all of them."""

    def __init__(self, raw: RawTree, display: str) -> None:
        self.raw = raw
        self.file = display
        self.problems: list[Problem] = []
        self.names: set[str] = set()
        self.sources: dict[str, Source] = {}

    def problem(self, location: str, message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem(self.file, location, message, suggestion))

    def unknown(self, location: str, kind: str, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        close = did_you_mean(name, known)
        hint = f"did you mean {close!r}?" if close else None
        listing = ", ".join(known) if len(known) <= 12 else ", ".join(known[:12]) + ", ..."
        self.problem(location, f"{kind} {name!r} does not exist; known: {listing}", hint)

    def source(self, location: str, ref: str | None) -> str | None:
        """A source id resolved to its URL."""
        if ref is None:
            return None
        found = self.sources.get(ref)
        if found is None:
            self.unknown(location, "source", ref, self.sources)
            return None
        return found.url

    def template(self, location: str, text: str) -> Template:
        compiled = Template.compile(text)
        for name in compiled.names:
            if name not in self.names:
                self.unknown(location, "placeholder", name, self.names)
        return compiled

    def warnings(self, location: str, items: list[dict[str, Any]] | None) -> tuple[Warning, ...]:
        out = []
        for i, w in enumerate(items or []):
            where = f"{location}.warnings[{i}]"
            out.append(
                Warning(
                    w["code"],
                    self.template(where, w["message"]),
                    self.source(f"{where}.source", w.get("source")),
                )
            )
        return tuple(out)


def check_cost_factors(
    check: Checker, root: str, nodes: Mapping[str, Node], questions: Mapping[str, Question]
) -> None:
    """A leaf's costs may only use integer answers that every path to it provides."""
    answered = must_answer_sets(root, nodes)
    for node_id, node in nodes.items():
        if not isinstance(node, Leaf) or not node.costs:
            continue
        have = answered.get(node_id, frozenset())
        for item in node.costs:
            names = {factor_question(f) for f in item.low + item.high} - {None}
            for name in sorted(n for n in names if n is not None):
                if name in have or questions[name].default is not None:
                    continue
                check.problem(
                    f"nodes.{node_id}",
                    f"cost item {item.id!r} uses {name!r}, which is not asked on every path "
                    "to this leaf and has no default",
                    f"give {name} a default",
                )


def check_tests(
    check: Checker,
    tests: tuple[TestCase, ...],
    questions: Mapping[str, Question],
    recommendations: Mapping[str, Recommendation],
    pricing: Mapping[str, Price],
) -> None:
    names: set[str] = set()
    for i, t in enumerate(tests):
        where = f"tests[{i}] ({t.name})"
        if t.name in names:
            check.problem(where, "two test cases share this name")
        names.add(t.name)
        for qid, value in t.answers.items():
            q = questions.get(qid)
            if q is None:
                check.unknown(f"{where}.answers", "question", qid, questions)
                continue
            try:
                q.coerce(value)
            except ValueError as exc:
                check.problem(f"{where}.answers.{qid}", str(exc))
        for name in t.pricing:
            if name not in pricing:
                check.unknown(f"{where}.pricing", "price", name, pricing)
        expect = t.expect
        if expect.get("recommendation") and expect["recommendation"] not in recommendations:
            check.unknown(
                f"{where}.expect.recommendation",
                "recommendation",
                expect["recommendation"],
                recommendations,
            )
        if expect.get("next_question") and expect["next_question"] not in questions:
            check.unknown(
                f"{where}.expect.next_question", "question", expect["next_question"], questions
            )
