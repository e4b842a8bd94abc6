"""The README stays true: its calls are routed, its tree table matches the bundled trees."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from support.api import bundled_catalog

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_call_in_the_readme_and_docs_is_in_the_spec() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    routes = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/?]+", p) + "$") for p in spec["paths"]]
    pages = [README, *(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))]
    calls = {c for page in pages for c in re.findall(r"localhost:8000(/[A-Za-z0-9_./-]*)", page)}
    assert len(calls) >= 10
    for call in calls:
        assert any(r.match(call) for r in routes), f"the docs call {call}, which is not in the spec"


def test_the_readme_stays_a_front_door() -> None:
    assert len(README.splitlines()) <= 200
    for page in re.findall(r"\]\(((?:docs|k8s|decision_trees)/[^)#]+)", README):
        assert (ROOT / page).exists(), f"README links to {page}, which does not exist"


def test_the_tree_table_lists_every_version_and_the_default() -> None:
    catalog = bundled_catalog()
    for tree_id in catalog.tree_ids:
        row = next(line for line in README.splitlines() if line.startswith(f"| `{tree_id}` |"))
        versions = row.split("|")[2]
        for tree in catalog.versions(tree_id):
            shown = f"**{tree.version}**" if tree is catalog.defaults[tree_id] else tree.version
            assert shown in versions, f"{tree_id} {tree.version} missing from the README table"
            if tree.status == "deprecated":
                assert f"{tree.version} (deprecated)" in versions


def test_the_readme_names_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    assert "make serve" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_coverage_figure_is_current() -> None:
    catalog = bundled_catalog()
    cases = sum(len(t.tests) for tree_id in catalog.tree_ids for t in catalog.versions(tree_id))
    assert f"{cases} cases" in README
