"""gunicorn worker whose event loop reads each request whole before the app answers it."""

from __future__ import annotations

import errno
import logging
import os
import selectors
import socket
import sys
import time
from typing import Any

from service.serving import settings
from service.serving.connection import (
    EARLY,
    HEAD_TOO_LARGE,
    HEADERS,
    LINGER_BYTES,
    LINGER_SECONDS,
    LINGERING,
    READING,
    SERVING,
    TIMEOUT_RESPONSE,
    TOO_LARGE,
    WAIT,
    WHOLE,
    WRITING,
    Bound,
    DeadlineSocket,
    request_state,
)
from service.serving.handling import Handling
from service.serving.reload import TreeReloads

log = logging.getLogger("netadvisor.server")

# Request bytes one worker holds at most; past it a request goes to the app as it is
# and the rest of its body is read under the deadline, so memory stays bounded.
INBOX_BUDGET = 64 * 1024 * 1024
# After SIGTERM, requests in flight have this long (capped by the graceful timeout) to
# arrive: work here takes milliseconds, so a client still sending by then is slow.
DRAIN_SECONDS = 5.0
# How often deadlines are checked and the arbiter is told the worker is alive.
TICK = 0.25

# Why a loop: a sync worker reads its one connection with blocking calls, so N clients
# that connect and send nothing, trickle their headers or body, or stop reading a large
# response hold all N workers until their deadline; two were enough to fail /livez.
# Here one thread multiplexes every accepted connection with a selector (epoll) until its
# request is complete in memory, runs the app on it (milliseconds of CPU, which threads
# or greenlets could not share any faster under the interpreter lock), and leaves the
# response to the loop to write out. A slow client costs a file descriptor and a buffer,
# never the worker. gunicorn's parser, limits and error handling stay as they are.


class EventLoopWorker(Handling):
    """gunicorn's sync request handling behind a selector loop over every connection."""

    alive: bool
    max_requests: int

    def init_process(self) -> None:
        active = settings.active()
        self.read_timeout = active.deadline
        self.reload_seconds = active.reload_seconds
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
        self.bound = {id(listener): Bound(listener.getsockname()) for listener in self.sockets}
        self.reloads = TreeReloads(self.wsgi, self.reload_seconds)
        self.reloads.start(time.monotonic())
        next_tick = 0.0
        while True:
            if not self.alive and not self.stopping:
                self.begin_stop()
            if self.stopping and not self.conns:
                break
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + TICK
                self.notify()
                self.sweep(now)
                if not self.stopping:
                    self.reloads.tick(now)
                if not self.is_parent_alive() or (
                    self.stopping and now > self.drain_deadline + LINGER_SECONDS
                ):
                    break
            for key, _mask in self.selector.select(TICK if self.conns else 2 * TICK):
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
            conn.phase, conn.state = HEADERS, READING
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
        if conn.state == WRITING:
            self.write_out(conn)
            return
        try:
            data = socket.socket.recv(conn, 65536)
        except (BlockingIOError, InterruptedError):
            self.watch(conn, selectors.EVENT_READ)
            return
        except OSError:
            data = b""
        if conn.state == LINGERING:
            conn.offset += len(data)
            if not data or conn.offset > LINGER_BYTES:
                self.close(conn)
            return
        if not data:
            self.close(conn)  # gone before sending a whole request: nothing to answer
            return
        conn.inbox += data
        self.inbox_bytes += len(data)
        state = request_state(conn.inbox)
        if state == WAIT and self.inbox_bytes > INBOX_BUDGET:
            state = EARLY
        if state == WAIT:
            self.watch(conn, selectors.EVENT_READ)
        elif state == TOO_LARGE:
            log.warning("client sent a request head over the limit")
            self.respond(conn, HEAD_TOO_LARGE)
        else:
            conn.complete = state == WHOLE
            self.serve(conn)

    def serve(self, conn: DeadlineSocket) -> None:
        if conn.registered:
            self.selector.unregister(conn)
            conn.registered = False
        self.inbox_bytes -= len(conn.inbox)
        conn.pending, conn.inbox, conn.offset = bytes(conn.inbox), bytearray(), 0
        conn.state = SERVING
        self.handle(conn.listener, conn, conn.addr)
        if conn.fileno() >= 0:
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
                idle = conn.state == READING and not conn.inbox
                deadline = min(deadline, self.idle_deadline if idle else self.drain_deadline)
            if now < deadline:
                continue
            if conn.state != READING:
                self.close(conn)
            elif b"\r\n\r\n" not in conn.inbox:
                log.warning("client did not send its request headers in time")
                self.respond(conn, TIMEOUT_RESPONSE, linger=False)
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
        self.drain_deadline = now + max(1.0, min(DRAIN_SECONDS, self.cfg.graceful_timeout - 1.0))
        self.idle_deadline = now + 1.0
        log.info(
            "worker stopping: finishing open connections",
            extra={"open_connections": len(self.conns), "queued": queued},
        )
