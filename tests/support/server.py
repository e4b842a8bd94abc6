"""A real server process on a free loopback port: started, ready before it is used, stopped."""

from __future__ import annotations

import atexit
import contextlib
import functools
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
# Both run by this interpreter; a benchmark may name the installed console scripts instead.
CLI = (sys.executable, "-m", "service.cli")
GUNICORN = (sys.executable, "-m", "gunicorn")
GUNICORN_CONFIG = "python:service.serving.gunicorn_conf"
APP = "service.wsgi:app"
# Fine enough that the start-up benchmark's time to ready is not rounded up by the wait.
POLL_SECONDS = 0.005


@functools.cache
def _scratch() -> str:
    """Where servers started without a work directory keep theirs: readable after a server
    stops (tests read its log then), removed when this process exits."""
    path = tempfile.mkdtemp(prefix="netadvisor-servers-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def free_port() -> int:
    """A port nobody listens on now; the server binds it moments later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection, resets it or the
    socket's timeout passes: what a raw-socket test then parses."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; fields follow it.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def server_env(port: int, workers: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment configured as the image does it: this one without any server or
    metrics setting of its own, the address and worker count in NETADVISOR_*, then ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NETADVISOR_", "GUNICORN_", "PROMETHEUS_"))
    }
    env.update(NETADVISOR_HOST=HOST, NETADVISOR_PORT=str(port), NETADVISOR_WORKERS=str(workers))
    env.update(extra or {})
    return env


def netadvisor_argv(
    port: int, workers: int, args: Sequence[str] = (), cli: Sequence[str] = CLI
) -> list[str]:
    """`netadvisor serve` on ``port``; it execs gunicorn, so its pid is the master's."""
    argv = [*cli, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    return [*argv, *args]


def gunicorn_argv(app: str = APP, program: Sequence[str] = GUNICORN) -> list[str]:
    """gunicorn with the serving configuration, as the image's CMD runs it."""
    return [*program, "--config", GUNICORN_CONFIG, app]


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
    """Signal a server we started, by its own pid only; kill it if it outlives ``timeout``."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


def _status(port: int, path: str) -> int:
    # http.client rather than urllib: a proxy set in the environment must not be asked.
    conn = http.client.HTTPConnection(HOST, port, timeout=1)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_ready(
    proc: subprocess.Popen[bytes], port: int, path: str = "/readyz", within: float = 30.0
) -> None:
    """Return once GET ``path`` answers 200; raise RuntimeError if ``proc`` exits first or
    ``within`` seconds pass."""
    deadline = time.monotonic() + within
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before {path} answered 200")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if _status(port, path) == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not answer 200 within {within:g} s")
        time.sleep(POLL_SECONDS)


@dataclass
class Server:
    """A server process started by :func:`start`; as a context manager, stopped on exit."""

    proc: subprocess.Popen[bytes]
    port: int
    workdir: Path
    log: Path  # its stdout, and its stderr too unless that was kept apart
    stderr: Path  # the same file as ``log`` unless kept apart
    metrics: Path  # PROMETHEUS_MULTIPROC_DIR: the metric files of its processes
    ready_seconds: float = 0.0  # from launch to the first 200 from the readiness URL

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def wait_workers(self, count: int, timeout: float = 20.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.workers()
            if len(pids) == count:
                return pids
            time.sleep(0.05)
        raise TimeoutError(f"expected {count} workers, have {self.workers()}")

    def output(self) -> str:
        """All it has written: stdout, then stderr when that was kept apart."""
        text = self.log.read_text(errors="replace")
        if self.stderr != self.log:
            text += self.stderr.read_text(errors="replace")
        return text

    def log_lines(self) -> list[dict[str, Any]]:
        """Its stdout lines that are JSON objects (the service logs one per line)."""
        lines = []
        for raw in self.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                line = json.loads(raw)
                if isinstance(line, dict):
                    lines.append(line)
        return lines

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        return stop(self.proc, sig, timeout)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start(
    argv: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str],
    workdir: Path | None = None,
    ready_path: str = "/readyz",
    ready_within: float = 30.0,
    cwd: Path = ROOT,
    stderr_apart: bool = False,
) -> Server:
    """Launch ``argv``, a server that listens on ``port``, with exactly ``env`` and return
    once ``ready_path`` answers 200; if it exits or time runs out first, kill it and raise
    RuntimeError with the end of its output. Its log, and its metric files unless ``env``
    puts them elsewhere, go in ``workdir``, left for the caller to read after it stops (when
    None, a new directory removed when this process exits)."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="serve-", dir=_scratch()))
    workdir.mkdir(parents=True, exist_ok=True)
    full_env = {"PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"), **env}
    log = workdir / "server.log"
    stderr = workdir / "stderr.log" if stderr_apart else log
    with contextlib.ExitStack() as files:
        out = files.enter_context(log.open("wb"))
        err: IO[bytes] | int = (
            files.enter_context(stderr.open("wb")) if stderr_apart else subprocess.STDOUT
        )
        began = time.perf_counter()
        proc = subprocess.Popen(list(argv), env=full_env, cwd=cwd, stdout=out, stderr=err)
    metrics = Path(full_env["PROMETHEUS_MULTIPROC_DIR"])
    server = Server(proc, port, workdir, log, stderr, metrics)
    try:
        wait_ready(proc, port, ready_path, ready_within)
    except BaseException as exc:
        server.stop(signal.SIGKILL)
        if not isinstance(exc, RuntimeError):
            raise
        tail = server.output()[-4000:]
        raise RuntimeError(f"{argv[0]}: {exc}; its output ends:\n{tail}") from None
    server.ready_seconds = time.perf_counter() - began
    return server


def start_gunicorn(
    app: str = APP,
    *,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    program: Sequence[str] = GUNICORN,
    command: Sequence[str] | None = None,
    cwd: Path = ROOT,
    workdir: Path | None = None,
    ready_path: str = "/readyz",
    ready_within: float = 30.0,
) -> Server:
    """gunicorn serving ``app`` as the image runs it, set up through :func:`server_env`
    with ``env`` on top; ``command`` replaces the whole command line (to wrap it, say).
    Its stderr is kept apart from the JSON log lines on stdout."""
    port = free_port()
    return start(
        command or gunicorn_argv(app, program),
        port=port,
        env=server_env(port, workers, env),
        workdir=workdir,
        ready_path=ready_path,
        ready_within=ready_within,
        cwd=cwd,
        stderr_apart=True,
    )


@contextlib.contextmanager
def serve(
    workdir: Path,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    workers: int = 2,
    ready_within: float = 30.0,
) -> Iterator[Server]:
    """`netadvisor serve` through the CLI until the block ends, access and decision logs off
    unless ``env`` turns them on. This environment is inherited, so a setting exported
    to debug a test reaches the server; the metrics always go in ``workdir``."""
    port = free_port()
    full_env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "NETADVISOR_ACCESS_LOG": "false",
        "NETADVISOR_DECISION_LOG": "false",
        **(env or {}),
    }
    argv = netadvisor_argv(port, workers, args)
    with start(argv, port=port, env=full_env, workdir=workdir, ready_within=ready_within) as server:
        yield server
