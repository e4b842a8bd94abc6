"""Every question and every leaf of every tree, rendered as Slack, Markdown and Mermaid."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from service.engine import Catalog, Tree
from service.engine.model import Leaf, QuestionNode
from service.render.blockkit import decode_value
from service.render.common import answer_text, money
from service.render.markdown import render_markdown
from service.render.mermaid import render_mermaid
from service.render.slack import render_slack

TEST_TREES = Path(__file__).parent / "trees"


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


def test_every_node_of_every_tree_is_reached() -> None:
    from service.engine.evaluate import evaluate_tree

    for tree in TREES:
        reached = reach_every_node(tree)
        assert set(reached) == set(tree.nodes), f"{tree.id} {tree.version}"
        for node_id, answers in reached.items():
            node = tree.nodes[node_id]
            result = evaluate_tree(tree, answers)
            if isinstance(node, Leaf) or (
                node.question.default is None and node.question.id not in answers
            ):
                # Without an answer or a default to carry it on, the walk ends there.
                assert result.node.id == node_id
    assert {t.id for t in TREES} >= {"example", "cni", "service-mesh"}


def evaluate(stop: Stop) -> tuple[Any, dict[str, Any]]:
    from service.engine.evaluate import evaluate_tree

    result = evaluate_tree(stop.tree, stop.answers)
    return result, result.to_dict()


# -- Slack ---------------------------------------------------------------------------------


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


@pytest.mark.parametrize("stop", STOPS, ids=str)
def test_slack_message_for_every_node(stop: Stop) -> None:
    result, body = evaluate(stop)
    message = render_slack(body, stop.answers, tree=stop.tree)
    check_block_kit(message)
    text = json.dumps(message, ensure_ascii=False)
    info = body["tree"]
    footer = message["blocks"][-1]
    assert footer["type"] == "context"
    assert f"{info['id']} {info['version']}" in footer["elements"][0]["text"]
    assert info["digest"][:12] in footer["elements"][0]["text"]
    if body["status"] == "needs_input":
        node = stop.tree.nodes[result.node.id]
        assert isinstance(node, QuestionNode)
        answer_buttons = buttons(message, "answer")
        # One button per option, or per range the tree branches on.
        expected = (
            len(node.question.options)
            if node.question.type == "enum"
            else (2 if node.question.type == "boolean" else len(node.branches))
        )
        assert len(answer_buttons) == expected
        for button in answer_buttons:
            tree_id, version, answers = decode_value(button["value"])
            assert (tree_id, version) == (info["id"], info["version"])
            assert {k: v for k, v in answers.items() if k != node.question.id} == dict(stop.answers)
            after = stop.tree.nodes[node.select(answers[node.question.id]).target]
            nxt, _ = evaluate(Stop(stop.tree, after.id, answers))
            assert len(nxt.steps) > len(result.steps)
        assert [b["text"]["text"] for b in answer_buttons]
        # Every branch is offered by some button.
        targets = {
            node.select(decode_value(b["value"])[2][node.question.id]).target
            for b in answer_buttons
        }
        assert targets == {br.target for br in node.branches}
    else:
        rec = body["recommendation"]
        assert rec["title"][:60] in text
        for step in body["justification"][:5]:
            marker = " (default)" if step["defaulted"] else ":"
            assert f"*{step['question']}* = {answer_text(step['answer'])}{marker}" in text
        if body["costs"]:
            total = body["costs"]["total"]
            assert money(total["low"]) in text
        for button in buttons(message, "whatif"):
            tree_id, version, answers = decode_value(button["value"])
            other, _ = evaluate(Stop(stop.tree, "", answers))
            assert other.complete
            assert other.recommendation_id != result.recommendation_id
        (restart,) = buttons(message, "restart")
        assert decode_value(restart["value"]) == (info["id"], info["version"], {})


# -- Markdown ------------------------------------------------------------------------------


def unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def table_rows(markdown: str) -> list[list[str]]:
    """Each table as rows of cells, split on pipes that are not escaped."""
    tables: list[list[str]] = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            tables.append(re.split(r"(?<!\\)\|", line)[1:-1])
    return tables


@pytest.mark.parametrize("stop", STOPS, ids=str)
def test_markdown_for_every_node(stop: Stop) -> None:
    _, body = evaluate(stop)
    md = render_markdown(body)
    plain = unescape(md)
    assert md.endswith("\n")
    assert plain.startswith(f"# {body['tree']['title']}\n")
    assert f"{body['tree']['id']} {body['tree']['version']}" in plain
    # Tables keep their column count however the text looks.
    rows = table_rows(md)
    widths = {len(r) for r in rows}
    assert len(widths) <= 2  # the costs table has 4 columns, the alternatives table 3
    for w in body["warnings"]:
        assert w["code"] in plain
    if body["status"] == "needs_input":
        q = body["next_question"]
        assert " ".join(q["prompt"].split()) in plain
        if q["type"] == "enum":
            for option in q["options"]:
                assert f"`{option['id']}`" in md
    else:
        rec = body["recommendation"]
        assert f"## Recommendation: {' '.join(rec['title'].split())}" in plain
        for step in body["justification"]:
            assert f"`{step['question']}`" in md
        if body["costs"]:
            assert "| Item | Low | High | Basis |" in md
            for item in body["costs"]["items"]:
                assert money(item["low"]) in plain
                assert money(item["high"]) in plain
        for alt in body["alternatives"]:
            assert " ".join(alt["title"].split()) in plain
            if "costs" in alt:
                assert money(alt["costs"]["total"]["low"]) in plain
        for source in rec["sources"]:
            assert f"]({source['url']})" in md


# -- Mermaid -------------------------------------------------------------------------------

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


@pytest.mark.parametrize("tree", TREES, ids=lambda t: f"{t.id}-{t.version}")
def test_mermaid_has_every_node_and_branch(tree: Tree) -> None:
    diagram = parse_mermaid(render_mermaid(tree))
    assert len(diagram.nodes) == len(tree.nodes)
    # Answers of one question that lead to the same node share one edge.
    assert len(diagram.edges) == sum(
        len({b.target for b in n.branches})
        for n in tree.nodes.values()
        if isinstance(n, QuestionNode)
    )
    assert len(set(diagram.edges)) == len(diagram.edges)
    pairs = [(source, target) for source, _, target in diagram.edges]
    assert len(set(pairs)) == len(pairs), "two edges between the same nodes overlap"
    assert "taken" not in diagram.classes and not diagram.link_styles
    # Leaves that recommend the same thing are still told apart.
    leaves = [label for label in diagram.nodes.values() if label.startswith("([")]
    assert len(set(leaves)) == len(leaves)


@pytest.mark.parametrize("stop", STOPS, ids=str)
def test_mermaid_highlights_the_path_of_every_node(stop: Stop) -> None:
    result, _ = evaluate(stop)
    diagram = parse_mermaid(render_mermaid(stop.tree, result))
    end = "chosen" if result.complete else "waiting"
    assert len(diagram.classes[end]) == 1
    assert len(diagram.link_styles) == len(result.steps)
    assert len(diagram.classes.get("taken", set())) == len({s.node.id for s in result.steps})
    # The highlighted edges form the walk from the root to where it ended.
    edges = [diagram.edges[i] for i in diagram.link_styles]
    for (_, _, target), (source, _, _) in itertools.pairwise(edges):
        assert target == source
    if edges:
        assert edges[0][0] == f"n_{stop.tree.root}".replace("-", "_")
        assert edges[-1][2] in diagram.classes[end]


@pytest.mark.parametrize(
    "stop", STOPS[::7], ids=lambda s: f"{s.tree.id}-{s.tree.version}-{s.node_id}"
)
def test_the_path_view_draws_the_path_and_one_step_off_it(stop: Stop) -> None:
    result, _ = evaluate(stop)
    full = parse_mermaid(render_mermaid(stop.tree, result))
    path = parse_mermaid(render_mermaid(stop.tree, result, path_only=True))
    assert len(path.nodes) <= len(full.nodes)
    on_path = {f"n_{s.node.id}".replace("-", "_") for s in result.steps}
    assert on_path <= set(path.nodes)
    end = "chosen" if result.complete else "waiting"
    assert len(path.classes[end]) == 1
    # The same walk is highlighted as in the full view.
    walk = [path.edges[i][::2] for i in path.link_styles]
    assert walk == [full.edges[i][::2] for i in full.link_styles]
    # Every node drawn is on the path or one answer away from it.
    for node in path.nodes:
        assert (
            node in on_path
            or node in path.classes[end]
            or any(
                source in on_path | path.classes[end] and target == node
                for source, _, target in path.edges
            )
        )
