"""Walks a compiled tree with a caller's answers and builds the evaluation result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .errors import InvalidAnswers, InvalidPricing, did_you_mean
from .model import (
    Alternative,
    Branch,
    CostItem,
    Leaf,
    Node,
    QuestionNode,
    Recommendation,
    Tree,
    Warning,
    factor_question,
)
from .templates import Values


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


# A step as evaluation records it: a plain tuple in Step's field order. Building a Step
# for every question on every request's path costs more than the tuple itself, so Results
# keep these and make Steps only when `steps` is read.
RawStep = tuple[QuestionNode, object, Branch, bool]


class _Fill:
    """Answers, then prices, by name, for text templates, without merging two dicts."""

    __slots__ = ("prices", "values")

    def __init__(self, values: Mapping[str, object], prices: Mapping[str, float]) -> None:
        self.values = values
        self.prices = prices

    def get(self, name: str) -> object:
        value = self.values.get(name)
        return value if value is not None else self.prices.get(name)


_NO_FACTS: Mapping[str, str] = {}


def derive_answers(
    tree: Tree, facts: Mapping[str, tuple[object, str]], given: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, str]]:
    """The facts that fill questions of this tree the caller left open: (answers, evidence).

    A fact for a question the tree does not ask, or whose value does not fit the
    question (an option an older version lacks), is left out rather than failing the call.
    """
    answers: dict[str, object] = {}
    evidence: dict[str, str] = {}
    for qid, (value, where) in facts.items():
        question = tree.questions.get(qid)
        if question is None or qid in given:
            continue
        try:
            answers[qid] = question.coerce(value)
        except ValueError:
            continue
        evidence[qid] = where
    return answers, evidence


def evaluate_tree(
    tree: Tree,
    answers: Mapping[str, object],
    pricing: Mapping[str, object] | None = None,
    *,
    ask_all: bool = False,
    facts: Mapping[str, tuple[object, str]] | None = None,
) -> Result:
    """Validate, walk as far as the answers go, and return the Result.

    With `ask_all` the walk also stops at a question that has a default but no answer,
    so a chat bot can offer it; `facts` (question id -> (value, evidence)) fill the
    questions the caller did not answer.
    """
    given = check_answers(tree, answers)
    evidence: Mapping[str, str] = _NO_FACTS
    if facts:
        derived, evidence = derive_answers(tree, facts, given)
        given = {**derived, **given}
    prices = check_pricing(tree, pricing) if pricing else tree.prices
    values = {**tree.defaults, **given} if tree.defaults else given
    walked = given if ask_all else values
    path: list[RawStep] = []
    node: Node | None = tree.nodes[tree.root]
    while isinstance(node, QuestionNode):
        qid = node.qid
        value = walked.get(qid)
        if value is None:
            break
        # Boolean and enum answers take their branch from the lookup (what select would
        # do, without the call); only ranges need select.
        lookup = node.lookup
        branch = lookup[value] if lookup else node.select(value)
        path.append((node, value, branch, qid not in given))
        node = branch.child
    assert node is not None, "branches are linked to their nodes at load time"
    return Result(tree, path, node, given, values, prices, walked, evidence)


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


def _warning_dicts(groups: tuple[tuple[Warning, ...], ...], fill: Values) -> list[dict[str, Any]]:
    """The warnings of every group in order, each code once (its first occurrence)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for group in groups:
        for w in group:
            if w.code in seen:
                continue
            seen.add(w.code)
            fixed = w.fixed
            out.append(fixed.copy() if fixed is not None else w.to_dict(w.message.render(fill)))
    return out


def _leaf_warning_dicts(warnings: tuple[Warning, ...], fill: Values) -> list[dict[str, Any]]:
    """A leaf's own warnings, already free of repeated codes (the common case: no notice
    and no warning on the path), without the bookkeeping of `_warning_dicts`."""
    out: list[dict[str, Any]] = []
    for w in warnings:
        fixed = w.fixed
        out.append(fixed.copy() if fixed is not None else w.to_dict(w.message.render(fill)))
    return out


