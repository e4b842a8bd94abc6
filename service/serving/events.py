"""Access and decision events as JSON lines on stdout: one orjson call and one write each."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

# Every request writes an access line and every evaluation a decision line. Through the
# logging module each costs a LogRecord, a filter, the formatter's field walk and a
# handler lock, about 14 us in a request; the same JSON object written here costs 2-3 us
# (structlog with an orjson renderer, measured the same way, costs about twice that).
# The lines have the shape of the JSON log lines (service.serving.logs), so one parser
# reads both, and they go to the same stdout the log handler writes to.

# The "logger" of each kind of line.
ACCESS_LOGGER = "netadvisor.access"
DECISION_LOGGER = "netadvisor.decision"

_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS
_lock = threading.Lock()

# Workers share the container's stdout pipe, and a write() to a pipe is atomic only up
# to PIPE_BUF (4096 bytes on Linux): every line, newline included, is one write of at
# most this size, so lines from two workers never interleave. A longer one has its
# strings cut (the path and ids echo what the client sent), marked "truncated".
MAX_LINE = 4096
CUT = "...[cut]"
# Fields whose end says most (a traceback ends with the exception): cut from the front.
_TAIL_FIELDS = frozenset({"exc_info", "stack_info"})
# The fields a line keeps when cutting strings is not enough (a huge answers mapping).
_ESSENTIAL = ("timestamp", "level", "logger", "message", "event", "request_id",
              "trace_id", "decision_id", "status", "route", "tree_id")  # fmt: skip

# Where the lines go; None is sys.stdout, looked up at each write so output redirected
# after start-up is honoured. Tests point it at a buffer of their own.
output: TextIO | None = None


class _Clock:
    """ISO 8601 UTC timestamps to the millisecond; the date and time part is formatted
    once per second, not once per line."""

    __slots__ = ("_second",)

    def __init__(self) -> None:
        # (whole second, its text), replaced as one object so a reader never pairs one
        # second with another's text.
        self._second: tuple[int, str] = (-1, "")

    def now(self) -> str:
        now = time.time()
        second, prefix = self._second
        if int(now) != second:
            second = int(now)
            prefix = datetime.fromtimestamp(second, tz=UTC).isoformat()[:19]
            self._second = (second, prefix)
        return f"{prefix}.{int((now - second) * 1000):03d}+00:00"


_clock = _Clock()


def _cap(value: Any, cap: int, tail: bool = False) -> Any:
    if isinstance(value, str):
        if len(value) <= cap:
            return value
        return CUT + value[-cap:] if tail else value[:cap] + CUT
    if isinstance(value, Mapping):
        items = list(value.items())
        capped = {_cap(str(k), cap): _cap(v, cap) for k, v in items[:cap]}
        if len(items) > cap:
            capped[CUT] = len(items) - cap
        return capped
    if isinstance(value, list | tuple):
        return [_cap(v, cap) for v in value[:cap]] + ([CUT] if len(value) > cap else [])
    return value


def bounded_json(
    record: Mapping[str, Any],
    *,
    option: int = _OPTIONS,
    default: Callable[[Any], Any] = str,
    limit: int = MAX_LINE,
) -> bytes:
    """``record`` as one JSON line of at most ``limit`` bytes: as it is when it fits,
    else with long strings and collections cut and ``"truncated": true``."""
    line = orjson.dumps(record, default=default, option=option)
    if len(line) <= limit:
        return line
    for cap in (1024, 256, 64, 16):
        shrunk = {k: _cap(v, cap, k in _TAIL_FIELDS) for k, v in record.items()}
        shrunk["truncated"] = True
        line = orjson.dumps(shrunk, default=default, option=option)
        if len(line) <= limit:
            return line
    # 11 fields of 32 characters fit even if each character is escaped to 6 bytes.
    kept = {k: _cap(record[k], 32) for k in _ESSENTIAL if k in record}
    kept["truncated"] = True
    return orjson.dumps(kept, default=default, option=option)


def write_event(logger: str, message: str, fields: Mapping[str, object]) -> None:
    """Write one event line: timestamp, level, logger, message, then ``fields``.

    A stream that cannot be written to loses the line but never fails the request that
    produced it.
    """
    line = bounded_json(
        {
            "timestamp": _clock.now(),
            "level": "info",
            "logger": logger,
            "message": message,
            **fields,
        }
    ).decode()
    stream = output or sys.stdout
    try:
        with _lock:
            stream.write(line)
            stream.flush()
    except (OSError, ValueError):
        pass
