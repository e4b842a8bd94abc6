"""Render checkers shared by the tests: every stop of every tree, and strict readers of
the Slack, Markdown and Mermaid the renderers write."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_sdk.models.blocks import Block

from service.engine import Catalog, Leaf, Tree, evaluate_tree

TEST_TREES = Path(__file__).resolve().parent.parent / "trees"


@dataclass(frozen=True)
class Stop:
    """Answers that lead to one node of one tree version."""

    tree: Tree
    node_id: str
    answers: Mapping[str, object]

    def __str__(self) -> str:
        return f"{self.tree.id}-{self.tree.version}-{self.node_id}"


def reach_every_node(tree: Tree) -> dict[str, Mapping[str, object]]:
    """For each node, the first answers found (depth first) that lead to it.

    Every sample of every branch is tried, since a question asked twice on a path decides
    the second time by its first answer.
    """
    found: dict[str, Mapping[str, object]] = {}
    samples: dict[str, list[object]] = {}
    for candidate in tree.nodes.values():
        if not isinstance(candidate, Leaf):
            known = samples.setdefault(candidate.question.id, [])
            for branch in candidate.branches:
                known += [v for v in branch.samples if v not in known]
    seen: set[tuple[str, frozenset[tuple[str, object]]]] = set()

    def walk(node_id: str, answers: dict[str, object]) -> None:
        state = (node_id, frozenset(answers.items()))
        if state in seen:
            return
        seen.add(state)
        node = tree.nodes[node_id]
        if isinstance(node, Leaf):
            found.setdefault(node_id, dict(answers))
            return
        qid = node.question.id
        # Prefer answers that leave this node's question open, so the walk stops here.
        if node_id not in found or (qid in found[node_id] and qid not in answers):
            found[node_id] = dict(answers)
        if qid in answers:
            # Asked again further down: the earlier answer decides.
            walk(node.select(answers[qid]).target, answers)
            return
        # Every answer any node gives for this question: a range asked twice (a kernel
        # checked against 5.10, then against 5.17) needs the later node's samples too.
        for sample in samples[qid]:
            walk(node.select(sample).target, {**answers, qid: sample})

    walk(tree.root, {})
    return found


def all_trees() -> list[Tree]:
    trees = []
    for catalog in (Catalog.load(), Catalog.load(TEST_TREES)):
        for tree_id in catalog.tree_ids:
            trees.extend(catalog.versions(tree_id))
    return trees


TREES = all_trees()


def stops() -> Iterator[Stop]:
    for tree in TREES:
        for node_id, answers in reach_every_node(tree).items():
            yield Stop(tree, node_id, answers)


STOPS = list(stops())


def evaluate(stop: Stop) -> tuple[Any, dict[str, Any]]:

    result = evaluate_tree(stop.tree, stop.answers)
    return result, result.to_dict()


def slack_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_block_kit(message: Mapping[str, Any]) -> None:
    """Block Kit's documented limits, checked by hand and by slack_sdk's own models."""
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= 50
    action_ids: set[str] = set()
    block_ids: set[str] = set()
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
        if "block_id" in block:
            assert block["block_id"] not in block_ids
            assert slack_units(block["block_id"]) <= 255
            block_ids.add(block["block_id"])
        kind = block["type"]
        assert kind in {"header", "section", "actions", "context", "divider"}
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 1 <= slack_units(block["text"]["text"]) <= 150
        elif kind == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert 1 <= slack_units(block["text"]["text"]) <= 3000
            fields = block.get("fields", [])
            assert len(fields) <= 10
            for f in fields:
                assert 1 <= slack_units(f["text"]) <= 2000
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            for e in block["elements"]:
                assert 1 <= slack_units(e["text"]) <= 3000
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for button in block["elements"]:
                assert button["type"] == "button"
                assert 1 <= slack_units(button["text"]["text"]) <= 75
                assert 1 <= slack_units(button["value"]) <= 2000
                assert 1 <= slack_units(button["action_id"]) <= 255
                assert button["action_id"] not in action_ids
                action_ids.add(button["action_id"])
    assert 1 <= slack_units(message["text"]) <= 3000


def buttons(message: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(f"netadvisor:{kind}")
    ]


def unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def table_rows(markdown: str) -> list[list[str]]:
    """Each table as rows of cells, split on pipes that are not escaped."""
    tables: list[list[str]] = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            tables.append(re.split(r"(?<!\\)\|", line)[1:-1])
    return tables


NODE = re.compile(r'^    (n_\w+)(\{"[^"]*"\}|\(\["[^"]*"\]\))$')


EDGE = re.compile(r'^    (n_\w+) -->\|("[^"]*")\| (n_\w+)$')


CLASS = re.compile(r"^    class ([\w,]+) (\w+)$")


LINK_STYLE = re.compile(r"^    linkStyle ([\d,]+) (.+)$")


CLASS_DEF = re.compile(r"^    classDef (\w+) (.+)$")


@dataclass
class Diagram:
    nodes: dict[str, str]
    edges: list[tuple[str, str, str]]
    classes: dict[str, set[str]]
    link_styles: list[int]


def parse_mermaid(text: str) -> Diagram:
    """A strict reading of the subset the renderer writes; any other line fails."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    diagram = Diagram({}, [], {}, [])
    defined: set[str] = set()
    for line in lines[1:]:
        if m := NODE.match(line):
            assert m.group(1) not in diagram.nodes, f"declared twice: {line}"
            diagram.nodes[m.group(1)] = m.group(2)
        elif m := EDGE.match(line):
            diagram.edges.append((m.group(1), m.group(2), m.group(3)))
        elif m := CLASS_DEF.match(line):
            defined.add(m.group(1))
        elif m := CLASS.match(line):
            assert m.group(2) in defined
            for node in m.group(1).split(","):
                diagram.classes.setdefault(m.group(2), set()).add(node)
        elif m := LINK_STYLE.match(line):
            diagram.link_styles += [int(i) for i in m.group(1).split(",")]
        else:
            raise AssertionError(f"unexpected line: {line!r}")
    for source, _, target in diagram.edges:
        assert source in diagram.nodes and target in diagram.nodes
    for members in diagram.classes.values():
        assert members <= set(diagram.nodes)
    assert all(0 <= i < len(diagram.edges) for i in diagram.link_styles)
    # Labels hold no character that ends them or starts markup; entities are complete.
    for label in [*diagram.nodes.values(), *(e[1] for e in diagram.edges)]:
        inner = re.sub(r"#\w+;", "", label[label.index('"') + 1 : label.rindex('"')])
        assert not re.search(r'[<>`|;#"\[\]{}()\n]', inner), label
    return diagram
