"""gunicorn worker whose event loop reads each request whole before the app answers it."""

from __future__ import annotations

import errno
import logging
import os
import re
import selectors
import socket
import sys
import time
from typing import Any, NoReturn

from gunicorn import http
from gunicorn.workers.sync import SyncWorker as _SyncWorker

from service.serving.runtime import DEFAULT_READ_TIMEOUT, ClientTimeout, env_int

log = logging.getLogger("netadvisor.server")

# Why a loop: a sync worker reads its one connection with blocking calls, so N clients
# that connect and send nothing, trickle their headers or body, or stop reading a large
# response hold all N workers until their deadline; two were enough to fail /livez.
# Here one thread multiplexes every accepted connection with a selector (epoll) until its
# request is complete in memory, runs the app on it (milliseconds of CPU, which threads
# or greenlets could not share any faster under the interpreter lock), and leaves the
# response to the loop to write out. A slow client costs a file descriptor and a buffer,
# never the worker. gunicorn's parser, limits and error handling stay as they are.

_READING, _SERVING, _WRITING, _LINGERING = range(4)
_HEADERS, _BODY = "headers", "body"
# A request head larger than this is refused (431) before it is parsed; the longest
# legitimate one (a long token and a portal's cookies) is a few KiB.
_HEAD_LIMIT = 64 * 1024
# A body declared or sent past this is handed to the app at once, which refuses it (413)
# without reading it; the largest the app takes is a facts body of 16 MiB.
_BODY_LIMIT = 16 * 1024 * 1024
# Request bytes one worker holds at most; past it a request goes to the app as it is
# and the rest of its body is read under the deadline, so memory stays bounded.
_INBOX_BUDGET = 64 * 1024 * 1024
# A response left unsent past this (the largest asset is about 1.5 MB) is written with
# blocking calls under the write deadline rather than held in memory.
_OUT_LIMIT = 4 * 1024 * 1024
# After SIGTERM, requests in flight have this long (capped by the graceful timeout) to
# arrive: work here takes milliseconds, so a client still sending by then is slow.
_DRAIN_SECONDS = 5.0
# How often deadlines are checked and the arbiter is told the worker is alive.
_TICK = 0.25
_LINGER_SECONDS, _LINGER_BYTES = 2.0, 64 * 1024
_CONTENT_LENGTH = re.compile(rb"\ncontent-length:[ \t]*(\d{1,18})[ \t]*(?:\r|$)")


def problem_response(status: int, title: str, detail: str) -> bytes:
    """A complete problem+json HTTP response that closes the connection."""
    body = b'{"type":"about:blank","title":"%s","status":%d,"detail":"%s"}' % (
        title.encode(),
        status,
        detail.encode(),
    )
    head = b"HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
    return head % (status, title.encode()) + b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


