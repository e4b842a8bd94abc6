"""bench.facts_scale runs end to end in smoke mode and derives the facts it times."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_facts_scale_smoke_prints_a_row_per_size() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.facts_scale", "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 1")]
    assert [row.split("|")[1].strip() for row in rows] == ["10", "100"]


def test_the_grown_cluster_still_derives_the_eks_answers() -> None:
    import orjson

    from bench.facts_scale import cluster
    from service.facts import derive

    answers = derive(orjson.loads(cluster(300))).answers
    assert answers["platform"].value == "aws"
    assert answers["current_cni"].value == "aws-vpc-cni"
    assert answers["nodes"].value == 300
