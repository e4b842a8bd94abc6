"""Every figure and claim of one tree version with its source, for reviewers to audit."""

from __future__ import annotations

from typing import Any

from .model import CostItem, Leaf, QuestionNode, Warning
from .templates import format_value
from .tree import ASSUMPTION_PREFIX, Tree


def _factor(kind: str, ref: Any) -> str:
    if kind == "excess":
        return f"max(0, {ref[0]} - {ref[1]})"
    return format_value(ref)


def _factors(factors: tuple[tuple[str, Any], ...]) -> str:
    return " x ".join(_factor(kind, ref) for kind, ref in factors) or "1"


def _cost(where: str, item: CostItem) -> dict[str, Any]:
    return {
        "where": where,
        "id": item.id,
        "label": item.label,
        "low": _factors(item.low),
        "high": _factors(item.high),
        "basis": item.basis.source,
        "source": item.source,
    }


def _warning(where: str, warning: Warning) -> dict[str, Any]:
    return {
        "where": where,
        "code": warning.code,
        "message": warning.message.source,
        "source": warning.source,
    }


def audit(tree: Tree) -> dict[str, Any]:
    """The tree's sources, prices, assumed defaults, cost formulas and sourced warnings.

    Warnings are listed once per code and place; the same code at several places is
    listed at each, since a reviewer checks each text.
    """
    recommendations = tree.recommendations.values()
    costs = [
        _cost(f"recommendation {rec.id}", item)
        for rec in recommendations
        for item in rec.costs or ()
    ]
    warnings = [_warning(f"recommendation {r.id}", w) for r in recommendations for w in r.warnings]
    for node in tree.nodes.values():
        if isinstance(node, Leaf):
            costs += [_cost(f"leaf {node.id}", item) for item in node.costs or ()]
            warnings += [_warning(f"leaf {node.id}", w) for w in node.warnings]
        elif isinstance(node, QuestionNode):
            for branch in node.branches:
                where = f"node {node.id}, when {branch.label}"
                warnings += [_warning(where, w) for w in branch.warnings]
    return {
        "tree": tree.id,
        "version": tree.version,
        "status": tree.status,
        "as_of": tree.as_of.isoformat(),
        "sources": [{"id": s.id, "title": s.title, "url": s.url} for s in tree.sources.values()],
        "prices": [
            {
                "name": p.name,
                "value": p.value,
                "unit": p.unit,
                "description": p.description,
                "source": p.source,
                "assumption": p.description.startswith(ASSUMPTION_PREFIX),
            }
            for p in tree.pricing.values()
        ],
        "defaults": [
            {"question": q.id, "default": q.default, "prompt": q.prompt}
            for q in tree.questions.values()
            if q.default is not None
        ],
        "costs": costs,
        "warnings": warnings,
        "recommendations": [
            {"id": r.id, "title": r.title, "sources": [s.url for s in r.sources]}
            for r in recommendations
        ],
    }
