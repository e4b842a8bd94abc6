"""An evaluation body as GitHub-flavoured Markdown, for Backstage cards, chat and tickets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .common import (
    answer_form,
    answer_origin,
    answer_text,
    assumption_text,
    cost_total,
    money,
    option_text,
    stamp,
    why,
)

# Characters that start inline Markdown, HTML or (on GitHub) math; answers are caller text,
# so a reason that quotes one must not turn into a link, an image, emphasis or a tag.
_INLINE = re.compile(r"([\\`*_\[\]<>|~!#&{}$])")
_BACKTICKS = re.compile(r"`+")
_LINE_START = re.compile(r"^(?:[-+=]|\d+[.)])")


def escape(text: object) -> str:
    """Text shown literally in Markdown: punctuation escaped, one line."""
    flat = " ".join(str(text).split())
    return _INLINE.sub(r"\\\1", flat)


def paragraph(text: object) -> str:
    """Escaped text that starts a line, so it cannot start a list or a heading either."""
    out = escape(text)
    return "\\" + out if _LINE_START.match(out) else out


def code(text: object) -> str:
    """An inline code span that survives backticks in the text."""
    flat = " ".join(str(text).split())
    longest = max((len(m) for m in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def link(title: object, url: str) -> str:
    # Percent-encode what would end the link destination early; the rest is kept.
    safe_url = quote(url, safe=":/?#[]@!$&'*+,;=%-._~")
    return f"[{escape(title)}]({safe_url})"


def _cell(text: object) -> str:
    return escape(text)


def _fence(lines: list[str], language: str) -> list[str]:
    longest = max((len(m) for line in lines for m in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *lines, fence]


def _question(body: Mapping[str, Any]) -> list[str]:
    q = body["next_question"]
    out = [f"**Next question:** {escape(q['prompt'])} ({code(q['id'])})", ""]
    if q.get("help"):
        out += [paragraph(q["help"]), ""]
    form = answer_form(q)
    if form is not None:
        out.append(f"Answer with {form}.")
    elif q["options"]:
        out.append("Options:")
        out += [f"- {escape(o['label'])}: {code(option_text(o['id']))}" for o in q["options"]]
    if q.get("default") is not None:
        out += ["", f"Default when not answered: {code(option_text(q['default']))}."]
    if body.get("missing"):
        out += [
            "",
            "Still needed on this path: " + ", ".join(code(m) for m in body["missing"]) + ".",
        ]
    return out


def _costs_table(costs: Mapping[str, Any]) -> list[str]:
    out = ["| Item | Low | High | Basis |", "|---|--:|--:|---|"]
    for item in costs["items"]:
        label = link(item["label"], item["source"]) if item.get("source") else _cell(item["label"])
        out.append(
            f"| {label} | {escape(money(item['low']))} | {escape(money(item['high']))} "
            f"| {_cell(item['basis'])} |"
        )
    total = costs["total"]
    out.append(
        f"| **Total** | **{escape(money(total['low']))}** "
        f"| **{escape(money(total['high']))}** "
        f"| {escape(costs['currency'])} per {escape(costs['period'])} |"
    )
    assumptions = [f"- {escape(assumption_text(a))}" for a in costs.get("assumptions", [])]
    return [*out, "", *assumptions] if assumptions else out


def _step(s: Mapping[str, Any]) -> str:
    return (
        f"- {code(s['question'])} = {code(answer_text(s['answer']))}"
        f"{escape(answer_origin(s))}: {escape(s['reason'])}"
    )


def _recommendation(body: Mapping[str, Any]) -> list[str]:
    rec = body["recommendation"]
    out = [
        f"## Recommendation: {escape(rec['title'])} ({code(rec['id'])})",
        "",
        paragraph(rec["summary"]),
    ]
    reasons = why(body, _step, lambda r: f"- {escape(r)}")
    if reasons:
        out += ["", "### Why", "", *reasons]
    if body.get("costs"):
        out += ["", "### Costs", "", *_costs_table(body["costs"])]
    if body.get("alternatives"):
        out += ["", "### Alternatives", "", "| Alternative | Why not | Cost |", "|---|---|--:|"]
        for alt in body["alternatives"]:
            cost = cost_total(alt.get("costs")) or ""
            out.append(
                f"| {_cell(alt['title'])} ({code(alt['id'])}) | {_cell(alt['why_not'])} "
                f"| {escape(cost)} |"
            )
    if rec.get("next_steps"):
        out += ["", "### Next steps", "", *(f"1. {escape(s)}" for s in rec["next_steps"])]
    if rec.get("commands"):
        out += ["", "### Commands", ""]
        for c in rec["commands"]:
            out += [
                *_fence(
                    [f"# {line}" for line in str(c["meaning"]).splitlines()] + [str(c["command"])],
                    "sh",
                ),
                "",
            ]
        out.pop()
    if body.get("what_if"):
        out += ["", "### What would change it", ""]
        out += [
            f"- {code(w['question'])} = {code(str(w.get('when') or answer_text(w['answer'])))}: "
            f"{escape(w['recommendation']['title'])}"
            for w in body["what_if"]
        ]
    if rec.get("sources"):
        out += ["", "### Sources", "", *(f"- {link(s['title'], s['url'])}" for s in rec["sources"])]
    return out


def render_markdown(body: Mapping[str, Any]) -> str:
    """The evaluation body as a Markdown document, ending with a newline."""
    tree = body["tree"]
    out = [f"# {escape(tree['title'])}", ""]
    for w in body.get("warnings", []):
        source = f" ({link('source', w['source'])})" if w.get("source") else ""
        out += [f"> **Warning** {code(w['code'])}: {escape(w['message'])}{source}", ""]
    if body["status"] == "needs_input":
        if body.get("justification"):
            out += ["Answered so far:", ""]
            out += [
                f"- {code(s['question'])} = {code(answer_text(s['answer']))}"
                f"{escape(answer_origin(s))}: {escape(s['reason'])}"
                for s in body["justification"]
            ]
            out.append("")
        out += _question(body)
    else:
        out += _recommendation(body)
    out += ["", "---", "", f"*Decision tree {escape(stamp(body))}*"]
    return "\n".join(out) + "\n"
