"""Shared pieces of the benchmarks: machine facts, statistics, results files, process memory."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"


def machine() -> dict[str, Any]:
    """What the figures were measured on; ratios travel, absolute times do not."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_1m_at_start": load,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median with the spread, so a noisy round shows."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def parser(description: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--smoke",
        action="store_true",
        help="run a few seconds only: proves the script works, figures mean little",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="directory for the results (default: bench/results, or none with --smoke)",
    )
    return p


def out_dir(args: argparse.Namespace) -> Path | None:
    """Where results go; a smoke run writes nothing unless asked, so it never overwrites."""
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        return Path(args.out)
    if args.smoke:
        return None
    RESULTS.mkdir(parents=True, exist_ok=True)
    return RESULTS


def write_results(out: Path | None, name: str, data: dict[str, Any], markdown: str) -> None:
    """`<name>.json` for machines and `<name>.md` for people; the markdown is also printed."""
    print(markdown)
    if out is None:
        return
    (out / f"{name}.json").write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    (out / f"{name}.md").write_text(markdown + "\n")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def python() -> str:
    return sys.executable


def memory_kib(pid: int) -> dict[str, int]:
    """RSS, PSS (shared pages split between their sharers) and USS (pages only this
    process has) of one live process, in KiB, from /proc/PID/smaps_rollup."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[-1] == "kB":
            values[name] = int(parts[0])
    return {
        "rss": values.get("Rss", 0),
        "pss": values.get("Pss", 0),
        "uss": values.get("Private_Clean", 0) + values.get("Private_Dirty", 0),
    }
