"""A plain-text rendering of an evaluation body for terminals."""

from __future__ import annotations

from typing import Any

from ..engine import format_value
from .common import answer_origin, assumption_text, option_text
from .common import money_range as _span


def render_text(body: dict[str, Any]) -> str:
    """The evaluation body as lines a person reads in a terminal."""
    tree = body["tree"]
    lines = [f"{tree['title']} ({tree['id']} {tree['version']})", ""]
    lines += [f"! {w['code']}: {w['message']}" for w in body["warnings"]]
    if body["warnings"]:
        lines.append("")
    if body["status"] == "needs_input":
        lines += _question(body)
    else:
        lines += _recommendation(body)
    return "\n".join(lines)


def _question(body: dict[str, Any]) -> list[str]:
    q = body["next_question"]
    lines = [f"Needs an answer: {q['id']}: {q['prompt']}"]
    for option in q["options"]:
        lines.append(f"  --answer {q['id']}={option_text(option['id'])}   ({option['label']})")
    if "min" in q:
        upper = f" to {q['max']}" if "max" in q else " or more"
        lines.append(f"  a whole number from {q['min']}{upper}")
    lines.append(f"Still needed on this path: {', '.join(body['missing'])}")
    return lines


def _recommendation(body: dict[str, Any]) -> list[str]:
    rec = body["recommendation"]
    lines = [f"Recommendation: {rec['title']} [{rec['id']}]", rec["summary"], "", "Why:"]
    lines += [
        f"  - {s['question']} = {format_value(s['answer'])}{answer_origin(s)}: {s['reason']}"
        for s in body["justification"]
    ]
    lines += [f"  - {r}" for r in rec["reasons"]]
    lines += _costs(body["costs"])
    lines += _section(
        "Alternatives:",
        [f"  - {alt['title']}{_alt_cost(alt)}: {alt['why_not']}" for alt in body["alternatives"]],
    )
    lines += _section("Next steps:", [f"  - {s}" for s in rec["next_steps"]])
    commands = [f"  $ {c['command']}\n    {c['meaning']}" for c in rec["commands"]]
    lines += _section("Commands:", commands)
    sources = [f"  - {s['title']}: {s['url']}" for s in rec["sources"]]
    return lines + _section("Sources:", sources)


def _section(title: str, items: list[str]) -> list[str]:
    return ["", title, *items] if items else []


def _alt_cost(alt: dict[str, Any]) -> str:
    if "costs" not in alt:
        return ""
    t = alt["costs"]["total"]
    return f" [{_span(t['low'], t['high'])}/month]"


def _costs(costs: dict[str, Any] | None) -> list[str]:
    if not costs:
        return []
    lines = ["", "Costs (USD per month):"]
    lines += [
        f"  {item['label']}: {_span(item['low'], item['high'])}  ({item['basis']})"
        for item in costs["items"]
    ]
    total = costs["total"]
    lines.append(f"  Total: {_span(total['low'], total['high'])}")
    return lines + [f"  ({assumption_text(a)})" for a in costs.get("assumptions", [])]
