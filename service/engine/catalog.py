"""The set of loaded trees: every version of every tree, layered, priced and immutable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import (
    EngineError,
    Problem,
    TreeCheckError,
    UnknownTree,
    UnknownVersion,
    did_you_mean,
)
from .evaluate import Result, evaluate_tree
from .files import load_directory, load_pricing_file, priced
from .model import Warning
from .templates import Template
from .tree import Tree

DEPRECATED_CODE = "TREE_VERSION_DEPRECATED"


def bundled_trees_dir() -> Path:
    """The trees shipped with the package (installed) or beside it (a source checkout)."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "decision_trees"
    return installed if installed.is_dir() else here.parent / "decision_trees"


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
            shared, per_tree, found = load_pricing_file(Path(str(pricing_file)), by_key)
            problems.extend(found)
            by_key = {k: priced(t, shared, per_tree.get(t.id, {})) for k, t in by_key.items()}
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
