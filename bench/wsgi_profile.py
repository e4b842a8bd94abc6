"""Per-request cost inside one process: the netadvisor app vs the bare echo, called as WSGI
apps with no server or network, set up as gunicorn sets them up (multiprocess metrics
directory, JSON logging); the batch endpoint with 100 CNI items; optionally a pyinstrument
profile of the evaluate request.

This isolates what the application adds per request from server and load-generator noise.

    python -m bench.wsgi_profile            # writes bench/results/wsgi_profile.*
    python -m bench.wsgi_profile --smoke
"""

from __future__ import annotations

import contextlib
import io
import json
import logging.config
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import common
from bench.http_vs_echo import ANSWERS

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def _environ(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(
        path=path,
        method=method,
        data=body or None,
        headers=headers,
        base_url="http://127.0.0.1:8080",
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    return environ


def call(app: WsgiApp, environ: dict[str, Any], body: bytes) -> str:
    """One request: a fresh body stream each time, the response fully consumed."""
    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(body)
    status: list[str] = []

    def start_response(s: str, headers: Any, exc_info: Any = None) -> Any:
        status.append(s)
        return None

    result = app(env, start_response)
    try:
        for _ in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return status[0]


def _get(app: WsgiApp, path: str) -> list[bytes]:
    env = _environ("GET", path)
    return list(app(env, lambda *a: None))


def _per_call_us(app: WsgiApp, environ: dict[str, Any], body: bytes, calls: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(calls):
        call(app, environ, body)
    return (time.perf_counter_ns() - start) / calls / 1000


BATCH_ITEMS = 100
QUIET = {"ACCESS_LOG": False, "DECISION_LOG": False}


def different_cni_answers(count: int = BATCH_ITEMS) -> list[dict[str, Any]]:
    """`count` different complete answer sets of the default cni tree, in a fixed order:
    every platform, running CNI and need, so no two items of a batch are alike."""
    import itertools

    from service.engine import Catalog, evaluate_tree

    tree = Catalog.load().get("cni")
    options: dict[str, list[Any]] = {
        qid: [o.id for o in tree.questions[qid].options] for qid in ("platform", "current_cni")
    }
    for qid in ("network_policy", "l7_visibility", "encryption"):
        options[qid] = [True, False]
    found: list[dict[str, Any]] = []
    for values in itertools.product(*options.values()):
        answers: dict[str, Any] = {
            **dict(zip(options, values, strict=True)),
            "kernel_version": "6.1",
        }
        if evaluate_tree(tree, answers).complete:
            found.append(answers)
        if len(found) == count:
            return found
    raise SystemExit(f"cni has fewer than {count} different complete answer sets")


def apps() -> tuple[WsgiApp, WsgiApp, WsgiApp, WsgiApp]:
    """The apps as gunicorn would hold them: metrics dir set first, logs as JSON lines;
    netadvisor once more with its access and decision logs off, to price them, and once
    more with no evaluation bodies kept, to price building every one."""
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="bench-prom-"))
    for key in [k for k in os.environ if k.startswith("NETADVISOR_")]:
        del os.environ[key]
    from service.serving.logs import logging_config

    logging.config.dictConfig(logging_config("info"))
    from bench.echo_app import app as echo
    from service.serving import create_app
    from service.wsgi import app as netadvisor

    quiet = create_app(QUIET)
    cold = create_app({**QUIET, "BODY_CACHE_BYTES": 0})
    return netadvisor, quiet, cold, echo


def run(args: Any) -> dict[str, Any]:
    # The log lines are written as in production, to a stream nobody reads.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        return _run(args)


BATCH = f"netadvisor, logs off, POST /v1/evaluations ({BATCH_ITEMS} cni items, alike)"
BATCH_DIFFERENT = f"netadvisor, logs off, POST /v1/evaluations ({BATCH_ITEMS} different cni items)"
BATCH_BUILT = f"same, no bodies kept ({BATCH_ITEMS} different cni items, every body built)"


def _run(args: Any) -> dict[str, Any]:
    netadvisor, quiet, cold, echo = apps()
    body = json.dumps({"answers": ANSWERS}).encode()
    items = [{"tree": "cni", "answers": ANSWERS}] * BATCH_ITEMS
    batch = json.dumps({"requests": items}).encode()
    different = [{"tree": "cni", "answers": a} for a in different_cni_answers()]
    mixed = json.dumps({"requests": different}).encode()
    jtype = {"Content-Type": "application/json"}
    version = json.loads(b"".join(_get(netadvisor, "/v1/trees/cni/versions")))["default_version"]
    cases: dict[str, tuple[WsgiApp, dict[str, Any], bytes]] = {
        "echo POST /echo": (echo, _environ("POST", "/echo", body, jtype), body),
        "netadvisor POST /v1/trees/cni/evaluate": (
            netadvisor,
            _environ("POST", "/v1/trees/cni/evaluate", body, jtype),
            body,
        ),
        "netadvisor, access and decision logs off, POST evaluate": (
            quiet,
            _environ("POST", "/v1/trees/cni/evaluate", body, jtype),
            body,
        ),
        "netadvisor POST evaluate?format=json": (
            netadvisor,
            _environ("POST", "/v1/trees/cni/evaluate?format=json", body, jtype),
            body,
        ),
        f"netadvisor POST evaluate?version={version}": (
            netadvisor,
            _environ("POST", f"/v1/trees/cni/evaluate?version={version}", body, jtype),
            body,
        ),
        BATCH: (quiet, _environ("POST", "/v1/evaluations", batch, jtype), batch),
        BATCH_DIFFERENT: (quiet, _environ("POST", "/v1/evaluations", mixed, jtype), mixed),
        BATCH_BUILT: (cold, _environ("POST", "/v1/evaluations", mixed, jtype), mixed),
        "netadvisor GET /readyz": (netadvisor, _environ("GET", "/readyz"), b""),
        "echo GET /livez": (echo, _environ("GET", "/livez"), b""),
    }
    for name, (app, environ, payload) in cases.items():
        status = call(app, environ, payload)
        if not status.startswith("200"):
            raise SystemExit(f"{name} answered {status}")
    rounds, calls = (3, 200) if args.smoke else (args.rounds, args.calls)
    per_round: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (app, environ, payload) in cases.items():
            per_round[name].append(_per_call_us(app, environ, payload, calls))
    stats = {name: common.summary(v) for name, v in per_round.items()}
    data: dict[str, Any] = {
        "benchmark": "wsgi_profile",
        "smoke": bool(args.smoke),
        "machine": common.machine(),
        "rounds": rounds,
        "calls_per_round": calls,
        "us_per_request": stats,
        "evaluate_minus_echo_us": stats["netadvisor POST /v1/trees/cni/evaluate"]["median"]
        - stats["echo POST /echo"]["median"],
        "batch_evaluations_per_s": BATCH_ITEMS * 1e6 / stats[BATCH]["median"],
        "batch_different_evaluations_per_s": BATCH_ITEMS * 1e6 / stats[BATCH_DIFFERENT]["median"],
        "batch_built_evaluations_per_s": BATCH_ITEMS * 1e6 / stats[BATCH_BUILT]["median"],
        "logs_us": stats["netadvisor POST /v1/trees/cni/evaluate"]["median"]
        - stats["netadvisor, access and decision logs off, POST evaluate"]["median"],
    }
    if args.profile:
        from pyinstrument import Profiler

        app, environ, payload = cases["netadvisor POST /v1/trees/cni/evaluate"]
        profiler = Profiler(interval=0.0001)
        profiler.start()
        for _ in range(calls * 5):
            call(app, environ, payload)
        profiler.stop()
        data["profile"] = profiler.output_text(unicode=False, color=False)
    return data


def markdown(data: dict[str, Any]) -> str:
    rows = [
        (name, f"{s['median']:.1f}", f"{s['min']:.1f}", f"{s['max']:.1f}")
        for name, s in data["us_per_request"].items()
    ]
    lines = [
        "### In-process WSGI cost per request (no server, no network)",
        "",
        f"{data['machine']['date']}; {data['rounds']} rounds x {data['calls_per_round']} calls.",
        "",
        common.table(("request", "median us", "min", "max"), rows),
        "",
        f"- evaluate costs {abs(data['evaluate_minus_echo_us']):.0f} us "
        f"{'more' if data['evaluate_minus_echo_us'] >= 0 else 'less'} per request than the "
        f"echo in the app itself; its two JSON log lines (access, decision) cost "
        f"{data['logs_us']:.0f} us",
        f"- batch, {BATCH_ITEMS} cni items per request, logs off, in one process (one "
        f"worker): **{data['batch_evaluations_per_s']:,.0f} evaluations/s** with the same "
        f"answers in every item, **{data['batch_different_evaluations_per_s']:,.0f}/s** "
        f"with {BATCH_ITEMS} different answer sets (their bodies kept from the first call), "
        f"{data['batch_built_evaluations_per_s']:,.0f}/s with every body built "
        "(`NETADVISOR_BODY_CACHE_BYTES=0`)",
    ]
    if data["smoke"]:
        lines.append("- smoke run: too short for the figures to mean anything")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--profile", action="store_true", help="pyinstrument profile of evaluate")
    args = p.parse_args(argv)
    out = common.out_dir(args)
    data = run(args)
    common.write_results(out, "wsgi_profile", data, markdown(data))
    if "profile" in data:
        print(data["profile"])
        if out is not None:
            (Path(out) / "wsgi_profile.txt").write_text(data["profile"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
