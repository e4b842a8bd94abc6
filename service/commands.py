"""What each `netadvisor` command does; the parser in cli.py hands it the options."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson

from .cluster import EvidenceError, gather
from .engine import (
    Catalog,
    audit,
    evaluate_tree,
    format_value,
    parse_text_answers,
    run_tree_tests,
)
from .facts import Facts, derive
from .render.sources import render_audit, render_sources_page
from .render.text import render_text


def _pairs(items: Sequence[str], flag: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"netadvisor: {flag} takes ID=VALUE, got {item!r}")
        out.append((key.strip(), value))
    return out


def _catalog(args: argparse.Namespace) -> Catalog:
    return Catalog.load(args.trees, overlays=args.overlay or (), pricing_file=args.pricing_file)


def cmd_check(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    count = sum(len(v) for v in catalog.versions_by_tree.values())
    print(f"ok: {len(catalog.tree_ids)} trees, {count} versions checked")
    for tree_id in catalog.tree_ids:
        versions = ", ".join(
            f"{t.version}{' (default)' if t is catalog.defaults[tree_id] else ''}"
            f"{' deprecated' if t.status == 'deprecated' else ''}"
            for t in catalog.versions(tree_id)
        )
        print(f"  {tree_id}: {versions}")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    failed = False
    total_cases = total_branches = total_untaken = 0
    for tree_id in catalog.tree_ids:
        for tree in catalog.versions(tree_id):
            report = run_tree_tests(tree)
            total_cases += len(tree.tests)
            total_branches += report.branches
            total_untaken += len(report.untaken)
            mark = "ok  " if report.ok else "FAIL"
            print(
                f"{mark} {tree.id} {tree.version}: {report.passed}/{len(tree.tests)} cases, "
                f"branch coverage {report.coverage:.0f}% ({report.branches} branches)"
            )
            for failure in report.failures:
                print(f"       case failed: {failure}")
            for untaken in report.untaken:
                print(f"       not covered: {untaken}")
            failed = failed or not report.ok
    covered = total_branches - total_untaken
    print(f"{total_cases} cases; {covered}/{total_branches} branches covered")
    return 1 if failed else 0


def _facts(args: argparse.Namespace) -> Facts | None:
    try:
        return gather(args.facts, kubectl=args.kubectl, service=args.service, error=args.error)
    except EvidenceError as exc:
        raise SystemExit(f"netadvisor: {exc}") from None


def cmd_facts(args: argparse.Namespace) -> int:
    if args.facts is None and not args.kubectl and not args.error:
        raise SystemExit("netadvisor facts: give FILE or - (kubectl JSON), --kubectl or --error")
    facts = _facts(args) or derive(None)
    if args.format == "json":
        sys.stdout.write(orjson.dumps(facts.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    for qid, answer in facts.answers.items():
        print(f"{qid} = {format_value(answer.value)}   ({answer.evidence})")
    if not facts.answers:
        print("no answers could be derived")
    for note in facts.notes:
        print(f"note: {note}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    tree = catalog.get(args.tree, args.version)
    answers = parse_text_answers(tree, dict(_pairs(args.answer, "--answer")))
    facts = _facts(args)
    derived = {q: (a.value, a.evidence) for q, a in facts.answers.items()} if facts else None
    pricing: dict[str, object] = {}
    for k, v in _pairs(args.price, "--price"):
        try:
            pricing[k] = float(v)
        except ValueError:
            pricing[k] = v
    body = evaluate_tree(tree, answers, pricing, ask_all=args.ask == "all", facts=derived).to_dict()
    if args.format == "json":
        sys.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif args.format == "markdown":
        from .render.markdown import render_markdown

        sys.stdout.write(render_markdown(body))
    else:
        print(render_text(body))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .ask import CANCELLED, ask

    catalog = _catalog(args)
    try:
        return ask(catalog, args.tree, args.version)
    except KeyboardInterrupt:
        print("\nnetadvisor: stopped", file=sys.stderr)
        return CANCELLED


def cmd_serve(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    env["NETADVISOR_HOST"] = args.host
    env["NETADVISOR_PORT"] = str(args.port)
    if args.workers:
        env["NETADVISOR_WORKERS"] = str(args.workers)
    if args.trees:
        env["NETADVISOR_TREES_DIR"] = str(args.trees)
    if args.overlay:
        env["NETADVISOR_OVERLAY_DIRS"] = os.pathsep.join(str(p) for p in args.overlay)
    if args.pricing_file:
        env["NETADVISOR_PRICING_FILE"] = str(args.pricing_file)
    # Check the trees the server will load (flags or environment) first, so a bad one gives
    # the same message as `check` before gunicorn starts.
    overlays = [p for p in env.get("NETADVISOR_OVERLAY_DIRS", "").split(os.pathsep) if p]
    Catalog.load(
        env.get("NETADVISOR_TREES_DIR") or None,
        overlays=overlays,
        pricing_file=env.get("NETADVISOR_PRICING_FILE") or None,
    )
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    argv = [gunicorn, "--config", "python:service.serving.gunicorn_conf", "service.wsgi:app"]
    os.execvpe(argv[0], argv, env)  # noqa: S606 - replaces this process with the server


def cmd_sources(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    if args.all == (args.tree is not None):
        raise SystemExit("netadvisor sources: name one TREE, or --all for every default version")
    if args.all:
        trees = [catalog.defaults[tree_id] for tree_id in catalog.tree_ids]
    else:
        trees = [catalog.get(args.tree, args.version)]
    audits = [audit(tree) for tree in trees]
    if args.format == "json":
        sys.stdout.write(orjson.dumps(audits, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif args.all:
        sys.stdout.write(render_sources_page(audits))
    else:
        sys.stdout.write(render_audit(audits[0]))
    return 0
