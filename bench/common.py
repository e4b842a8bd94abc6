"""Shared pieces of the benchmarks: machine facts, statistics, results files, processes."""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
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


def free_port() -> int:
    """A port nobody listens on now; the server binds it moments later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> float:
    """Seconds until `url` answers 200; raises if the process dies or time runs out."""
    start = time.perf_counter()
    deadline = start + timeout
    while time.perf_counter() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Stop a server we started (SIGTERM, then SIGKILL), by its own pid only."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def python() -> str:
    return sys.executable


def rss_kib(pid: int) -> int | None:
    """Resident memory of one process, from /proc (VmRSS)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers), from /proc."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]
