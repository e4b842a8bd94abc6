"""gunicorn's configuration for netadvisor, from the settings (docs/cli.md has the table).

Used as ``gunicorn -c python:service.serving.gunicorn_conf service.wsgi:app``. The worker
(service.serving.worker) reads every connection's request in an event loop and runs the
app once it is whole: slow or idle clients cost a socket, not a worker. Evaluations are
CPU-bound, so threads would only contend for the interpreter lock.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

from service.serving import runtime, settings
from service.serving.logs import logging_config
from service.serving.reload import reload_in_master

try:
    _settings = settings.active()
    # Must be set before prometheus_client is first imported (gunicorn preloads the app,
    # which imports it, after reading this module): the library picks its store then.
    _metrics_dir, _metrics_dir_owned = runtime.prepare_metrics_dir(
        _settings.metrics_dir, os.environ
    )
except (ValueError, OSError) as exc:
    raise SystemExit(f"netadvisor: {exc}") from None

bind = _settings.bind
workers = _settings.workers
timeout = _settings.timeout
graceful_timeout = _settings.graceful_timeout
max_requests = _settings.max_requests
max_requests_jitter = _settings.max_requests_jitter
limit_request_line = _settings.limit_request_line
limit_request_fields = _settings.limit_request_fields
limit_request_field_size = _settings.limit_request_field_size
backlog = _settings.backlog
loglevel = _settings.log_level
worker_class = "service.serving.worker.EventLoopWorker"
worker_connections = _settings.worker_connections
# The loop writes responses from memory; sendfile would block on a client that stops
# reading a large asset.
sendfile = False

# Load the app, and so the trees, the pricing file and the auth settings, in the
# master before the port is bound: a bad configuration exits non-zero with its message
# instead of crash-looping workers behind an open port. Workers fork with it loaded.
preload_app = True
worker_tmp_dir = runtime.heartbeat_dir()
proc_name = "netadvisor"
# The app writes one access line per request with the route template; gunicorn's own
# access line would duplicate it without the route.
accesslog = None
errorlog = "-"
logconfig_dict = logging_config(_settings.log_level)
# Every request writes log records, and no line needs the caller's source file, thread or
# process name: skip collecting them (the logging documentation's own optimisations).
logging._srcfile = None
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False
# The control socket lives under $HOME, which is read-only in the container, and pods
# are managed through the orchestrator, not gunicornc.
control_socket_disable = True


class AppAccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger without its access line unless one is asked for explicitly.

    A logging dict config switches gunicorn's access log on; building its atoms for
    every request costs time and duplicates the app's line, which names the route.
    """

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)


logger_class = AppAccessLogger


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges and fold its counters into the exited total."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_metrics_dir))  # type: ignore[no-untyped-call]
    try:
        compact_metrics(Path(_metrics_dir), worker.pid)
    except (OSError, ValueError) as exc:
        server.log.warning("could not compact metrics of worker %s: %s", worker.pid, exc)


def compact_metrics(directory: Path, pid: int) -> None:
    """Add a dead process's counter and histogram values to ``<kind>_exited.db`` and
    remove its files, so the directory holds one file per kind and live worker.

    Counters must never go down: the exited file is rebuilt aside and renamed into place
    before the dead file is removed, so a scrape in between may count the dead worker
    twice for an instant but never zero times.
    """
    from prometheus_client.mmap_dict import MmapedDict

    for kind in ("counter", "histogram"):
        dead = directory / f"{kind}_{pid}.db"
        if not dead.exists():
            continue
        total = directory / f"{kind}_exited.db"
        merged: dict[str, float] = {}
        sources = [total, dead] if total.exists() else [dead]
        for source in sources:
            for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(source):  # type: ignore[no-untyped-call]
                merged[key] = merged.get(key, 0.0) + value
        fresh = directory / f".{kind}_exited.tmp"
        fresh.unlink(missing_ok=True)
        store = MmapedDict(str(fresh))  # type: ignore[no-untyped-call]
        try:
            for key, value in merged.items():
                store.write_value(key, value, 0.0)  # type: ignore[no-untyped-call]
        finally:
            store.close()  # type: ignore[no-untyped-call]
        fresh.replace(total)
        dead.unlink()


def on_reload(server: Any) -> None:
    """SIGHUP: load changed trees in the master before it starts the new workers."""
    reload_in_master(server)


def on_exit(server: Any) -> None:
    """Remove the metrics directory if this process created it."""
    del server
    if _metrics_dir_owned:
        shutil.rmtree(Path(_metrics_dir), ignore_errors=True)
