"""Real gunicorn on loopback: Expect and chunked bodies past the limit, bounded error bodies,
and OPTIONS on /v1 without a token."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.server import Server, read_until_closed, serve

pytestmark = pytest.mark.slow

TOKEN = "fault-suite-token-0123456789"
ORIGIN = "https://portal.example.com"
EVALUATE = "/v1/trees/service-mesh/evaluate"
AUTH = f"Authorization: Bearer {TOKEN}\r\n"
# A body limit for facts below the 10 MB the clients below announce.
FACTS_MAX = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "NETADVISOR_API_TOKENS": TOKEN,
        "NETADVISOR_CORS_ORIGINS": ORIGIN,
        "NETADVISOR_FACTS_MAX_BYTES": str(FACTS_MAX),
        "NETADVISOR_DECISION_LOG": "true",
        "GUNICORN_READ_TIMEOUT": "3",
    }
    with serve(tmp_path_factory.mktemp("http"), env=env) as started:
        yield started


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _exchange(server: Server, payload: bytes) -> bytes:
    with _connect(server) as sock:
        sock.sendall(payload)
        return read_until_closed(sock)


def _head(method: str, path: str, *lines: str) -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(lines) + "\r\n").encode()


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def _body(response: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(response.split(b"\r\n\r\n", 1)[1])
    return parsed


def _decisions(server: Server) -> int:
    return server.log.read_text(errors="replace").count('"event":"decision"')


@pytest.mark.parametrize(
    "path",
    [EVALUATE, "/v1/evaluations", "/v1/facts", "/v1/trees/service-mesh/compare"],
)
def test_expect_100_continue_past_the_limit_gets_413_without_100_continue(
    server: Server, path: str
) -> None:
    head = _head(
        "POST",
        path,
        AUTH,
        "Content-Type: application/json\r\n",
        "Expect: 100-continue\r\n",
        f"Content-Length: {10 * 1024 * 1024}\r\n",
    )
    started = time.monotonic()
    with _connect(server) as sock:
        sock.sendall(head)  # and wait, as a client that asked to be told to continue
        response = read_until_closed(sock)
    assert _status(response) == 413, response[:200]
    assert b"100 Continue" not in response
    assert time.monotonic() - started < 2  # answered at once, not at the read deadline


def test_expect_100_continue_within_the_limit_is_told_to_continue(server: Server) -> None:
    body = json.dumps({"answers": {"platform": "aws"}}).encode()
    head = _head(
        "POST",
        EVALUATE,
        AUTH,
        "Content-Type: application/json\r\n",
        "Expect: 100-continue\r\n",
        f"Content-Length: {len(body)}\r\nConnection: close\r\n",
    )
    with _connect(server) as sock:
        sock.sendall(head)
        interim = sock.recv(64)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        response = read_until_closed(sock)
    assert _status(response) == 200
    # Refused unread (not JSON by its type): no 100 Continue either.
    refused = _exchange(
        server,
        _head(
            "POST",
            EVALUATE,
            AUTH,
            "Content-Type: text/plain\r\nExpect: 100-continue\r\nContent-Length: 10\r\n",
        ),
    )
    assert _status(refused) == 415 and b"100 Continue" not in refused


def _chunked(path: str, body: bytes) -> bytes:
    head = _head(
        "POST",
        path,
        AUTH,
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n",
    )
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 8192]), body[i : i + 8192])
        for i in range(0, len(body), 8192)
    )
    return head + chunks + b"0\r\n\r\n"


def test_a_chunked_body_past_the_limit_gets_413_and_is_never_evaluated(server: Server) -> None:
    answers = b'{"answers": {"platform": "aws"}' + b" " * 70_000 + b"}"
    assert len(answers) > 64 * 1024
    before = _decisions(server)
    response = _exchange(server, _chunked(EVALUATE, answers))
    assert _status(response) == 413, response[:300]
    for path in ("/v1/trees/service-mesh/compare", "/v1/evaluations"):
        assert _status(_exchange(server, _chunked(path, answers))) == 413
    time.sleep(0.3)
    assert _decisions(server) == before
    # Within the limit, the same body chunked is evaluated.
    small = b'{"answers": {"platform": "aws"}}'
    assert _status(_exchange(server, _chunked(EVALUATE, small))) == 200


def test_a_batch_of_bad_answers_gets_a_bounded_problem(server: Server) -> None:
    items = [{"tree": "cni", "answers": {f"a{i}": [] for i in range(50)}} for _ in range(100)]
    body = json.dumps({"requests": items}, separators=(",", ":")).encode()
    assert 40_000 < len(body) < 64 * 1024
    head = _head(
        "POST",
        "/v1/evaluations",
        AUTH,
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n",
    )
    response = _exchange(server, head + body)
    assert _status(response) == 422
    problem = _body(response)
    assert len(response) < 8_000, len(response)
    assert len(problem["errors"]) == 50 and problem["errors_omitted"] == 4950
    assert "4950 more fields" in problem["detail"]


def test_an_unknown_long_id_is_echoed_once_and_cut(server: Server) -> None:
    tree_id = "x" * 3900
    response = _exchange(
        server, _head("GET", f"/v1/trees/{tree_id}", AUTH, "Connection: close\r\n")
    )
    assert _status(response) == 404
    problem = _body(response)
    assert len(response) < 1_000, len(response)
    assert tree_id[:101] not in response.decode()
    assert problem["tree"] == "x" * 100 + "...[cut]"
    assert "x" * 100 + "...[cut]" in problem["detail"]


def test_options_on_v1_needs_the_token_unless_it_is_an_allowed_preflight(server: Server) -> None:
    plain = _exchange(server, _head("OPTIONS", "/v1/trees", "Connection: close\r\n"))
    assert _status(plain) == 401
    assert b"application/problem+json" in plain and b"WWW-Authenticate" in plain
    foreign = _exchange(
        server,
        _head(
            "OPTIONS",
            "/v1/trees",
            "Origin: https://evil.example.com\r\n",
            "Access-Control-Request-Method: GET\r\nConnection: close\r\n",
        ),
    )
    assert _status(foreign) == 401
    preflight = _exchange(
        server,
        _head(
            "OPTIONS",
            EVALUATE,
            f"Origin: {ORIGIN}\r\n",
            "Access-Control-Request-Method: POST\r\n",
            "Access-Control-Request-Headers: Authorization, Content-Type\r\nConnection: close\r\n",
        ),
    )
    assert _status(preflight) == 200
    assert f"Access-Control-Allow-Origin: {ORIGIN}".encode() in preflight
    with_token = _exchange(server, _head("OPTIONS", "/v1/trees", AUTH, "Connection: close\r\n"))
    assert _status(with_token) == 200


def test_the_server_stayed_healthy(server: Server) -> None:
    response = _exchange(server, _head("GET", "/readyz", "Connection: close\r\n"))
    assert _status(response) == 200
    assert "Traceback" not in Path(server.log).read_text(errors="replace")
