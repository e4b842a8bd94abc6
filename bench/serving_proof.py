#!/usr/bin/env python3
"""Load and fault proof for the production server on loopback: gunicorn with the real app.

Subcommands (each starts its own server on a free 127.0.0.1 port and stops it):

  sustained   evaluate under steady load; requests/s, p50/p99 latency, errors
              (uses wrk when installed, else the built-in load generator)
  memory      memory per worker over a long run with worker recycling off
  sigterm     SIGTERM under load: in-flight requests complete, exit 0 within grace
  kill-worker SIGKILL one worker under load: failed requests, replacement worker
  hostile     hostile input: every case ends in a 4xx or a bounded close

The pytest tests in tests/test_serving_faults.py call the same functions with short
durations; run this script for the longer figures quoted in the README.
Traffic goes only to 127.0.0.1, and every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import common
from tests.support.server import HOST, ROOT, read_until_closed, start_gunicorn

EVALUATE_PATH = "/v1/trees/service-mesh/evaluate"
EVALUATE_BODY = json.dumps(
    {
        "answers": {
            "platform": "aws",
            "microservices": 12,
            "mtls_required": True,
            "advanced_traffic": False,
            "observability_in_place": True,
            "operations_capacity": True,
            "priority": "simplicity",
            "pods": 60,
        }
    }
).encode()
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Reply:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        data = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


def access_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [ln for ln in lines if ln.get("logger") == "netadvisor.access"]


# Outcomes of one request, from the client's side.
OK = "ok"  # a complete 2xx response
HTTP_4XX = "4xx"
HTTP_5XX = "5xx"
REFUSED = "refused"  # no listener: the server had stopped accepting
NO_RESPONSE = "closed-before-response"  # connected, then closed with no byte of answer
TRUNCATED = "truncated"  # a response started and broke off
TIMEOUT = "timeout"


def classify(port: int, method: str, path: str, body: bytes | None, timeout: float) -> str:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        try:
            conn.request(method, path, body=body, headers=JSON_HEADERS)
        except ConnectionRefusedError:
            return REFUSED
        except (BrokenPipeError, ConnectionResetError):
            return NO_RESPONSE
        try:
            response = conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            return NO_RESPONSE
        except TimeoutError:
            return TIMEOUT
        try:
            response.read()
        except (http.client.IncompleteRead, ConnectionResetError):
            return TRUNCATED
        except TimeoutError:
            return TIMEOUT
        if response.status >= 500:
            return HTTP_5XX
        if response.status >= 400:
            return HTTP_4XX
        return OK
    except TimeoutError:
        return TIMEOUT
    finally:
        conn.close()


@dataclass
class LoadResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    # (monotonic time the request started, outcome) for every request.
    timeline: list[tuple[float, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    @property
    def rps(self) -> float:
        return self.outcomes[OK] / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.total,
            "outcomes": dict(self.outcomes),
            "seconds": round(self.elapsed, 2),
            "requests_per_second": round(self.rps, 1),
            "p50_ms": round(self.percentile(0.50) * 1000, 2),
            "p99_ms": round(self.percentile(0.99) * 1000, 2),
        }


def run_load(
    port: int,
    *,
    concurrency: int,
    duration: float,
    stop: threading.Event | None = None,
    method: str = "POST",
    path: str = EVALUATE_PATH,
    body: bytes | None = EVALUATE_BODY,
    timeout: float = 10.0,
    max_requests: int = 2_000_000,
) -> LoadResult:
    """Closed-loop load: ``concurrency`` clients, each sending its next request when the
    last one ends, until ``duration`` passes, ``stop`` is set or ``max_requests`` is hit."""
    result = LoadResult()
    lock = threading.Lock()
    stop = stop or threading.Event()
    deadline = time.monotonic() + duration
    sent = [0]

    def client() -> None:
        outcomes: list[tuple[float, str, float]] = []
        while not stop.is_set() and time.monotonic() < deadline:
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            started = time.monotonic()
            outcome = classify(port, method, path, body, timeout)
            outcomes.append((started, outcome, time.monotonic() - started))
        with lock:
            for started, outcome, latency in outcomes:
                result.outcomes[outcome] += 1
                result.timeline.append((started, outcome))
                if outcome == OK:
                    result.latencies.append(latency)

    began = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + timeout + 5)
    result.elapsed = time.monotonic() - began
    return result


@contextlib.contextmanager
def background_load(port: int, **kwargs: Any) -> Iterator[tuple[threading.Event, LoadResult]]:
    """Run :func:`run_load` in a thread; on exit, stop it and fill in its result."""
    stop = threading.Event()
    holder = LoadResult()
    kwargs.setdefault("duration", 120.0)

    def target() -> None:
        found = run_load(port, stop=stop, **kwargs)
        holder.outcomes, holder.latencies = found.outcomes, found.latencies
        holder.timeline, holder.elapsed = found.timeline, found.elapsed

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield stop, holder
    finally:
        stop.set()
        thread.join(60)


def partial_request(port: int, body: bytes = EVALUATE_BODY) -> tuple[socket.socket, bytes]:
    """Open a request and send its headers and half its body: a worker now holds it."""
    sock = socket.create_connection((HOST, port), timeout=30)
    head = (
        f"POST {EVALUATE_PATH} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    half = len(body) // 2
    sock.sendall(head + body[:half])
    return sock, body[half:]


def read_response(sock: socket.socket, timeout: float = 30.0) -> tuple[int, bytes]:
    """Read until the server closes; (status, body), status 0 if nothing came back."""
    sock.settimeout(timeout)
    raw = read_until_closed(sock)
    match = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    _head, _, body = raw.partition(b"\r\n\r\n")
    return (int(match.group(1)) if match else 0), body


# ---------------------------------------------------------------------------- proofs


def prove_sigterm(
    *, workers: int = 2, concurrency: int = 4, load_seconds: float = 1.5, grace: int = 10
) -> dict[str, Any]:
    """SIGTERM while loaded, with requests in flight and connections queued.

    Under steady load, every worker is made to hold a request whose body is half sent,
    so the load's next connections wait in the listen queue. SIGTERM then arrives and
    the load stops starting new requests (in a pod, the preStop pause has already
    taken the endpoint out of rotation). The held requests are completed after the
    signal and must get 200; the queued ones must be answered too, not reset; and the
    master must exit 0 within the graceful timeout.
    """
    server = start_gunicorn(workers=workers, env={"GUNICORN_GRACEFUL_TIMEOUT": str(grace)})
    try:
        with background_load(server.port, concurrency=concurrency) as (stop, load):
            time.sleep(load_seconds)
            held = [partial_request(server.port) for _ in range(workers)]
            time.sleep(0.5)
            signalled = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            stop.set()
            time.sleep(1.0)
            replies = []
            for sock, rest in held:
                sock.sendall(rest)
                replies.append(read_response(sock))
                sock.close()
        code = server.proc.wait(grace + 10)
        exit_seconds = time.monotonic() - signalled
    finally:
        server.stop(signal.SIGKILL)
    drained = sum(
        line.get("served", 0)
        for line in server.log_lines()
        if line.get("message") == "answered queued connections before exiting"
    )
    return {
        "exit_code": code,
        "exit_seconds": round(exit_seconds, 2),
        "grace_seconds": grace,
        "held_statuses": [status for status, _ in replies],
        "held_decisions": [b"decision_id" in body for _, body in replies],
        "queued_answered": drained,
        "load": load.summary(),
        "server": server,
    }


def prove_kill_worker(
    *, workers: int = 2, concurrency: int = 4, seconds: float = 4.0
) -> dict[str, Any]:
    """SIGKILL one worker in the middle of steady load; count what failed."""
    server = start_gunicorn(workers=workers)
    try:
        before = server.wait_workers(workers)
        with background_load(server.port, concurrency=concurrency, duration=seconds) as (
            _stop,
            load,
        ):
            time.sleep(seconds / 3)
            victim = before[0]
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            after = []
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                after = server.workers()
                if len(after) == workers and victim not in after:
                    break
                time.sleep(0.05)
            replaced_seconds = time.monotonic() - killed_at
            time.sleep(max(0.0, seconds - (time.monotonic() - killed_at) - seconds / 3))
        ok_after = sum(1 for t, o in load.timeline if t > killed_at + replaced_seconds and o == OK)
    finally:
        server.stop()
    return {
        "victim": victim,
        "workers_before": before,
        "workers_after": after,
        "replaced_seconds": round(replaced_seconds, 2),
        "ok_after_replacement": ok_after,
        "load": load.summary(),
    }


def _raw_exchange(
    port: int, payload: bytes, *, timeout: float = 10.0, trickle: float | None = None
) -> tuple[int, float]:
    """Send raw bytes (optionally one byte per ``trickle`` seconds), return the status
    the server answered (0: closed with none) and how long it took."""
    started = time.monotonic()
    sock = socket.create_connection((HOST, port), timeout=timeout)
    try:
        if trickle is None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(payload)
        else:
            for index in range(len(payload)):
                try:
                    sock.sendall(payload[index : index + 1])
                except (BrokenPipeError, ConnectionResetError):
                    break
                if time.monotonic() - started > timeout:
                    break
                time.sleep(trickle)
        status, _ = read_response(sock, timeout=timeout)
    finally:
        sock.close()
    return status, time.monotonic() - started


def _post(
    path: str, body: bytes, content_type: str = "application/json", extra: bytes = b""
) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    ).encode()
    return head + extra + b"\r\n" + body


def hostile_cases() -> dict[str, Callable[[int], tuple[int, float]]]:
    """Each case sends one hostile request and returns (status, seconds)."""
    # Within the body limit (64 KiB): the parser, not the size cap, must refuse it.
    deep = b'{"answers": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    chunked_huge = (
        (
            f"POST {EVALUATE_PATH} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ).encode()
        + b"".join(b"10000\r\n" + b" " * 0x10000 + b"\r\n" for _ in range(8))
        + b"0\r\n\r\n"
    )

    def answers(value: bytes) -> bytes:
        return b'{"answers": {"microservices": ' + value + b"}}"

    def case(payload: bytes, **kwargs: Any) -> Callable[[int], tuple[int, float]]:
        return lambda port: _raw_exchange(port, payload, **kwargs)

    return {
        "oversized body (1 MiB, Content-Length)": case(_post(EVALUATE_PATH, b" " * (1 << 20))),
        "oversized body (512 KiB, chunked)": case(chunked_huge),
        "deep JSON nesting (30,000 levels)": case(_post(EVALUATE_PATH, deep)),
        "huge integer (5,000 digits)": case(_post(EVALUATE_PATH, answers(b"9" * 5000))),
        "huge float (1e999)": case(_post(EVALUATE_PATH, answers(b"1e999"))),
        "integer past 64 bits": case(_post(EVALUATE_PATH, answers(b"18446744073709551617"))),
        "long string answer (60,000 characters)": case(
            _post(EVALUATE_PATH, b'{"answers": {"priority": "' + b"x" * 60_000 + b'"}}')
        ),
        "long unknown question id": case(
            _post(EVALUATE_PATH, b'{"answers": {"' + b"q" * 60_000 + b'": 1}}')
        ),
        "invalid UTF-8 in body": case(
            _post(EVALUATE_PATH, b'{"answers": {"priority": "\xff\xfe"}}')
        ),
        "invalid UTF-8 in path": case(
            f"GET /v1/trees/\xff\xfe HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode(
                "latin-1"
            )
        ),
        "invalid UTF-8 in header": case(
            _post(EVALUATE_PATH, EVALUATE_BODY, extra=b"X-Request-ID: \xff\xfe\r\n")
        ),
        "request line over the limit": case(
            f"GET /v1/trees/{'a' * 9000} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
        ),
        "too many headers": case(
            (
                f"GET /livez HTTP/1.1\r\nHost: {HOST}\r\n"
                + "".join(f"X-{i}: v\r\n" for i in range(200))
                + "\r\n"
            ).encode()
        ),
        "header over the size limit": case(
            f"GET /livez HTTP/1.1\r\nHost: {HOST}\r\nX-Big: {'b' * 20000}\r\n\r\n".encode()
        ),
        "body shorter than Content-Length, then silence": case(
            _post(EVALUATE_PATH, EVALUATE_BODY)[:-10], timeout=30.0
        ),
        "not JSON": case(_post(EVALUATE_PATH, b"answers=1")),
        "wrong content type": case(_post(EVALUATE_PATH, EVALUATE_BODY, "text/plain")),
        "JSON that is not an object": case(_post(EVALUATE_PATH, b"[1, 2, 3]")),
        "NUL bytes in body": case(_post(EVALUATE_PATH, b'{"answers": {"priority": "a\x00b"}}')),
        "slow client (one header byte every 0.5 s)": case(
            f"GET /livez HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: {'s' * 200}\r\n\r\n".encode(),
            trickle=0.5,
            timeout=40.0,
        ),
    }


def prove_hostile(*, read_timeout: int = 3, workers: int = 2) -> dict[str, Any]:
    """Run every hostile case against one server; the server must stay healthy."""
    server = start_gunicorn(workers=workers, env={"GUNICORN_READ_TIMEOUT": str(read_timeout)})
    results: dict[str, dict[str, Any]] = {}
    try:
        for name, run in hostile_cases().items():
            status, seconds = run(server.port)
            healthy = request(server.port, "GET", "/livez", timeout=10).status == 200
            results[name] = {
                "status": status,
                "seconds": round(seconds, 2),
                "healthy_after": healthy,
            }
        stderr = server.stderr.read_text(errors="replace")
        lines = server.log_lines()
    finally:
        code = server.stop()
    return {
        "cases": results,
        "read_timeout": read_timeout,
        "exit_code": code,
        "tracebacks": stderr.count("Traceback"),
        "server_errors": [ln for ln in access_lines(lines) if ln["status"] >= 500],
        "error_lines": [ln for ln in lines if ln.get("level") in ("error", "critical")],
    }


def _wrk(port: int, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    script = Path(tempfile.mkdtemp(prefix="netadvisor-wrk-")) / "evaluate.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(EVALUATE_BODY.decode())}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("JSON {\\"requests\\": %d, \\"seconds\\": %.3f, '
        '\\"p50_ms\\": %.3f, \\"p99_ms\\": %.3f, \\"errors_connect\\": %d, '
        '\\"errors_read\\": %d, \\"errors_write\\": %d, \\"errors_status\\": %d, '
        '\\"errors_timeout\\": %d}\\n", summary.requests, summary.duration / 1e6, '
        "latency:percentile(50) / 1000, latency:percentile(99) / 1000, "
        "summary.errors.connect, summary.errors.read, summary.errors.write, "
        "summary.errors.status, summary.errors.timeout))\n"
        "end\n"
    )
    wrk = shutil.which("wrk")
    assert wrk is not None
    out = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://{HOST}:{port}{EVALUATE_PATH}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("JSON "))
    found: dict[str, Any] = json.loads(line[5:])
    found["requests_per_second"] = round(found["requests"] / found["seconds"], 1)
    found["errors"] = sum(v for k, v in found.items() if k.startswith("errors_"))
    found["tool"] = "wrk"
    return found


def prove_sustained(
    *, workers: int, seconds: int, connections: int, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    server = start_gunicorn(workers=workers, env=env)
    try:
        # Warm every worker (first requests build per-process caches) before measuring.
        run_load(server.port, concurrency=connections, duration=2.0)
        if shutil.which("wrk"):
            found = _wrk(server.port, seconds, connections, threads=2)
        else:
            load = run_load(server.port, concurrency=connections, duration=seconds)
            found = {**load.summary(), "tool": "python"}
            found["errors"] = load.total - load.outcomes[OK]
        access_errors = [ln for ln in access_lines(server.log_lines()) if ln["status"] >= 500]
    finally:
        code = server.stop()
    return {
        **found,
        "workers": workers,
        "connections": connections,
        "exit_code": code,
        "server_5xx_logged": len(access_errors),
    }


def prove_memory(
    *, workers: int, seconds: int, connections: int, warmup: float = 20.0, every: float = 5.0
) -> dict[str, Any]:
    """Sample every worker's memory while loaded; worker recycling is off so growth shows."""
    server = start_gunicorn(workers=workers, env={"GUNICORN_MAX_REQUESTS": "0"})
    samples: list[dict[str, Any]] = []
    try:
        pids = server.wait_workers(workers)
        with background_load(server.port, concurrency=connections, duration=seconds + warmup) as (
            _stop,
            load,
        ):
            began = time.monotonic()
            while time.monotonic() - began < seconds + warmup:
                time.sleep(every)
                at = round(time.monotonic() - began, 1)
                samples.append({"t": at, **{str(p): common.memory_kib(p) for p in pids}})
        current = server.workers()
    finally:
        server.stop()
    report: dict[str, Any] = {
        "workers": pids,
        "same_workers": current == pids,
        "samples": samples,
        "load": load.summary(),
    }
    after = [s for s in samples if s["t"] >= warmup]
    for pid in map(str, pids):
        base = after[0][pid]["rss"]
        peak = max(s[pid]["rss"] for s in after)
        last = after[-1][pid]["rss"]
        report[f"worker {pid}"] = {
            "rss_after_warmup_kib": base,
            "rss_peak_kib": peak,
            "rss_last_kib": last,
            "private_last_kib": after[-1][pid]["uss"],
            "growth_percent": round(100.0 * (peak - base) / base, 2),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sustained")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="server environment, e.g. NETADVISOR_ACCESS_LOG=false",
    )
    p = sub.add_parser("memory")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seconds", type=int, default=600)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--warmup", type=float, default=30.0)
    sub.add_parser("sigterm")
    sub.add_parser("kill-worker")
    sub.add_parser("hostile")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.command == "sustained":
        report = prove_sustained(
            workers=args.workers,
            seconds=args.seconds,
            connections=args.connections,
            env=dict(item.split("=", 1) for item in args.env),
        )
    elif args.command == "memory":
        report = prove_memory(
            workers=args.workers,
            seconds=args.seconds,
            connections=args.connections,
            warmup=args.warmup,
        )
        # One line per sample: seconds, then each worker's RSS in KiB.
        report["rss_kib_series"] = [
            [s["t"], *(s[str(pid)]["rss"] for pid in report["workers"])]
            for s in report.pop("samples")
        ]
    elif args.command == "sigterm":
        report = prove_sigterm()
        report.pop("server")
    elif args.command == "kill-worker":
        report = prove_kill_worker(seconds=10.0)
    else:
        report = prove_hostile()
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
