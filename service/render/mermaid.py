"""A decision tree as a Mermaid flowchart, with the path of one evaluation highlighted."""

from __future__ import annotations

import re
from collections import Counter

from ..engine import Leaf, QuestionNode, Result, Tree

# Mermaid reads `#name;` as an entity and labels are HTML, so these become entity codes;
# anything that could close the label or the statement is replaced the same way.
_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    ";": "#59;",
    "`": "#96;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "(": "#40;",
    ")": "#41;",
}
_SPECIAL = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")
_NOT_ID = re.compile(r"[^A-Za-z0-9_]")
MAX_LABEL = 120

STYLES = (
    "classDef question fill:#eef3fb,stroke:#5b7bb2,color:#1b2a41",
    "classDef leaf fill:#f3f3f3,stroke:#888888,color:#222222",
    "classDef taken fill:#fff4cc,stroke:#c98a00,stroke-width:2px,color:#3d2a00",
    "classDef chosen fill:#d8f5d0,stroke:#2e8b20,stroke-width:3px,color:#123d0b",
    "classDef waiting fill:#fde2e1,stroke:#c0392b,stroke-width:3px,color:#4a0f0a",
)
TAKEN_LINK = "stroke:#c98a00,stroke-width:3px"


def label(text: str, limit: int = MAX_LABEL) -> str:
    """Text as a quoted Mermaid label: one line, special characters as entity codes."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return '"' + _SPECIAL.sub(lambda m: _ENTITIES[m.group(0)], flat) + '"'


def node_ids(tree: Tree) -> dict[str, str]:
    """A Mermaid id for every tree node: safe characters only, unique, never a keyword."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for node_id in tree.nodes:
        base = "n_" + _NOT_ID.sub("_", node_id)
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        out[node_id] = candidate
    return out


def _shown(tree: Tree, result: Result | None, path_only: bool) -> tuple[list[str], set[str]]:
    """The node ids to draw, and those whose answers are drawn: every node, or the path
    taken and where it ended, each with the nodes one answer away."""
    if not path_only:
        return list(tree.nodes), set(tree.nodes)
    on_path = [step.node.id for step in result.steps] if result is not None else []
    end = result.node.id if result is not None else tree.root
    expanded = {*on_path, end}
    keep = set(expanded)
    for node_id in expanded:
        node = tree.nodes[node_id]
        if isinstance(node, QuestionNode):
            keep.update(b.target for b in node.branches)
    return [n for n in tree.nodes if n in keep], expanded


def render_mermaid(tree: Tree, result: Result | None = None, *, path_only: bool = False) -> str:
    """`flowchart TD` of the tree; with a result, its path and where it ended are styled.

    `path_only` draws the path taken and each answer off it one step deep, so a large tree
    stays legible at page width. Answers of one question that lead to the same node share
    one edge, so edges never overlap.
    """
    if result is not None and (result.tree.id, result.tree.version, result.tree.digest) != (
        tree.id,
        tree.version,
        tree.digest,
    ):
        raise ValueError(
            f"the result is of {result.tree.id} {result.tree.version}, "
            f"not of {tree.id} {tree.version}"
        )
    ids = node_ids(tree)
    shown, expanded = _shown(tree, result, path_only)
    lines, edges, edge_lines = _nodes(tree, ids, shown, expanded)
    lines += edge_lines
    lines += [f"    {s}" for s in STYLES]
    for kind, name in ((QuestionNode, "question"), (Leaf, "leaf")):
        members = [ids[n] for n in shown if isinstance(tree.nodes[n], kind)]
        if members:
            lines.append(f"    class {','.join(members)} {name}")
    if result is not None:
        lines += _path_styles(result, ids, edges)
    return "\n".join(lines) + "\n"


def _nodes(
    tree: Tree, ids: dict[str, str], shown: list[str], expanded: set[str]
) -> tuple[list[str], dict[tuple[str, int], int], list[str]]:
    """The node lines, the edge lines, and each drawn branch's edge number."""
    drawn = set(shown)
    lines = ["flowchart TD"]
    edges: dict[tuple[str, int], int] = {}
    edge_lines: list[str] = []
    # Leaves that share a recommendation are told apart by their node id.
    titles = Counter(n.recommendation.title for n in tree.nodes.values() if isinstance(n, Leaf))
    for node_id in shown:
        node = tree.nodes[node_id]
        mid = ids[node_id]
        if isinstance(node, Leaf):
            title = node.recommendation.title
            text = f"{title} · {node_id}" if titles[title] > 1 else title
            lines.append(f"    {mid}([{label(text)}])")
            continue
        lines.append(f"    {mid}{{{label(node.question.prompt)}}}")
        targets: dict[str, list[int]] = {}
        for i, branch in enumerate(node.branches):
            if node_id in expanded and branch.target in drawn:
                targets.setdefault(branch.target, []).append(i)
        for target, indexes in targets.items():
            for i in indexes:
                edges[(node_id, i)] = len(edge_lines)
            text = " / ".join(node.branches[i].label for i in indexes)
            edge_lines.append(f"    {mid} -->|{label(text, 60)}| {ids[target]}")
    return lines, edges, edge_lines


def _path_styles(
    result: Result, ids: dict[str, str], edges: dict[tuple[str, int], int]
) -> list[str]:
    """The classes and link styles that mark the path taken and where it ended."""
    lines = []
    taken = [edges[(step.node.id, step.node.branches.index(step.branch))] for step in result.steps]
    path = [ids[s.node.id] for s in result.steps]
    if path:
        lines.append(f"    class {','.join(path)} taken")
    end = "chosen" if isinstance(result.node, Leaf) else "waiting"
    lines.append(f"    class {ids[result.node.id]} {end}")
    if taken:
        lines.append(f"    linkStyle {','.join(map(str, taken))} {TAKEN_LINK}")
    return lines
