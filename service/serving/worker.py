"""gunicorn sync worker that gives each client a deadline to send its whole request.

gunicorn's sync worker blocks on a slow client until the arbiter's timeout kills it,
and the dying worker then answers 500. Here a connection has ``GUNICORN_READ_TIMEOUT``
seconds, in total, from accept to the last byte of its request (not per read, which a
client sending one byte at a time would reset forever). A client still sending its
headers at the deadline gets 408 and the connection closes; one still sending its body
makes the body read fail, which the app answers with a 408 problem.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import time
from typing import Any, NoReturn

from gunicorn import util
from gunicorn.workers.sync import SyncWorker as _SyncWorker

from service.serving.runtime import DEFAULT_READ_TIMEOUT, ClientTimeout, env_int

log = logging.getLogger("netadvisor.server")

_HEADERS, _BODY = "headers", "body"
_TIMEOUT_BODY = (
    b'{"type":"about:blank","title":"Request Timeout","status":408,'
    b'"detail":"The request was not sent in time."}'
)
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
    b"Content-Type: application/problem+json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY)
)


class DeadlineSocket(socket.socket):
    """An accepted connection whose reads share one deadline."""

    deadline: float
    send_timeout: float
    phase: str

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
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
        # Before the app: answer here. gunicorn closes a connection reset by its peer
        # without logging a traceback, which an error of its own would do.
        log.warning("client did not send its request headers in time")
        try:
            super().settimeout(1.0)
            super().sendall(_TIMEOUT_RESPONSE)
        except OSError:
            pass
        raise ConnectionResetError(errno.ECONNRESET, "request headers not received in time")

    def send(self, data: Any, flags: int = 0) -> int:
        super().settimeout(self.send_timeout)
        return super().send(data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        super().settimeout(self.send_timeout)
        super().sendall(data, flags)


class SyncWorker(_SyncWorker):  # type: ignore[misc]
    """The stock sync worker with a per-connection request deadline, which also answers
    the connections already queued on the listener when it is told to stop."""

    def init_process(self) -> None:
        self.read_timeout = env_int(
            os.environ, ("GUNICORN_READ_TIMEOUT",), DEFAULT_READ_TIMEOUT, minimum=1
        )
        self.stopping = False
        super().init_process()

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.stopping = True
        super().handle_exit(sig, frame)

    def run(self) -> None:
        super().run()
        if self.stopping:
            self.drain()

    def drain(self) -> None:
        """Serve every connection the kernel has already accepted for us.

        The stock worker exits after its current request and the connections waiting
        in the listen queue are reset, though their clients saw the connect succeed.
        The master has closed its listener, and in a pod the preStop pause has stopped
        new traffic, so the queue only shrinks; the graceful timeout still bounds it.
        """
        deadline = time.monotonic() + max(1.0, self.cfg.graceful_timeout - 1.0)
        served = 0
        for listener in self.sockets:
            while time.monotonic() < deadline:
                try:
                    self.accept(listener)
                except OSError as exc:
                    if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED):
                        break
                    raise
                served += 1
        if served:
            log.info("answered queued connections before exiting", extra={"served": served})

    def accept(self, listener: Any) -> None:
        client, addr = listener.accept()
        conn = DeadlineSocket(client.family, client.type, client.proto, fileno=client.detach())
        conn.deadline = time.monotonic() + self.read_timeout
        conn.send_timeout = float(self.read_timeout)
        conn.phase = _HEADERS
        util.close_on_exec(conn)
        self.handle(listener, conn, addr)

    def handle_request(self, listener: Any, req: Any, client: Any, addr: Any) -> None:
        # The headers are parsed; whatever is read from here on is the body.
        if isinstance(client, DeadlineSocket):
            client.phase = _BODY
        super().handle_request(listener, req, client, addr)