_TIMEOUT_RESPONSE = problem_response(408, "Request Timeout", "The request was not sent in time.")
_HEAD_TOO_LARGE = problem_response(
    431, "Request Header Fields Too Large", "The request head is over 64 KiB."
)
_WORKER_TIMEOUT = problem_response(
    503, "Service Unavailable", "The request took longer than the server allows."
)
# gunicorn's own refusals (bad request line, header limits and so on), as problem+json
# instead of its HTML page; the detail is generic so no client input is echoed.
_REFUSAL_DETAIL = {
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
    out: bytearray | None = None

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self.offset < len(self.pending):
            chunk = self.pending[self.offset : self.offset + bufsize]
            self.offset += len(chunk)
            return chunk
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self._expired()
        super().settimeout(remaining)
        try:
            return super().recv(bufsize, flags)
        except TimeoutError:
            self._expired()

    def _expired(self) -> NoReturn:
        if self.phase == _BODY:
            # Inside the app: werkzeug turns a failed body read into ClientDisconnected,
            # which the app answers (408, see service.serving.init_app).
            raise ClientTimeout(errno.ETIMEDOUT, "request body not received in time")
        log.warning("client did not send its request headers in time")
        self.sendall(_TIMEOUT_RESPONSE)
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


class EventLoopWorker(_SyncWorker):  # type: ignore[misc]
    """gunicorn's sync request handling behind a selector loop over every connection."""

    alive: bool
    max_requests: int

    def init_process(self) -> None:
        self.read_timeout = env_int(
            os.environ, ("GUNICORN_READ_TIMEOUT",), DEFAULT_READ_TIMEOUT, minimum=1
        )
        # The stock check logs "Autorestarting worker" for every request once the count is
        # reached; this worker counts itself and logs once.
        self.recycle_at, self.max_requests = self.max_requests, sys.maxsize
        self.conns: dict[int, DeadlineSocket] = {}
        self.stopping = False
        self.drain_deadline = self.idle_deadline = 0.0
        self.inbox_bytes = 0
        self.listening = True
        super().init_process()

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        if self.cfg.is_ssl:
            raise SystemExit("netadvisor: TLS terminates in front of the server, not here")
        self.selector = selectors.DefaultSelector()
        for listener in self.sockets:
            listener.setblocking(False)
            self.selector.register(listener, selectors.EVENT_READ, None)
        self.selector.register(self.PIPE[0], selectors.EVENT_READ, self.PIPE)
        # gunicorn asks each request's listener for its address; it may be closed by
        # then (the worker is stopping), and the answer never changes.
        self.bound = {id(listener): _Bound(listener.getsockname()) for listener in self.sockets}
        next_tick = 0.0
        while True:
            if not self.alive and not self.stopping:
                self.begin_stop()
            if self.stopping and not self.conns:
                break
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + _TICK
                self.notify()
                self.sweep(now)
                if not self.is_parent_alive() or (
                    self.stopping and now > self.drain_deadline + _LINGER_SECONDS
                ):
                    break
            for key, _mask in self.selector.select(_TICK if self.conns else 2 * _TICK):
                if key.data is None:
                    self.accept_all(key.fileobj, limit=64)
                elif key.data is self.PIPE:
                    os.read(self.PIPE[0], 4096)  # a signal woke us; alive is re-read above
                else:
                    self.on_event(key.data)
        for conn in list(self.conns.values()):
            self.close(conn)
        self.selector.close()

    def accept_all(self, listener: Any, limit: int, *, read: bool = True) -> int:
        accepted = 0
        while accepted < limit and len(self.conns) < self.cfg.worker_connections:
            try:
                client, addr = listener.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno in (errno.ECONNABORTED, errno.EMFILE, errno.ENFILE):
                    break
                raise
            accepted += 1
            conn = DeadlineSocket(client.family, client.type, client.proto, fileno=client.detach())
            conn.setblocking(False)
            conn.deadline = time.monotonic() + self.read_timeout
            conn.send_timeout = float(self.read_timeout)
            conn.phase, conn.state = _HEADERS, _READING
            conn.listener, conn.addr = self.bound[id(listener)], addr
            conn.inbox, conn.out = bytearray(), bytearray()
            conn.pending, conn.offset = b"", 0
            conn.complete = conn.registered = False
            self.conns[conn.fileno()] = conn
            if read:
                self.on_event(conn)  # the request has usually arrived with the connection
            else:
                self.watch(conn, selectors.EVENT_READ)
        self.set_listening(len(self.conns) < self.cfg.worker_connections)
        return accepted

    def set_listening(self, on: bool) -> None:
        """Stop watching the listeners at the connection cap, so a full worker does not
        spin on a listener it will not accept from; the other workers take them."""
        if on == self.listening or self.stopping:
            return
        self.listening = on
        for listener in self.sockets:
            if on:
                self.selector.register(listener, selectors.EVENT_READ, None)
            else:
                self.selector.unregister(listener)

    def watch(self, conn: DeadlineSocket, events: int) -> None:
        if conn.registered:
            self.selector.modify(conn, events, conn)
        else:
            self.selector.register(conn, events, conn)
            conn.registered = True

    def on_event(self, conn: DeadlineSocket) -> None:
        if conn.state == _WRITING:
            self.write_out(conn)
            return
        try:
            data = socket.socket.recv(conn, 65536)
        except (BlockingIOError, InterruptedError):
            self.watch(conn, selectors.EVENT_READ)
            return
        except OSError:
            data = b""
        if conn.state == _LINGERING:
            conn.offset += len(data)
            if not data or conn.offset > _LINGER_BYTES:
                self.close(conn)
            return
        if not data:
            self.close(conn)  # gone before sending a whole request: nothing to answer
            return
        conn.inbox += data
        self.inbox_bytes += len(data)
        state = request_state(conn.inbox)
        if state == WAIT and self.inbox_bytes > _INBOX_BUDGET:
            state = EARLY
        if state == WAIT:
            self.watch(conn, selectors.EVENT_READ)
        elif state == TOO_LARGE:
            log.warning("client sent a request head over the limit")
            self.respond(conn, _HEAD_TOO_LARGE)
        else:
            conn.complete = state == WHOLE
            self.serve(conn)

    def serve(self, conn: DeadlineSocket) -> None:
        if conn.registered:
            self.selector.unregister(conn)
            conn.registered = False
        self.inbox_bytes -= len(conn.inbox)
        conn.pending, conn.inbox, conn.offset = bytes(conn.inbox), bytearray(), 0
        conn.state = _SERVING
        self.handle(conn.listener, conn, conn.addr)
        if conn.fileno() >= 0:
            self.finish(conn)

    def respond(self, conn: DeadlineSocket, response: bytes, *, linger: bool = True) -> None:
        conn.state, conn.no_linger = _SERVING, not linger
        try:
            conn.sendall(response)
        except OSError:
            self.close(conn)
            return
        self.finish(conn)

    def finish(self, conn: DeadlineSocket) -> None:
        """After the app: send what is left, then close without resetting the client."""
        conn.setblocking(False)
        if conn.out:
            conn.state = _WRITING
            conn.deadline = time.monotonic() + conn.send_timeout
            self.watch(conn, selectors.EVENT_WRITE)
            return
        if conn.no_linger:
            self.close(conn)
            return
        try:
            unread = socket.socket.recv(conn, 65536)
        except (BlockingIOError, InterruptedError):
            unread = None
        except OSError:
            unread = b""
        if unread is None and conn.complete:
            # Nothing unread in the kernel: close() sends FIN, not RST.
            self.close(conn)
        elif unread == b"":
            self.close(conn)
        else:
            # The client may still be sending a body the app refused; read and drop it
            # for a while so closing does not reset the connection before the response
            # is read (RFC 9112, section 9.6).
            try:
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                self.close(conn)
                return
            conn.state, conn.offset = _LINGERING, len(unread or b"")
            conn.deadline = time.monotonic() + _LINGER_SECONDS
            self.watch(conn, selectors.EVENT_READ)

    def write_out(self, conn: DeadlineSocket) -> None:
        out = conn.out
        if not out:
            self.finish(conn)
            return
        try:
            sent = socket.socket.send(conn, out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close(conn)
            return
        del out[:sent]
        # A client that keeps reading keeps its connection; one that stops is dropped
        # after the write timeout, holding only its buffer meanwhile.
        conn.deadline = time.monotonic() + conn.send_timeout
        if not out:
            self.finish(conn)

    def close(self, conn: DeadlineSocket) -> None:
        fd = conn.fileno()
        if fd < 0:
            return
        if conn.registered:
            self.selector.unregister(conn)
            conn.registered = False
        self.conns.pop(fd, None)
        self.inbox_bytes -= len(conn.inbox)
        conn.close()
        if not self.listening and len(self.conns) < self.cfg.worker_connections:
            self.set_listening(True)

    def sweep(self, now: float) -> None:
        """Act on passed deadlines: 408 for a head not sent in time, the app for a body
        not sent in time (it answers 408), a close for a response not read in time."""
        for conn in list(self.conns.values()):
            deadline = conn.deadline
            if self.stopping:
                # A connection that has sent nothing has no request in flight.
                idle = conn.state == _READING and not conn.inbox
                deadline = min(deadline, self.idle_deadline if idle else self.drain_deadline)
            if now < deadline:
                continue
            if conn.state != _READING:
                self.close(conn)
            elif b"\r\n\r\n" not in conn.inbox:
                log.warning("client did not send its request headers in time")
                self.respond(conn, _TIMEOUT_RESPONSE, linger=False)
            else:
                conn.deadline = now  # the app's body read fails at once and answers 408
                self.serve(conn)

    def begin_stop(self) -> None:
        """Stop accepting: take what the kernel has already queued for this worker, close
        the listeners, and give requests in flight a few seconds to complete."""
        self.stopping = True
        # Accept without serving, so clients that reconnect as fast as they are answered
        # cannot keep this going: the queue empties at the speed of accept().
        queued = sum(
            self.accept_all(listener, limit=self.cfg.backlog, read=False)
            for listener in self.sockets
        )
        for listener in self.sockets:
            if self.listening:
                self.selector.unregister(listener)
            listener.close()
        self.listening = False
        now = time.monotonic()
        self.drain_deadline = now + max(1.0, min(_DRAIN_SECONDS, self.cfg.graceful_timeout - 1.0))
        self.idle_deadline = now + 1.0
        log.info(
            "worker stopping: finishing open connections",
            extra={"open_connections": len(self.conns), "queued": queued},
        )

    # ------------------------------------------------------- gunicorn's handling

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        req = None
        try:
            parser = http.get_parser(self.cfg, client, addr)
            req = next(parser)
            self.handle_request(listener, req, client, addr)
        except (http.errors.NoMoreData, StopIteration):
            pass
        except TimeoutError:
            log.warning("client too slow; connection closed")
            self.close(client)
        except OSError as exc:
            # What is left to send (a 408 among it) is sent by the loop, or fails there.
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
        except BaseException as exc:  # gunicorn's contract: answer, never die of a request
            self.handle_error(req, client, addr, exc)

    def handle_request(self, listener: Any, req: Any, client: Any, addr: Any) -> None:
        # The head is parsed; whatever is read from here on is the body.
        client.phase = _BODY
        super().handle_request(listener, req, client, addr)
        if self.nr >= self.recycle_at and self.alive:
            self.log.info("Autorestarting worker after current request.")
            self.alive = False

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, SystemExit):
            # The arbiter's SIGABRT at the worker timeout, raised inside the app.
            log.error("request stopped at the worker timeout; the worker is replaced")
            response = _WORKER_TIMEOUT
        else:
            capture = _CapturedError(client)
            super().handle_error(req, capture, addr, exc)
            status, reason = capture.status()
            detail = _REFUSAL_DETAIL.get(status, "The server could not answer the request.")
            response = problem_response(status, reason, detail)
        try:
            client.sendall(response)
        except OSError:
            self.close(client)


class _Bound:
    """A listener's address, for gunicorn's WSGI environ."""

    def __init__(self, name: Any) -> None:
        self.name = name

    def getsockname(self) -> Any:
        return self.name


class _CapturedError:
    """Stands in for the socket while gunicorn picks a refusal's status and logs it, so
    the page it writes can be replaced by problem+json."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._written = b""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self._written += data

    def status(self) -> tuple[int, str]:
        line = self._written.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if len(line) == 3 and line[1].isdigit():
            return int(line[1]), line[2]
        return 500, "Internal Server Error"


# The name gunicorn_conf and older deployments refer to.
SyncWorker = EventLoopWorker
