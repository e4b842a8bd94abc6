"""Cluster facts at scale: a kubectl List of N EKS nodes (plus the DaemonSets), read the way
`POST /v1/facts` reads it (orjson.loads, then derive), against parsing alone as the anchor.

    python -m bench.facts_scale            # writes bench/results/facts_scale.*
    python -m bench.facts_scale --smoke
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from service.facts import derive

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "kubectl" / "eks.json"
RESULTS = Path(__file__).resolve().parent / "results"


def cluster(nodes: int) -> bytes:
    """The EKS fixture's objects with its nodes repeated to `nodes`, as kubectl prints them."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    items = data["items"]
    node_items = [i for i in items if i.get("kind") == "Node"]
    others = [i for i in items if i.get("kind") != "Node"]
    grown: list[Any] = []
    for n in range(nodes):
        node = copy.deepcopy(node_items[n % len(node_items)])
        node["metadata"]["name"] = f"ip-10-0-{n // 250}-{n % 250}.ec2.internal"
        grown.append(node)
    return orjson.dumps({"kind": "List", "apiVersion": "v1", "items": grown + others})


def _time(fn: Any, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(sizes: Sequence[int], rounds: int) -> list[dict[str, Any]]:
    rows = []
    for nodes in sizes:
        body = cluster(nodes)
        # Alternate the anchor and the full read within each round, so load hits both.
        parse_s, full_s = [], []
        for _ in range(rounds):
            parse_s.append(_time(lambda b=body: orjson.loads(b), 1))
            full_s.append(_time(lambda b=body: derive(orjson.loads(b)), 1))
        parse, full = statistics.median(parse_s), statistics.median(full_s)
        facts = derive(orjson.loads(body))
        rows.append(
            {
                "nodes": nodes,
                "mib": round(len(body) / 2**20, 2),
                "parse_ms": round(parse * 1000, 1),
                "parse_and_derive_ms": round(full * 1000, 1),
                "ratio": round(full / parse, 2) if parse else None,
                "answers": sorted(facts.answers),
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="small sizes, one round, no files")
    args = p.parse_args(argv)
    sizes = [10, 100] if args.smoke else [100, 1000, 5000]
    rows = run(sizes, 1 if args.smoke else 7)
    lines = [
        "| nodes | body (MiB) | parse (ms) | parse + derive (ms) | ratio to parse |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['nodes']} | {r['mib']} | {r['parse_ms']} "
            f"| {r['parse_and_derive_ms']} | {r['ratio']} |"
        )
    print("\n".join(lines))
    if not args.smoke:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "facts_scale.json").write_text(json.dumps(rows, indent=2) + "\n")
        (RESULTS / "facts_scale.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
