"""HTTP load on loopback: wrk when it is installed (or installable), else a Python generator.

Both hold N connections for a fixed duration (reconnecting when the server closes one),
send the same request over and over, and report throughput and latency percentiles in the
same shape.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

INSTALLER = Path(__file__).resolve().parent / "install_wrk.sh"
_MARK = "WRK_RESULT "

_LUA = """
wrk.method = {method}
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{mark}{{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %f}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""


def _lua_string(text: str) -> str:
    """A Lua long-bracket string literal that cannot be closed early by `text`."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


def find_wrk(install: bool) -> str | None:
    """The wrk binary, installing it from the OS packages first if asked and missing."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    result = subprocess.run(
        ["bash", str(INSTALLER)], capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        print(
            f"wrk unavailable ({result.stderr.strip() or 'installer failed'}); "
            "using the Python load generator"
        )
    return shutil.which("wrk")


def run_wrk(
    wrk: str,
    url: str,
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    connections: int = 8,
    duration: float = 10,
    threads: int = 1,
) -> dict[str, Any]:
    # The spaces matter: `headers[[[` would open a long string.
    header_lines = "\n".join(
        f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in (headers or {}).items()
    )
    script = _LUA.format(
        method=_lua_string(method),
        body=_lua_string(body.decode()) if body else "nil",
        headers=header_lines,
        mark=_MARK,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        script_path = f.name
    try:
        seconds = max(1, round(duration))
        proc = subprocess.run(
            [
                wrk,
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--timeout",
                "5s",
                "-s",
                script_path,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=False,
        )
    finally:
        Path(script_path).unlink(missing_ok=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(_MARK)), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    raw = json.loads(line[len(_MARK) :])
    if raw["requests"] == 0:
        raise RuntimeError(f"wrk completed no request against {url}: {raw}")
    secs = raw["duration_us"] / 1e6
    return {
        "tool": "wrk",
        "requests": raw["requests"],
        "duration_s": secs,
        "rps": raw["requests"] / secs,
        "latency_us": {k: float(raw[k]) for k in ("p50", "p90", "p99", "max", "mean")},
        "errors": {k: raw[k] for k in ("connect", "read", "write", "timeout")},
        "bad_status": raw["status"],
    }


async def _client(
    host: str,
    port: int,
    request: bytes,
    stop_at: float,
    latencies: list[float],
    statuses: dict[int, int],
    errors: list[str],
) -> None:
    """One connection's worth of load; reconnects when the server closes (as gunicorn's sync
    workers do after every response), like wrk does."""
    writer = None
    while time.perf_counter() < stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection":
                    close = value.strip().lower() == b"close"
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


def run_python(
    url: str,
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    connections: int = 8,
    duration: float = 10,
) -> dict[str, Any]:
    """HTTP/1.1 from one asyncio loop; slower than wrk, so it saturates earlier."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []

    async def main() -> float:
        start = time.perf_counter()
        stop_at = start + duration
        await asyncio.gather(
            *(
                _client(host, port, request, stop_at, latencies, statuses, errors)
                for _ in range(connections)
            )
        )
        return time.perf_counter() - start

    secs = asyncio.run(main())
    if not latencies:
        raise RuntimeError(f"no request completed against {url}: {errors[:3]}")
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1e6

    return {
        "tool": "python",
        "requests": len(latencies),
        "duration_s": secs,
        "rps": len(latencies) / secs,
        "latency_us": {
            "p50": pct(50),
            "p90": pct(90),
            "p99": pct(99),
            "max": ordered[-1] * 1e6,
            "mean": statistics.fmean(ordered) * 1e6,
        },
        "errors": {"other": len(errors)},
        "bad_status": sum(n for s, n in statuses.items() if not 200 <= s < 400),
    }


def load(wrk: str | None, url: str, **kwargs: Any) -> dict[str, Any]:
    if wrk is not None:
        return run_wrk(wrk, url, **kwargs)
    kwargs.pop("threads", None)
    return run_python(url, **kwargs)
