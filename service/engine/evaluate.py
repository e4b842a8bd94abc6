"""Walks a compiled tree with a caller's answers and builds the evaluation result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .errors import InvalidAnswers, InvalidPricing, did_you_mean
from .model import Alternative, Branch, CostItem, Leaf, QuestionNode, Tree, Warning


def check_answers(tree: Tree, answers: Mapping[str, object]) -> dict[str, object]:
    """Every answer validated against its question; all problems reported at once."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, object] = {}
    questions = tree.questions
    for qid, value in answers.items():
        question = questions.get(qid)
        if question is None:
            valid = ", ".join(questions)
            close = did_you_mean(str(qid), questions)
            hint = f" Did you mean {close!r}?" if close else ""
            errors[str(qid)] = [f"unknown question.{hint} Valid questions: {valid}."]
            continue
        # The common well-typed answers are accepted inline; everything else takes the
        # full check, which also words the error.
        kind = question.type
        if kind == "boolean" and value.__class__ is bool:
            clean[qid] = value
            continue
        if kind == "enum" and value.__class__ is str and value in question.option_ids:
            clean[qid] = value
            continue
        try:
            clean[qid] = question.coerce(value)
        except ValueError as exc:
            errors[qid] = [str(exc)]
    if errors:
        raise InvalidAnswers(
            f"answers do not fit {tree.id} {tree.version}",
            errors,
            tree=tree.id,
            version=tree.version,
        )
    return clean


def parse_text_answers(tree: Tree, pairs: Mapping[str, str]) -> dict[str, object]:
    """Answers written as text (command line, query string) turned into their JSON types.

    Values that do not parse are passed on unchanged so `check_answers` reports them.
    """
    out: dict[str, object] = {}
    for qid, text in pairs.items():
        question = tree.questions.get(qid)
        kind = question.type if question is not None else None
        value: object = text
        if kind == "boolean":
            lowered = text.strip().lower()
            if lowered in ("true", "yes", "y", "1"):
                value = True
            elif lowered in ("false", "no", "n", "0"):
                value = False
        elif kind == "integer" and text.strip().lstrip("-").isdigit():
            value = int(text.strip())
        out[qid] = value
    return out


def check_pricing(tree: Tree, pricing: Mapping[str, object] | None) -> Mapping[str, float]:
    """The prices in force: the tree's defaults with the caller's overrides on top."""
    if not pricing:
        return tree.prices
    errors: dict[str, list[str]] = {}
    prices = dict(tree.prices)
    for name, value in pricing.items():
        if name not in prices:
            close = did_you_mean(str(name), prices)
            hint = f" Did you mean {close!r}?" if close else ""
            known = ", ".join(prices) or "none (this tree has no cost model)"
            errors[str(name)] = [f"unknown price.{hint} Prices of this tree: {known}."]
        elif isinstance(value, bool) or not isinstance(value, int | float):
            errors[name] = ["expected a number of US dollars"]
        elif not 0 <= value < 1e12:  # also refuses NaN, which fails every comparison
            errors[name] = ["expected a number from 0 up to 1e12"]
        else:
            prices[name] = float(value)
    if errors:
        raise InvalidPricing(
            f"pricing does not fit {tree.id} {tree.version}",
            errors,
            tree=tree.id,
            version=tree.version,
        )
    return prices


class Step(NamedTuple):
    """One question on the path: the node, the answer used, the branch it took."""

    node: QuestionNode
    answer: object
    branch: Branch
    defaulted: bool


# NamedTuple's own __new__ is a Python function; the tuple constructor does the same work
# in C, and a step is built for every question on every request's path.
_new_step = tuple.__new__


class _Fill:
    """Answers, then prices, by name, for text templates, without merging two dicts."""

    __slots__ = ("prices", "values")

    def __init__(self, values: Mapping[str, object], prices: Mapping[str, float]) -> None:
        self.values = values
        self.prices = prices

    def get(self, name: str) -> object:
        value = self.values.get(name)
        return value if value is not None else self.prices.get(name)


