"""A compiled tree turned into an equivalent GoRules JDM decision table, one rule per path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from service.engine import Tree
from service.engine.conditions import IntRange, VersionRange, format_version
from service.engine.model import Branch, Leaf, QuestionNode

# Versions compare as numbers inside the table: MAJOR.MINOR[.PATCH] -> one integer, computed
# by zen's own expression language from the same string answer our engine receives.
_VERSION_SCALE = (1_000_000, 1_000, 1)


def _version_number(v: tuple[int, int, int]) -> int:
    return sum(part * scale for part, scale in zip(v, _VERSION_SCALE, strict=True))


def _version_expression(field: str) -> str:
    parts = f'split({field}, ".")'
    return (
        f"number({parts}[0]) * {_VERSION_SCALE[0]} + number({parts}[1]) * "
        f'{_VERSION_SCALE[1]} + number({parts}[2] ?? "0")'
    )


def _cell(node: QuestionNode, branch: Branch) -> str:
    """The unary test a table cell needs to match exactly the answers this branch takes."""
    for rng, b in node.int_ranges:
        if b is branch:
            return _int_cell(rng)
    for vrange, b in node.version_ranges:
        if b is branch:
            return _version_cell(vrange)
    if node.question.type == "boolean":
        return "true" if branch.samples[0] else "false"
    return ", ".join(f'"{v}"' for v in branch.samples)


def _int_cell(rng: IntRange) -> str:
    return f">= {rng.low}" if rng.high is None else f"[{rng.low}..{rng.high}]"


def _version_cell(vrange: VersionRange) -> str:
    if vrange.low is None and vrange.high is None:
        return ""
    if vrange.low is None:
        assert vrange.high is not None
        return f"< {_version_number(vrange.high)}"
    if vrange.high is None:
        return f">= {_version_number(vrange.low)}"
    return f"[{_version_number(vrange.low)}..{_version_number(vrange.high)})"


def _sample(node: QuestionNode, branch: Branch) -> object:
    """A realistic answer that takes `branch` (a version just under an upper bound)."""
    for vrange, b in node.version_ranges:
        if b is branch and vrange.low is None and vrange.high is not None:
            major, minor, _ = vrange.high
            return format_version((major, minor - 1, 0) if minor else (major - 1, 99, 0))
    return branch.samples[0]


def paths(tree: Tree) -> Iterator[tuple[list[tuple[QuestionNode, Branch]], Leaf]]:
    """Every root-to-leaf path as (question node, branch taken) steps and its leaf."""
    stack: list[tuple[str, list[tuple[QuestionNode, Branch]]]] = [(tree.root, [])]
    while stack:
        node_id, steps = stack.pop()
        node = tree.nodes[node_id]
        if isinstance(node, Leaf):
            yield steps, node
            continue
        for branch in reversed(node.branches):
            stack.append((branch.target, [*steps, (node, branch)]))


def path_answers(tree: Tree) -> list[tuple[dict[str, object], str]]:
    """One answer set per path (only the questions that path asks) and its expected leaf."""
    out = []
    for steps, leaf in paths(tree):
        answers: dict[str, object] = {}
        for node, branch in steps:
            answers.setdefault(node.question.id, _sample(node, branch))
        out.append((answers, leaf.recommendation.id))
    return out


def decision_table(tree: Tree) -> dict[str, Any]:
    """The JDM graph: input -> one first-hit decision table -> output, with the same inputs
    (the tree's questions) and outputs (recommendation id and title) as the tree."""
    qids = list(tree.questions)
    inputs = []
    for qid in qids:
        question = tree.questions[qid]
        field = _version_expression(qid) if question.is_version else qid
        inputs.append({"id": f"in_{qid}", "name": qid, "type": "expression", "field": field})
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
    for i, (steps, leaf) in enumerate(paths(tree)):
        rule: dict[str, str] = {"_id": f"rule{i}"}
        rule.update({f"in_{qid}": "" for qid in qids})
        for node, branch in steps:
            rule[f"in_{node.question.id}"] = _cell(node, branch)
        rec = leaf.recommendation
        rule["out_rec"] = f'"{rec.id}"'
        rule["out_title"] = '"' + rec.title.replace('"', '\\"') + '"'
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
