"""Formatting shared by the renderers: money, answers and question ids as people read them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..engine import format_value, whole_numbers


def money(value: float) -> str:
    """$1,234.50 or $30: whole dollars without cents."""
    text = f"${value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def money_range(low: float, high: float) -> str:
    return money(low) if low == high else f"{money(low)}-{money(high)}"


def answer_text(value: object) -> str:
    """An answer as a sentence shows it: yes, no, 20, tcp."""
    return format_value(value)


def answer_origin(step: Mapping[str, Any]) -> str:
    """Where a justification step's answer came from, when not from the caller:
    ' (default)' or ' (from the cluster: <evidence>)'; else nothing."""
    if step.get("from_facts"):
        return f" (from the cluster: {step.get('evidence', '')})"
    return " (default)" if step.get("defaulted") else ""


def why(
    body: Mapping[str, Any],
    step: Callable[[Mapping[str, Any]], str],
    reason: Callable[[str], str],
) -> list[str]:
    """The justification's steps, then the recommendation's own reasons, one line each."""
    out = [step(s) for s in body["justification"]]
    return out + [reason(r) for r in body["recommendation"].get("reasons", [])]


def option_text(option_id: object) -> str:
    """An option id as typed on a command line or sent in JSON: true, false, tcp."""
    if isinstance(option_id, bool):
        return "true" if option_id else "false"
    return str(option_id)


def cost_total(costs: Mapping[str, Any] | None) -> str | None:
    """The monthly total of a cost block, or None when there is none."""
    if not costs:
        return None
    total = costs["total"]
    return f"{money_range(total['low'], total['high'])} per {costs['period']}"


def number_range(question: Mapping[str, Any]) -> str:
    """The allowed whole numbers of an integer question, in words."""
    return whole_numbers(question.get("min"), question.get("max"))


def answer_form(question: Mapping[str, Any]) -> str | None:
    """What a typed answer looks like, for a question answered without options."""
    if "min" in question:
        return number_range(question)
    if question.get("format") == "version":
        return "a version, MAJOR.MINOR (like 5.10)"
    return None


def stamp(body: Mapping[str, Any]) -> str:
    """Which tree version produced a result: id, version, status and digest prefix."""
    tree = body["tree"]
    parts = [f"{tree['id']} {tree['version']}"]
    if tree.get("status") == "deprecated":
        parts.append("deprecated")
    if tree.get("digest"):
        parts.append(f"digest {str(tree['digest'])[:12]}")
    return ", ".join(parts)


def assumption_text(item: Mapping[str, Any]) -> str:
    """One entry of `costs.assumptions` in words, and how to sharpen it."""
    if "price" in item:
        return (
            f"assumes the price {item['price']} = {format_value(item['value'])}, which no "
            "primary source gives; set your own to refine"
        )
    return f"assumes {item['question']} = {format_value(item['value'])}; answer it to refine"
