"""Start-up: seconds from launching `netadvisor serve --workers 2` to /readyz 200, and the
memory of the master and each worker (RSS, and PSS/USS since workers share the preloaded
app with the master); the bare echo under the same gunicorn configuration as the anchor.

    python -m bench.startup            # writes bench/results/startup.*
    python -m bench.startup --smoke
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import common
from bench.http_vs_echo import ANSWERS, start_echo, start_netadvisor


def _exercise(url: str, body: bytes | None, count: int) -> None:
    """Requests spread over the workers, so the memory reported is that of a working one."""
    for _ in range(count):
        req = urllib.request.Request(
            url,
            data=body,
            method="POST" if body else "GET",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()


def one_start(kind: str, workers: int, trees: Path | None, requests: int) -> dict[str, Any]:
    body = json.dumps({"answers": ANSWERS}).encode()
    with tempfile.TemporaryDirectory(prefix="netadvisor-startup-") as tmp:
        if kind == "netadvisor":
            server = start_netadvisor(Path(tmp), workers, trees)
            work_url = f"{server.base}/v1/trees/cni/evaluate"
        else:
            server = start_echo(Path(tmp), workers)
            work_url = f"{server.base}/echo"
        with server:
            pids = server.wait_workers(workers)
            fresh = {pid: common.memory_kib(pid) for pid in pids}
            _exercise(work_url, body, requests)
            master = common.memory_kib(server.proc.pid)
            worked = {pid: common.memory_kib(pid) for pid in pids}

    def med(snapshot: dict[int, dict[str, int]], key: str) -> float:
        return statistics.median(m[key] for m in snapshot.values())

    return {
        "ready_s": server.ready_seconds,
        "workers": len(pids),
        "master_kib": master,
        "worker_fresh_kib": {k: med(fresh, k) for k in ("rss", "pss", "uss")},
        "worker_after_requests_kib": {k: med(worked, k) for k in ("rss", "pss", "uss")},
    }


def _catalog_load_s() -> float:
    """How long loading and checking the bundled trees takes, in a fresh interpreter."""
    code = (
        "import time; t = time.perf_counter(); from service.engine import Catalog; "
        "Catalog.load(); print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [common.python(), "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=common.REPO,
        timeout=120,
    )
    return float(out.stdout.strip())


def run(args: Any) -> dict[str, Any]:
    starts, requests = (1, 20) if args.smoke else (args.starts, 400)
    results: dict[str, list[dict[str, Any]]] = {"netadvisor": [], "echo": []}
    for i in range(starts):
        for kind in ("netadvisor", "echo") if i % 2 == 0 else ("echo", "netadvisor"):
            results[kind].append(one_start(kind, args.workers, args.trees, requests))
            r = results[kind][-1]
            print(
                f"  {kind:10s} ready in {r['ready_s']:.2f} s, worker RSS "
                f"{r['worker_after_requests_kib']['rss'] / 1024:.1f} MiB"
            )

    def summary(kind: str) -> dict[str, Any]:
        rs = results[kind]

        def med(path: tuple[str, str]) -> float | None:
            values = [r[path[0]][path[1]] for r in rs if r[path[0]][path[1]] is not None]
            return statistics.median(values) / 1024 if values else None

        return {
            "ready_s": common.summary([r["ready_s"] for r in rs]),
            "master_rss_mib": med(("master_kib", "rss")),
            "worker_rss_mib": med(("worker_after_requests_kib", "rss")),
            "worker_pss_mib": med(("worker_after_requests_kib", "pss")),
            "worker_uss_mib": med(("worker_after_requests_kib", "uss")),
            "worker_fresh_uss_mib": med(("worker_fresh_kib", "uss")),
        }

    return {
        "benchmark": "startup",
        "smoke": bool(args.smoke),
        "machine": common.machine(),
        "workers": args.workers,
        "starts": starts,
        "requests_before_memory": requests,
        "catalog_load_s": _catalog_load_s(),
        "summary": {kind: summary(kind) for kind in results},
        "runs": results,
    }


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]

    def mib(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1f}"

    rows = []
    for kind, label in (("netadvisor", "netadvisor serve"), ("echo", "bare Flask echo")):
        s = data["summary"][kind]
        rows.append(
            (
                label,
                f"{s['ready_s']['median']:.2f}",
                mib(s["master_rss_mib"]),
                mib(s["worker_rss_mib"]),
                mib(s["worker_pss_mib"]),
                mib(s["worker_uss_mib"]),
            )
        )
    lines = [
        "### Start-up and memory",
        "",
        f"{m['date']}, {m['cpu']}, {m['usable_cores']} usable cores. gunicorn with "
        f"{data['workers']} workers, same config module; median of {data['starts']} starts; "
        f"memory after {data['requests_before_memory']} requests.",
        "",
        common.table(
            (
                "server",
                "start to ready s",
                "master RSS MiB",
                "worker RSS MiB",
                "worker PSS MiB",
                "worker USS MiB",
            ),
            rows,
        ),
        "",
        f"- loading and checking the bundled trees alone takes {data['catalog_load_s']:.2f} s "
        "(a fresh interpreter, imports included)",
        "- RSS counts pages a worker shares with the master (the app is preloaded before the "
        "fork); USS is what each extra worker really adds",
    ]
    if data["smoke"]:
        lines.append("- smoke run: too short for the figures to mean anything")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--trees", type=Path, default=None, help="tree directory (default: bundled)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--starts", type=int, default=5)
    args = p.parse_args(argv)
    out = common.out_dir(args)
    data = run(args)
    common.write_results(out, "startup", data, markdown(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
