"""Real gunicorn on loopback against slow clients, SIGTERM under load, a stuck request,
worker recycling and a stdout pipe shared by two workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from bench import serving_proof as proof

# By its full name: gunicorn imports this module (for slow_app) from the repository root,
# where the tests' own directory is not on the path.
from tests.support.server import (
    ROOT,
    Server,
    free_port,
    gunicorn_argv,
    server_env,
    start_gunicorn,
    stop,
    wait_ready,
)

pytestmark = pytest.mark.slow

WORKERS = 2
# Four times the request slots (one per sync worker) and more.
SLOW_CLIENTS = 6 * WORKERS


def slow_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """A WSGI app that is stuck on /stuck (served by gunicorn in a test below)."""
    if environ["PATH_INFO"] == "/stuck":
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


@contextmanager
def server(**env: str) -> Iterator[Server]:
    started = start_gunicorn(workers=WORKERS, env=env)
    try:
        yield started
    finally:
        started.stop(signal.SIGKILL)


def _trickle(port: int, payload: bytes, every: float, stop: threading.Event) -> None:
    """Send ``payload`` a byte at a time until the server answers or ``stop``; reconnect
    and start again after an answer, as the clients seen in the field did."""
    while not stop.is_set():
        with socket.create_connection((proof.HOST, port), timeout=30) as sock:
            for index in range(len(payload)):
                if stop.wait(every):
                    return
                try:
                    sock.sendall(payload[index : index + 1])
                except OSError:
                    break


def _timed(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, float]:
    started = time.monotonic()
    try:
        status = proof.request(port, method, path, body, proof.JSON_HEADERS, timeout=8).status
    except OSError:
        status = 0
    return status, time.monotonic() - started


def test_idle_trickling_and_non_reading_clients_do_not_starve_the_service() -> None:
    head = f"GET /livez HTTP/1.1\r\nHost: {proof.HOST}\r\nX-Pad: {'p' * 400}\r\n\r\n".encode()
    body_head = (
        f"POST {proof.EVALUATE_PATH} HTTP/1.1\r\nHost: {proof.HOST}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(proof.EVALUATE_BODY)}\r\n\r\n"
    ).encode()
    stop = threading.Event()
    with server(GUNICORN_READ_TIMEOUT="5") as srv, ExitStack() as stack:
        port = srv.port
        asset = proof.request(port, "GET", "/docs/swagger-ui-bundle.js").body
        idle = [
            stack.enter_context(socket.create_connection((proof.HOST, port)))
            for _ in range(SLOW_CLIENTS)
        ]
        stalled = []
        for _ in range(WORKERS * 2):
            sock = stack.enter_context(socket.socket())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((proof.HOST, port))
            sock.sendall(b"GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: x\r\n\r\n")
            stalled.append(sock)
        # A body sent a byte at a time: its head is complete, so it is past the parser.
        body_sock = stack.enter_context(socket.create_connection((proof.HOST, port)))
        body_sock.sendall(body_head + proof.EVALUATE_BODY[:5])
        threads = [
            threading.Thread(target=_trickle, args=(port, payload, 0.3, stop), daemon=True)
            for payload in [head] * SLOW_CLIENTS + [body_head + proof.EVALUATE_BODY] * SLOW_CLIENTS
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        probes = []
        try:
            began = time.monotonic()
            while time.monotonic() - began < 6.0:
                probes.append(("livez", *_timed(port, "GET", "/livez")))
                probes.append(("readyz", *_timed(port, "GET", "/readyz")))
                probes.append(
                    ("evaluate", *_timed(port, "POST", proof.EVALUATE_PATH, proof.EVALUATE_BODY))
                )
                time.sleep(0.2)
            # The deadlines still hold: the idle clients got 408 at 5 s and the body that
            # stopped arriving a 408 problem.
            idle_status, _ = proof.read_response(idle[0], timeout=10)
            body_status, body = proof.read_response(body_sock, timeout=10)
            received, ended = 0, False
            stalled[0].settimeout(10)
            with suppress(OSError):
                while chunk := stalled[0].recv(65536):
                    received += len(chunk)
                ended = True
        finally:
            stop.set()
            for thread in threads:
                thread.join(5)
    assert {status for _, status, _ in probes} == {200}, probes
    slowest = max(seconds for _, _, seconds in probes)
    assert slowest < 3.0, probes
    assert len(probes) >= 15
    assert idle_status == 408
    assert body_status == 408
    assert json.loads(body)["status"] == 408
    # On loopback the kernel's send buffer takes the whole asset, so the worker was never
    # held; the connection still ends rather than staying open.
    assert ended and received >= len(asset)


def _pipe_reader(stream: Any, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        for raw in iter(stream.readline, b""):
            into.append(raw)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_log_lines_stay_whole_and_bounded_through_a_shared_pipe() -> None:
    port = free_port()
    # stdout is a pipe shared by the master and both workers, as under a container runtime.
    proc = subprocess.Popen(
        gunicorn_argv(),
        env=server_env(port, WORKERS),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    lines: list[bytes] = []
    reader = _pipe_reader(proc.stdout, lines)
    try:
        try:
            wait_ready(proc, port)
        except RuntimeError as exc:
            pytest.fail(f"{exc}; its last lines: {lines[-5:]}")
        long_path = "/v1/trees/" + "%01" * 1300  # 7.8 KB echoed: each byte is escaped to six
        long_id = {"X-Request-ID": "r" * 5000}

        def client(index: int) -> None:
            for _ in range(60):
                proof.request(port, "GET", long_path, timeout=10)
                proof.request(
                    port, "POST", proof.EVALUATE_PATH, proof.EVALUATE_BODY,
                    {**proof.JSON_HEADERS, **long_id}, timeout=10,
                )  # fmt: skip

        threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        stop(proc)
        reader.join(10)
        assert proc.stdout is not None
        proc.stdout.close()
    events = [json.loads(raw) for raw in lines]  # every line is one JSON object
    assert max(len(raw) for raw in lines) <= 4096
    access = [e for e in events if e["logger"] == "netadvisor.access"]
    decisions = [e for e in events if e["logger"] == "netadvisor.decision"]
    assert len(access) >= 6 * 60 * 2 and len(decisions) >= 6 * 60
    cut = [e for e in access if e.get("truncated")]
    assert cut and all(e["path"].endswith("...[cut]") for e in cut)
    # Every decision line still carries the id that joins it to its access line.
    assert {e["decision_id"] for e in decisions} <= {e.get("decision_id") for e in access}


def test_sigterm_under_load_stops_accepting_finishes_in_flight_and_exits_in_seconds() -> None:
    srv = start_gunicorn(
        workers=WORKERS,
        # Workers recycle during the load, and each says so once.
        env={"GUNICORN_MAX_REQUESTS": "500", "GUNICORN_MAX_REQUESTS_JITTER": "0"},
    )
    try:
        with proof.background_load(srv.port, concurrency=8) as (stop, load):
            time.sleep(2.0)
            held = [proof.partial_request(srv.port) for _ in range(WORKERS * 2)]
            idle = [socket.create_connection((proof.HOST, srv.port)) for _ in range(4)]
            time.sleep(0.3)
            signalled = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            stop.set()
            # No longer accepting: a new connection is refused while requests finish.
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((proof.HOST, srv.port), timeout=2).close()
            replies = []
            for sock, rest in held:
                sock.sendall(rest)
                replies.append(proof.read_response(sock))
                sock.close()
        code = srv.proc.wait(30)
        exit_seconds = time.monotonic() - signalled
        for sock in idle:
            sock.close()
    finally:
        srv.stop(signal.SIGKILL)
    assert code == 0
    assert exit_seconds < 10, exit_seconds
    assert [status for status, _ in replies] == [200] * len(held)
    assert all(b"decision_id" in body for _, body in replies)
    assert load.outcomes[proof.OK] > 100, load.summary()
    assert load.outcomes[proof.HTTP_5XX] == 0
    messages = [line.get("message") for line in srv.log_lines()]
    # Once per worker recycled or stopped, not once per request after the count.
    assert messages.count("Autorestarting worker after current request.") < 20
    assert messages.count("Handling signal: term") == 1


def test_a_request_past_the_worker_timeout_gets_a_problem_not_an_html_page() -> None:
    srv = start_gunicorn(
        "tests.test_faults_serving:slow_app",
        workers=WORKERS,
        env={"GUNICORN_TIMEOUT": "3", "GUNICORN_READ_TIMEOUT": "2"},
    )
    try:
        before = srv.wait_workers(WORKERS)
        started = time.monotonic()
        reply = proof.request(srv.port, "GET", "/stuck", timeout=30)
        took = time.monotonic() - started
        after = proof.request(srv.port, "GET", "/readyz", timeout=10)
    finally:
        srv.stop()
    assert reply.status == 503
    assert reply.headers["content-type"] == "application/problem+json"
    assert json.loads(reply.body)["status"] == 503
    assert took < 20
    assert after.status == 200
    assert before


def test_recycled_workers_metric_files_are_folded_and_counts_kept(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics"
    srv = start_gunicorn(
        workers=WORKERS,
        env={
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "GUNICORN_MAX_REQUESTS": "20",
            "GUNICORN_MAX_REQUESTS_JITTER": "0",
        },
    )
    try:
        sent = 0
        for _ in range(300):
            assert _timed(srv.port, "GET", "/livez")[0] == 200
            sent += 1
        time.sleep(1.0)
        files = sorted(p.name for p in metrics.glob("*.db"))
        text = proof.request(srv.port, "GET", "/metrics").body.decode()
    finally:
        srv.stop()
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('netadvisor_http_requests_total{method="GET",route="/livez"')
    )
    # About 15 workers lived and died: one file per kind for all of them, plus the live.
    assert "counter_exited.db" in files and "histogram_exited.db" in files
    assert len([f for f in files if f.startswith("counter_")]) <= WORKERS + 2, files
    assert counted >= sent
    assert os.path.isdir(metrics)
