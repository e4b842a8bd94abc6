"""Every question and every leaf of every tree, rendered as Slack, Markdown and Mermaid."""

from __future__ import annotations

import itertools
import json

import pytest
from support.render_checks import (
    STOPS,
    TREES,
    Stop,
    buttons,
    check_block_kit,
    evaluate,
    parse_mermaid,
    reach_every_node,
    table_rows,
    unescape,
)

from service.engine import Tree
from service.engine.model import Leaf, QuestionNode
from service.render.blockkit import decode_value
from service.render.common import answer_text, money
from service.render.markdown import render_markdown
from service.render.mermaid import render_mermaid
from service.render.slack import render_slack

# Exhaustive or tool-driven: in `make test`, not in the quick `make check`.
pytestmark = pytest.mark.slow


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
