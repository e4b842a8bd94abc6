"""Cost models: factors read from a tree file, and the monthly figures they give per evaluation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .checks import Checker
from .model import CostItem, Factor, Price, Question, factor_question
from .tree import Tree

# "zones - 1": the part of an integer answer above N, never below 0.
_EXCESS = re.compile(r"([a-z][a-z0-9_]*)\s*-\s*([0-9]{1,6})")


def _factors(
    check: Checker,
    where: str,
    raw: list[Any],
    questions: Mapping[str, Question],
    pricing: Mapping[str, Price],
) -> tuple[Factor, ...]:
    out: list[Factor] = []
    for j, f in enumerate(raw):
        at = f"{where}[{j}]"
        if isinstance(f, bool):
            check.problem(at, "a cost factor is a number, an integer question or a price name")
        elif isinstance(f, int | float):
            if f < 0:
                check.problem(at, f"a cost factor cannot be negative ({f})")
            out.append(("number", float(f)))
        elif isinstance(f, str) and f in pricing:
            out.append(("price", f))
        elif isinstance(f, str) and f in questions:
            if not questions[f].kind.countable:
                check.problem(at, f"question {f!r} is {questions[f].type}; factors need integer")
            out.append(("answer", f))
        elif isinstance(f, str) and (m := _EXCESS.fullmatch(f)) and m.group(1) in questions:
            if not questions[m.group(1)].kind.countable:
                check.problem(at, f"question {m.group(1)!r} is not integer; factors need integer")
            out.append(("excess", (m.group(1), int(m.group(2)))))
        elif isinstance(f, str):
            check.unknown(
                at,
                "price or integer question",
                f,
                [*pricing, *(q.id for q in questions.values() if q.kind.countable)],
            )
        else:
            check.problem(at, "a cost factor is a number, an integer question or a price name")
    return tuple(out)


def parse_costs(
    check: Checker,
    where: str,
    items: list[dict[str, Any]] | None,
    questions: Mapping[str, Question],
    pricing: Mapping[str, Price],
) -> tuple[CostItem, ...] | None:
    if items is None:
        return None
    out = []
    seen: set[str] = set()
    for i, c in enumerate(items):
        at = f"{where}[{i}]"
        if c["id"] in seen:
            check.problem(at, f"cost item id {c['id']!r} is used twice")
        seen.add(c["id"])
        out.append(
            CostItem(
                id=c["id"],
                label=c["label"],
                low=_factors(check, f"{at}.low", c["low"], questions, pricing),
                high=_factors(check, f"{at}.high", c["high"], questions, pricing),
                basis=check.template(f"{at}.basis", c["basis"]),
                source=check.source(f"{at}.source", c["source"]) or "",
            )
        )
    return tuple(out)


def _cost_value(
    factors: tuple[tuple[str, Any], ...], values: Mapping[str, object], prices: Mapping[str, float]
) -> float | None:
    total = 1.0
    for kind, ref in factors:
        if kind == "number":
            total *= ref
        elif kind == "price":
            total *= prices[ref]
        elif kind == "answer":
            answer = values.get(ref)
            if not isinstance(answer, int):
                return None
            total *= answer
        else:
            name, above = ref
            answer = values.get(name)
            if not isinstance(answer, int):
                return None
            total *= max(0, answer - above)
    return round(total, 2)


def costs_dict(
    items: tuple[CostItem, ...] | None,
    values: Mapping[str, object],
    prices: Mapping[str, float],
    given: Mapping[str, object],
    tree: Tree | None = None,
) -> dict[str, Any] | None:
    """The cost block for a cost model, or None when a factor is unknown or there is none.

    `assumptions` lists the question defaults the figures rest on, and the tree's prices
    that no primary source gives (named "Assumption:" in the tree) unless the caller or
    the deployment set them, so a caller can see which numbers to sharpen.
    """
    if items is None:
        return None
    fill = {**prices, **values}
    rows = []
    assumed: dict[str, object] = {}
    assumed_prices: dict[str, float] = {}
    guesses = tree.assumed_prices if tree is not None else frozenset()
    low_total = high_total = 0.0
    for item in items:
        for factor in item.low + item.high:
            kind, ref = factor
            name = factor_question(factor)
            if name is not None and name not in given and name in values:
                assumed[name] = values[name]
            elif (
                kind == "price"
                and ref in guesses
                and tree is not None
                and (prices is tree.prices or prices[ref] == tree.prices[ref])
            ):
                assumed_prices[ref] = prices[ref]
        low = _cost_value(item.low, values, prices)
        high = _cost_value(item.high, values, prices)
        if low is None or high is None:
            return None
        low_total += low
        high_total += high
        rows.append(
            {
                "id": item.id,
                "label": item.label,
                "low": low,
                "high": high,
                "basis": item.basis.render(fill),
                "source": item.source,
            }
        )
    assumptions: list[dict[str, Any]] = [
        {"question": q, "value": v, "defaulted": True} for q, v in assumed.items()
    ]
    assumptions += [{"price": n, "value": v, "assumed": True} for n, v in assumed_prices.items()]
    return {
        "currency": "USD",
        "period": "month",
        "items": rows,
        "total": {"low": round(low_total, 2), "high": round(high_total, 2)},
        "assumptions": assumptions,
    }
