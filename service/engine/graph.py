"""Graph facts about a tree's nodes: cycles, reachability, and what each path has asked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .model import Leaf, Node, QuestionNode


def _children(node: Node) -> list[str]:
    return [] if isinstance(node, Leaf) else [b.target for b in node.branches]


def walk_problems(root: str, nodes: Mapping[str, Node]) -> Iterator[tuple[str, str]]:
    """Cycles (with the loop spelt out) and nodes that no path from the root reaches."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    stack: list[tuple[str, Iterator[str]]] = [(root, iter(_children(nodes[root])))]
    path = [root]
    state[root] = 1
    while stack:
        node_id, children = stack[-1]
        child = next(children, None)
        if child is None:
            state[node_id] = 2
            stack.pop()
            path.pop()
            continue
        if state.get(child) == 1:
            loop = " -> ".join([*path[path.index(child) :], child])
            yield f"nodes.{node_id}", f"cycle: {loop}; a tree must only lead forward"
        elif child not in state:
            state[child] = 1
            path.append(child)
            stack.append((child, iter(_children(nodes[child]))))
    for node_id in nodes:
        if node_id not in state:
            yield f"nodes.{node_id}", f"unreachable: no path from the root {root!r} leads here"


def topological(root: str, nodes: Mapping[str, Node]) -> list[str]:
    """Nodes reachable from the root, each before all of its descendants."""
    order: list[str] = []
    seen = {root}
    stack: list[tuple[str, Iterator[str]]] = [(root, iter(_children(nodes[root])))]
    while stack:
        node_id, children = stack[-1]
        child = next(children, None)
        if child is None:
            order.append(node_id)
            stack.pop()
        elif child not in seen:
            seen.add(child)
            stack.append((child, iter(_children(nodes[child]))))
    order.reverse()
    return order


def must_answer_sets(root: str, nodes: Mapping[str, Node]) -> dict[str, frozenset[str]]:
    """For each node, the questions answered on every path from the root to it."""
    answered: dict[str, frozenset[str]] = {root: frozenset()}
    for node_id in topological(root, nodes):
        node = nodes[node_id]
        if not isinstance(node, QuestionNode):
            continue
        here = answered[node_id] | {node.question.id}
        for child in _children(node):
            answered[child] = answered[child] & here if child in answered else here
    return answered


def needed_questions(root: str, nodes: Mapping[str, Node]) -> dict[str, tuple[str, ...]]:
    """For each node, the questions asked on every path from it to a leaf, in path order.

    These are what a caller must still answer whichever way the answers go, so `missing`
    never names a question that only some paths ask.
    """
    out: dict[str, tuple[str, ...]] = {}
    for node_id in reversed(topological(root, nodes)):
        node = nodes[node_id]
        if isinstance(node, Leaf):
            out[node_id] = ()
            continue
        children = [out[child] for child in _children(node)]
        common = set(children[0]).intersection(*children[1:]) if children else set()
        own = node.question.id
        out[node_id] = (own, *(q for q in children[0] if q in common and q != own))
    return out