def _add_entries(
    out: list[dict[str, Any]],
    node: QuestionNode,
    branch: Branch,
    answers: tuple[object, ...],
    outcome: Recommendation,
) -> None:
    rec = {"id": outcome.id, "title": outcome.title}
    for answer in answers:
        if node.lookup:
            out.append({"question": node.qid, "answer": answer, "recommendation": rec})
        else:
            out.append(
                {
                    "question": node.qid,
                    "answer": answer,
                    "when": branch.label,
                    "recommendation": rec,
                }
            )


def _walk(
    node: Node | None, values: Mapping[str, object], qid: str, answer: object
) -> Recommendation | None:
    """Where the answers lead from `node` with question `qid` answered `answer` instead;
    None when an answer is missing on the way."""
    while isinstance(node, QuestionNode):
        value = answer if node.qid == qid else values.get(node.qid)
        if value is None:
            return None
        lookup = node.lookup
        node = (lookup[value] if lookup else node.select(value)).child
    return node.recommendation if isinstance(node, Leaf) else None


class Result:
    """The outcome of one evaluation; `to_dict()` is the public response body."""

    # A plain slotted class: built on every request, so construction must be cheap.
    __slots__ = ("evidence", "given", "node", "path", "prices", "tree", "values", "walked")

    def __init__(
        self,
        tree: Tree,
        path: list[RawStep],
        node: QuestionNode | Leaf,
        given: Mapping[str, object],
        values: Mapping[str, object],
        prices: Mapping[str, float],
        walked: Mapping[str, object] | None = None,
        evidence: Mapping[str, str] = _NO_FACTS,
    ) -> None:
        self.tree = tree
        self.path = path  # never changed after evaluation
        self.node = node
        self.given = given
        self.values = values
        self.prices = prices
        # The answers the walk went by: `values` (defaults filled in), or only the given
        # ones when every question is to be asked.
        self.walked = values if walked is None else walked
        self.evidence = evidence  # question id -> where a fact-derived answer came from
        # The answers the walk went by: `values` (defaults filled in), or only the given
        # ones when every question is to be asked.
        self.walked = values if walked is None else walked
        self.evidence = evidence  # question id -> where a fact-derived answer came from

    @property
    def steps(self) -> tuple[Step, ...]:
        """The questions on the path, in order."""
        return tuple(map(Step._make, self.path))

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
        walked = self.walked
        return [q for q in self.tree.needed_questions[self.node.id] if q not in walked]

    def what_if(self) -> list[dict[str, Any]]:
        """Each other answer on the path that would change the recommendation, and to what.

        Each entry is walked with that one answer changed from the first node that asks
        the question (a later node may ask it again), so it can be posted back as it is
        and leads where it says. An answer that would need more answers than were given
        is left out.
        """
        leaf = self.node
        if not isinstance(leaf, Leaf):
            return []
        current = leaf.recommendation.id
        out: list[dict[str, Any]] = []
        values = self.walked
        first: dict[str, QuestionNode] = {}
        repeated = self.tree.repeated_questions
        tried: set[tuple[str, object]] = set()
        for node, answer, taken, _ in self.path:
            qid = node.qid
            start = first.setdefault(qid, node)
            for branch in node.branches:
                # A branch to the node the taken one leads to changes nothing, unless some
                # other node asks the same question (then the answer matters there too).
                if branch is taken or (qid not in repeated and branch.child is taken.child):
                    continue
                # For a range, one typical answer stands for the range (named in `when`).
                answers = branch.samples if node.lookup else branch.samples[:1]
                if qid not in repeated:
                    # Asked once: every answer of the branch leads to the same place.
                    outcome = _walk(branch.child, values, qid, None)
                    if outcome is not None and outcome.id != current:
                        _add_entries(out, node, branch, answers, outcome)
                    continue
                for other in answers:
                    if other == answer or (qid, other) in tried:
                        continue
                    tried.add((qid, other))
                    outcome = _walk(start, values, qid, other)
                    if outcome is not None and outcome.id != current:
                        _add_entries(out, node, branch, (other,), outcome)
        return out

    def to_dict(self) -> dict[str, Any]:
        node = self.node
        values = self.values
        prices = self.prices
        # Answers and prices never share a name (the compiler refuses it), so without
        # prices the answers alone fill the templates and no lookup object is needed.
        fill: Values = _Fill(values, prices) if prices else values
        justification, path_warnings = self._justification(fill)
        if isinstance(node, Leaf):
            return self._complete_dict(node, justification, path_warnings, fill)
        return {
            "tree": self.tree.header.copy(),
            "status": "needs_input",
            "recommendation": None,
            "justification": justification,
            "alternatives": [],
            "costs": None,
            "warnings": self._warnings(path_warnings, (), fill),
            "next_question": node.question.to_dict(),
            "missing": self.missing,
            "what_if": [],
        }

    def _justification(
        self, fill: Values
    ) -> tuple[list[dict[str, Any]], list[tuple[Warning, ...]]]:
        """Each step's answer and reason; and, from the same pass, the warnings on the path."""
        justification = []
        path_warnings = []
        evidence = self.evidence
        for node, answer, branch, defaulted in self.path:
            step = {
                "question": node.qid,
                "answer": answer,
                "reason": branch.reason.text or branch.reason.render(fill),
                "defaulted": defaulted,
            }
            if evidence and node.qid in evidence:
                step["from_facts"] = True
                step["evidence"] = evidence[node.qid]
            justification.append(step)
            if branch.warnings:
                path_warnings.append(branch.warnings)
        return justification, path_warnings

    def _complete_dict(
        self,
        leaf: Leaf,
        justification: list[dict[str, Any]],
        path_warnings: list[tuple[Warning, ...]],
        fill: Values,
    ) -> dict[str, Any]:
        rec = leaf.recommendation
        # Texts are filled in only where the leaf has placeholders; fixed ones are copied.
        fixed_reasons = leaf.reason_texts
        fixed_steps = leaf.next_step_texts
        costs = leaf.costs
        return {
            "tree": self.tree.header.copy(),
            "status": "complete",
            "recommendation": {
                "id": rec.id,
                "title": rec.title,
                "summary": leaf.summary.text or leaf.summary.render(fill),
                "reasons": list(fixed_reasons)
                if fixed_reasons is not None
                else [r.text or r.render(fill) for r in leaf.reasons],
                "next_steps": list(fixed_steps)
                if fixed_steps is not None
                else [t.text or t.render(fill) for t in leaf.next_steps],
                # Fixed fragments are copied: a caller may change the dict it gets.
                "commands": [*map(dict.copy, leaf.command_dicts)],
                "sources": [*map(dict.copy, rec.source_dicts)],
            },
            "justification": justification,
            "alternatives": [
                a.fixed.copy() if a.fixed is not None else self._alternative(a, fill)
                for a in leaf.alternatives
            ],
            "costs": None
            if costs is None
            else costs_dict(costs, self.values, self.prices, self.given, self.tree),
            "warnings": self._warnings(path_warnings, leaf.unique_warnings, fill),
            "next_question": None,
            "missing": [],
            "what_if": self.what_if(),
        }

    def _warnings(
        self,
        path_warnings: list[tuple[Warning, ...]],
        leaf_warnings: tuple[Warning, ...],
        fill: Values,
    ) -> list[dict[str, Any]]:
        """The tree's notices, then the warnings of the branches taken, then the leaf's."""
        notices = self.tree.notices
        if not path_warnings and not notices:
            return _leaf_warning_dicts(leaf_warnings, fill)
        return _warning_dicts((notices, *path_warnings, leaf_warnings), fill)

    def _alternative(self, alt: Alternative, fill: Values) -> dict[str, Any]:
        rec = alt.recommendation
        item: dict[str, Any] = {
            "id": rec.id,
            "title": rec.title,
            "why_not": alt.why_not.render(fill),
        }
        if rec.costs is not None:
            costs = costs_dict(rec.costs, self.values, self.prices, self.given, self.tree)
            if costs is not None:
                item["costs"] = costs
        return item
