"""A recommendation as Slack Block Kit sections: why, costs, alternatives, steps, sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .blockkit import (
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_SECTION_TEXT,
    context,
    fit,
    header,
    lines,
    link,
    mrkdwn_escape,
    section,
)
from .common import answer_origin, answer_text, money_range, why


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


def _alternative(alt: Mapping[str, Any]) -> str:
    cost = ""
    if alt.get("costs"):
        total = alt["costs"]["total"]
        cost = f" ({money_range(total['low'], total['high'])} per month)"
    return f"• *{mrkdwn_escape(alt['title'])}*{cost}: {mrkdwn_escape(alt['why_not'])}"


def _step(s: Mapping[str, Any]) -> str:
    return (
        f"• *{mrkdwn_escape(s['question'])}* = {mrkdwn_escape(answer_text(s['answer']))}"
        f"{mrkdwn_escape(answer_origin(s))}: {mrkdwn_escape(s['reason'])}"
    )


def _commands(rec: Mapping[str, Any]) -> dict[str, Any]:
    commands = [f"# {c['meaning']}\n{c['command']}" for c in rec["commands"]]
    text = "\n".join(commands).replace("```", "'''")
    return section("*Commands*\n```" + fit(text, MAX_SECTION_TEXT - 24, escape=True) + "```")


def recommendation_blocks(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The recommendation of a complete body, each part that it has as one block."""
    rec = body["recommendation"]
    blocks: list[dict[str, Any]] = [
        header(f"Recommendation: {rec['title']}"),
        section(mrkdwn_escape(rec["summary"])),
    ]
    reasons = why(body, _step, lambda r: f"• {mrkdwn_escape(r)}")
    if reasons:
        blocks.append(section("*Why*\n" + lines(reasons, MAX_SECTION_TEXT - 8)))
    if body.get("costs"):
        fields = _cost_fields(body["costs"])
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Costs*"}, "fields": fields}
        )
    if body.get("alternatives"):
        alts = [_alternative(alt) for alt in body["alternatives"]]
        blocks.append(section("*Alternatives*\n" + lines(alts, MAX_SECTION_TEXT - 16)))
    if body.get("warnings"):
        warnings = [
            f":warning: *{mrkdwn_escape(w['code'])}*: {mrkdwn_escape(w['message'])}"
            for w in body["warnings"]
        ]
        blocks.append(section(lines(warnings)))
    if rec.get("next_steps"):
        steps = [f"• {mrkdwn_escape(s)}" for s in rec["next_steps"]]
        blocks.append(section("*Next steps*\n" + lines(steps, MAX_SECTION_TEXT - 16)))
    if rec.get("commands"):
        blocks.append(_commands(rec))
    if rec.get("sources"):
        sources = " · ".join(link(s["title"], s["url"]) for s in rec["sources"])
        blocks.append(context([f"Sources: {sources}"]))
    return blocks
