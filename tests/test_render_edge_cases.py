"""The renderers on a tree written to break them: markup in every text, long texts, many options."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.render_checks import check_block_kit, parse_mermaid, table_rows, unescape

from service.engine import Catalog, Tree
from service.render.blockkit import MAX_BUTTON_VALUE, decode_value, fit, units
from service.render.markdown import render_markdown
from service.render.mermaid import render_mermaid
from service.render.slack import render_slack

NASTY = 'Say "hi" [x](javascript:alert(1)) <b>#1</b> | a;b `c` {D} $5 & $6 ~e~ *f* _g_'
EMOJI = "🚀"
OPTIONS = [{"id": f"opt-{i}", "label": f"{EMOJI} option {i} " + "é" * 80} for i in range(30)]


def nasty_tree() -> dict[str, Any]:
    source = {"id": "src", "title": "Docs | [x](y)", "url": "https://example.com/a_(b)?c=1&d=2"}
    leaf_text = {
        "reasons": [f"Reason {i}: {NASTY} {{note}}" for i in range(60)],
        "next_steps": [f"Step {i}: {NASTY}" for i in range(40)],
        "commands": [
            {"command": "kubectl get pods -o jsonpath='{.items[*]}' ```", "meaning": NASTY}
        ],
        "warnings": [{"code": f"W{i}", "message": f"<!channel> {NASTY}" * 3} for i in range(30)],
    }
    return {
        "id": "nasty",
        "version": "1.0.0",
        "title": f"Nasty {NASTY}",
        "description": "Every text a renderer can get wrong.",
        "status": "current",
        "as_of": "2026-11-27",
        "changes": ["First version."],
        "sources": [source],
        "pricing": {"unit": {"value": 1234.5, "unit": "USD", "description": "d", "source": "src"}},
        "questions": [
            {
                "id": "note",
                "prompt": "A note",
                "type": "string",
                "pattern": "^.{1,200}$",
                "default": "none",
            },
            {
                "id": "pick",
                "prompt": f"Pick {NASTY}\nsecond line",
                "help": NASTY * 30,
                "type": "enum",
                "options": OPTIONS,
            },
            {"id": "count", "prompt": "How many?", "type": "integer", "min": 1, "max": 500},
            {"id": "kernel", "prompt": "Kernel?", "type": "string", "format": "version"},
        ],
        "recommendations": {
            "a-b": {
                "title": f"Title {NASTY} " + "ü" * 200,
                "summary": "S" + "ß" * 3990,
                "sources": ["src"],
                "costs": [
                    {
                        "id": f"c{i}",
                        "label": f"Item {i} {NASTY}",
                        "low": [i, "unit"],
                        "high": ["count", "unit"],
                        "basis": NASTY,
                        "source": "src",
                    }
                    for i in range(14)
                ],
            },
            "a_b": {"title": "Plain", "summary": "Plain.", "sources": ["src"]},
        },
        "tests": [{"name": "root", "answers": {}, "expect": {"status": "needs_input"}}],
        "root": "end",
        "nodes": {
            "end": {
                "question": "pick",
                "branches": [
                    {
                        "when": [o["id"] for o in OPTIONS[:15]],
                        "reason": f"R {NASTY}",
                        "next": "n-1",
                    },
                    {"when": [o["id"] for o in OPTIONS[15:]], "reason": "R", "next": "a_b"},
                ],
            },
            "n-1": {
                "question": "count",
                "branches": [
                    {"when": "< 10", "reason": "few", "next": "n_1"},
                    {"when": "10-99", "reason": "some", "next": "a-b"},
                    {"when": ">= 100", "reason": "many {count}", "next": "a_b"},
                ],
            },
            "n_1": {
                "question": "kernel",
                "branches": [
                    {"when": "< 5.10", "reason": "old", "next": "a-b"},
                    {"when": ">= 5.10, < 6.1", "reason": "mid", "next": "a_b"},
                    {"when": ">= 6.1", "reason": "new", "next": "a_b"},
                ],
            },
            "a-b": {
                "recommend": "a-b",
                **leaf_text,
                "alternatives": [{"id": "a_b", "why_not": NASTY}],
            },
            "a_b": {
                "recommend": "a_b",
                "reasons": ["Plain."],
                "alternatives": [{"id": "a-b", "why_not": NASTY}],
            },
        },
    }


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    root = tmp_path_factory.mktemp("trees")
    (root / "nasty").mkdir()
    (root / "nasty" / "1.0.0.yaml").write_text(yaml.safe_dump(nasty_tree(), allow_unicode=True))
    return Catalog.load(root).get("nasty")


def mrkdwn(message: dict[str, Any]) -> str:
    """Every mrkdwn text of a message (plain_text and values show text as it is)."""
    out = []
    for block in message["blocks"]:
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if obj and obj.get("type") == "mrkdwn":
                out.append(obj["text"])
    return "\n".join([*out, message["text"]])


def without_code_blocks(markdown: str) -> str:
    return re.sub(r"^(`{3,})sh\n.*?^\1$", "", markdown, flags=re.S | re.M)


def evaluate(tree: Tree, answers: dict[str, object]) -> dict[str, Any]:
    from service.engine.evaluate import evaluate_tree

    return evaluate_tree(tree, answers).to_dict()


LONG_NOTE = "ü" * 100 + NASTY[:99]
LEAF = {"pick": "opt-0", "count": 3, "kernel": "5.4", "note": LONG_NOTE}


def test_fit_cuts_at_characters_and_entities() -> None:
    assert fit("abc", 3) == "abc"
    assert fit("abcd", 3) == "ab…"
    cut = fit(EMOJI * 10, 7)
    assert units(cut) <= 7 and cut == EMOJI * 3 + "…"
    escaped = fit("a&b&c&d", 8, escape=True)
    assert escaped == "a&amp;b…"  # never "a&amp;b&am…"
    assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*…?", fit("<&>" * 50, 20, escape=True))


def test_fit_never_exceeds_its_limit() -> None:
    rng = random.Random(6)
    for _ in range(2000):
        text = "".join(rng.choice("a&<>é🚀 ") for _ in range(rng.randrange(0, 60)))
        limit = rng.randrange(2, 80)
        for escape in (False, True):
            whole = (
                text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                if escape
                else text
            )
            cut = fit(text, limit, escape=escape)
            assert units(cut) <= limit
            if units(whole) <= limit:
                assert cut == whole
            else:
                assert cut.endswith("…") and whole.startswith(cut[:-1])


def test_slack_question_with_thirty_options(tree: Tree) -> None:
    answers = {"note": LONG_NOTE}
    message = render_slack(evaluate(tree, answers), answers, tree=tree)
    check_block_kit(message)
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5]
    labels = [e["text"]["text"] for a in actions for e in a["elements"]]
    assert all(label.endswith("…") and label.startswith(EMOJI) for label in labels)
    texts = mrkdwn(message)
    assert "<b>" not in texts and "&lt;b&gt;" in texts  # Slack control characters escaped
    assert decode_value(actions[1]["elements"][4]["value"]) == (
        "nasty",
        "1.0.0",
        {"note": LONG_NOTE, "pick": "opt-29"},
    )


def test_slack_integer_and_version_questions_offer_each_range(tree: Tree) -> None:
    answers: dict[str, object] = {"pick": "opt-1"}
    message = render_slack(evaluate(tree, answers), answers, tree=tree)
    check_block_kit(message)
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["1 to 9", "10 to 99", "100 or more"]
    assert [decode_value(b["value"])[2]["count"] for b in buttons] == [1, 10, 100]
    assert "from 1 to 500" in json.dumps(message)
    # Without the tree the ranges are unknown: no buttons, only the hint to type a number.
    bare = render_slack(evaluate(tree, answers), answers)
    check_block_kit(bare)
    assert not [b for b in bare["blocks"] if b["type"] == "actions"]

    answers = {"pick": "opt-1", "count": 2}
    message = render_slack(evaluate(tree, answers), answers, tree=tree)
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == [
        "older than 5.10",
        "5.10 up to 6.1",
        "6.1 or newer",
    ]
    assert [decode_value(b["value"])[2]["kernel"] for b in buttons] == ["5.9", "5.10", "6.1"]


def test_slack_recommendation_stays_within_limits(tree: Tree) -> None:
    body = evaluate(tree, LEAF)
    assert body["recommendation"]["id"] == "a-b"
    message = render_slack(body, LEAF, tree=tree)
    check_block_kit(message)
    fields = next(b["fields"] for b in message["blocks"] if "fields" in b)
    assert len(fields) == 10
    assert fields[-1]["text"].startswith("*Total*")
    assert "…and 6 more items" in fields[-2]["text"]
    text = mrkdwn(message)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "<b>" not in text
    assert "…and" in text  # long lists say what they left out
    whatif = [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("netadvisor:whatif")
    ]
    assert whatif  # the other ranges of count and kernel lead elsewhere
    for button in whatif:
        _, _, answers = decode_value(button["value"])
        assert evaluate(tree, answers)["recommendation"]["id"] == "a_b"


def test_slack_answers_too_long_for_a_button(tree: Tree) -> None:
    answers = {"note": "x" * 200}
    body = evaluate(tree, answers)
    # A caller could send answers no button can carry; the message says so instead.
    huge = {**answers, **{f"q{i}": "y" * 200 for i in range(10)}}
    message = render_slack(body, huge, tree=tree)
    check_block_kit(message)
    assert not [b for b in message["blocks"] if b["type"] == "actions"]
    assert "too long to carry" in json.dumps(message)
    # At the limit itself a button still works.
    ok = render_slack(body, answers, tree=tree)
    values = [e["value"] for b in ok["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert values and all(len(v) <= MAX_BUTTON_VALUE for v in values)


def test_markdown_escapes_caller_text(tree: Tree) -> None:
    md = render_markdown(evaluate(tree, LEAF))
    prose = without_code_blocks(md)
    assert "kubectl get pods" in md and "kubectl get pods" not in prose
    assert "[x](javascript" not in prose and "<b>" not in prose
    assert NASTY in unescape(md)
    costs, alternatives = [], []
    for row in table_rows(md):
        (costs if len(row) == 4 else alternatives).append(row)
    assert len(costs) == 2 + 14 + 1  # header, rule, items, total
    assert len(alternatives) == 3
    assert "[Item 0 " in md  # cost labels link to their source
    assert "(https://example.com/a_%28b%29?c=1&d=2)" in md
    # The command's own backticks need a longer fence.
    assert "````sh\n" in md
    assert "$1,234.50" in unescape(md) and r"\$1,234.50" in md


def test_markdown_question_lists_every_option(tree: Tree) -> None:
    md = render_markdown(evaluate(tree, {}))
    assert all(f"`{o['id']}`" in md for o in OPTIONS)
    assert "Pick Say" in unescape(md) and "\nsecond line" not in md


def test_mermaid_ids_labels_and_highlight(tree: Tree) -> None:
    from service.engine.evaluate import evaluate_tree

    text = render_mermaid(tree, evaluate_tree(tree, LEAF))
    diagram = parse_mermaid(text)
    assert set(diagram.nodes) == {"n_end", "n_n_1", "n_n_1_2", "n_a_b", "n_a_b_2"}
    assert "#quot;hi#quot;" in text and "#91;x#93;" in text and "#35;1" in text
    assert diagram.classes["chosen"] == {"n_a_b"}
    assert diagram.classes["taken"] == {"n_end", "n_n_1", "n_n_1_2"}


def test_mermaid_refuses_a_result_of_another_tree(tree: Tree) -> None:
    other = Catalog.load(Path(__file__).parent / "trees")
    with pytest.raises(ValueError, match="not of nasty"):
        render_mermaid(tree, other.evaluate("example", {}))
