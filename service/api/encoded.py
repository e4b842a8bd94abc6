"""Evaluation bodies encoded once and kept, so a repeated evaluation is not rebuilt."""

from __future__ import annotations

import threading

import orjson
from cachetools import LRUCache

from service.engine import Result, Tree

# An entry: the tree its key was made for (kept, so the key's `id(tree)` cannot be reused
# by another tree while the entry lives), the open body, and the bytes it holds.
Entry = tuple[Tree, bytes, int]

# What an entry costs besides its body: the key's sets and tuples, the entry itself.
_OVERHEAD = 512


def _size(entry: Entry) -> int:
    return entry[2]


class EncodedBodies:
    """The JSON bodies of recent evaluations, least recently used first out, up to
    ``max_bytes`` (0 keeps none): a body is a pure function of its Result's key, and
    building it (the what-if walks above all) costs many times its lookup.

    One per snapshot of the trees, so a reload starts empty and old trees are let go.
    """

    __slots__ = ("_cache", "_lock", "max_bytes")

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._cache: LRUCache[object, Entry] | None = (
            LRUCache(maxsize=max_bytes, getsizeof=_size) if max_bytes > 0 else None
        )
        # cachetools is not thread-safe; a worker may serve from several threads.
        self._lock = threading.Lock()

    def open_json(self, result: Result) -> tuple[bytes, bool]:
        """`result.to_dict()` as JSON without its closing brace, so that members can
        follow it, and whether it was kept from an equal Result (else built now)."""
        cache = self._cache
        if cache is None:
            return orjson.dumps(result.to_dict())[:-1], False
        key = result.key()
        with self._lock:
            entry = cache.get(key)
        if entry is not None and entry[0] is result.tree:
            return entry[1], True
        data = orjson.dumps(result.to_dict())[:-1]
        size = len(data) + _OVERHEAD + _key_bytes(result)
        if size <= self.max_bytes:
            with self._lock:
                cache[key] = (result.tree, data, size)
        return data, False

    def __len__(self) -> int:
        cache = self._cache
        return 0 if cache is None else len(cache)

    @property
    def current_bytes(self) -> int:
        cache = self._cache
        return 0 if cache is None else int(cache.currsize)


def _key_bytes(result: Result) -> int:
    """What the key's strings hold: answers may be long texts (a pattern answer), and
    facts' evidence names the objects it was read from."""
    given = sum(len(k) + (len(v) if isinstance(v, str) else 8) for k, v in result.given.items())
    return given + sum(len(k) + len(v) for k, v in result.evidence.items())
