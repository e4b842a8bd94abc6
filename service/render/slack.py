"""An evaluation body as a Slack Block Kit message that a stateless bot can drive with buttons.

Every button carries, in its `value`, what the next evaluate call needs (compact JSON):
`{"t": tree, "v": version, "q": question, "o": option, "a": {answers so far}}`. The bot
sets `a[q] = o` and posts `a` to `/v1/trees/{t}/evaluate?version={v}&format=slack`.
A button without `q` (start over) posts `a` as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..engine.conditions import format_version, parse_version
from ..engine.model import QuestionNode, Tree
from .common import answer_text, money_range, number_range, stamp

# Block Kit limits (https://api.slack.com/reference/block-kit).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_BUTTONS_PER_ACTIONS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTION_ID = 255
MAX_FALLBACK_TEXT = 3000
ACTION_PREFIX = "netadvisor"
MAX_WHAT_IF_BUTTONS = 10
ELLIPSIS = "…"
_OPTION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def units(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units, never fewer than characters."""
    return len(text) + len(_ASTRAL.findall(text))


def mrkdwn_escape(text: str) -> str:
    # Slack reads &, < and > as control characters in every text object.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int, *, escape: bool = False) -> str:
    """`text` (escaped for mrkdwn if asked) cut to `limit` units at a character boundary.

    The cut never splits a character or an `&amp;` entity; a cut text ends with an ellipsis.
    """
    whole = mrkdwn_escape(text) if escape else text
    # Every character is at most two units, so short texts need no counting.
    if 2 * len(whole) <= limit or units(whole) <= limit:
        return whole
    room = limit - units(ELLIPSIS)
    out: list[str] = []
    used = 0
    for ch in text:
        piece = mrkdwn_escape(ch) if escape else ch
        size = len(piece) + (1 if ord(ch) > 0xFFFF else 0)
        if used + size > room:
            break
        out.append(piece)
        used += size
    return "".join(out).rstrip() + ELLIPSIS


def _lines(lines: Iterable[str], limit: int = MAX_SECTION_TEXT) -> str:
    """Whole lines (already escaped) joined while they fit; a note says how many were left."""
    kept: list[str] = []
    lines = list(lines)
    used = 0
    for i, raw in enumerate(lines):
        line = fit(raw, limit)  # a lone over-long line is cut, not dropped
        extra = units(line) + (1 if kept else 0)
        rest = len(lines) - i - 1
        note = f"\n…and {rest} more" if rest else ""
        if used + extra + units(note) > limit:
            kept.append(f"…and {len(lines) - i} more")
            break
        kept.append(line)
        used += extra
    return "\n".join(kept)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, MAX_SECTION_TEXT)}}


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": fit(text, MAX_HEADER_TEXT), "emoji": False},
    }


def _context(texts: Iterable[str]) -> dict[str, Any]:
    elements = [
        {"type": "mrkdwn", "text": fit(t, MAX_SECTION_TEXT)}
        for t in list(texts)[:MAX_CONTEXT_ELEMENTS]
    ]
    return {"type": "context", "elements": elements}


def _link(title: str, url: str) -> str:
    # A URL with | or > cannot sit in <url|title>; show it as text instead.
    if any(ch in url for ch in "|<> ") or len(url) > 1000:
        return f"{mrkdwn_escape(title)}: {mrkdwn_escape(url)}"
    return f"<{url.replace('&', '&amp;')}|{fit(title, 200, escape=True)}>"


def _encode(payload: Mapping[str, Any]) -> str:
    # ASCII-only JSON: its length is the same in characters, bytes and UTF-16 units.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True, sort_keys=False)


def button_value(
    tree: Mapping[str, Any],
    answers: Mapping[str, object],
    question: str | None = None,
    option: object = None,
) -> str | None:
    """The value of a button, or None when the answers are too long to carry in one."""
    payload: dict[str, Any] = {"t": tree["id"], "v": tree["version"]}
    if question is not None:
        payload["q"] = question
        payload["o"] = option
    payload["a"] = dict(answers)
    value = _encode(payload)
    return value if len(value) <= MAX_BUTTON_VALUE else None


def decode_value(value: str) -> tuple[str, str, dict[str, object]]:
    """(tree, version, answers for the next call) from a button value."""
    payload = json.loads(value)
    answers = dict(payload.get("a") or {})
    if "q" in payload:
        answers[payload["q"]] = payload["o"]
    return payload["t"], payload["v"], answers


