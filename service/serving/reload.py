"""Tree reloads under gunicorn: each worker at start and on its interval, the master on SIGHUP."""

from __future__ import annotations

import random
import threading
from typing import Any

from service import api

# Workers started together would otherwise check, and load, at the same moments.
_JITTER = 0.1


class TreeReloads:
    """One worker's tree reloads. gunicorn forks workers from the app the master loaded,
    whose trees may be older than the files (a SIGHUP, a recycled worker), so a worker
    checks once before it serves, then every ``interval`` seconds. A check that finds a
    change loads it in a thread: the event loop keeps answering from the current trees
    meanwhile, and the swap is one assignment between requests."""

    __slots__ = ("_thread", "interval", "next_check", "trees")

    def __init__(self, app: object, interval: float) -> None:
        self.trees = api.live_trees(app)
        self.interval = interval
        self.next_check = 0.0
        self._thread: threading.Thread | None = None

    def _schedule(self, now: float) -> None:
        self.next_check = now + self.interval * random.uniform(1 - _JITTER, 1 + _JITTER)  # noqa: S311 - spreading checks, not security

    def start(self, now: float) -> None:
        """The check at the worker's start, before its first request."""
        if self.trees is None:
            return
        self.trees.reload()
        self._schedule(now)

    def tick(self, now: float) -> None:
        """Called from the worker's loop; starts a check when one is due."""
        if self.trees is None or now < self.next_check:
            return
        self._schedule(now)
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(
            target=self.trees.reload, name="netadvisor-tree-reload", daemon=True
        )
        self._thread.start()


def reload_in_master(server: Any) -> None:
    """gunicorn's SIGHUP hook, run in the master before it starts the new workers: the
    trees are loaded there first, so the workers fork with them (each checks again)."""
    trees = api.live_trees(server.app.wsgi())
    if trees is not None:
        trees.reload()
