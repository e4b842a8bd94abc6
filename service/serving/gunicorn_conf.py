"""gunicorn settings for netadvisor: reasoned defaults, each overridable by environment.

Used as ``gunicorn -c python:service.serving.gunicorn_conf service.wsgi:app``.

- NETADVISOR_HOST (127.0.0.1): local use stays local; the image sets 0.0.0.0.
- NETADVISOR_PORT (8080): unprivileged, so the server never needs root.
- NETADVISOR_WORKERS (usable cores + 1, at least 2): evaluations are CPU-bound; the
  cores come from the affinity mask and the cgroup CPU limit, not the node's count.
- NETADVISOR_LOG_LEVEL (info).
- GUNICORN_TIMEOUT (15 s): a request costs milliseconds; a worker silent this long is
  stuck and is replaced.
- GUNICORN_READ_TIMEOUT (10 s, below GUNICORN_TIMEOUT): the time a client has to send
  its whole request; a slower one gets 408 (service.serving.worker), so a slow client
  never holds a worker until the arbiter kills it.
- GUNICORN_GRACEFUL_TIMEOUT (20 s): with a 5 s preStop pause it fits in the pod's 30 s
  termination grace period.
- GUNICORN_MAX_REQUESTS / GUNICORN_MAX_REQUESTS_JITTER (20000 / 2000): workers are
  recycled to bound slow memory growth; the jitter keeps them from restarting together.
- GUNICORN_LIMIT_REQUEST_LINE (4094): the longest API URL is far shorter.
- GUNICORN_LIMIT_REQUEST_FIELDS (50): a proxy adds a handful of headers to a client's.
- GUNICORN_LIMIT_REQUEST_FIELD_SIZE (8190): room for long tokens and a portal's cookies.
- GUNICORN_BACKLOG (2048).
- The worker class is sync: evaluations are CPU-bound, so threads would only contend
  for the interpreter lock; a proxy in front (Ingress, Gateway) buffers slow clients.
- PROMETHEUS_MULTIPROC_DIR (a new temporary directory): its ``*.db`` files are removed
  at start so counts from an earlier run are not added to this one's.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

from service.serving import runtime
from service.serving.logs import logging_config

try:
    _settings = runtime.settings_from_env(os.environ)
    # Must be set before prometheus_client is first imported (gunicorn preloads the app,
    # which imports it, after reading this module): the library picks its store then.
    _metrics_dir, _metrics_dir_owned = runtime.prepare_metrics_dir(os.environ)
except (runtime.SettingError, OSError) as exc:
    raise SystemExit(f"netadvisor: {exc}") from None

bind = _settings["bind"]
workers = _settings["workers"]
timeout = _settings["timeout"]
graceful_timeout = _settings["graceful_timeout"]
max_requests = _settings["max_requests"]
max_requests_jitter = _settings["max_requests_jitter"]
limit_request_line = _settings["limit_request_line"]
limit_request_fields = _settings["limit_request_fields"]
limit_request_field_size = _settings["limit_request_field_size"]
backlog = _settings["backlog"]
loglevel = _settings["loglevel"]

# The worker reads its deadline from the environment it inherits.
os.environ["GUNICORN_READ_TIMEOUT"] = str(_settings["read_timeout"])
worker_class = "service.serving.worker.SyncWorker"

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
logconfig_dict = logging_config(loglevel)
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
    """Drop a dead worker's live gauges from the multiprocess metrics."""
    del server
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_metrics_dir))  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    """Remove the metrics directory if this process created it."""
    del server
    if _metrics_dir_owned:
        shutil.rmtree(Path(_metrics_dir), ignore_errors=True)
