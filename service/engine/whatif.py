"""What would change a recommendation: each other answer on the path, and where it leads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .model import Branch, Leaf, Node, QuestionNode, Recommendation

if TYPE_CHECKING:
    from .result import RawStep


class _Walks:
    """Where the answers lead from a node, with the answers as given or one changed.

    A walk with one answer changed is past the change once past every node that asks the
    question (compiled into `QuestionNode.asks`); from a node below which every path leads
    to one recommendation (`QuestionNode.only`) it stops, when the answers it would read
    are all there, without walking further.
    """

    __slots__ = ("current", "values")

    def __init__(self, values: Mapping[str, object], leaf: Leaf) -> None:
        self.values = values
        self.current = leaf.recommendation

    def settle(self, node: Node | None) -> Recommendation | None:
        """Where the answers as given lead from `node`; None when one is missing on the way
        or when it can only be the current recommendation."""
        values = self.values
        current = self.current
        while isinstance(node, QuestionNode):
            only = node.only
            if only is not None and (only is current or values.keys() >= node.asks):
                # One recommendation below, and every question on the way answered.
                return None if only is current else only
            value = values.get(node.qid)
            if value is None:
                return None
            lookup = node.lookup
            node = (lookup[value] if lookup else node.select(value)).child
        return node.recommendation if isinstance(node, Leaf) else None

    def changed(self, start: QuestionNode, qid: str, answer: object) -> Recommendation | None:
        """Where the answers lead from `start` with `qid` answered `answer` instead."""
        node: Node | None = start
        values = self.values
        current = self.current
        while isinstance(node, QuestionNode) and qid in node.asks:
            value = answer if node.qid == qid else values.get(node.qid)
            if value is None or node.only is current:
                return None
            lookup = node.lookup
            node = (lookup[value] if lookup else node.select(value)).child
        return self.settle(node)


def _add_entries(
    out: list[dict[str, Any]],
    node: QuestionNode,
    branch: Branch,
    answers: tuple[object, ...],
    outcome: Recommendation,
) -> None:
    rec = {"id": outcome.id, "title": outcome.title}
    for answer in answers:
        if node.lookup:
            out.append({"question": node.qid, "answer": answer, "recommendation": rec})
        else:
            entry = {"question": node.qid, "answer": answer, "when": branch.label}
            out.append({**entry, "recommendation": rec})


def what_if(path: list[RawStep], leaf: Node, values: Mapping[str, object]) -> list[dict[str, Any]]:
    """Each other answer on the path that would change the recommendation, and to what.

    Each entry is walked with that one answer changed from the first node that asks the
    question (a later node may ask it again), so it can be posted back as it is and leads
    where it says. An answer that would need more answers than were given is left out.
    """
    if not isinstance(leaf, Leaf):
        return []
    current = leaf.recommendation
    out: list[dict[str, Any]] = []
    walks = _Walks(values, leaf)
    first: dict[str, QuestionNode] = {}
    tried: set[tuple[str, object]] = set()
    for node, answer, taken, _ in path:
        qid = node.qid
        if not node.repeated:
            # Asked once: every answer of a branch leads to the same place, and a branch
            # to the node the taken one leads to changes nothing.
            for branch, answers in node.alternatives:
                if branch is taken or branch.child is taken.child:
                    continue
                outcome = walks.settle(branch.child)
                if outcome is not None and outcome is not current:
                    _add_entries(out, node, branch, answers, outcome)
            continue
        # Asked again elsewhere: the answer matters at each asking node, so each typical
        # answer is walked from the first node on the path that asks the question.
        start = first.setdefault(qid, node)
        for branch, answers in node.alternatives:
            if branch is taken:
                continue
            for other in answers:
                if other == answer or (qid, other) in tried:
                    continue
                tried.add((qid, other))
                outcome = walks.changed(start, qid, other)
                if outcome is not None and outcome is not current:
                    _add_entries(out, node, branch, (other,), outcome)
    return out
