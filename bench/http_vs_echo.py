"""HTTP: POST /v1/trees/cni/evaluate (plain, `?format=json`, `?version=`) under `netadvisor
serve --workers 2` vs a bare Flask JSON echo under the same gunicorn configuration, loaded
alternately (A B A B) on loopback; and the tree-definition GET with and without If-None-Match.

    python -m bench.http_vs_echo            # full run, writes bench/results/http_vs_echo.*
    python -m bench.http_vs_echo --smoke    # seconds; proves the script works
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench import common, loadgen
from tests.support.server import (
    Server,
    free_port,
    netadvisor_argv,
    server_env,
    start,
    start_gunicorn,
)

ANSWERS = {
    "platform": "on-prem",
    "current_cni": "none",
    "network_policy": True,
    "l7_visibility": True,
    "encryption": True,
    "kernel_version": "6.1",
}
GOAL_THROUGHPUT = 1.0
GOAL_P99 = 1.2
# The evaluate requests measured: no query string, and the queries generated clients send.
EVALUATE = {"evaluate": "", "evaluate_format": "?format=json", "evaluate_version": "?version="}
READY_WITHIN = 60.0


def _bin(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def start_netadvisor(
    workdir: Path, workers: int, trees: Path | None, env: Mapping[str, str] | None = None
) -> Server:
    """`netadvisor serve` through its installed console script, ready on /readyz."""
    port = free_port()
    args = ["--trees", str(trees)] if trees is not None else []
    argv = netadvisor_argv(port, workers, args, cli=[_bin("netadvisor")])
    full_env = server_env(port, workers, env)
    return start(argv, port=port, env=full_env, workdir=workdir, ready_within=READY_WITHIN)


def start_echo(workdir: Path, workers: int) -> Server:
    """The bare Flask JSON echo under the same gunicorn configuration, ready on /livez."""
    return start_gunicorn(
        "bench.echo_app:app",
        workers=workers,
        program=[_bin("gunicorn")],
        workdir=workdir,
        ready_path="/livez",
        ready_within=READY_WITHIN,
    )


def _request(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(
        url, data=body, headers=headers or {}, method="POST" if body is not None else "GET"
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def sanity(base: str, echo: str, body: bytes, queries: list[str]) -> str:
    """Every measured request answers as it should; returns the tree definition's ETag."""
    json_type = {"Content-Type": "application/json"}
    for query in queries:
        status, _, payload = _request(f"{base}/v1/trees/cni/evaluate{query}", body, json_type)
        if status != 200 or json.loads(payload).get("status") != "complete":
            raise SystemExit(f"evaluate{query} answered {status}: {payload[:300]!r}")
    status, _, payload = _request(f"{echo}/echo", body, json_type)
    if status != 200 or json.loads(payload) != json.loads(body):
        raise SystemExit(f"echo answered {status}: {payload[:300]!r}")
    status, headers, _ = _request(f"{base}/v1/trees/cni")
    etag = headers.get("ETag")
    if status != 200 or not etag:
        raise SystemExit(f"tree definition answered {status} with ETag {etag!r}")
    status, _, _ = _request(f"{base}/v1/trees/cni", headers={"If-None-Match": etag})
    if status != 304:
        raise SystemExit(f"tree definition with If-None-Match answered {status}, not 304")
    return etag


def _server_state(servers: dict[str, Server]) -> str:
    """Which server is still running, and the end of the log of any that is not."""
    out = []
    for name, server in servers.items():
        code = server.proc.poll()
        if code is None:
            out.append(f"{name}: still running")
        else:
            tail = server.output()[-1500:]
            out.append(f"{name}: exited with {code}; its log ends:\n{tail}")
    return "\n".join(out)


def _median(runs: list[dict[str, Any]], key: str) -> float:
    if key == "rps":
        return statistics.median(r["rps"] for r in runs)
    return statistics.median(r["latency_us"][key] for r in runs)


