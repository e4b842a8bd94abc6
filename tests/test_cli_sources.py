"""`netadvisor sources`: every figure and claim with its source, and the page it generates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.api import bundled_catalog

from service.engine import audit
from service.render.sources import render_sources_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "sources.md"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "sources", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_docs_page_is_what_the_command_prints_today() -> None:
    done = _run("--all")
    assert done.returncode == 0, done.stderr
    assert PAGE.read_text(encoding="utf-8") == done.stdout, (
        "docs/sources.md is stale: run `netadvisor sources --all > docs/sources.md`"
    )


def test_json_lists_each_price_with_its_value_unit_and_source() -> None:
    done = _run("service-type", "--format", "json")
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)
    tree = bundled_catalog().get("service-type")
    assert (entry["tree"], entry["version"]) == (tree.id, tree.version)
    assert entry["as_of"] == tree.as_of.isoformat()
    assert {p["name"] for p in entry["prices"]} == set(tree.pricing)
    for price in entry["prices"]:
        assert price["source"] and price["unit"], price


def test_every_figure_of_every_default_version_names_a_source() -> None:
    catalog = bundled_catalog()
    audits = [audit(catalog.defaults[t]) for t in catalog.tree_ids]
    for entry in audits:
        cited = {s["url"] for s in entry["sources"]}
        for price in entry["prices"]:
            assert price["source"] in cited, (entry["tree"], price["name"])
        for cost in entry["costs"]:
            assert cost["source"] in cited, (entry["tree"], cost["where"], cost["id"])
    assert "Sources and figures" in render_sources_page(audits)


def test_a_tree_and_all_together_is_refused_with_the_usage() -> None:
    done = _run("cni", "--all")
    assert done.returncode != 0
    assert "--all" in done.stderr and "Traceback" not in done.stderr
    unknown = _run("no-such-tree")
    assert unknown.returncode == 2 and "no-such-tree" in unknown.stderr
