"""The trees being served: swapped whole when their files change and load cleanly, else kept."""

from __future__ import annotations

import logging
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from service.engine import Catalog, Problem, TreeCheckError, bundled_trees_dir

from .config import ApiConfig
from .definitions import Documents
from .encoded import EncodedBodies
from .metrics import reload_counters

log = logging.getLogger("netadvisor.trees")

# Trees live two levels down (<dir>/<tree-id>/<version>.yaml); deeper entries and
# entries past this many are not watched (the loader refuses such layouts anyway).
_DEPTH = 2
_MAX_ENTRIES = 10_000
# Problems named in a refusal's log line; the count says how many there were.
_LOGGED_PROBLEMS = 5

# One entry of a stamp: path, then modification time, size and inode (or -1 and the
# errno of a path that cannot be read).
Entry = tuple[str, int, int, int]
Stamp = tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A catalog and the documents built from it, swapped together: a request reads one
    snapshot, so its tree and the definition, ETag and headers served are the same."""

    catalog: Catalog
    documents: Documents
    # Bodies of this catalog's evaluations; a reload starts with none.
    bodies: EncodedBodies


def _build(config: ApiConfig) -> Snapshot:
    catalog = Catalog.load(
        config.trees_dir, overlays=config.overlay_dirs, pricing_file=config.pricing_file
    )
    return Snapshot(catalog, Documents.build(catalog), EncodedBodies(config.body_cache_bytes))


def _walk(path: Path, depth: int) -> Iterator[Entry]:
    try:
        found = path.stat()
    except OSError as exc:
        yield (str(path), -1, exc.errno or 0, 0)
        return
    yield (str(path), found.st_mtime_ns, found.st_size, found.st_ino)
    if depth >= _DEPTH or not stat.S_ISDIR(found.st_mode):
        return
    try:
        children = sorted(path.iterdir())
    except OSError as exc:
        yield (f"{path}/", -1, exc.errno or 0, 0)
        return
    for child in children:
        yield from _walk(child, depth + 1)


def watched(config: ApiConfig) -> tuple[str, ...]:
    """The directories and the file the trees are loaded from."""
    roots = [str(config.trees_dir or bundled_trees_dir()), *config.overlay_dirs]
    if config.pricing_file is not None:
        roots.append(str(config.pricing_file))
    return tuple(roots)


def stamp(roots: tuple[str, ...]) -> Stamp:
    """What the tree files look like now, from stat() alone: it changes when a file is
    written, replaced, added, removed or becomes unreadable."""
    entries: list[Entry] = []
    for root in roots:
        for entry in _walk(Path(root), 0):
            entries.append(entry)
            if len(entries) >= _MAX_ENTRIES:
                return tuple(entries)
    return tuple(entries)


def _refused(problems: tuple[Problem, ...] | list[Problem]) -> None:
    reload_counters().failures.inc()
    first = problems[0] if problems else Problem("", "", "the trees did not load")
    log.error(
        "trees not reloaded, the previous trees keep serving: %s",
        first,
        extra={
            "event": "tree_reload_failed",
            "file": first.file,
            "location": first.location,
            "problem": first.message,
            "problem_count": len(problems),
            "problems": [str(p) for p in problems[:_LOGGED_PROBLEMS]],
        },
    )


class LiveTrees:
    """The snapshot requests read (``current``), loaded at start; ``reload`` loads the
    files again when they have changed and swaps in the result only if all of it loads
    and checks, so a bad edit is logged and counted while the last good trees serve."""

    __slots__ = ("_attempted", "_lock", "config", "current", "roots")

    def __init__(self, config: ApiConfig) -> None:
        self.config = config
        self.roots = watched(config)
        self._lock = threading.Lock()
        reload_counters()
        self._attempted = stamp(self.roots)
        # At start a tree that does not load stops the service (TreeCheckError).
        self.current = _build(config)

    def reload(self, *, force: bool = False) -> bool | None:
        """Load the trees again if their files changed since the last attempt (or
        ``force``): True when the new trees serve, False when they were refused, None
        when nothing changed or another reload is running. Never raises for the files."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            now = stamp(self.roots)
            if now == self._attempted and not force:
                return None
            # A refused change is not retried until the files change again.
            self._attempted = now
            try:
                fresh = _build(self.config)
            except TreeCheckError as exc:
                _refused(exc.problems)
                return False
            except Exception as exc:  # a reload must never take the serving trees with it
                log.exception("trees not reloaded, the previous trees keep serving")
                _refused([Problem("", "", f"the trees could not be loaded ({type(exc).__name__})")])
                return False
            self.current = fresh
            reload_counters().reloads.inc()
            catalog = fresh.catalog
            log.info(
                "trees reloaded",
                extra={
                    "event": "tree_reload",
                    "trees": len(catalog.tree_ids),
                    "versions": sum(len(v) for v in catalog.versions_by_tree.values()),
                },
            )
            return True
        finally:
            self._lock.release()
