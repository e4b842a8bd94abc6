"""`netadvisor serve` (real gunicorn) on a free loopback port, ready before it is used."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serve(
    workdir: Path,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    workers: int = 2,
    ready_within: float = 30.0,
) -> Iterator[Server]:
    """Run the server until the block ends; fail with its log if /readyz never answers."""
    port = free_port()
    metrics = workdir / "metrics"
    metrics.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "NETADVISOR_ACCESS_LOG": "false",
        "NETADVISOR_DECISION_LOG": "false",
        **(env or {}),
    }
    argv = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--workers", str(workers), *args]
    log = workdir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, log)
    try:
        deadline = time.monotonic() + ready_within
        while True:
            try:
                with urllib.request.urlopen(f"{server.base}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not become ready:\n{log.read_text()[-4000:]}")
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
