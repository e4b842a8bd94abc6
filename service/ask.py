"""`netadvisor ask`: one question at a time in the terminal, then the recommendation."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from .engine import Catalog, Leaf, Question, Result
from .render.common import answer_text
from .render.text import render_text

CANCELLED = 130  # the shell's code for a run stopped by Ctrl-C


def read_answer(question: Question, text: str) -> object:
    """The answer a person typed: an option's number, id or label, or a value; ValueError if none.

    The message of the ValueError says what would be accepted.
    """
    text = text.strip()
    if not text:
        raise ValueError("type an answer")
    options = question.to_dict()["options"]
    if options:
        lowered = text.casefold()
        if text.isdigit() and 1 <= int(text) <= len(options):
            return options[int(text) - 1]["id"]
        for option in options:
            oid = option["id"]
            words = {str(option["label"]).casefold()}
            words.add(
                ("true" if oid else "false") if isinstance(oid, bool) else str(oid).casefold()
            )
            if isinstance(oid, bool):
                words.add("y" if oid else "n")
            if lowered in words:
                return oid
        raise ValueError(f"choose a number from 1 to {len(options)}")
    return question.read(text)


def _show(question: Question, out: TextIO) -> None:
    data: dict[str, Any] = question.to_dict()
    out.write(f"\n{question.prompt}\n")
    if question.help:
        out.write(f"  {question.help}\n")
    for i, option in enumerate(data["options"], start=1):
        out.write(f"  {i}. {option['label']}\n")
    form = question.form()
    if form is not None:
        out.write(f"  ({form})\n")
    if question.default is not None:
        shown = next(
            (o["label"] for o in data["options"] if o["id"] == question.default),
            answer_text(question.default),
        )
        out.write(f"  Press Enter for the default: {shown}\n")


def _next_question(result: Result) -> Question | None:
    """The first question on the path that took its default, else the one the walk stopped at.

    Defaulted questions are asked too (Enter keeps the default): their answers can change
    the path and the costs.
    """
    for step in result.steps:
        if step.defaulted:
            return step.node.question
    node = result.node
    return None if isinstance(node, Leaf) else node.question


def ask(
    catalog: Catalog,
    tree_id: str,
    version: str | None = None,
    *,
    read: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Ask until the tree reaches a recommendation; the exit code for the command."""
    tree = catalog.get(tree_id, version)
    out.write(f"{tree.title} ({tree.id} {tree.version})\n")
    for notice in tree.notices:
        out.write(f"! {notice.message.render({})}\n")
    answers: dict[str, object] = {}
    while True:
        result = catalog.evaluate(tree.id, answers, version=tree.version)
        question = _next_question(result)
        if question is None:
            out.write("\n" + render_text(result.to_dict()) + "\n")
            return 0
        _show(question, out)
        while question.id not in answers:
            try:
                text = read("> ")
            except EOFError:
                err.write(f"\nnetadvisor: no answer to {question.id}; stopped\n")
                return 1
            except KeyboardInterrupt:
                err.write("\nnetadvisor: stopped\n")
                return CANCELLED
            if not text.strip() and question.default is not None:
                answers[question.id] = question.default
                continue
            try:
                answers[question.id] = read_answer(question, text)
            except ValueError as exc:
                out.write(f"  {exc}; try again\n")
