"""Reads a directory of tree files and a deployment's pricing file, collecting every problem."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from .compiler import compile_tree
from .errors import Problem, TreeCheckError, did_you_mean
from .loader import YamlRefused, read_tree_file, read_yaml_file
from .tree import Tree


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def _file_problem(shown: str, exc: YamlRefused | yaml.YAMLError | OSError) -> Problem:
    """The problem a file that cannot be read or parsed has, with its line when known."""
    if isinstance(exc, YamlRefused):
        return Problem(shown, f"line {exc.line}" if exc.line else "", exc.message)
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None) or "not valid YAML"
        return Problem(shown, where, f"not valid YAML: {what}")
    return Problem(shown, "", f"cannot read: {exc.strerror or exc.__class__.__name__}")


def _listing(directory: Path, shown: str, problems: list[Problem]) -> list[Path]:
    """A directory's entries, sorted; an unreadable directory is a problem, not a crash."""
    try:
        return sorted(directory.iterdir())
    except OSError as exc:
        problems.append(Problem(shown, "", f"cannot list the directory: {exc.strerror}"))
        return []


def _is_dir(path: Path, base: Path, problems: list[Problem]) -> bool:
    try:
        return path.is_dir()
    except OSError as exc:  # is_dir() raises on EACCES (a parent without search permission)
        problems.append(Problem(_display(path, base), "", f"cannot read: {exc.strerror}"))
        return False


def load_directory(directory: Path) -> tuple[list[Tree], list[Problem]]:
    """Compile every `<tree-id>/<version>.yaml` below `directory`, collecting problems."""
    trees: list[Tree] = []
    problems: list[Problem] = []
    if not directory.is_dir():
        problems.append(Problem(str(directory), "", "not a directory of decision trees"))
        return trees, problems
    for tree_dir in _listing(directory, str(directory), problems):
        if tree_dir.name.startswith((".", "_")) or not _is_dir(tree_dir, directory, problems):
            continue
        for path in _listing(tree_dir, _display(tree_dir, directory), problems):
            shown = _display(path, directory)
            if path.name.startswith("."):
                continue
            try:
                if path.suffix != ".yaml" or not path.is_file():
                    problems.append(
                        Problem(
                            shown,
                            "",
                            "unexpected file; tree files are named <version>.yaml, like 1.0.0.yaml",
                        )
                    )
                    continue
                raw = read_tree_file(path)
                trees.append(compile_tree(raw, shown))
            except TreeCheckError as exc:
                problems.extend(exc.problems)
            except (YamlRefused, yaml.YAMLError, OSError) as exc:
                problems.append(_file_problem(shown, exc))
    return trees, problems


def _unknown(shown: str, where: tuple[str, object], message: str, known: Iterable[str]) -> Problem:
    """A name (at `where`: the block and the name) that is not one of `known`, with the
    closest one suggested."""
    block, name = where
    close = did_you_mean(str(name), known)
    hint = f"did you mean {close!r}?" if close else None
    return Problem(shown, f"{block}.{name}", message, hint)


def load_pricing_file(
    path: Path, trees: Mapping[tuple[str, str], Tree]
) -> tuple[dict[str, float], dict[str, dict[str, float]], list[Problem]]:
    """Deployment prices: `prices` for every tree declaring them, `trees` per tree id."""
    shown = str(path)
    problems: list[Problem] = []
    try:
        # The same reader as tree files: size cap, no aliases or tags, no duplicate keys,
        # finite and bounded numbers.
        data, _ = read_yaml_file(path)
    except (YamlRefused, yaml.YAMLError, OSError) as exc:
        problem = _file_problem(shown, exc)
        what, hint = problem.message, None
        if isinstance(exc, OSError):
            what = exc.strerror or type(exc).__name__
            hint = "check --pricing-file or NETADVISOR_PRICING_FILE"
        problem = replace(problem, message=f"cannot read the pricing file: {what}", suggestion=hint)
        return {}, {}, [problem]
    if not isinstance(data, dict) or set(data) - {"prices", "trees"}:
        return (
            {},
            {},
            [
                Problem(
                    shown,
                    "",
                    "expected a mapping with `prices:` (name: USD) "
                    "and/or `trees:` (tree id: {name: USD})",
                )
            ],
        )
    known = {name for t in trees.values() for name in t.pricing}
    tree_ids = {t.id for t in trees.values()}

    def numbers(block: Any, where: str, allowed: Iterable[str]) -> dict[str, float]:
        allowed = set(allowed)
        out: dict[str, float] = {}
        if not isinstance(block, dict):
            problems.append(Problem(shown, where, "expected a mapping of price name to USD"))
            return out
        for name, value in block.items():
            if name not in allowed:
                problems.append(
                    _unknown(shown, (where, name), "no loaded tree has this price", allowed)
                )
            elif (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                problems.append(Problem(shown, f"{where}.{name}", "expected a number >= 0"))
            else:
                out[str(name)] = float(value)
        return out

    shared = numbers(data.get("prices", {}), "prices", known)
    per_tree: dict[str, dict[str, float]] = {}
    tree_blocks = data.get("trees") or {}
    if not isinstance(tree_blocks, dict):
        problems.append(Problem(shown, "trees", "expected a mapping of tree id to prices"))
        tree_blocks = {}
    for tree_id, block in tree_blocks.items():
        if tree_id not in tree_ids:
            problems.append(_unknown(shown, ("trees", tree_id), "no such tree", tree_ids))
            continue
        names = {n for t in trees.values() if t.id == tree_id for n in t.pricing}
        per_tree[tree_id] = numbers(block, f"trees.{tree_id}", names)
    return shared, per_tree, problems


def priced(tree: Tree, shared: Mapping[str, float], own: Mapping[str, float]) -> Tree:
    changes = {n: v for n, v in {**shared, **own}.items() if n in tree.pricing}
    if not changes:
        return tree
    pricing = {n: replace(p, value=changes.get(n, p.value)) for n, p in tree.pricing.items()}
    # A price the deployment set is the team's own figure, no longer an assumption.
    return replace(tree, pricing=pricing, deployment_prices=frozenset(changes))
