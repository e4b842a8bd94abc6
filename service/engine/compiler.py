"""Turns a parsed tree file into an immutable Tree, or every reason it cannot be one."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from .audit import ASSUMPTION_PREFIX
from .conditions import (
    ConditionError,
    IntRange,
    VersionRange,
    format_version,
    int_coverage_problems,
    parse_int_condition,
    parse_version_condition,
    version_coverage_problems,
)
from .errors import Problem, TreeCheckError, did_you_mean
from .graph import must_answer_sets, needed_questions, topological, walk_problems
from .loader import RawTree
from .model import (
    Alternative,
    Branch,
    Command,
    CostItem,
    Factor,
    Leaf,
    Node,
    Option,
    Price,
    Question,
    QuestionNode,
    Recommendation,
    Source,
    TestCase,
    Tree,
    Warning,
    factor_question,
)
from .schema import TREE_SCHEMA, iter_schema_errors
from .templates import Template


class _Checker:
    """Collects problems for one file so a single run reports all of them."""

    def __init__(self, raw: RawTree, display: str) -> None:
        self.raw = raw
        self.file = display
        self.problems: list[Problem] = []
        self.names: set[str] = set()
        self.sources: dict[str, Source] = {}

    def problem(self, location: str, message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem(self.file, location, message, suggestion))

    def unknown(self, location: str, kind: str, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        close = did_you_mean(name, known)
        hint = f"did you mean {close!r}?" if close else None
        listing = ", ".join(known) if len(known) <= 12 else ", ".join(known[:12]) + ", ..."
        self.problem(location, f"{kind} {name!r} does not exist; known: {listing}", hint)

    def source(self, location: str, ref: str | None) -> str | None:
        """A source id resolved to its URL."""
        if ref is None:
            return None
        found = self.sources.get(ref)
        if found is None:
            self.unknown(location, "source", ref, self.sources)
            return None
        return found.url

    def template(self, location: str, text: str) -> Template:
        compiled = Template.compile(text)
        for name in compiled.names:
            if name not in self.names:
                self.unknown(location, "placeholder", name, self.names)
        return compiled

    def warnings(self, location: str, items: list[dict[str, Any]] | None) -> tuple[Warning, ...]:
        out = []
        for i, w in enumerate(items or []):
            where = f"{location}.warnings[{i}]"
            out.append(
                Warning(
                    w["code"],
                    self.template(where, w["message"]),
                    self.source(f"{where}.source", w.get("source")),
                )
            )
        return tuple(out)


def compile_tree(raw: RawTree, display: str | None = None) -> Tree:
    """Check a parsed file completely and build its Tree; raise TreeCheckError otherwise."""
    check = _Checker(raw, display or str(raw.path))
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
    if check.problems:
        raise TreeCheckError(check.problems)
    assert tree is not None
    return tree


def _build(check: _Checker, data: dict[str, Any]) -> Tree | None:
    tree_id, version = data["id"], data["version"]
    path = check.raw.path
    if path.parent.name != tree_id:
        check.problem("id", f"id {tree_id!r} must match the directory name {path.parent.name!r}")
    if path.stem != version:
        check.problem("version", f"version {version!r} must match the file name {path.name!r}")

    for i, s in enumerate(data["sources"]):
        if s["id"] in check.sources:
            check.problem(f"sources[{i}].id", f"source id {s['id']!r} is declared twice")
        check.sources[s["id"]] = Source(s["id"], s["title"], s["url"])

    deprecation = data.get("deprecation")
    if data["status"] == "deprecated" and not deprecation:
        check.problem("deprecation", "a deprecated version needs deprecation: {message, source}")
    if data["status"] == "current" and deprecation:
        check.problem("deprecation", "only a version with status: deprecated takes deprecation")

    pricing = {
        name: Price(
            name,
            p["value"],
            p["unit"],
            p["description"],
            check.source(f"pricing.{name}.source", p.get("source")),
        )
        for name, p in (data.get("pricing") or {}).items()
    }
    questions = _questions(check, data["questions"])
    clash = set(questions) & set(pricing)
    for name in sorted(clash):
        check.problem(f"pricing.{name}", "a price cannot share its name with a question")
    check.names = set(questions) | set(pricing)

    recommendations = {
        rec_id: _recommendation(check, rec_id, rec, questions, pricing)
        for rec_id, rec in data["recommendations"].items()
    }
    nodes = _nodes(check, data["nodes"], questions, recommendations, pricing)

    root = data["root"]
    if root not in data["nodes"]:
        check.unknown("root", "node", root, data["nodes"])
        return None
    if check.problems:
        return None
    for location, message in walk_problems(root, nodes):
        check.problem(location, message)
    if check.problems:
        return None
    _check_cost_factors(check, root, nodes, questions)
    nodes = _linked(root, nodes)

    tests = tuple(
        TestCase(t["name"], t["answers"], t.get("pricing") or {}, t["expect"])
        for t in data["tests"]
    )
    _check_tests(check, tests, questions, recommendations, pricing)

    return Tree(
        id=tree_id,
        version=version,
        title=data["title"],
        description=data["description"],
        status=data["status"],
        as_of=data["as_of"],
        changes=tuple(data["changes"]),
        sources=check.sources,
        pricing=pricing,
        questions=questions,
        recommendations=recommendations,
        root=root,
        nodes=nodes,
        tests=tests,
        digest=check.raw.digest,
        path=check.file,
        deprecation_message=deprecation["message"] if deprecation else None,
        deprecation_source=check.source("deprecation.source", deprecation.get("source"))
        if deprecation
        else None,
        needed_questions=needed_questions(root, nodes),
        assumed_prices=frozenset(
            name for name, p in pricing.items() if p.description.startswith(ASSUMPTION_PREFIX)
        ),
        repeated_questions=frozenset(
            qid
            for qid, count in Counter(
                n.question.id for n in nodes.values() if isinstance(n, QuestionNode)
            ).items()
            if count > 1
        ),
        defaults={q.id: q.default for q in questions.values() if q.default is not None},
        prices={name: p.value for name, p in pricing.items()},
    )


def _questions(check: _Checker, items: list[dict[str, Any]]) -> dict[str, Question]:
    out: dict[str, Question] = {}
    for i, q in enumerate(items):
        where = f"questions[{i}] ({q['id']})"
        if q["id"] in out:
            check.problem(where, f"question id {q['id']!r} is declared twice")
            continue
        kind = q["type"]
        allowed = {
            "boolean": set(),
            "enum": {"options"},
            "integer": {"min", "max"},
            "string": {"pattern", "format"},
        }[kind]
        extra = sorted(set(q) & {"options", "min", "max", "pattern", "format"} - allowed)
        if extra:
            check.problem(where, f"a {kind} question does not take {', '.join(extra)}")
        options: tuple[Option, ...] = ()
        pattern = None
        if kind == "enum":
            if "options" not in q:
                check.problem(where, "an enum question needs options: [{id, label}, ...]")
            options = tuple(Option(o["id"], o["label"]) for o in q.get("options", []))
            ids = [o.id for o in options]
            for dup in sorted({x for x in ids if ids.count(x) > 1}):
                check.problem(where, f"option {dup!r} is listed twice")
        if kind == "integer":
            if "min" not in q:
                check.problem(where, "an integer question needs min (and optionally max)")
            elif "max" in q and q["max"] < q["min"]:
                check.problem(where, f"max {q['max']} is below min {q['min']}")
        if kind == "string":
            if ("pattern" in q) == ("format" in q):
                check.problem(where, "a string question needs either pattern or format: version")
            if "pattern" in q:
                try:
                    pattern = re.compile(q["pattern"])
                except re.error as exc:
                    check.problem(where, f"pattern does not compile: {exc}")
        question = Question(
            id=q["id"],
            prompt=q["prompt"],
            help=q.get("help"),
            type=kind,
            options=options,
            option_ids=frozenset(o.id for o in options),
            minimum=q.get("min"),
            maximum=q.get("max"),
            pattern=pattern,
            is_version=q.get("format") == "version",
        )
        if "default" in q:
            try:
                default = question.coerce(q["default"])
            except ValueError as exc:
                check.problem(f"{where}.default", f"default does not fit the question: {exc}")
            else:
                question = _with_default(question, default)
        out[question.id] = question
    return out


def _with_default(question: Question, default: object) -> Question:
    from dataclasses import replace

    return replace(question, default=default)


# "zones - 1": the part of an integer answer above N, never below 0.
_EXCESS = re.compile(r"([a-z][a-z0-9_]*)\s*-\s*([0-9]{1,6})")


def _factors(
    check: _Checker,
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
            if questions[f].type != "integer":
                check.problem(at, f"question {f!r} is {questions[f].type}; factors need integer")
            out.append(("answer", f))
        elif isinstance(f, str) and (m := _EXCESS.fullmatch(f)) and m.group(1) in questions:
            if questions[m.group(1)].type != "integer":
                check.problem(at, f"question {m.group(1)!r} is not integer; factors need integer")
            out.append(("excess", (m.group(1), int(m.group(2)))))
        elif isinstance(f, str):
            check.unknown(
                at,
                "price or integer question",
                f,
                [*pricing, *(q.id for q in questions.values() if q.type == "integer")],
            )
        else:
            check.problem(at, "a cost factor is a number, an integer question or a price name")
    return tuple(out)


def _costs(
    check: _Checker,
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


def _commands(items: list[dict[str, str]] | None) -> tuple[Command, ...]:
    return tuple(Command(c["command"], c["meaning"]) for c in items or [])


def _recommendation(
    check: _Checker,
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
        commands=_commands(rec.get("commands")),
        costs=_costs(check, f"{where}.costs", rec.get("costs"), questions, pricing),
    )


def _nodes(
    check: _Checker,
    raw_nodes: Mapping[str, dict[str, Any]],
    questions: Mapping[str, Question],
    recommendations: Mapping[str, Recommendation],
    pricing: Mapping[str, Price],
) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for node_id, raw in raw_nodes.items():
        where = f"nodes.{node_id}"
        if "question" in raw:
            question = questions.get(raw["question"])
            if question is None:
                check.unknown(f"{where}.question", "question", raw["question"], questions)
                continue
            node = _question_node(check, where, node_id, question, raw["branches"], raw_nodes)
            if node is not None:
                nodes[node_id] = node
            continue
        rec = recommendations.get(raw["recommend"])
        if rec is None:
            check.unknown(f"{where}.recommend", "recommendation", raw["recommend"], recommendations)
            continue
        alternatives: list[Alternative] = []
        for i, alt in enumerate(raw.get("alternatives") or []):
            at = f"{where}.alternatives[{i}]"
            other = recommendations.get(alt["id"])
            if other is None:
                check.unknown(f"{at}.id", "recommendation", alt["id"], recommendations)
            elif other.id == rec.id:
                check.problem(at, f"{rec.id!r} is this leaf's own recommendation")
            elif any(a.recommendation.id == other.id for a in alternatives):
                check.problem(at, f"alternative {other.id!r} is listed twice")
            else:
                alternatives.append(
                    Alternative(other, check.template(f"{at}.why_not", alt["why_not"]))
                )
        leaf_costs = _costs(check, f"{where}.costs", raw.get("costs"), questions, pricing)
        summary = (
            check.template(f"{where}.summary", raw["summary"]) if "summary" in raw else rec.summary
        )
        reasons = tuple(
            check.template(f"{where}.reasons[{i}]", r) for i, r in enumerate(raw["reasons"])
        )
        warnings = rec.warnings + check.warnings(where, raw.get("warnings"))
        next_steps = rec.next_steps + tuple(
            check.template(f"{where}.next_steps", s) for s in raw.get("next_steps") or []
        )
        nodes[node_id] = Leaf(
            id=node_id,
            recommendation=rec,
            summary=summary,
            reasons=reasons,
            warnings=warnings,
            alternatives=tuple(alternatives),
            next_steps=next_steps,
            commands=rec.commands + _commands(raw.get("commands")),
            costs=leaf_costs if leaf_costs is not None else rec.costs,
        )
    return nodes


def _question_node(
    check: _Checker,
    where: str,
    node_id: str,
    question: Question,
    raw_branches: list[dict[str, Any]],
    raw_nodes: Mapping[str, Any],
) -> QuestionNode | None:
    branches: list[Branch] = []
    lookup: dict[object, Branch] = {}
    int_ranges: list[tuple[IntRange, Branch]] = []
    version_ranges: list[tuple[VersionRange, Branch]] = []
    ok = True
    for i, b in enumerate(raw_branches):
        at = f"{where}.branches[{i}]"
        if b["next"] not in raw_nodes:
            check.unknown(f"{at}.next", "node", b["next"], raw_nodes)
            ok = False
        when = b["when"]
        reason = check.template(f"{at}.reason", b["reason"])
        warnings = check.warnings(at, b.get("warnings"))
        index = len(branches)
        try:
            if question.type == "boolean":
                if not isinstance(when, bool):
                    raise ConditionError("a boolean question branches on true or false")
                branch = Branch(
                    "yes" if when else "no", reason, b["next"], warnings, (when,), index
                )
                keys: list[object] = [when]
            elif question.type == "enum":
                values = when if isinstance(when, list) else [when]
                offered = [o.id for o in question.options]
                for v in values:
                    if not isinstance(v, str) or v not in offered:
                        raise ConditionError(
                            f"{v!r} is not an option of {question.id}; options: "
                            + ", ".join(offered)
                        )
                branch = Branch(
                    ", ".join(values), reason, b["next"], warnings, tuple(values), index
                )
                keys = list(values)
            elif question.type == "integer":
                rng = parse_int_condition(when, question.minimum or 0, question.maximum)
                branch = Branch(str(when).strip(), reason, b["next"], warnings, (rng.low,), index)
                int_ranges.append((rng, branch))
                keys = []
            elif question.is_version:
                vrange = parse_version_condition(when)
                sample = format_version(vrange.low or _below(vrange.high))
                branch = Branch(str(when).strip(), reason, b["next"], warnings, (sample,), index)
                version_ranges.append((vrange, branch))
                keys = []
            else:
                raise ConditionError(
                    "only integer questions and string questions with format: version "
                    "can be branched on; use an enum for fixed choices"
                )
        except ConditionError as exc:
            check.problem(f"{at}.when", str(exc))
            ok = False
            continue
        for key in keys:
            if key in lookup:
                check.problem(f"{at}.when", f"{key!r} is already handled by an earlier branch")
                ok = False
            lookup[key] = branch
        branches.append(branch)
    if not ok:
        return None
    missing: list[str] = []
    if question.type == "boolean":
        missing = [str(v).lower() for v in (True, False) if v not in lookup]
    elif question.type == "enum":
        missing = [o.id for o in question.options if o.id not in lookup]
    if missing:
        check.problem(
            where,
            f"no branch handles {', '.join(missing)} for {question.id}; "
            "every answer needs a branch",
        )
        return None
    gaps = (
        int_coverage_problems([r for r, _ in int_ranges], question.minimum or 0, question.maximum)
        if int_ranges
        else version_coverage_problems([r for r, _ in version_ranges])
        if version_ranges
        else []
    )
    for gap in gaps:
        check.problem(where, f"{question.id}: {gap}")
    if gaps:
        return None
    return QuestionNode(
        node_id,
        question,
        tuple(branches),
        lookup,
        tuple(sorted(int_ranges, key=lambda x: x[0].low)),
        tuple(version_ranges),
    )


def _linked(root: str, nodes: Mapping[str, Node]) -> dict[str, Node]:
    """The nodes again, each branch holding the node it leads to (children first, so each
    is final when its parent takes it); the order of `nodes` is kept."""
    done: dict[str, Node] = {}
    for node_id in reversed(topological(root, nodes)):
        node = nodes[node_id]
        done[node_id] = _with_children(node, done) if isinstance(node, QuestionNode) else node
    return {node_id: done[node_id] for node_id in nodes}


def _with_children(node: QuestionNode, done: Mapping[str, Node]) -> QuestionNode:
    """The node with its branches linked to their (final) child nodes, and its lookup and
    ranges pointing at those branches."""
    branches = tuple(replace(b, child=done[b.target]) for b in node.branches)
    return replace(
        node,
        branches=branches,
        lookup={value: branches[b.index] for value, b in node.lookup.items()},
        int_ranges=tuple((r, branches[b.index]) for r, b in node.int_ranges),
        version_ranges=tuple((r, branches[b.index]) for r, b in node.version_ranges),
    )


def _below(version: tuple[int, int, int] | None) -> tuple[int, int, int]:
    """A typical version under an upper bound: 5.10 -> 5.9, 5.0 -> 4.0."""
    if version is None:
        return (0, 0, 0)
    major, minor, _ = version
    return (major, minor - 1, 0) if minor > 0 else (max(major - 1, 0), 0, 0)


def _check_cost_factors(
    check: _Checker, root: str, nodes: Mapping[str, Node], questions: Mapping[str, Question]
) -> None:
    """A leaf's costs may only use integer answers that every path to it provides."""
    answered = must_answer_sets(root, nodes)
    for node_id, node in nodes.items():
        if not isinstance(node, Leaf) or not node.costs:
            continue
        have = answered.get(node_id, frozenset())
        for item in node.costs:
            names = {factor_question(f) for f in item.low + item.high} - {None}
            for name in sorted(n for n in names if n is not None):
                if name in have or questions[name].default is not None:
                    continue
                check.problem(
                    f"nodes.{node_id}",
                    f"cost item {item.id!r} uses {name!r}, which is not asked on every path "
                    "to this leaf and has no default",
                    f"give {name} a default",
                )


def _check_tests(
    check: _Checker,
    tests: tuple[TestCase, ...],
    questions: Mapping[str, Question],
    recommendations: Mapping[str, Recommendation],
    pricing: Mapping[str, Price],
) -> None:
    names: set[str] = set()
    for i, t in enumerate(tests):
        where = f"tests[{i}] ({t.name})"
        if t.name in names:
            check.problem(where, "two test cases share this name")
        names.add(t.name)
        for qid, value in t.answers.items():
            q = questions.get(qid)
            if q is None:
                check.unknown(f"{where}.answers", "question", qid, questions)
                continue
            try:
                q.coerce(value)
            except ValueError as exc:
                check.problem(f"{where}.answers.{qid}", str(exc))
        for name in t.pricing:
            if name not in pricing:
                check.unknown(f"{where}.pricing", "price", name, pricing)
        expect = t.expect
        if expect.get("recommendation") and expect["recommendation"] not in recommendations:
            check.unknown(
                f"{where}.expect.recommendation",
                "recommendation",
                expect["recommendation"],
                recommendations,
            )
        if expect.get("next_question") and expect["next_question"] not in questions:
            check.unknown(
                f"{where}.expect.next_question", "question", expect["next_question"], questions
            )
