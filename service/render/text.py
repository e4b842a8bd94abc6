"""A plain-text rendering of an evaluation body for terminals."""

from __future__ import annotations

from typing import Any

from ..engine.templates import format_value
from .common import answer_origin, assumption_text
from .common import money_range as _span


def render_text(body: dict[str, Any]) -> str:
    """The evaluation body as lines a person reads in a terminal."""
    tree = body["tree"]
    lines = [f"{tree['title']} ({tree['id']} {tree['version']})", ""]
    for w in body["warnings"]:
        lines.append(f"! {w['code']}: {w['message']}")
    if body["warnings"]:
        lines.append("")
    if body["status"] == "needs_input":
        q = body["next_question"]
        lines.append(f"Needs an answer: {q['id']}: {q['prompt']}")
        for option in q["options"]:
            oid = option["id"]
            shown = ("true" if oid else "false") if isinstance(oid, bool) else oid
            lines.append(f"  --answer {q['id']}={shown}   ({option['label']})")
        if "min" in q:
            upper = f" to {q['max']}" if "max" in q else " or more"
            lines.append(f"  a whole number from {q['min']}{upper}")
        lines.append(f"Still needed on this path: {', '.join(body['missing'])}")
        return "\n".join(lines)
    rec = body["recommendation"]
    lines += [f"Recommendation: {rec['title']} [{rec['id']}]", rec["summary"], "", "Why:"]
    lines += [
        f"  - {s['question']} = {format_value(s['answer'])}{answer_origin(s)}: {s['reason']}"
        for s in body["justification"]
    ]
    lines += [f"  - {r}" for r in rec["reasons"]]
    costs = body["costs"]
    if costs:
        lines += ["", "Costs (USD per month):"]
        for item in costs["items"]:
            lines.append(
                f"  {item['label']}: {_span(item['low'], item['high'])}  ({item['basis']})"
            )
        total = costs["total"]
        lines.append(f"  Total: {_span(total['low'], total['high'])}")
        lines += [f"  ({assumption_text(a)})" for a in costs.get("assumptions", [])]
    if body["alternatives"]:
        lines += ["", "Alternatives:"]
        for alt in body["alternatives"]:
            extra = ""
            if "costs" in alt:
                t = alt["costs"]["total"]
                extra = f" [{_span(t['low'], t['high'])}/month]"
            lines.append(f"  - {alt['title']}{extra}: {alt['why_not']}")
    if rec["next_steps"]:
        lines += ["", "Next steps:"] + [f"  - {s}" for s in rec["next_steps"]]
    if rec["commands"]:
        lines += ["", "Commands:"]
        for c in rec["commands"]:
            lines += [f"  $ {c['command']}", f"    {c['meaning']}"]
    if rec["sources"]:
        lines += ["", "Sources:"] + [f"  - {s['title']}: {s['url']}" for s in rec["sources"]]
    return "\n".join(lines)
