"""An accepted connection of the event-loop worker: its request bytes, deadline and output."""

from __future__ import annotations

import errno
import logging
import re
import socket
import time
from typing import Any, NoReturn

from service.api import errors

log = logging.getLogger("netadvisor.server")

READING, SERVING, WRITING, LINGERING = range(4)
HEADERS, BODY = "headers", "body"
# A request head larger than this is refused (431) before it is parsed; the longest
# legitimate one (a long token and a portal's cookies) is a few KiB.
_HEAD_LIMIT = 64 * 1024
# A body declared or sent past this is handed to the app at once, which refuses it (413)
# without reading it; the largest the app takes is a facts body of 16 MiB.
_BODY_LIMIT = 16 * 1024 * 1024
# A response left unsent past this (the largest asset is about 1.5 MB) is written with
# blocking calls under the write deadline rather than held in memory.
_OUT_LIMIT = 4 * 1024 * 1024
LINGER_SECONDS, LINGER_BYTES = 2.0, 64 * 1024
_CONTENT_LENGTH = re.compile(rb"\ncontent-length:[ \t]*(\d{1,18})[ \t]*(?:\r|$)")


class ClientTimeout(TimeoutError):
    """The client did not send its request body before the connection's deadline."""


def problem_response(status: int, title: str, detail: str) -> bytes:
    """A complete problem+json HTTP response that closes the connection, for what the
    worker answers itself; the body is the API's problem document."""
    body = errors.encode(status, title, detail)
    head = b"HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: %s\r\n" % (
        status,
        title.encode(),
        errors.PROBLEM_JSON.encode(),
    )
    return head + b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
TIMEOUT_RESPONSE = problem_response(408, "Request Timeout", "The request was not sent in time.")
HEAD_TOO_LARGE = problem_response(
    431, "Request Header Fields Too Large", "The request head is over 64 KiB."
)
WORKER_TIMEOUT = problem_response(
    503, "Service Unavailable", "The request took longer than the server allows."
)
# gunicorn's own refusals (bad request line, header limits and so on), as problem+json
# instead of its HTML page; the detail is generic so no client input is echoed.
REFUSAL_DETAIL = {
    400: "The request is not valid HTTP.",
    403: "The request is forbidden.",
    414: "The request line is too long.",
    417: "The expectation cannot be met.",
    431: "The request headers are too large.",
    501: "The transfer coding is not supported.",
}


# What the loop does with the bytes a connection has sent so far.
WAIT, WHOLE, EARLY, TOO_LARGE = range(4)


def _chunked_state(buf: bytearray, pos: int) -> int:
    """Whether a chunked body starting at ``pos`` has ended; one that is malformed or
    over the limit goes to the parser early, which refuses it."""
    total = 0
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return EARLY if len(buf) - pos > 1024 else WAIT
        try:
            size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        except ValueError:
            return EARLY
        if size < 0:
            return EARLY
        if size == 0:
            rest = buf[eol + 2 :]
            return WHOLE if rest.startswith(b"\r\n") or b"\r\n\r\n" in rest else WAIT
        total += size
        if total > _BODY_LIMIT:
            return EARLY
        pos = eol + 2 + size + 2
        if pos > len(buf):
            return WAIT


def request_state(buf: bytearray) -> int:
    """WHOLE when ``buf`` holds a complete request, EARLY when the parser should have it
    now though more may follow (it refuses it, or the client waits for 100 Continue),
    WAIT while more must arrive, TOO_LARGE for a head over the limit."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > _HEAD_LIMIT:
            return TOO_LARGE
        # A bare-LF head is the parser's to refuse, not ours to wait for.
        return EARLY if b"\n\n" in buf else WAIT
    head = bytes(buf[:end]).lower()
    if b"\nexpect:" in head:
        return EARLY
    if b"\ntransfer-encoding:" in head:
        return _chunked_state(buf, end + 4)
    if b"\ncontent-length:" not in head:
        return WHOLE
    match = _CONTENT_LENGTH.search(head)
    if match is None:
        return EARLY
    length, received = int(match.group(1)), len(buf) - end - 4
    if received >= length:
        return WHOLE
    return EARLY if length > _BODY_LIMIT else WAIT


class DeadlineSocket(socket.socket):
    """An accepted connection: its request bytes read by the loop, one read deadline for
    the whole request, and writes that go to a buffer the loop sends when they would block."""

    deadline: float
    send_timeout: float
    phase: str
    state: int
    listener: Any
    addr: Any
    inbox: bytearray
    complete: bool
    registered: bool
    # The request the loop read, served to gunicorn's parser before the socket is read.
    pending = b""
    offset = 0
    # Set for a 408: the client had its time, and is not read any further.
    no_linger = False
    # The client waits for "100 Continue" before its body: sent at the app's first read
    # that needs the network, so a request refused unread (413, 415, 401) never gets it.
    continue_pending = False
    out: bytearray | None = None

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self.offset < len(self.pending):
            chunk = self.pending[self.offset : self.offset + bufsize]
            self.offset += len(chunk)
            return chunk
        if self.continue_pending:
            self.continue_pending = False
            self.sendall(CONTINUE)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self._expired()
        super().settimeout(remaining)
        try:
            return super().recv(bufsize, flags)
        except TimeoutError:
            self._expired()

    def _expired(self) -> NoReturn:
        if self.phase == BODY:
            # Inside the app: werkzeug turns a failed body read into ClientDisconnected,
            # which the app answers (408, see service.api.errors).
            raise ClientTimeout(errno.ETIMEDOUT, "request body not received in time")
        log.warning("client did not send its request headers in time")
        self.sendall(TIMEOUT_RESPONSE)
        # gunicorn closes a connection reset by its peer without a traceback.
        raise ConnectionResetError(errno.ECONNRESET, "request headers not received in time")

    def send(self, data: Any, flags: int = 0) -> int:
        self.sendall(data, flags)
        return len(data)

    def sendall(self, data: Any, flags: int = 0) -> None:
        view = memoryview(data).cast("B")
        out = self.out
        if out is None:
            out = self.out = bytearray()
        if not out:
            super().settimeout(0.0)
            try:
                sent = super().send(view, flags)
            except (BlockingIOError, InterruptedError):
                sent = 0
            view = view[sent:]
            if not view:
                return
        if len(out) + len(view) <= _OUT_LIMIT:
            out += view
            return
        # Python's sendall timeout bounds the whole call, not each send.
        super().settimeout(self.send_timeout)
        super().sendall(out)
        out.clear()
        super().sendall(view, flags)


class Bound:
    """A listener's address, for gunicorn's WSGI environ."""

    def __init__(self, name: Any) -> None:
        self.name = name

    def getsockname(self) -> Any:
        return self.name