def evaluate_tree(
    tree: Tree,
    answers: Mapping[str, object],
    pricing: Mapping[str, object] | None = None,
) -> Result:
    """Validate, walk as far as the answers go, and return the Result."""
    given = check_answers(tree, answers)
    prices = check_pricing(tree, pricing)
    values = {**tree.defaults, **given} if tree.defaults else given
    nodes = tree.nodes
    steps: list[Step] = []
    node = nodes[tree.root]
    while isinstance(node, QuestionNode):
        qid = node.question.id
        value = values.get(qid)
        if value is None:
            break
        branch = node.select(value)
        steps.append(_new_step(Step, (node, value, branch, qid not in given)))
        node = nodes[branch.target]
    return Result(tree, tuple(steps), node, given, values, prices)


def _cost_value(
    factors: tuple[tuple[str, Any], ...], values: Mapping[str, object], prices: Mapping[str, float]
) -> float | None:
    total = 1.0
    for kind, ref in factors:
        if kind == "number":
            total *= ref
        elif kind == "price":
            total *= prices[ref]
        else:
            answer = values.get(ref)
            if not isinstance(answer, int):
                return None
            total *= answer
    return round(total, 2)


def costs_dict(
    items: tuple[CostItem, ...] | None,
    values: Mapping[str, object],
    prices: Mapping[str, float],
    given: Mapping[str, object],
) -> dict[str, Any] | None:
    """The cost block for a cost model, or None when a factor is unknown or there is none.

    `assumptions` lists the question defaults the figures rest on, so a caller can see
    which numbers were not theirs and answer those questions to sharpen the estimate.
    """
    if items is None:
        return None
    fill = {**prices, **values}
    rows = []
    assumed: dict[str, object] = {}
    low_total = high_total = 0.0
    for item in items:
        for kind, ref in item.low + item.high:
            if kind == "answer" and ref not in given and ref in values:
                assumed[ref] = values[ref]
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
    return {
        "currency": "USD",
        "period": "month",
        "items": rows,
        "total": {"low": round(low_total, 2), "high": round(high_total, 2)},
        "assumptions": [{"question": q, "value": v, "defaulted": True} for q, v in assumed.items()],
    }


def _warning_dicts(groups: tuple[tuple[Warning, ...], ...], fill: _Fill) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for group in groups:
        for w in group:
            if w.code in seen:
                continue
            seen.add(w.code)
            item: dict[str, Any] = {"code": w.code, "message": w.message.render(fill)}
            if w.source:
                item["source"] = w.source
            out.append(item)
    return out


