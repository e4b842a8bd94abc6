"""Walks a compiled tree with a caller's answers: checks them, then builds the Result."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import InvalidAnswers, InvalidPricing, did_you_mean
from .model import Node, QuestionNode
from .result import NO_FACTS, RawStep, Result, Step
from .tree import Tree

# Re-exported: callers used to find the result here.
__all__ = ["Result", "Step", "check_answers", "evaluate_tree", "parse_text_answers"]


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
        if value.__class__ is question.plain_class and value in question.plain_values:
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
    questions = tree.questions
    return {
        qid: text if (question := questions.get(qid)) is None else question.parse_text(text)
        for qid, text in pairs.items()
    }


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
    evidence: Mapping[str, str] = NO_FACTS
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
