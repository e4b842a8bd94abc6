"""The outcome of one evaluation, and its response body built from the compiled tree."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, NamedTuple

from .costs import costs_dict
from .model import Alternative, Branch, Leaf, QuestionNode, Warning
from .templates import Values
from .tree import Tree
from .whatif import what_if


class Step(NamedTuple):
    """One question on the path: the node, the answer used, the branch it took."""

    node: QuestionNode
    answer: object
    branch: Branch
    defaulted: bool


# A step as evaluation records it: a plain tuple in Step's field order. Building a Step
# for every question on every request's path costs more than the tuple itself, so Results
# keep these and make Steps only when `steps` is read.
RawStep = tuple[QuestionNode, object, Branch, bool]


class _Fill:
    """Answers, then prices, by name, for text templates, without merging two dicts."""

    __slots__ = ("prices", "values")

    def __init__(self, values: Mapping[str, object], prices: Mapping[str, float]) -> None:
        self.values = values
        self.prices = prices

    def get(self, name: str) -> object:
        value = self.values.get(name)
        return value if value is not None else self.prices.get(name)


NO_FACTS: Mapping[str, str] = {}


def _warning_dicts(groups: tuple[tuple[Warning, ...], ...], fill: Values) -> list[dict[str, Any]]:
    """The warnings of every group in order, each code once (its first occurrence)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for group in groups:
        for w in group:
            if w.code in seen:
                continue
            seen.add(w.code)
            fixed = w.fixed
            out.append(fixed.copy() if fixed is not None else w.to_dict(w.message.render(fill)))
    return out


def _leaf_warning_dicts(warnings: tuple[Warning, ...], fill: Values) -> list[dict[str, Any]]:
    """A leaf's own warnings, already free of repeated codes (the common case: no notice
    and no warning on the path), without the bookkeeping of `_warning_dicts`."""
    out: list[dict[str, Any]] = []
    for w in warnings:
        fixed = w.fixed
        out.append(fixed.copy() if fixed is not None else w.to_dict(w.message.render(fill)))
    return out