class Result:
    """The outcome of one evaluation; `to_dict()` is the public response body."""

    # A plain slotted class: built on every request, so construction must be cheap.
    __slots__ = ("given", "node", "prices", "steps", "tree", "values")

    def __init__(
        self,
        tree: Tree,
        steps: tuple[Step, ...],
        node: QuestionNode | Leaf,
        given: Mapping[str, object],
        values: Mapping[str, object],
        prices: Mapping[str, float],
    ) -> None:
        self.tree = tree
        self.steps = steps
        self.node = node
        self.given = given
        self.values = values
        self.prices = prices

    @property
    def complete(self) -> bool:
        return isinstance(self.node, Leaf)

    @property
    def status(self) -> str:
        return "complete" if isinstance(self.node, Leaf) else "needs_input"

    @property
    def recommendation_id(self) -> str | None:
        return self.node.recommendation.id if isinstance(self.node, Leaf) else None

    @property
    def missing(self) -> list[str]:
        if isinstance(self.node, Leaf):
            return []
        values = self.values
        return [q for q in self.tree.reachable_questions[self.node.id] if q not in values]

    def what_if(self) -> list[dict[str, Any]]:
        """Each other answer on the path that would change the recommendation, and to what."""
        leaf = self.node
        if not isinstance(leaf, Leaf):
            return []
        current = leaf.recommendation.id
        out: list[dict[str, Any]] = []
        values = self.values
        nodes = self.tree.nodes
        for step in self.steps:
            node = step.node
            for branch in node.branches:
                if branch is step.branch:
                    continue
                # Walk on with the same answers; a branch that would need more answers
                # than were given is left out, so every entry can be posted back as is.
                target = nodes[branch.target]
                while isinstance(target, QuestionNode):
                    value = values.get(target.question.id)
                    if value is None:
                        break
                    target = nodes[
                        (target.lookup[value] if target.lookup else target.select(value)).target
                    ]
                if not isinstance(target, Leaf):
                    continue
                outcome = target.recommendation
                if outcome.id == current:
                    continue
                rec = {"id": outcome.id, "title": outcome.title}
                if node.lookup:
                    for answer in branch.samples:
                        out.append(
                            {"question": node.question.id, "answer": answer, "recommendation": rec}
                        )
                else:
                    # A range: a typical answer a caller can post back, and the range in words.
                    out.append(
                        {
                            "question": node.question.id,
                            "answer": branch.samples[0],
                            "when": branch.label,
                            "recommendation": rec,
                        }
                    )
        return out

    def to_dict(self) -> dict[str, Any]:
        tree = self.tree
        fill = _Fill(self.values, self.prices)
        node = self.node
        steps = self.steps
        justification = [
            {
                "question": step[0].question.id,
                "answer": step[1],
                "reason": step[2].reason.text or step[2].reason.render(fill),
                "defaulted": step[3],
            }
            for step in steps
        ]
        body: dict[str, Any] = {
            "tree": {
                "id": tree.id,
                "version": tree.version,
                "title": tree.title,
                "status": tree.status,
                "digest": tree.digest,
            },
        }
        path_warnings = [step[2].warnings for step in steps if step[2].warnings]
        if isinstance(node, Leaf):
            rec = node.recommendation
            if node.dynamic:
                summary = node.summary.text or node.summary.render(fill)
                reasons = [r.text or r.render(fill) for r in node.reasons]
                next_steps = [t.text or t.render(fill) for t in node.next_steps]
            else:
                summary = node.summary.source
                reasons = [r.source for r in node.reasons]
                next_steps = [t.source for t in node.next_steps]
            body["status"] = "complete"
            body["recommendation"] = {
                "id": rec.id,
                "title": rec.title,
                "summary": summary,
                "reasons": reasons,
                "next_steps": next_steps,
                "commands": [{"command": c.command, "meaning": c.meaning} for c in node.commands],
                "sources": [{"title": s.title, "url": s.url} for s in rec.sources],
            }
            body["justification"] = justification
            body["alternatives"] = [self._alternative(a, fill) for a in node.alternatives]
            body["costs"] = costs_dict(node.costs, self.values, self.prices, self.given)
            body["warnings"] = _warning_dicts((tree.notices, *path_warnings, node.warnings), fill)
            body["next_question"] = None
            body["missing"] = []
            body["what_if"] = self.what_if()
        else:
            body["status"] = "needs_input"
            body["recommendation"] = None
            body["justification"] = justification
            body["alternatives"] = []
            body["costs"] = None
            body["warnings"] = _warning_dicts((tree.notices, *path_warnings), fill)
            body["next_question"] = node.question.to_dict()
            body["missing"] = self.missing
            body["what_if"] = []
        return body

    def _alternative(self, alt: Alternative, fill: _Fill) -> dict[str, Any]:
        rec = alt.recommendation
        item: dict[str, Any] = {
            "id": rec.id,
            "title": rec.title,
            "why_not": alt.why_not.render(fill),
        }
        if rec.costs is not None:
            costs = costs_dict(rec.costs, self.values, self.prices, self.given)
            if costs is not None:
                item["costs"] = costs
        return item
