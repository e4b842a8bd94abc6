"""Builds a tree file's nodes: leaves, question nodes with their branches, then the links."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .checks import Checker
from .conditions import ConditionError
from .costs import parse_costs
from .graph import topological
from .kinds import Condition
from .model import (
    Alternative,
    Branch,
    Command,
    Leaf,
    Node,
    Price,
    Question,
    QuestionNode,
    Range,
    Recommendation,
)


def commands(items: list[dict[str, str]] | None) -> tuple[Command, ...]:
    return tuple(Command(c["command"], c["meaning"]) for c in items or [])


def compile_nodes(
    check: Checker,
    raw_nodes: Mapping[str, dict[str, Any]],
    questions: Mapping[str, Question],
    recommendations: Mapping[str, Recommendation],
    pricing: Mapping[str, Price],
) -> dict[str, Node]:
    """Every node that compiles; the problems of the others are in `check`."""
    nodes: dict[str, Node] = {}
    for node_id, raw in raw_nodes.items():
        where = f"nodes.{node_id}"
        node: Node | None
        if "question" in raw:
            question = questions.get(raw["question"])
            if question is None:
                check.unknown(f"{where}.question", "question", raw["question"], questions)
                continue
            node = _question_node(check, where, node_id, question, raw["branches"], raw_nodes)
        else:
            node = _leaf(check, where, node_id, raw, recommendations, (questions, pricing))
        if node is not None:
            nodes[node_id] = node
    return nodes


def _alternatives(
    check: Checker,
    where: str,
    rec: Recommendation,
    items: list[dict[str, Any]],
    recommendations: Mapping[str, Recommendation],
) -> tuple[Alternative, ...]:
    alternatives: list[Alternative] = []
    for i, alt in enumerate(items):
        at = f"{where}.alternatives[{i}]"
        other = recommendations.get(alt["id"])
        if other is None:
            check.unknown(f"{at}.id", "recommendation", alt["id"], recommendations)
        elif other.id == rec.id:
            check.problem(at, f"{rec.id!r} is this leaf's own recommendation")
        elif any(a.recommendation.id == other.id for a in alternatives):
            check.problem(at, f"alternative {other.id!r} is listed twice")
        else:
            alternatives.append(Alternative(other, check.template(f"{at}.why_not", alt["why_not"])))
    return tuple(alternatives)


def _leaf(
    check: Checker,
    where: str,
    node_id: str,
    raw: dict[str, Any],
    recommendations: Mapping[str, Recommendation],
    model: tuple[Mapping[str, Question], Mapping[str, Price]],
) -> Leaf | None:
    rec = recommendations.get(raw["recommend"])
    if rec is None:
        check.unknown(f"{where}.recommend", "recommendation", raw["recommend"], recommendations)
        return None
    alternatives = _alternatives(check, where, rec, raw.get("alternatives") or [], recommendations)
    leaf_costs = parse_costs(check, f"{where}.costs", raw.get("costs"), *model)
    summary = check.template(f"{where}.summary", raw["summary"]) if "summary" in raw else None
    reasons = tuple(
        check.template(f"{where}.reasons[{i}]", r) for i, r in enumerate(raw["reasons"])
    )
    warnings = rec.warnings + check.warnings(where, raw.get("warnings"))
    next_steps = tuple(
        check.template(f"{where}.next_steps", s) for s in raw.get("next_steps") or []
    )
    return Leaf(
        id=node_id,
        recommendation=rec,
        summary=summary or rec.summary,
        reasons=reasons,
        warnings=warnings,
        alternatives=alternatives,
        next_steps=rec.next_steps + next_steps,
        commands=rec.commands + commands(raw.get("commands")),
        costs=leaf_costs if leaf_costs is not None else rec.costs,
    )


def _question_node(
    check: Checker,
    where: str,
    node_id: str,
    question: Question,
    raw_branches: list[dict[str, Any]],
    raw_nodes: Mapping[str, Any],
) -> QuestionNode | None:
    """The node, with each branch's `when` read by the question's kind; None (and the
    problems recorded) when a branch does not compile or the branches miss an answer."""
    branches: list[Branch] = []
    conditions: list[Condition] = []
    lookup: dict[object, Branch] = {}
    ranges: list[tuple[Range, Branch]] = []
    ok = True
    for i, b in enumerate(raw_branches):
        at = f"{where}.branches[{i}]"
        if b["next"] not in raw_nodes:
            check.unknown(f"{at}.next", "node", b["next"], raw_nodes)
            ok = False
        reason = check.template(f"{at}.reason", b["reason"])
        warnings = check.warnings(at, b.get("warnings"))
        try:
            cond = question.kind.condition(question, b["when"])
        except ConditionError as exc:
            check.problem(f"{at}.when", str(exc))
            ok = False
            continue
        branch = Branch(cond.label, reason, b["next"], warnings, cond.samples, len(branches))
        for key in cond.keys:
            if key in lookup:
                check.problem(f"{at}.when", f"{key!r} is already handled by an earlier branch")
                ok = False
            lookup[key] = branch
        if cond.range is not None:
            ranges.append((cond.range, branch))
        branches.append(branch)
        conditions.append(cond)
    if not ok:
        return None
    gaps = question.kind.coverage(question, conditions)
    for gap in gaps:
        check.problem(where, gap)
    if gaps:
        return None
    arranged = question.kind.arrange(ranges)
    return QuestionNode(node_id, question, tuple(branches), lookup, arranged)


def link(root: str, nodes: Mapping[str, Node]) -> dict[str, Node]:
    """The nodes again, each branch holding the node it leads to and each question node
    what `what_if` reads (children first, so each is final when its parent takes it);
    the order of `nodes` is kept."""
    asked = Counter(n.qid for n in nodes.values() if isinstance(n, QuestionNode))
    done: dict[str, Node] = {}
    for node_id in reversed(topological(root, nodes)):
        node = nodes[node_id]
        if isinstance(node, QuestionNode):
            node = _with_children(node, done, asked[node.qid] > 1)
        done[node_id] = node
    return {node_id: done[node_id] for node_id in nodes}


def _with_children(node: QuestionNode, done: Mapping[str, Node], repeated: bool) -> QuestionNode:
    """The node with its branches linked to their (final) child nodes, its lookup and
    ranges pointing at those branches, and what `what_if` reads precomputed."""
    branches = tuple(replace(b, child=done[b.target]) for b in node.branches)
    asks = {node.qid}
    leads: set[Recommendation | None] = set()
    for b in branches:
        child = b.child
        if isinstance(child, QuestionNode):
            asks |= child.asks
            leads.add(child.only)
        elif isinstance(child, Leaf):
            leads.add(child.recommendation)
    only = leads.pop() if len(leads) == 1 else None
    # For a range, one typical answer stands for the range (named in `when`).
    alternatives = tuple((b, b.samples if node.lookup else b.samples[:1]) for b in branches)
    return replace(
        node,
        branches=branches,
        lookup={value: branches[b.index] for value, b in node.lookup.items()},
        ranges=tuple((r, branches[b.index]) for r, b in node.ranges),
        asks=frozenset(asks),
        only=only,
        repeated=repeated,
        alternatives=alternatives,
    )