class Result:
    """The outcome of one evaluation; `to_dict()` is the public response body."""

    # A plain slotted class: built on every request, so construction must be cheap.
    __slots__ = ("evidence", "given", "node", "path", "prices", "tree", "values", "walked")

    def __init__(
        self,
        tree: Tree,
        path: list[RawStep],
        node: QuestionNode | Leaf,
        given: Mapping[str, object],
        values: Mapping[str, object],
        prices: Mapping[str, float],
        walked: Mapping[str, object] | None = None,
        evidence: Mapping[str, str] = NO_FACTS,
    ) -> None:
        self.tree = tree
        self.path = path  # never changed after evaluation
        self.node = node
        self.given = given
        self.values = values
        self.prices = prices
        # The answers the walk went by: `values` (defaults filled in), or only the given
        # ones when every question is to be asked.
        self.walked = values if walked is None else walked
        self.evidence = evidence  # question id -> where a fact-derived answer came from

    @property
    def steps(self) -> tuple[Step, ...]:
        """The questions on the path, in order."""
        return tuple(map(Step._make, self.path))

    @property
    def complete(self) -> bool:
        return isinstance(self.node, Leaf)

    @property
    def status(self) -> str:
        return "complete" if isinstance(self.node, Leaf) else "needs_input"

    @property
    def recommendation_id(self) -> str | None:
        return self.node.recommendation.id if isinstance(self.node, Leaf) else None

    @property
    def missing(self) -> list[str]:
        if isinstance(self.node, Leaf):
            return []
        walked = self.walked
        return [q for q in self.tree.needed_questions[self.node.id] if q not in walked]

    def key(self) -> Hashable:
        """What `to_dict()` is made of, hashable: two Results of one tree (the first
        member: valid while that tree lives) with equal keys have equal bodies.

        The answers given fix the values (defaults filled in), the path and the node;
        `walked is given` says whether questions with defaults were asked; then the
        prices, when a caller set any, and where fact-derived answers came from. Each
        question's answers are of one type (its kind coerces them), so `1 == True` never
        joins two different bodies.
        """
        tree = self.tree
        prices = self.prices
        evidence = self.evidence
        return (
            id(tree),
            self.walked is self.given,
            frozenset(self.given.items()),
            None if prices is tree.prices else frozenset(prices.items()),
            frozenset(evidence.items()) if evidence else None,
        )

    def what_if(self) -> list[dict[str, Any]]:
        """Each other answer on the path that would change the recommendation, and to what
        (see `whatif.what_if`)."""
        return what_if(self.path, self.node, self.walked)

    def to_dict(self) -> dict[str, Any]:
        node = self.node
        values = self.values
        prices = self.prices
        # Answers and prices never share a name (the compiler refuses it), so without
        # prices the answers alone fill the templates and no lookup object is needed.
        fill: Values = _Fill(values, prices) if prices else values
        justification, path_warnings = self._justification(fill)
        if isinstance(node, Leaf):
            return self._complete_dict(node, justification, path_warnings, fill)
        return {
            "tree": self.tree.header.copy(),
            "status": "needs_input",
            "recommendation": None,
            "justification": justification,
            "alternatives": [],
            "costs": None,
            "warnings": self._warnings(path_warnings, (), fill),
            "next_question": node.question.to_dict(),
            "missing": self.missing,
            "what_if": [],
        }

    def _justification(
        self, fill: Values
    ) -> tuple[list[dict[str, Any]], list[tuple[Warning, ...]]]:
        """Each step's answer and reason; and, from the same pass, the warnings on the path."""
        justification = []
        path_warnings = []
        evidence = self.evidence
        for node, answer, branch, defaulted in self.path:
            step = {
                "question": node.qid,
                "answer": answer,
                "reason": branch.reason.text or branch.reason.render(fill),
                "defaulted": defaulted,
            }
            if evidence and node.qid in evidence:
                step["from_facts"] = True
                step["evidence"] = evidence[node.qid]
            justification.append(step)
            if branch.warnings:
                path_warnings.append(branch.warnings)
        return justification, path_warnings

    def _complete_dict(
        self,
        leaf: Leaf,
        justification: list[dict[str, Any]],
        path_warnings: list[tuple[Warning, ...]],
        fill: Values,
    ) -> dict[str, Any]:
        rec = leaf.recommendation
        # Texts are filled in only where the leaf has placeholders; fixed ones are copied.
        fixed_reasons = leaf.reason_texts
        fixed_steps = leaf.next_step_texts
        costs = leaf.costs
        return {
            "tree": self.tree.header.copy(),
            "status": "complete",
            "recommendation": {
                "id": rec.id,
                "title": rec.title,
                "summary": leaf.summary.text or leaf.summary.render(fill),
                "reasons": list(fixed_reasons)
                if fixed_reasons is not None
                else [r.text or r.render(fill) for r in leaf.reasons],
                "next_steps": list(fixed_steps)
                if fixed_steps is not None
                else [t.text or t.render(fill) for t in leaf.next_steps],
                # Fixed fragments are copied: a caller may change the dict it gets.
                "commands": [*map(dict.copy, leaf.command_dicts)],
                "sources": [*map(dict.copy, rec.source_dicts)],
            },
            "justification": justification,
            "alternatives": [
                a.fixed.copy() if a.fixed is not None else self._alternative(a, fill)
                for a in leaf.alternatives
            ],
            "costs": None
            if costs is None
            else costs_dict(costs, self.values, self.prices, self.given, self.tree),
            "warnings": self._warnings(path_warnings, leaf.unique_warnings, fill),
            "next_question": None,
            "missing": [],
            "what_if": self.what_if(),
        }

    def _warnings(
        self,
        path_warnings: list[tuple[Warning, ...]],
        leaf_warnings: tuple[Warning, ...],
        fill: Values,
    ) -> list[dict[str, Any]]:
        """The tree's notices, then the warnings of the branches taken, then the leaf's."""
        notices = self.tree.notices
        if not path_warnings and not notices:
            return _leaf_warning_dicts(leaf_warnings, fill)
        return _warning_dicts((notices, *path_warnings, leaf_warnings), fill)

    def _alternative(self, alt: Alternative, fill: Values) -> dict[str, Any]:
        rec = alt.recommendation
        item: dict[str, Any] = {
            "id": rec.id,
            "title": rec.title,
            "why_not": alt.why_not.render(fill),
        }
        if rec.costs is not None:
            costs = costs_dict(rec.costs, self.values, self.prices, self.given, self.tree)
            if costs is not None:
                item["costs"] = costs
        return item
