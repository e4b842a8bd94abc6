"""The benchmark scripts run end to end in smoke mode and write well-formed results."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Exhaustive or tool-driven: in `make test`, not in the quick `make check`.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_smoke(module: str, out: Path, *extra: str, timeout: float = 180) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", "--smoke", "--out", str(out), *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    data: dict[str, Any] = json.loads((out / f"{module}.json").read_text())
    assert data["benchmark"] == module
    assert data["smoke"] is True
    assert data["machine"]["cores"] >= 1
    markdown = (out / f"{module}.md").read_text()
    assert markdown.startswith("### ") and "smoke run" in markdown
    return data


def positive(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_engine_vs_zen(tmp_path: Path) -> None:
    data = run_smoke("engine_vs_zen", tmp_path)
    assert data["tree"]["id"] == "cni"
    # One table rule per path through the tree, and both engines agreed on every path
    # (the script exits non-zero otherwise).
    assert data["zen_table_rules"] == data["tree"]["paths"] >= 3
    assert set(data["tree"]["questions"]) >= {
        "network_policy",
        "l7_visibility",
        "encryption",
        "kernel_version",
    }
    for name, stats in data["us_per_call"].items():
        assert positive(stats["median"]), name
        assert stats["min"] <= stats["median"] <= stats["max"]
    assert positive(data["ratio_zen_trace_over_ours"])
    assert set(data["met"]) == {"ours_below_20us", "ratio_at_least_20"}


def test_jdm_table_matches_the_tree() -> None:
    import zen

    from bench.jdm import decision_table, path_answers
    from service.engine import Catalog

    catalog = Catalog.load()
    tree = catalog.get("cni")
    decision = zen.ZenEngine().create_decision(json.dumps(decision_table(tree)))
    for answers, expected in path_answers(tree):
        assert catalog.evaluate("cni", answers).recommendation_id == expected
        result = decision.evaluate(answers, {"trace": True})
        assert result["result"]["recommendation"] == expected
        assert result["trace"], "trace was asked for"


def test_scale(tmp_path: Path) -> None:
    data = run_smoke("scale", tmp_path)
    assert {r["shape"] for r in data["shapes"]} == {"balanced", "wide"}
    for row in data["shapes"]:
        for key in (
            "load_and_check_ms",
            "yaml_parse_ms",
            "retained_kib",
            "eval_us",
            "eval_only_us",
        ):
            assert positive(row[key]), (row["shape"], row["nodes"], key)
        assert row["nodes"] >= 9
    assert [r["path_length"] for r in data["comb"]] == [1, 5]
    assert data["many"]["trees"] == 20
    assert positive(data["many"]["eval_us_in_big_catalog"])
    assert data["plots"] == ["scale_load.png", "scale_memory.png", "scale_eval.png"]
    for name in data["plots"]:
        assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC


def test_smoke_without_out_writes_nothing(tmp_path: Path) -> None:
    results = REPO / "bench" / "results"
    before = {p: p.stat().st_mtime_ns for p in results.glob("*")} if results.is_dir() else {}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.engine_vs_zen", "--smoke"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = {p: p.stat().st_mtime_ns for p in results.glob("*")} if results.is_dir() else {}
    assert after == before


def test_wsgi_profile(tmp_path: Path) -> None:
    data = run_smoke("wsgi_profile", tmp_path)
    assert len(data["us_per_request"]) == 10
    for name, stats in data["us_per_request"].items():
        assert positive(stats["median"]), name
    # Differences between medians; a smoke run is too short for their sign to mean much.
    assert math.isfinite(data["logs_us"])
    for batch in ("batch", "batch_different", "batch_built"):
        assert data[f"{batch}_evaluations_per_s"] > 0, batch


@pytest.mark.slow
@pytest.mark.parametrize("generator", ["python", "wrk"])
def test_http_vs_echo(tmp_path: Path, generator: str) -> None:
    # A missing tool fails with the command that installs it; nothing is skipped.
    assert generator != "wrk" or shutil.which("wrk"), "wrk is missing: run bench/install_wrk.sh"
    extra = ["--no-install"] + (["--python-loadgen"] if generator == "python" else [])
    data = run_smoke("http_vs_echo", tmp_path, *extra)
    assert data["load_generator"] == generator
    assert set(data["medians"]) == {
        "echo",
        "evaluate",
        "evaluate_format",
        "evaluate_version",
        "definition",
        "definition_304",
    }
    for name, med in data["medians"].items():
        assert positive(med["rps"]) and positive(med["p99_us"]), name
    # Every request of the run was answered with the expected status.
    assert data["errors_or_bad_status"] == dict.fromkeys(data["medians"], 0)
    assert positive(data["throughput_ratio"]) and positive(data["p99_ratio"])


@pytest.mark.slow
def test_startup(tmp_path: Path) -> None:
    data = run_smoke("startup", tmp_path)
    for kind in ("netadvisor", "echo"):
        summary = data["summary"][kind]
        assert positive(summary["ready_s"]["median"]), kind
        assert positive(summary["worker_rss_mib"]), kind
        assert data["runs"][kind][0]["workers"] == 2
    assert positive(data["catalog_load_s"])
