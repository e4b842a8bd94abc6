"""Synthetic decision trees of any size, written as ordinary tree files for the scale benchmark.

Three shapes, so evaluation time can be told apart from tree size:
- `balanced`: a complete binary tree of boolean questions (one question per level);
  the path grows with log2 of the size.
- `wide`: three levels of enum questions whose option count grows with the size; every
  path has exactly three questions, whatever the size.
- `comb`: a chain of boolean questions where `true` ends at a leaf; used to vary the
  path length on one tree.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

RECOMMENDATIONS = 8
WIDE_DEPTH = 3


def _header(tree_id: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": tree_id,
        "version": "1.0.0",
        "title": f"Generated tree {tree_id}",
        "description": "A synthetic tree for the scale benchmark.",
        "status": "current",
        "as_of": "2026-11-27",
        "changes": ["Generated."],
        "sources": [{"id": "bench", "title": "Scale benchmark", "url": "https://example.org/"}],
        "questions": questions,
        "recommendations": {
            f"r{i}": {
                "title": f"Option {i}",
                "summary": f"Choose option {i}.",
                "sources": ["bench"],
            }
            for i in range(RECOMMENDATIONS)
        },
    }


def _leaf(index: int) -> dict[str, Any]:
    rec = index % RECOMMENDATIONS
    return {
        "recommend": f"r{rec}",
        "reasons": [f"The answers lead to option {rec}."],
        "alternatives": [
            {"id": f"r{(rec + 1) % RECOMMENDATIONS}", "why_not": "The answers rule it out."}
        ],
    }


def balanced(tree_id: str, nodes: int) -> dict[str, Any]:
    """About `nodes` nodes (always odd) in a complete binary tree, BFS-numbered."""
    internal = max(1, (nodes - 1) // 2)
    depth = math.floor(math.log2(internal)) + 1
    questions = [
        {"id": f"q{d}", "prompt": f"Question at level {d}?", "type": "boolean"}
        for d in range(depth)
    ]
    tree = _header(tree_id, questions)
    body: dict[str, Any] = {}
    for i in range(2 * internal + 1):
        if i < internal:
            level = math.floor(math.log2(i + 1))
            body[f"n{i}"] = {
                "question": f"q{level}",
                "branches": [
                    {"when": True, "reason": f"Yes at level {level}.", "next": f"n{2 * i + 1}"},
                    {"when": False, "reason": f"No at level {level}.", "next": f"n{2 * i + 2}"},
                ],
            }
        else:
            body[f"n{i}"] = _leaf(i)
    tree["root"] = "n0"
    tree["nodes"] = body
    tree["tests"] = [
        {
            "name": "all yes",
            "answers": {q["id"]: True for q in questions},
            "expect": {"status": "complete"},
        }
    ]
    return tree


def wide_fanout(nodes: int) -> int:
    """The option count whose three-level tree is closest to `nodes` nodes."""

    def size(f: int) -> int:
        return sum(f**d for d in range(WIDE_DEPTH + 1))

    return min(range(2, 200), key=lambda f: abs(size(f) - nodes))


def wide(tree_id: str, nodes: int) -> dict[str, Any]:
    """Three levels of enum questions with the fan-out that gives about `nodes` nodes."""
    fan = wide_fanout(nodes)
    options = [{"id": f"o{k}", "label": f"Option {k}"} for k in range(fan)]
    questions = [
        {"id": f"q{d}", "prompt": f"Question at level {d}?", "type": "enum", "options": options}
        for d in range(WIDE_DEPTH)
    ]
    tree = _header(tree_id, questions)
    body: dict[str, Any] = {}
    frontier = ["n0"]
    counter = 1
    for level in range(WIDE_DEPTH):
        following = []
        for node_id in frontier:
            branches = []
            for k in range(fan):
                child = f"n{counter}"
                counter += 1
                following.append(child)
                branches.append(
                    {"when": f"o{k}", "reason": f"Option {k} at level {level}.", "next": child}
                )
            body[node_id] = {"question": f"q{level}", "branches": branches}
        frontier = following
    for i, node_id in enumerate(frontier):
        body[node_id] = _leaf(i)
    tree["root"] = "n0"
    tree["nodes"] = body
    tree["tests"] = [
        {
            "name": "first options",
            "answers": {q["id"]: "o0" for q in questions},
            "expect": {"status": "complete"},
        }
    ]
    return tree


def comb(tree_id: str, length: int) -> dict[str, Any]:
    """`length` boolean questions in a chain; answering q{k} true ends at a leaf."""
    questions = [
        {"id": f"q{k}", "prompt": f"Question {k}?", "type": "boolean"} for k in range(length)
    ]
    tree = _header(tree_id, questions)
    body: dict[str, Any] = {}
    for k in range(length):
        last = k == length - 1
        body[f"c{k}"] = {
            "question": f"q{k}",
            "branches": [
                {"when": True, "reason": f"Yes to question {k}.", "next": f"l{k}"},
                {
                    "when": False,
                    "reason": f"No to question {k}.",
                    "next": "end" if last else f"c{k + 1}",
                },
            ],
        }
        body[f"l{k}"] = _leaf(k)
    body["end"] = _leaf(length)
    tree["root"] = "c0"
    tree["nodes"] = body
    tree["tests"] = [
        {"name": "first yes", "answers": {"q0": True}, "expect": {"status": "complete"}}
    ]
    return tree


class _NoAliasDumper(yaml.SafeDumper):
    """Writes shared values out in full: the tree format refuses anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write(tree: dict[str, Any], base: Path) -> Path:
    """`base/<id>/1.0.0.yaml`, in the block style people write."""
    directory = base / tree["id"]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{tree['version']}.yaml"
    path.write_text(yaml.dump(tree, Dumper=_NoAliasDumper, sort_keys=False, width=100))
    return path


def node_count(tree: dict[str, Any]) -> int:
    return len(tree["nodes"])
