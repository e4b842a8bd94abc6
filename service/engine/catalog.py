"""The set of loaded trees: every version of every tree, layered, priced and immutable."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from .compiler import compile_tree
from .errors import (
    EngineError,
    Problem,
    TreeCheckError,
    UnknownTree,
    UnknownVersion,
    did_you_mean,
)
from .evaluate import Result, evaluate_tree
from .loader import YamlRefused, read_tree_file, read_yaml_file
from .model import Tree, Warning
from .templates import Template

DEPRECATED_CODE = "TREE_VERSION_DEPRECATED"


def bundled_trees_dir() -> Path:
    """The trees shipped with the package (installed) or beside it (a source checkout)."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "decision_trees"
    return installed if installed.is_dir() else here.parent / "decision_trees"


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


def _load_pricing_file(
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
                close = did_you_mean(str(name), allowed)
                problems.append(
                    Problem(
                        shown,
                        f"{where}.{name}",
                        "no loaded tree has this price",
                        f"did you mean {close!r}?" if close else None,
                    )
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
            close = did_you_mean(str(tree_id), tree_ids)
            problems.append(
                Problem(
                    shown,
                    f"trees.{tree_id}",
                    "no such tree",
                    f"did you mean {close!r}?" if close else None,
                )
            )
            continue
        names = {n for t in trees.values() if t.id == tree_id for n in t.pricing}
        per_tree[tree_id] = numbers(block, f"trees.{tree_id}", names)
    return shared, per_tree, problems


def _priced(tree: Tree, shared: Mapping[str, float], own: Mapping[str, float]) -> Tree:
    changes = {n: v for n, v in {**shared, **own}.items() if n in tree.pricing}
    if not changes:
        return tree
    pricing = {n: replace(p, value=changes.get(n, p.value)) for n, p in tree.pricing.items()}
    # A price the deployment set is the team's own figure, no longer an assumption.
    return replace(
        tree,
        pricing=pricing,
        prices={n: p.value for n, p in pricing.items()},
        assumed_prices=tree.assumed_prices - changes.keys(),
    )


def _with_notice(tree: Tree, current: Tree | None) -> Tree:
    if tree.status != "deprecated":
        return tree
    now = (
        f" The current version is {current.version}; evaluate without a version or pin "
        f"{current.version}."
        if current is not None
        else ""
    )
    text = f"{tree.id} {tree.version} is deprecated: {tree.deprecation_message}{now}"
    # Literal text: deprecation messages are not templates.
    notice = Warning(DEPRECATED_CODE, Template(text, text), tree.deprecation_source)
    return replace(tree, notices=(notice,))


@dataclass(frozen=True)
class Catalog:
    """Every loaded tree version, keyed by id, newest last; built once, then read-only."""

    versions_by_tree: Mapping[str, tuple[Tree, ...]]
    defaults: Mapping[str, Tree]

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        overlays: Sequence[str | Path] = (),
        pricing_file: str | Path | None = None,
    ) -> Catalog:
        """Load `path` (None: the bundled trees), then each overlay on top; check it all."""
        base = Path(path) if path is not None else bundled_trees_dir()
        by_key: dict[tuple[str, str], Tree] = {}
        problems: list[Problem] = []
        for directory in (base, *(Path(p) for p in overlays)):
            trees, found = load_directory(directory)
            problems.extend(found)
            for tree in trees:
                # An overlay replaces a bundled version with the same id and version.
                by_key[(tree.id, tree.version)] = tree
        if not by_key and not problems:
            problems.append(
                Problem(str(base), "", "no tree files found (<tree-id>/<version>.yaml)")
            )
        if pricing_file is not None:
            # str(): a JSON-decoded NETADVISOR_PRICING_FILE=5 arrives as a number.
            shared, per_tree, found = _load_pricing_file(Path(str(pricing_file)), by_key)
            problems.extend(found)
            by_key = {k: _priced(t, shared, per_tree.get(t.id, {})) for k, t in by_key.items()}
        if problems:
            raise TreeCheckError(problems)
        grouped: dict[str, list[Tree]] = {}
        for tree in by_key.values():
            grouped.setdefault(tree.id, []).append(tree)
        versions: dict[str, tuple[Tree, ...]] = {}
        defaults: dict[str, Tree] = {}
        for tree_id in sorted(grouped):
            ordered = sorted(grouped[tree_id], key=lambda t: t.semver)
            current = [t for t in ordered if t.status == "current"]
            default = current[-1] if current else ordered[-1]
            ordered = [_with_notice(t, current[-1] if current else None) for t in ordered]
            versions[tree_id] = tuple(ordered)
            defaults[tree_id] = next(t for t in ordered if t.version == default.version)
        return cls(versions, defaults)

    @property
    def tree_ids(self) -> list[str]:
        return list(self.versions_by_tree)

    def versions(self, tree_id: str) -> tuple[Tree, ...]:
        found = self.versions_by_tree.get(tree_id)
        if found is None:
            close = did_you_mean(tree_id, self.versions_by_tree)
            raise UnknownTree(
                f"no decision tree {tree_id!r}; trees: {', '.join(self.versions_by_tree)}",
                tree=tree_id,
                suggestion=f"did you mean {close!r}?" if close else None,
            )
        return found

    def get(self, tree_id: str, version: str | None = None) -> Tree:
        """One version of a tree; the default (highest current) when version is None."""
        versions = self.versions(tree_id)
        if version is None:
            return self.defaults[tree_id]
        for tree in versions:
            if tree.version == version:
                return tree
        listed = ", ".join(t.version for t in versions)
        raise UnknownVersion(
            f"{tree_id} has no version {version!r}; versions: {listed}",
            tree=tree_id,
            version=version,
            suggestion=f"pin one of {listed} or leave the version out for "
            f"{self.defaults[tree_id].version}",
        )

    def evaluate(
        self,
        tree_id: str,
        answers: Mapping[str, object],
        *,
        version: str | None = None,
        pricing: Mapping[str, object] | None = None,
        ask_all: bool = False,
        facts: Mapping[str, tuple[object, str]] | None = None,
    ) -> Result:
        """Evaluate one tree version with the caller's answers and optional price overrides;
        `ask_all` and `facts` as in `evaluate_tree`."""
        return evaluate_tree(
            self.get(tree_id, version), answers, pricing, ask_all=ask_all, facts=facts
        )


@dataclass(frozen=True)
class VersionOutcome:
    """One version's answer to the same question: its result, or why the answers did not fit."""

    tree: Tree
    result: Result | None
    error: EngineError | None
    ignored: tuple[str, ...]


def compare_versions(
    catalog: Catalog, tree_id: str, answers: Mapping[str, object]
) -> list[VersionOutcome]:
    """Evaluate the same answers under every version, oldest first.

    Versions ask different questions, so an answer to a question a version does not ask
    is left out for that version and named in `ignored`, rather than failing it.
    """
    outcomes = []
    for tree in catalog.versions(tree_id):
        ignored = tuple(q for q in answers if q not in tree.questions)
        fitting = {q: v for q, v in answers.items() if q in tree.questions}
        try:
            outcomes.append(VersionOutcome(tree, evaluate_tree(tree, fitting), None, ignored))
        except EngineError as exc:
            outcomes.append(VersionOutcome(tree, None, exc, ignored))
    return outcomes