def run(args: Any) -> dict[str, Any]:
    wrk = loadgen.find_wrk(install=not args.no_install)
    if args.python_loadgen:
        wrk = None
    rounds, duration, warmup = (1, 1.0, 0.5) if args.smoke else (args.rounds, args.duration, 2.0)
    conns = args.connections
    body = json.dumps({"answers": ANSWERS}).encode()
    post = {
        "method": "POST",
        "body": body,
        "headers": {"Content-Type": "application/json"},
        "connections": conns,
    }
    with (
        tempfile.TemporaryDirectory(prefix="netadvisor-http-") as tmp,
        start_netadvisor(
            Path(tmp) / "netadvisor", args.workers, args.trees, dict(args.netadvisor_env)
        ) as na_server,
        start_echo(Path(tmp) / "echo", args.workers) as echo_server,
    ):
        base, echo = na_server.base, echo_server.base
        servers = {"netadvisor": na_server, "echo": echo_server}
        _, _, listing = _request(f"{base}/v1/trees/cni/versions")
        version = json.loads(listing)["default_version"]
        queries = {n: q + (version if q.endswith("=") else "") for n, q in EVALUATE.items()}
        etag = sanity(base, echo, body, list(queries.values()))
        targets: dict[str, tuple[str, dict[str, Any]]] = {
            "echo": (f"{echo}/echo", post),
            **{n: (f"{base}/v1/trees/cni/evaluate{q}", post) for n, q in queries.items()},
            "definition": (f"{base}/v1/trees/cni", {"connections": conns}),
            "definition_304": (
                f"{base}/v1/trees/cni",
                {"headers": {"If-None-Match": etag}, "connections": conns},
            ),
        }
        for url, opts in targets.values():
            loadgen.load(wrk, url, duration=warmup, **opts)
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
        for r in range(rounds):
            for name, (url, opts) in targets.items():  # A B A B: echo, then ours, each round
                try:
                    result = loadgen.load(wrk, url, duration=duration, **opts)
                except RuntimeError as exc:
                    raise SystemExit(f"{name}: {exc}\n{_server_state(servers)}") from None
                runs[name].append(result)
                print(
                    f"  round {r + 1} {name:15s} {result['rps']:8.0f} req/s  "
                    f"p99 {result['latency_us']['p99'] / 1000:6.2f} ms"
                )
    medians = {
        name: {
            "rps": _median(rs, "rps"),
            "p50_us": _median(rs, "p50"),
            "p99_us": _median(rs, "p99"),
        }
        for name, rs in runs.items()
    }
    ratios = {
        name: {
            "throughput": medians[name]["rps"] / medians["echo"]["rps"],
            "p99": medians[name]["p99_us"] / medians["echo"]["p99_us"],
            "per_round": [
                {
                    "throughput": e["rps"] / a["rps"],
                    "p99": e["latency_us"]["p99"] / a["latency_us"]["p99"],
                }
                for a, e in zip(runs["echo"], runs[name], strict=True)
            ],
        }
        for name in EVALUATE
    }
    thr = min(r["throughput"] for r in ratios.values())
    p99 = max(r["p99"] for r in ratios.values())
    bad = {
        name: sum(r["bad_status"] + sum(r["errors"].values()) for r in rs)
        for name, rs in runs.items()
    }
    return {
        "benchmark": "http_vs_echo",
        "smoke": bool(args.smoke),
        "machine": common.machine(),
        "load_generator": runs["echo"][0]["tool"],
        "connections": conns,
        "duration_s": duration,
        "rounds": rounds,
        "workers": args.workers,
        "netadvisor_env": dict(args.netadvisor_env),
        "body": body.decode(),
        "medians": medians,
        "ratios": ratios,
        "throughput_ratio": thr,
        "p99_ratio": p99,
        "definition_304_speedup": medians["definition_304"]["rps"] / medians["definition"]["rps"],
        "errors_or_bad_status": bad,
        "goals": {"throughput_ratio_at_least": GOAL_THROUGHPUT, "p99_ratio_at_most": GOAL_P99},
        "met": {"throughput": thr >= GOAL_THROUGHPUT, "p99": p99 <= GOAL_P99},
        "runs": runs,
    }


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    med = data["medians"]
    labels = {
        "echo": "bare Flask echo, POST /echo",
        "evaluate": "netadvisor POST /v1/trees/cni/evaluate",
        "evaluate_format": "netadvisor POST /v1/trees/cni/evaluate?format=json",
        "evaluate_version": "netadvisor POST /v1/trees/cni/evaluate?version=<default>",
        "definition": "netadvisor GET /v1/trees/cni (200)",
        "definition_304": "netadvisor GET /v1/trees/cni, If-None-Match (304)",
    }
    rows = [
        (labels[n], f"{v['rps']:.0f}", f"{v['p50_us'] / 1000:.2f}", f"{v['p99_us'] / 1000:.2f}")
        for n, v in med.items()
    ]
    met = data["met"]
    variant = data["netadvisor_env"]
    lines = [
        "### HTTP: evaluate vs a bare Flask JSON echo"
        + (
            f" (netadvisor with {', '.join(f'{k}={v}' for k, v in variant.items())})"
            if variant
            else ""
        ),
        "",
        f"{m['date']}, {m['cpu']}, {m['usable_cores']} usable cores (server and load generator "
        f"share them). gunicorn, {data['workers']} workers each, same config module (the "
        f"project's event-loop worker); {data['load_generator']} with {data['connections']} "
        "connections (the workers close each after its response, as gunicorn's sync handling "
        "does, so every request opens a new one), "
        f"{data['duration_s']:g} s per run, {data['rounds']} rounds alternating echo / "
        "netadvisor; medians over rounds.",
        "",
        common.table(("request", "req/s", "p50 ms", "p99 ms"), rows),
        "",
        *(
            f"- {labels[name].removeprefix('netadvisor ')} / echo: throughput "
            f"**{r['throughput']:.2f}** (rounds: "
            + ", ".join(f"{x['throughput']:.2f}" for x in r["per_round"])
            + f"), p99 **{r['p99']:.2f}** (rounds: "
            + ", ".join(f"{x['p99']:.2f}" for x in r["per_round"])
            + ")"
            for name, r in data["ratios"].items()
        ),
        f"- worst throughput ratio {data['throughput_ratio']:.2f}, goal >= {GOAL_THROUGHPUT}: "
        f"{'met' if met['throughput'] else 'MISSED'}; worst p99 ratio {data['p99_ratio']:.2f}, "
        f"goal <= {GOAL_P99}: {'met' if met['p99'] else 'MISSED'}",
        f"- tree definition: 304 on If-None-Match serves {data['definition_304_speedup']:.2f}x "
        "the requests per second of the full 200",
        f"- errors or unexpected statuses: {sum(data['errors_or_bad_status'].values())}",
    ]
    if data["smoke"]:
        lines.append("- smoke run: too short for the figures to mean anything")
    return "\n".join(lines)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ValueError(text)
    return name, value


def main(argv: Sequence[str] | None = None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--trees", type=Path, default=None, help="tree directory (default: bundled)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--python-loadgen", action="store_true", help="do not use wrk")
    p.add_argument("--no-install", action="store_true", help="do not apt-get install wrk")
    p.add_argument("--tag", default="", help="suffix for the result files of a variant run")
    p.add_argument(
        "--netadvisor-env",
        action="append",
        default=[],
        type=_pair,
        metavar="NAME=VALUE",
        help="extra environment for netadvisor only, to try "
        "a setting (e.g. NETADVISOR_ACCESS_LOG=false)",
    )
    args = p.parse_args(argv)
    out = common.out_dir(args)
    data = run(args)
    name = f"http_vs_echo-{args.tag}" if args.tag else "http_vs_echo"
    common.write_results(out, name, data, markdown(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