def _button(text: str, value: str, action_id: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": fit(text, MAX_BUTTON_TEXT), "emoji": False},
        "value": value,
        "action_id": action_id[:MAX_ACTION_ID],
    }
    if style:
        button["style"] = style
    return button


def _actions(buttons: list[dict[str, Any]], block_id: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "actions",
            "block_id": f"{block_id}-{i}",
            "elements": buttons[i : i + MAX_BUTTONS_PER_ACTIONS],
        }
        for i in range(0, len(buttons), MAX_BUTTONS_PER_ACTIONS)
    ]


def _int_label(low: int, high: int | None, maximum: object) -> str:
    if high is None or high == maximum:
        return f"{low} or more"
    return str(low) if low == high else f"{low} to {high}"


def _choices(node: QuestionNode | None, question: Mapping[str, Any]) -> list[tuple[str, object]]:
    """(button text, answer) pairs: the options, or one typical value per branch range."""
    if question["type"] in ("boolean", "enum"):
        return [(str(o["label"]), o["id"]) for o in question["options"]]
    out: list[tuple[str, object]] = []
    if node is None:
        return out
    if node.int_ranges:
        default = question.get("default")
        for rng, _branch in node.int_ranges:
            typical = default if isinstance(default, int) and rng.contains(default) else rng.low
            out.append((_int_label(rng.low, rng.high, question.get("max")), typical))
        return out
    for vrange, branch in node.version_ranges:
        if vrange.low is not None:
            version = format_version(vrange.low)
            text = (
                f"{version} or newer"
                if vrange.high is None
                else f"{version} up to {format_version(vrange.high)}"
            )
        else:
            version = str(branch.samples[0])
            if vrange.high is not None:
                major, minor, _ = vrange.high
                version = f"{major}.{minor - 1}" if minor else f"{max(major - 1, 0)}.0"
                text = f"older than {format_version(vrange.high)}"
            else:
                text = "any version"
        out.append((text, version))
    return out


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
    blocks = [_section(text)]
    path = _path(body, tree)
    node = path[-1] if path and path[-1].question.id == q["id"] else None
    choices = _choices(node, q)
    buttons = []
    for i, (label, option) in enumerate(choices):
        value = button_value(info, answers, q["id"], option)
        if value is None:
            return [
                *blocks,
                _section(
                    "These answers are too long to carry in Slack buttons; continue with the "
                    "API or `netadvisor ask`."
                ),
            ]
        buttons.append(_button(label, value, f"{ACTION_PREFIX}:answer:{i}"))
    blocks += _actions(buttons, "answer")
    hints = []
    if q["type"] == "integer":
        hint = f"Answer with {number_range(q)}"
        hints.append(
            hint
            + (
                ": the buttons send a typical number for each range the advice depends on."
                if buttons
                else "."
            )
        )
    elif q.get("format") == "version":
        hints.append(
            "Answer with a version, MAJOR.MINOR (like 5.10)"
            + (": the buttons send one version from each range." if buttons else ".")
        )
    if body.get("justification"):
        hints.append(
            "So far: "
            + "; ".join(
                f"{mrkdwn_escape(s['question'])} = {mrkdwn_escape(answer_text(s['answer']))}"
                for s in body["justification"]
            )
        )
    if hints:
        blocks.append(_context(hints))
    return blocks


def _what_if_answer(
    path: list[QuestionNode] | None, item: Mapping[str, Any], body: Mapping[str, Any]
) -> tuple[object, str] | None:
    """(answer to send, words for it): ranges are named by label, so send a typical value."""
    answer = item["answer"]
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
    ranged = node.int_ranges or node.version_ranges
    labels = [branch.label for _, branch in ranged]
    if item["answer"] in labels and len(labels) == len(choices):
        text, value = choices[labels.index(item["answer"])]
        return value, text
    return None


