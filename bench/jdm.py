"""A compiled tree turned into an equivalent GoRules JDM decision table, one rule per path.

A path's rule is the intersection of the branch conditions along it (a question may be
asked twice on one path, as `current_cni` is in cni 2.0.0); paths whose conditions
contradict each other lead nowhere and get no rule. Defaults apply inside the table
(`answer ?? default`), as they do in our engine, so both receive the same answers.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from service.engine import (
    Branch,
    Leaf,
    Question,
    QuestionNode,
    Tree,
    Version,
    format_version,
    parse_version,
)

# Versions compare as numbers inside the table: MAJOR.MINOR[.PATCH] -> one integer, computed
# by zen's own expression language from the same string answer our engine receives.
_SCALE = (1_000_000, 1_000, 1)
_TOP = (1 << 30, 0, 0)  # above any version: the open upper end of a range


@dataclass(frozen=True)
class Allowed:
    """The answers to one question that keep to a path: a set of values, or [low, high]
    for integers (inclusive) and [low, high) for versions."""

    values: frozenset[object] | None = None
    low: Any = None
    high: Any = None

    def empty(self) -> bool:
        if self.values is not None:
            return not self.values
        return self.low is not None and self.high is not None and self.low >= self.high


def _branch_allows(node: QuestionNode, branch: Branch) -> Allowed:
    for rng, b in node.int_ranges:
        if b is branch:
            # Integers as a half-open range too, so one intersection rule serves both.
            return Allowed(low=rng.low, high=None if rng.high is None else rng.high + 1)
    for vrange, b in node.version_ranges:
        if b is branch:
            return Allowed(low=vrange.low or (0, 0, 0), high=vrange.high)
    return Allowed(values=frozenset(branch.samples))


def _intersect(a: Allowed, b: Allowed) -> Allowed:
    if a.values is not None and b.values is not None:
        return Allowed(values=a.values & b.values)
    highs = [h for h in (a.high, b.high) if h is not None]
    return Allowed(low=max(a.low, b.low), high=min(highs) if highs else None)


def paths(tree: Tree) -> Iterator[tuple[dict[str, Allowed], Leaf]]:
    """Every feasible root-to-leaf path: what each asked question must be, and its leaf."""
    stack: list[tuple[str, dict[str, Allowed]]] = [(tree.root, {})]
    while stack:
        node_id, allowed = stack.pop()
        node = tree.nodes[node_id]
        if isinstance(node, Leaf):
            yield allowed, node
            continue
        qid = node.question.id
        for branch in reversed(node.branches):
            here = _branch_allows(node, branch)
            if qid in allowed:
                here = _intersect(allowed[qid], here)
            if not here.empty():
                stack.append((branch.target, {**allowed, qid: here}))


def _version_number(v: Version) -> int:
    return sum(part * scale for part, scale in zip(v, _SCALE, strict=True))


def _field(question: Question) -> str:
    value = question.id
    if question.default is not None:
        value = f"({value} ?? {json.dumps(question.default)})"
    if not question.is_version:
        return value
    parts = f'split({value}, ".")'
    return (
        f"number({parts}[0]) * {_SCALE[0]} + number({parts}[1]) * {_SCALE[1]} + "
        f'number({parts}[2] ?? "0")'
    )


def _cell(question: Question, allowed: Allowed) -> str:
    """The unary test a table cell needs to match exactly the allowed answers."""
    if allowed.values is not None:
        if question.type == "boolean":
            return "" if len(allowed.values) == 2 else json.dumps(next(iter(allowed.values)))
        if len(allowed.values) == len(question.options):
            return ""
        ordered = [o.id for o in question.options if o.id in allowed.values]
        return ", ".join(json.dumps(v) for v in ordered)
    if question.is_version:
        low = _version_number(allowed.low)
        if allowed.high is None:
            return f">= {low}" if low else ""
        high = _version_number(allowed.high)
        return f"< {high}" if not low else f"[{low}..{high})"
    if allowed.high is None:
        return f">= {allowed.low}"
    return f"[{allowed.low}..{allowed.high - 1}]"


def _sample(question: Question, allowed: Allowed) -> tuple[bool, object]:
    """(needed, answer): the default where the path allows it (no answer needed), else a
    realistic answer (a version just under an upper bound rather than 0.0)."""
    default = question.default
    if allowed.values is not None:
        if default is not None and default in allowed.values:
            return False, default
        if question.type == "boolean":
            return True, True in allowed.values
        return True, next(o.id for o in question.options if o.id in allowed.values)
    if question.is_version:
        if default is not None:
            v = parse_version(str(default))
            if v is not None and allowed.low <= v and (allowed.high is None or v < allowed.high):
                return False, default
        if allowed.low == (0, 0, 0) and allowed.high is not None:
            major, minor, _ = allowed.high
            return True, format_version((major, minor - 1, 0) if minor else (major - 1, 99, 0))
        return True, format_version(allowed.low)
    if (
        default is not None
        and allowed.low <= default
        and (allowed.high is None or default < allowed.high)
    ):
        return False, default
    return True, allowed.low


def path_answers(tree: Tree) -> list[tuple[dict[str, object], str]]:
    """One answer set per feasible path and the recommendation it leads to; questions with a
    default the path accepts are left unanswered, as a caller would leave them."""
    out = []
    for allowed, leaf in paths(tree):
        answers: dict[str, object] = {}
        for qid, allows in allowed.items():
            needed, value = _sample(tree.questions[qid], allows)
            if needed:
                answers[qid] = value
        out.append((answers, leaf.recommendation.id))
    return out


def probe_answers(tree: Tree, limit: int = 500, seed: int = 1) -> list[dict[str, object]]:
    """Complete answer sets over the whole domain (every option, every boundary of every
    range), all of them or a random `limit` of them, to check the table against the tree."""
    choices: list[list[object]] = []
    for q in tree.questions.values():
        if q.type == "boolean":
            choices.append([True, False])
        elif q.type == "enum":
            choices.append([o.id for o in q.options])
        else:
            edges: set[object] = set()
            for node in tree.nodes.values():
                if isinstance(node, QuestionNode) and node.question.id == q.id:
                    for rng, _ in node.int_ranges:
                        edges.update(e for e in (rng.low - 1, rng.low, rng.high) if e is not None)
                    for vr, _ in node.version_ranges:
                        for v in (vr.low, vr.high):
                            if v is not None:
                                major, minor, _patch = v
                                edges.add(format_version(v))
                                edges.add(format_version((major, max(minor - 1, 0), 0)))
            if q.type == "integer":
                top = q.maximum if q.maximum is not None else 1 << 40
                edges = {e for e in edges if isinstance(e, int) and (q.minimum or 0) <= e <= top}
            choices.append(sorted(edges, key=str) or [q.default])
    total = 1
    for c in choices:
        total *= len(c)
    rng = random.Random(seed)
    ids = list(tree.questions)
    if total <= limit:
        return [dict(zip(ids, combo, strict=True)) for combo in itertools.product(*choices)]
    return [{qid: rng.choice(c) for qid, c in zip(ids, choices, strict=True)} for _ in range(limit)]


def decision_table(tree: Tree) -> dict[str, Any]:
    """The JDM graph: input -> one first-hit decision table -> output, with the same inputs
    (the tree's questions) and outputs (recommendation id and title) as the tree."""
    questions = list(tree.questions.values())
    inputs = [
        {"id": f"in_{q.id}", "name": q.id, "type": "expression", "field": _field(q)}
        for q in questions
    ]
    outputs = [
        {
            "id": "out_rec",
            "name": "Recommendation",
            "type": "expression",
            "field": "recommendation",
        },
        {"id": "out_title", "name": "Title", "type": "expression", "field": "title"},
    ]
    rules = []
    for i, (allowed, leaf) in enumerate(paths(tree)):
        rule: dict[str, str] = {"_id": f"rule{i}"}
        for q in questions:
            rule[f"in_{q.id}"] = _cell(q, allowed[q.id]) if q.id in allowed else ""
        rec = leaf.recommendation
        rule["out_rec"] = json.dumps(rec.id)
        rule["out_title"] = json.dumps(rec.title)
        rules.append(rule)
    position = {"x": 0, "y": 0}
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "Request", "position": position},
            {
                "id": "table",
                "type": "decisionTableNode",
                "name": tree.id,
                "position": position,
                "content": {
                    "hitPolicy": "first",
                    "inputs": inputs,
                    "outputs": outputs,
                    "rules": rules,
                },
            },
            {"id": "response", "type": "outputNode", "name": "Response", "position": position},
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "table", "type": "edge"},
            {"id": "e2", "sourceId": "table", "targetId": "response", "type": "edge"},
        ],
    }
