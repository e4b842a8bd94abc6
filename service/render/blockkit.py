"""Block Kit building blocks that never exceed Slack's limits: cut texts, sections, buttons."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

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
ELLIPSIS = "…"
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


def lines(items: Iterable[str], limit: int = MAX_SECTION_TEXT) -> str:
    """Whole lines (already escaped) joined while they fit; a note says how many were left."""
    kept: list[str] = []
    texts = list(items)
    used = 0
    for i, raw in enumerate(texts):
        line = fit(raw, limit)  # a lone over-long line is cut, not dropped
        extra = units(line) + (1 if kept else 0)
        rest = len(texts) - i - 1
        note = f"\n…and {rest} more" if rest else ""
        if used + extra + units(note) > limit:
            kept.append(f"…and {len(texts) - i} more")
            break
        kept.append(line)
        used += extra
    return "\n".join(kept)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, MAX_SECTION_TEXT)}}


def header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": fit(text, MAX_HEADER_TEXT), "emoji": False},
    }


def context(texts: Iterable[str]) -> dict[str, Any]:
    elements = [
        {"type": "mrkdwn", "text": fit(t, MAX_SECTION_TEXT)}
        for t in list(texts)[:MAX_CONTEXT_ELEMENTS]
    ]
    return {"type": "context", "elements": elements}


def link(title: str, url: str) -> str:
    # A URL with | or > cannot sit in <url|title>; show it as text instead.
    if any(ch in url for ch in "|<> ") or len(url) > 1000:
        return f"{mrkdwn_escape(title)}: {mrkdwn_escape(url)}"
    return f"<{url.replace('&', '&amp;')}|{fit(title, 200, escape=True)}>"


def encode(payload: Mapping[str, Any]) -> str:
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
    value = encode(payload)
    return value if len(value) <= MAX_BUTTON_VALUE else None


def decode_value(value: str) -> tuple[str, str, dict[str, object]]:
    """(tree, version, answers for the next call) from a button value."""
    payload = json.loads(value)
    answers = dict(payload.get("a") or {})
    if "q" in payload:
        answers[payload["q"]] = payload["o"]
    return payload["t"], payload["v"], answers


def button(text: str, value: str, action_id: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": fit(text, MAX_BUTTON_TEXT), "emoji": False},
        "value": value,
        "action_id": action_id[:MAX_ACTION_ID],
    }
    if style:
        button["style"] = style
    return button


def actions(buttons: list[dict[str, Any]], block_id: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "actions",
            "block_id": f"{block_id}-{i}",
            "elements": buttons[i : i + MAX_BUTTONS_PER_ACTIONS],
        }
        for i in range(0, len(buttons), MAX_BUTTONS_PER_ACTIONS)
    ]
