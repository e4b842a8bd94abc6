"""Turns a parsed tree file into an immutable Tree, or every reason it cannot be one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .checks import Checker, check_cost_factors, check_tests
from .costs import parse_costs
from .errors import TreeCheckError
from .graph import walk_problems
from .kinds import kind_of
from .loader import RawTree
from .model import Node, Price, Question, Recommendation, Source
from .nodes import commands, compile_nodes, link
from .schema import TREE_SCHEMA, iter_schema_errors
from .tree import TestCase, Tree


def compile_tree(raw: RawTree, display: str | None = None) -> Tree:
    """Check a parsed file completely and build its Tree; raise TreeCheckError otherwise."""
    check = Checker(raw, display or str(raw.path))
    if not isinstance(raw.data, dict):
        check.problem("", "a tree file must be a mapping with id, version, questions, nodes ...")
        raise TreeCheckError(check.problems)
    messages = TREE_SCHEMA.validate(raw.data)
    if messages:
        for location, message, hint in iter_schema_errors(messages, TREE_SCHEMA):
            check.problem(location, message, hint)
        raise TreeCheckError(check.problems)
    data: dict[str, Any] = TREE_SCHEMA.load(raw.data)
    tree = _build(check, data)
    if check.problems or tree is None:
        raise TreeCheckError(check.problems)
    return tree


def _header(check: Checker, data: dict[str, Any]) -> None:
    """The file's name against its id and version, its sources, and its status."""
    path = check.raw.path
    if path.parent.name != data["id"]:
        check.problem("id", f"id {data['id']!r} must match the directory name {path.parent.name!r}")
    if path.stem != data["version"]:
        check.problem(
            "version", f"version {data['version']!r} must match the file name {path.name!r}"
        )
    for i, s in enumerate(data["sources"]):
        if s["id"] in check.sources:
            check.problem(f"sources[{i}].id", f"source id {s['id']!r} is declared twice")
        check.sources[s["id"]] = Source(s["id"], s["title"], s["url"])
    deprecation = data.get("deprecation")
    if data["status"] == "deprecated" and not deprecation:
        check.problem("deprecation", "a deprecated version needs deprecation: {message, source}")
    if data["status"] == "current" and deprecation:
        check.problem("deprecation", "only a version with status: deprecated takes deprecation")


def _pricing(check: Checker, items: Mapping[str, dict[str, Any]] | None) -> dict[str, Price]:
    return {
        name: Price(
            name,
            p["value"],
            p["unit"],
            p["description"],
            check.source(f"pricing.{name}.source", p.get("source")),
        )
        for name, p in (items or {}).items()
    }


def _build(check: Checker, data: dict[str, Any]) -> Tree | None:
    _header(check, data)
    pricing = _pricing(check, data.get("pricing"))
    questions = _questions(check, data["questions"])
    for name in sorted(set(questions) & set(pricing)):
        check.problem(f"pricing.{name}", "a price cannot share its name with a question")
    check.names = set(questions) | set(pricing)
    recommendations = {
        rec_id: _recommendation(check, rec_id, rec, questions, pricing)
        for rec_id, rec in data["recommendations"].items()
    }
    nodes = compile_nodes(check, data["nodes"], questions, recommendations, pricing)
    root = data["root"]
    if root not in data["nodes"]:
        check.unknown("root", "node", root, data["nodes"])
        return None
    if not check.problems:
        for location, message in walk_problems(root, nodes):
            check.problem(location, message)
    if check.problems:
        return None
    check_cost_factors(check, root, nodes, questions)
    tests = tuple(
        TestCase(t["name"], t["answers"], t.get("pricing") or {}, t["expect"])
        for t in data["tests"]
    )
    check_tests(check, tests, questions, recommendations, pricing)
    return _tree(check, data, (pricing, questions, recommendations), link(root, nodes), tests)


def _tree(
    check: Checker,
    data: dict[str, Any],
    parts: tuple[Mapping[str, Price], Mapping[str, Question], Mapping[str, Recommendation]],
    nodes: Mapping[str, Node],
    tests: tuple[TestCase, ...],
) -> Tree:
    pricing, questions, recommendations = parts
    deprecation = data.get("deprecation") or {}
    return Tree(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        description=data["description"],
        status=data["status"],
        as_of=data["as_of"],
        changes=tuple(data["changes"]),
        sources=check.sources,
        pricing=pricing,
        questions=questions,
        recommendations=recommendations,
        root=data["root"],
        nodes=nodes,
        tests=tests,
        digest=check.raw.digest,
        path=check.file,
        deprecation_message=deprecation.get("message"),
        deprecation_source=check.source("deprecation.source", deprecation.get("source")),
    )


def _questions(check: Checker, items: list[dict[str, Any]]) -> dict[str, Question]:
    out: dict[str, Question] = {}
    for i, q in enumerate(items):
        where = f"questions[{i}] ({q['id']})"
        if q["id"] in out:
            check.problem(where, f"question id {q['id']!r} is declared twice")
            continue
        kind = kind_of(q)
        fields, problems = kind.definition(q)
        for message in problems:
            check.problem(where, message)
        question = Question(
            id=q["id"],
            prompt=q["prompt"],
            help=q.get("help"),
            kind=kind,
            minimum=q.get("min"),
            maximum=q.get("max"),
            **fields,
        )
        if "default" in q:
            try:
                question = replace(question, default=question.coerce(q["default"]))
            except ValueError as exc:
                check.problem(f"{where}.default", f"default does not fit the question: {exc}")
        out[question.id] = question
    return out


def _recommendation(
    check: Checker,
    rec_id: str,
    rec: dict[str, Any],
    questions: Mapping[str, Question],
    pricing: Mapping[str, Price],
) -> Recommendation:
    where = f"recommendations.{rec_id}"
    sources = []
    for i, ref in enumerate(rec.get("sources") or []):
        if check.source(f"{where}.sources[{i}]", ref) is not None:
            sources.append(check.sources[ref])
    return Recommendation(
        id=rec_id,
        title=rec["title"],
        summary=check.template(f"{where}.summary", rec["summary"]),
        sources=tuple(sources),
        warnings=check.warnings(where, rec.get("warnings")),
        next_steps=tuple(
            check.template(f"{where}.next_steps", s) for s in rec.get("next_steps") or []
        ),
        commands=commands(rec.get("commands")),
        costs=parse_costs(check, f"{where}.costs", rec.get("costs"), questions, pricing),
    )
