"""What the server process needs from its host: the CPU budget and the metrics directory."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


class SettingError(ValueError):
    """A setting holds a value the server cannot use."""


class ClientTimeout(TimeoutError):
    """The client did not send its request body before the connection's deadline."""


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


def prepare_metrics_dir(
    configured: str | None, env: dict[str, str] | os._Environ[str]
) -> tuple[Path, bool]:
    """Make the metrics directory exist and hold no stale files, and name it in
    ``PROMETHEUS_MULTIPROC_DIR`` for prometheus_client; return it and whether it was
    created here (and so should be removed on exit).

    Stale ``*.db`` files from an earlier run (an emptyDir survives container restarts)
    would add old counts to new ones, so they are removed before any worker starts.
    """
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
