"""An evaluation body as a Slack Block Kit message that a stateless bot can drive with buttons.

Every button carries, in its `value`, what the next evaluate call needs (compact JSON):
`{"t": tree, "v": version, "q": question, "o": option, "a": {answers so far}}`. The bot
sets `a[q] = o` and posts `a` to `/v1/trees/{t}/evaluate?version={v}&format=slack`.
A button without `q` (start over) posts `a` as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..engine import QuestionNode, Tree, parse_version
from .blockkit import (
    MAX_BLOCKS,
    MAX_FALLBACK_TEXT,
    actions,
    button,
    button_value,
    context,
    fit,
    header,
    lines,
    mrkdwn_escape,
    section,
)
from .common import answer_form, answer_text, stamp
from .slack_blocks import recommendation_blocks

ACTION_PREFIX = "netadvisor"
MAX_WHAT_IF_BUTTONS = 10
_OPTION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _choices(node: QuestionNode | None, question: Mapping[str, Any]) -> list[tuple[str, object]]:
    """(button text, answer) pairs: the options, or one typical value per branch range."""
    if node is not None:
        return node.question.kind.choices(node.question, node.ranges)
    return [(str(o["label"]), o["id"]) for o in question["options"]]


def _path(body: Mapping[str, Any], tree: Tree | None) -> list[QuestionNode] | None:
    """The question nodes the evaluation passed, then the one it stopped at if any.

    None when no tree is given or it is not the version that produced `body`.
    """
    info = body["tree"]
    if tree is None or (tree.id, tree.version) != (info["id"], info["version"]):
        return None
    out: list[QuestionNode] = []
    node = tree.nodes[tree.root]
    for step in body["justification"]:
        if not isinstance(node, QuestionNode) or node.question.id != step["question"]:
            return None
        out.append(node)
        node = tree.nodes[node.select(step["answer"]).target]
    if isinstance(node, QuestionNode):
        out.append(node)
    return out


def _question_blocks(
    body: Mapping[str, Any], answers: Mapping[str, object], tree: Tree | None
) -> list[dict[str, Any]]:
    q = body["next_question"]
    info = body["tree"]
    text = f"*{mrkdwn_escape(q['prompt'])}*"
    if q.get("help"):
        text += "\n" + mrkdwn_escape(q["help"])
    blocks = [section(text)]
    path = _path(body, tree)
    node = path[-1] if path and path[-1].question.id == q["id"] else None
    choices = _choices(node, q)
    buttons = []
    for i, (label, option) in enumerate(choices):
        value = button_value(info, answers, q["id"], option)
        if value is None:
            return [
                *blocks,
                section(
                    "These answers are too long to carry in Slack buttons; continue with the "
                    "API or `netadvisor ask`."
                ),
            ]
        buttons.append(button(label, value, f"{ACTION_PREFIX}:answer:{i}"))
    blocks += actions(buttons, "answer")
    hints = []
    form = answer_form(q)
    if form is not None:
        what = "a typical number for each range the advice depends on"
        if "min" not in q:
            what = "one version from each range"
        hints.append(f"Answer with {form}" + (f": the buttons send {what}." if buttons else "."))
    if body.get("justification"):
        hints.append(
            "So far: "
            + "; ".join(
                f"{mrkdwn_escape(s['question'])} = {mrkdwn_escape(answer_text(s['answer']))}"
                for s in body["justification"]
            )
        )
    if hints:
        blocks.append(context(hints))
    return blocks


def _what_if_answer(
    path: list[QuestionNode] | None, item: Mapping[str, Any], body: Mapping[str, Any]
) -> tuple[object, str] | None:
    """(answer to send, words for it): ranges are named by label, so send a typical value."""
    answer = item["answer"]
    if "when" in item:
        # A range: the engine gives a typical value to send and the range to show.
        return answer, str(item["when"])
    if path is None:
        # Without the tree only an option can be sent as it is: a yes/no, or an option id
        # where the path's answer was one too (a range label is never an option id).
        given = next(
            (s["answer"] for s in body["justification"] if s["question"] == item["question"]), None
        )
        plain = isinstance(answer, bool) or (
            isinstance(answer, str)
            and isinstance(given, str)
            and _OPTION_ID.match(answer) is not None
            and _OPTION_ID.match(given) is not None
            and parse_version(given) is None
        )
        return (answer, answer_text(answer)) if plain else None
    node = next((n for n in path if n.question.id == item["question"]), None)
    if node is None:
        return None
    if node.lookup:
        return item["answer"], answer_text(item["answer"])
    choices = _choices(node, node.question.to_dict())
    labels = [branch.label for _, branch in node.ranges]
    if item["answer"] in labels and len(labels) == len(choices):
        text, value = choices[labels.index(item["answer"])]
        return value, text
    return None


def _what_if_buttons(
    body: Mapping[str, Any], answers: Mapping[str, object], tree: Tree | None
) -> list[dict[str, Any]]:
    """A button a what-if answer that can be sent as it is, then one to start over."""
    info = body["tree"]
    buttons = []
    path = _path(body, tree)
    for i, w in enumerate(body.get("what_if", [])[:MAX_WHAT_IF_BUTTONS]):
        found = _what_if_answer(path, w, body)
        value = None if found is None else button_value(info, answers, w["question"], found[0])
        if found is not None and value is not None:
            text = f"If {w['question']} is {found[1]}: {w['recommendation']['title']}"
            buttons.append(button(text, value, f"{ACTION_PREFIX}:whatif:{i}"))
    restart = button_value(info, {})
    if restart is not None:
        buttons.append(button("Start over", restart, f"{ACTION_PREFIX}:restart"))
    if not buttons:
        return []
    title = section("*What would change it*" if len(buttons) > 1 else "*Again?*")
    return [title, *actions(buttons, "whatif")]


def _fallback(body: Mapping[str, Any]) -> str:
    if body["status"] == "needs_input":
        return fit(
            f"{body['tree']['title']}: {body['next_question']['prompt']}",
            MAX_FALLBACK_TEXT,
            escape=True,
        )
    rec = body["recommendation"]
    return fit(
        f"{body['tree']['title']}: {rec['title']}. {rec['summary']}", MAX_FALLBACK_TEXT, escape=True
    )


def render_slack(
    body: Mapping[str, Any], answers: Mapping[str, object], *, tree: Tree | None = None
) -> dict[str, Any]:
    """The evaluation body as `{"blocks": [...], "text": fallback}` within Block Kit limits.

    `answers` are the caller's answers (carried in the buttons); `tree`, when given, lets
    integer and version questions offer one button per range the tree branches on.
    """
    info = body["tree"]
    if body["status"] == "needs_input":
        blocks = [header(info["title"])]
        if body.get("warnings"):
            blocks.append(
                section(
                    lines([f":warning: {mrkdwn_escape(w['message'])}" for w in body["warnings"]])
                )
            )
        blocks += _question_blocks(body, answers, tree)
    else:
        blocks = [*recommendation_blocks(body), *_what_if_buttons(body, answers, tree)]
    footer = context(
        [f"netadvisor · {mrkdwn_escape(info['title'])} · {mrkdwn_escape(stamp(body))}"]
    )
    if len(blocks) >= MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 2], section("…more than one message can show.")]
    return {"blocks": [*blocks, footer], "text": _fallback(body)}
