"""Runs the test cases a tree file carries and measures which branches they take."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import InvalidInput
from .evaluate import Result, evaluate_tree
from .model import Leaf, QuestionNode
from .tree import TestCase, Tree


@dataclass
class TreeReport:
    """What one tree version's cases proved: failures and the branches never taken."""

    tree: Tree
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    untaken: list[str] = field(default_factory=list)
    branches: int = 0

    @property
    def coverage(self) -> float:
        if not self.branches:
            return 100.0
        return 100.0 * (self.branches - len(self.untaken)) / self.branches

    @property
    def ok(self) -> bool:
        return not self.failures and not self.untaken


def _mismatches(case: TestCase, result: Result) -> list[str]:
    expect = case.expect
    body = result.to_dict()
    out = []
    if body["status"] != expect["status"]:
        out.append(f"status {body['status']!r}, expected {expect['status']!r}")
    rec = result.recommendation_id
    if "recommendation" in expect and rec != expect["recommendation"]:
        out.append(f"recommendation {rec!r}, expected {expect['recommendation']!r}")
    if "next_question" in expect:
        asked = body["next_question"]["id"] if body["next_question"] else None
        if asked != expect["next_question"]:
            out.append(f"next question {asked!r}, expected {expect['next_question']!r}")
    if "costs" in expect:
        total = body["costs"]["total"] if body["costs"] else None
        want = {"low": expect["costs"]["low"], "high": expect["costs"]["high"]}
        if total is None or any(abs(total[k] - want[k]) > 0.005 for k in want):
            out.append(f"cost totals {total}, expected {want}")
    codes = {w["code"] for w in body["warnings"]}
    missing = [c for c in expect.get("warnings", []) if c not in codes]
    if missing:
        out.append(f"warnings {sorted(codes)} lack {missing}")
    return out


def run_tree_tests(tree: Tree) -> TreeReport:
    """Evaluate every case; a case passes when all of its expectations hold."""
    report = TreeReport(tree)
    taken: set[tuple[str, int]] = set()
    reached: set[str] = set()
    for case in tree.tests:
        try:
            result = evaluate_tree(tree, case.answers, case.pricing)
        except InvalidInput as exc:
            report.failures.append(f"{case.name}: {exc}")
            continue
        for step in result.steps:
            taken.add((step.node.id, step.node.branches.index(step.branch)))
        if isinstance(result.node, Leaf):
            reached.add(result.node.id)
        problems = _mismatches(case, result)
        if problems:
            report.failures.append(f"{case.name}: {'; '.join(problems)}")
        else:
            report.passed += 1
    for node_id, node in tree.nodes.items():
        if isinstance(node, QuestionNode):
            for i, branch in enumerate(node.branches):
                report.branches += 1
                if (node_id, i) not in taken:
                    report.untaken.append(
                        f"{node_id} -> {branch.target} (when {node.question.id} is {branch.label})"
                    )
        elif node_id not in reached:
            report.untaken.append(f"leaf {node_id} is reached by no case")
    return report
