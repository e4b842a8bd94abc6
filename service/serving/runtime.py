"""Process-level settings for the server: environment parsing, CPU budget, metrics directory."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Seconds a client has to send its whole request (service.serving.worker).
DEFAULT_READ_TIMEOUT = 10


class SettingError(ValueError):
    """An environment variable holds a value the server cannot use."""


class ClientTimeout(TimeoutError):
    """The client did not send its request body before the connection's deadline."""


def env_int(
    env: Mapping[str, str],
    names: tuple[str, ...],
    default: int,
    *,
    minimum: int = 0,
    maximum: int | None = None,
) -> int:
    """Read the first of ``names`` that is set, as an integer within bounds."""
    for name in names:
        raw = env.get(name, "").strip()
        if not raw:
            continue
        try:
            value = int(raw)
        except ValueError:
            raise SettingError(f"{name}={raw!r} is not an integer") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and <= {maximum}" if maximum is not None else ""
            raise SettingError(f"{name}={value} must be >= {minimum}{upper}")
        return value
    return default


def env_str(env: Mapping[str, str], names: tuple[str, ...], default: str) -> str:
    """Read the first of ``names`` that is set and not blank."""
    for name in names:
        raw = env.get(name, "").strip()
        if raw:
            return raw
    return default


def env_choice(
    env: Mapping[str, str], names: tuple[str, ...], default: str, choices: tuple[str, ...]
) -> str:
    """Read a lower-cased value that must be one of ``choices``."""
    value = env_str(env, names, default).lower()
    if value not in choices:
        raise SettingError(f"{names[0]}={value!r} must be one of {', '.join(choices)}")
    return value


def _cgroup_quota(root: Path) -> float | None:
    """CPU quota in cores from cgroup v2 ``cpu.max`` or v1 CFS files, None when unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota == "max":
            return None
        return int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    if quota_us <= 0 or period_us <= 0:
        return None
    return quota_us / period_us


def available_cpus(cgroup_root: Path = CGROUP_ROOT) -> int:
    """Cores this process may use: affinity mask, capped by a container CPU limit.

    ``os.cpu_count()`` reports the node's cores; in a pod with a CPU limit of 1 on a
    32-core node it would start 32 workers that are then throttled by the CFS quota.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    count = cpus or 1
    quota = _cgroup_quota(cgroup_root)
    if quota is not None:
        count = min(count, max(1, math.ceil(quota)))
    return count


def default_workers(cpus: int) -> int:
    """Sync workers for a CPU-bound app: one per core plus one to cover I/O waits.

    The floor of two keeps a second worker serving while one restarts (max_requests,
    a crash, a timeout kill).
    """
    return max(2, cpus + 1)


def prepare_metrics_dir(env: dict[str, str] | os._Environ[str]) -> tuple[Path, bool]:
    """Make ``PROMETHEUS_MULTIPROC_DIR`` exist and hold no stale files; return it and
    whether it was created here (and so should be removed on exit).

    Stale ``*.db`` files from an earlier run (an emptyDir survives container restarts)
    would add old counts to new ones, so they are removed before any worker starts.
    """
    configured = env.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path, False
    path = Path(tempfile.mkdtemp(prefix="netadvisor-metrics-"))
    env["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path, True


def heartbeat_dir() -> str | None:
    """A memory-backed directory for worker heartbeats when the platform has one.

    On a disk-backed filesystem the heartbeat's metadata updates can block a worker
    long enough for the arbiter to kill it; /dev/shm also stays writable when the
    container's root filesystem is read-only.
    """
    shm = Path("/dev/shm")  # noqa: S108 - a tmpfs on Linux, not a shared temp dir for files
    if shm.is_dir() and os.access(shm, os.W_OK):
        return str(shm)
    return None


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def as_bool(value: object, name: str) -> bool:
    """A boolean setting that may arrive JSON-decoded (True) or as text ("on")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise SettingError(f"{name}={value!r} is not a boolean (use true or false)")


def settings_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The gunicorn settings the environment asks for; raises SettingError on bad values."""
    host = env_str(env, ("NETADVISOR_HOST",), "127.0.0.1")
    port = env_int(env, ("NETADVISOR_PORT",), 8080, minimum=1, maximum=65535)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    cpus = available_cpus()
    level = env_choice(
        env, ("NETADVISOR_LOG_LEVEL",), "info", ("debug", "info", "warning", "error", "critical")
    )
    timeout = env_int(env, ("GUNICORN_TIMEOUT",), 15, minimum=2)
    read_timeout = env_int(
        env, ("GUNICORN_READ_TIMEOUT",), min(DEFAULT_READ_TIMEOUT, timeout - 1), minimum=1
    )
    if read_timeout >= timeout:
        raise SettingError(
            f"GUNICORN_READ_TIMEOUT={read_timeout} must be below GUNICORN_TIMEOUT={timeout}, "
            "or the arbiter kills a worker before its client's deadline"
        )
    return {
        "bind": [f"{host}:{port}"],
        "read_timeout": read_timeout,
        "workers": env_int(
            env,
            ("NETADVISOR_WORKERS", "GUNICORN_WORKERS", "WEB_CONCURRENCY"),
            default_workers(cpus),
            minimum=1,
            maximum=256,
        ),
        "timeout": timeout,
        "graceful_timeout": env_int(env, ("GUNICORN_GRACEFUL_TIMEOUT",), 20, minimum=0),
        "max_requests": env_int(env, ("GUNICORN_MAX_REQUESTS",), 20000, minimum=0),
        "max_requests_jitter": env_int(env, ("GUNICORN_MAX_REQUESTS_JITTER",), 2000, minimum=0),
        "limit_request_line": env_int(
            env, ("GUNICORN_LIMIT_REQUEST_LINE",), 4094, minimum=256, maximum=8190
        ),
        "limit_request_fields": env_int(
            env, ("GUNICORN_LIMIT_REQUEST_FIELDS",), 50, minimum=10, maximum=32768
        ),
        "limit_request_field_size": env_int(
            env, ("GUNICORN_LIMIT_REQUEST_FIELD_SIZE",), 8190, minimum=256, maximum=65536
        ),
        "backlog": env_int(env, ("GUNICORN_BACKLOG",), 2048, minimum=16),
        "loglevel": level,
    }
