"""How the event-loop worker answers a whole request: gunicorn's handling, then the output."""

from __future__ import annotations

import errno
import logging
import selectors
import socket
import time
from http import HTTPStatus
from typing import Any

from gunicorn import http
from gunicorn.workers.sync import SyncWorker as _SyncWorker

from service.serving.connection import (
    BODY,
    LINGER_SECONDS,
    LINGERING,
    REFUSAL_DETAIL,
    SERVING,
    WORKER_TIMEOUT,
    WRITING,
    DeadlineSocket,
    problem_response,
)

log = logging.getLogger("netadvisor.server")


class Handling(_SyncWorker):  # type: ignore[misc]
    """gunicorn's sync handling of one request whose bytes the loop has read, and the
    writing out of its response; the loop itself is service.serving.worker's."""

    alive: bool

    def respond(self, conn: DeadlineSocket, response: bytes, *, linger: bool = True) -> None:
        conn.state, conn.no_linger = SERVING, not linger
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
            conn.state = WRITING
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
            conn.state, conn.offset = LINGERING, len(unread or b"")
            conn.deadline = time.monotonic() + LINGER_SECONDS
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
        client.phase = BODY
        # gunicorn would send "100 Continue" before the app runs; the connection sends it
        # when the app first reads the body, so a body refused unread is never asked for.
        if req._expected_100_continue:
            req._expected_100_continue = False
            client.continue_pending = True
        super().handle_request(listener, req, client, addr)
        if self.nr >= self.recycle_at and self.alive:
            self.log.info("Autorestarting worker after current request.")
            self.alive = False

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, SystemExit):
            # The arbiter's SIGABRT at the worker timeout, raised inside the app.
            log.error("request stopped at the worker timeout; the worker is replaced")
            response = WORKER_TIMEOUT
        else:
            capture = CapturedError(client)
            super().handle_error(req, capture, addr, exc)
            status, _ = capture.status()
            detail = REFUSAL_DETAIL.get(status, "The server could not answer the request.")
            # The standard phrase as the title: gunicorn keeps "Bad Request" for its 501.
            response = problem_response(status, _phrase(status), detail)
        try:
            client.sendall(response)
        except OSError:
            self.close(client)


class CapturedError:
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


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