def _cost_fields(costs: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = list(costs["items"])
    shown = items if len(items) < MAX_FIELDS else items[: MAX_FIELDS - 2]
    fields = [
        {
            "type": "mrkdwn",
            "text": fit(
                f"*{mrkdwn_escape(item['label'])}*\n{money_range(item['low'], item['high'])} "
                f"per {costs['period']}\n_{mrkdwn_escape(item['basis'])}_",
                MAX_FIELD_TEXT,
            ),
        }
        for item in shown
    ]
    if len(shown) < len(items):
        fields.append({"type": "mrkdwn", "text": f"…and {len(items) - len(shown)} more items"})
    total = costs["total"]
    fields.append(
        {
            "type": "mrkdwn",
            "text": fit(
                f"*Total*\n{money_range(total['low'], total['high'])} per {costs['period']} "
                f"({mrkdwn_escape(costs['currency'])})",
                MAX_FIELD_TEXT,
            ),
        }
    )
    return fields[:MAX_FIELDS]


def _recommendation_blocks(
    body: Mapping[str, Any], answers: Mapping[str, object], tree: Tree | None
) -> list[dict[str, Any]]:
    rec = body["recommendation"]
    info = body["tree"]
    blocks: list[dict[str, Any]] = [
        _header(f"Recommendation: {rec['title']}"),
        _section(mrkdwn_escape(rec["summary"])),
    ]
    why = [
        f"• *{mrkdwn_escape(s['question'])}* = {mrkdwn_escape(answer_text(s['answer']))}"
        f"{' (default)' if s.get('defaulted') else ''}: {mrkdwn_escape(s['reason'])}"
        for s in body["justification"]
    ]
    why += [f"• {mrkdwn_escape(r)}" for r in rec.get("reasons", [])]
    if why:
        blocks.append(_section("*Why*\n" + _lines(why, MAX_SECTION_TEXT - 8)))
    if body.get("costs"):
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*Costs*"},
                "fields": _cost_fields(body["costs"]),
            }
        )
    if body.get("alternatives"):
        alts = []
        for alt in body["alternatives"]:
            cost = ""
            if alt.get("costs"):
                total = alt["costs"]["total"]
                cost = f" ({money_range(total['low'], total['high'])} per month)"
            alts.append(f"• *{mrkdwn_escape(alt['title'])}*{cost}: {mrkdwn_escape(alt['why_not'])}")
        blocks.append(_section("*Alternatives*\n" + _lines(alts, MAX_SECTION_TEXT - 16)))
    if body.get("warnings"):
        blocks.append(
            _section(
                _lines(
                    [
                        f":warning: *{mrkdwn_escape(w['code'])}*: {mrkdwn_escape(w['message'])}"
                        for w in body["warnings"]
                    ]
                )
            )
        )
    if rec.get("next_steps"):
        blocks.append(
            _section(
                "*Next steps*\n"
                + _lines(
                    [f"• {mrkdwn_escape(s)}" for s in rec["next_steps"]], MAX_SECTION_TEXT - 16
                )
            )
        )
    if rec.get("commands"):
        commands = [f"# {c['meaning']}\n{c['command']}" for c in rec["commands"]]
        text = "\n".join(commands).replace("```", "'''")
        blocks.append(
            _section("*Commands*\n```" + fit(text, MAX_SECTION_TEXT - 24, escape=True) + "```")
        )
    if rec.get("sources"):
        blocks.append(
            _context(
                ["Sources: " + " · ".join(_link(s["title"], s["url"]) for s in rec["sources"])]
            )
        )
    buttons = []
    path = _path(body, tree)
    for i, w in enumerate(body.get("what_if", [])[:MAX_WHAT_IF_BUTTONS]):
        found = _what_if_answer(path, w, body)
        if found is None:
            continue
        value = button_value(info, answers, w["question"], found[0])
        if value is not None:
            text = f"If {w['question']} is {found[1]}: {w['recommendation']['title']}"
            buttons.append(_button(text, value, f"{ACTION_PREFIX}:whatif:{i}"))
    restart = button_value(info, {})
    if restart is not None:
        buttons.append(_button("Start over", restart, f"{ACTION_PREFIX}:restart"))
    if buttons:
        blocks.append(_section("*What would change it*" if len(buttons) > 1 else "*Again?*"))
        blocks += _actions(buttons, "whatif")
    return blocks


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
        blocks = [_header(info["title"])]
        if body.get("warnings"):
            blocks.append(
                _section(
                    _lines([f":warning: {mrkdwn_escape(w['message'])}" for w in body["warnings"]])
                )
            )
        blocks += _question_blocks(body, answers, tree)
    else:
        blocks = _recommendation_blocks(body, answers, tree)
    footer = _context(
        [f"netadvisor · {mrkdwn_escape(info['title'])} · {mrkdwn_escape(stamp(body))}"]
    )
    if len(blocks) >= MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 2], _section("…more than one message can show.")]
    return {"blocks": [*blocks, footer], "text": _fallback(body)}
