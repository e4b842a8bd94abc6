"""Serving middleware around a minimal Flask app: request ids, access log, auth, CORS, decisions."""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask
import pytest

from service.api.context import DECISION_ID_KEY, Decision, RoutedRequest
from service.serving import events, load, middleware
from service.serving.auth import AuthConfigError, TokenStore
from service.serving.cors import CorsConfigError
from service.serving.decision_log import DecisionLog
from service.serving.events import ACCESS_LOGGER, DECISION_LOGGER
from service.serving.logs import JsonFormatter, RequestContextFilter

TOKEN_A = "a" * 24
TOKEN_B = "rotated-token-b-0123456789"


def make_app(PROPAGATE_EXCEPTIONS: bool | None = None, **config: Any) -> flask.Flask:
    settings = load({}, config)
    sink = DecisionLog(frozenset(settings.decision_log_mask)) if settings.decision_log else None
    app = flask.Flask("serving-test")
    app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=PROPAGATE_EXCEPTIONS)
    app.request_class = RoutedRequest

    @app.get("/livez")
    def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    def metrics() -> str:
        return "ok"

    @app.get("/v1/trees/<tree_id>")
    def tree(tree_id: str) -> dict[str, str]:
        flask.current_app.logger.info("looked up %s", tree_id)
        return {"id": tree_id}

    @app.post("/v1/trees/<tree_id>/evaluate")
    def evaluate(tree_id: str) -> flask.Response:
        # What service.api.evaluate does for each evaluation.
        environ = flask.request.environ
        decision_id = environ[DECISION_ID_KEY] = secrets.token_hex(16)
        if sink is not None:
            answers = flask.request.get_json()
            decision = Decision(
                decision_id, tree_id, "2.0.0", "sha256:abc", answers, "cilium", "complete", 0.1234
            )
            sink(environ, decision)
        response = flask.jsonify({"decision_id": decision_id})
        response.headers["X-Decision-ID"] = decision_id
        return response

    @app.get("/v1/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    app.wsgi_app = middleware(app.wsgi_app, settings)  # type: ignore[method-assign]
    return app


class Lines:
    """JSON lines written by the serving loggers, parsed."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def by_logger(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["logger"] == name]


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[Lines]:
    """stdout, where the access and decision lines go, and the app's logger, as in
    production: the same JSON formatter and request-context filter on one stream."""
    stream = io.StringIO()
    monkeypatch.setattr(events, "output", stream)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("serving-test")
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield Lines(stream)
    logger.removeHandler(handler)
    logger.level, logger.propagate = saved


def test_request_id_is_generated_echoed_and_logged(lines: Lines) -> None:
    client = make_app().test_client()
    response = client.get("/v1/trees/cni")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    assert client.get("/v1/trees/cni").headers["X-Request-ID"] != request_id
    access = lines.by_logger(ACCESS_LOGGER)[0]
    assert access["request_id"] == request_id
    assert access["method"] == "GET"
    assert access["route"] == "/v1/trees/<tree_id>"
    assert access["path"] == "/v1/trees/cni"
    assert access["status"] == 200
    assert access["duration_ms"] >= 0
    assert access["level"] == "info"
    assert access["timestamp"].endswith("+00:00")
    logged = datetime.fromisoformat(access["timestamp"])
    assert abs((datetime.now(UTC) - logged).total_seconds()) < 5
    # The app's own log line carries the same request id.
    app_line = lines.by_logger("serving-test")[0]
    assert app_line["message"] == "looked up cni"
    assert app_line["request_id"] == request_id


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("req-123_abc.DEF:9", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("has space", False),
        ('quote"inside', False),
        ("", False),
    ],
)
def test_caller_request_id_kept_only_when_plain(sent: str, kept: bool, lines: Lines) -> None:
    response = make_app().test_client().get("/livez", headers={"X-Request-ID": sent})
    echoed = response.headers["X-Request-ID"]
    assert (echoed == sent) is kept
    if not kept:
        assert len(echoed) == 32
    assert lines.by_logger(ACCESS_LOGGER)[0]["request_id"] == echoed


def test_traceparent_is_logged_when_valid(lines: Lines) -> None:
    client = make_app().test_client()
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    client.get("/livez", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    client.get("/livez", headers={"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"})
    client.get("/livez", headers={"traceparent": "garbage"})
    first, second, third = lines.by_logger(ACCESS_LOGGER)
    assert first["trace_id"] == trace
    assert first["parent_id"] == "00f067aa0ba902b7"
    assert "trace_id" not in second
    assert "trace_id" not in third


def test_unknown_route_and_server_error_are_logged(lines: Lines) -> None:
    client = make_app(PROPAGATE_EXCEPTIONS=False).test_client()
    assert client.get("/nowhere").status_code == 404
    response = client.get("/v1/boom")
    assert response.status_code == 500
    assert "X-Request-ID" in response.headers
    missing, error = lines.by_logger(ACCESS_LOGGER)
    assert missing["route"] is None
    assert missing["status"] == 404
    assert error["status"] == 500
    assert error["route"] == "/v1/boom"
    # The traceback stays in the log, as one JSON line with the request's id.
    (exception,) = lines.by_logger("serving-test")
    assert exception["level"] == "error"
    assert "RuntimeError: boom" in exception["exc_info"]
    assert exception["request_id"] == response.headers["X-Request-ID"]


def test_exception_escaping_the_app_is_logged_as_500(lines: Lines) -> None:
    # With exceptions propagated (testing), the server answers 500; the line says so.
    client = make_app(PROPAGATE_EXCEPTIONS=True).test_client()
    with pytest.raises(RuntimeError, match="boom"):
        client.get("/v1/boom", headers={"X-Request-ID": "req-boom-1"})
    (line,) = lines.by_logger(ACCESS_LOGGER)
    assert line["status"] == 500
    assert line["route"] == "/v1/boom"
    assert line["request_id"] == "req-boom-1"


def test_non_ascii_path_is_logged_as_sent(lines: Lines) -> None:
    assert make_app().test_client().get("/v1/trees/caf%C3%A9").status_code == 200
    (line,) = lines.by_logger(ACCESS_LOGGER)
    assert line["path"] == "/v1/trees/café"


class _Unwritable(io.StringIO):
    def write(self, _text: str) -> int:
        raise OSError(32, "Broken pipe")


def test_unwritable_stdout_loses_the_line_not_the_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events, "output", _Unwritable())
    response = make_app().test_client().post("/v1/trees/cni/evaluate", json={"a": 1})
    assert response.status_code == 200
    assert response.headers["X-Decision-ID"] == response.get_json()["decision_id"]


def test_access_log_can_be_switched_off(lines: Lines) -> None:
    response = make_app(ACCESS_LOG="false").test_client().get("/livez")
    assert response.status_code == 200
    assert "X-Request-ID" in response.headers
    assert lines.by_logger(ACCESS_LOGGER) == []


def test_no_tokens_means_open_api() -> None:
    assert make_app().test_client().get("/v1/trees/cni").status_code == 200
    assert make_app(API_TOKENS=None).test_client().get("/v1/trees/cni").status_code == 200


def test_bearer_token_required_on_v1_only() -> None:
    client = make_app(API_TOKENS=f"{TOKEN_A},{TOKEN_B}").test_client()
    missing = client.get("/v1/trees/cni")
    assert missing.status_code == 401
    assert missing.mimetype == "application/problem+json"
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="netadvisor"'
    body = missing.get_json(force=True)
    assert set(body) == {"type", "title", "status", "detail"}
    assert body["status"] == 401
    assert "X-Request-ID" in missing.headers

    wrong = client.get("/v1/trees/cni", headers={"Authorization": "Bearer " + "b" * 24})
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    basic = client.get("/v1/trees/cni", headers={"Authorization": f"Basic {TOKEN_A}"})
    assert basic.status_code == 401

    for token in (TOKEN_A, TOKEN_B):
        ok = client.get("/v1/trees/cni", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    lower = client.get("/v1/trees/cni", headers={"Authorization": f"bearer {TOKEN_A}"})
    assert lower.status_code == 200
    # Unknown /v1 paths are refused before routing, so they reveal nothing.
    assert client.get("/v1/unknown").status_code == 401
    for open_path in ("/livez", "/metrics", "/nowhere"):
        assert client.get(open_path).status_code != 401


def test_non_ascii_token_is_refused_not_crashed() -> None:
    client = make_app(API_TOKENS=TOKEN_A).test_client()
    response = client.get(
        "/v1/trees/cni", headers={"Authorization": "Bearer t\u00e9st-token-long-enough"}
    )
    assert response.status_code == 401


def test_tokens_are_read_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    # Not JSON-decoded: "1e100000000000000" is the token, not a float.
    raw = "1e100000000000000"
    monkeypatch.setenv("NETADVISOR_API_TOKENS", raw)
    settings = load()
    assert settings.api_tokens == (raw,)
    app = flask.Flask("env-test")

    @app.get("/v1/x")
    def x() -> str:
        return "ok"

    app.wsgi_app = middleware(app.wsgi_app, settings)  # type: ignore[method-assign]
    client = app.test_client()
    assert client.get("/v1/x", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert client.get("/v1/x", headers={"Authorization": "Bearer inf"}).status_code == 401


@pytest.mark.parametrize("value", [" , ", 'has"quote', "ok-token-1234567890,semi;colon"])
def test_unusable_token_setting_stops_start_up(value: str) -> None:
    with pytest.raises(AuthConfigError):
        make_app(API_TOKENS=value)


def test_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "tokens"
    token_file.write_text(f"{TOKEN_A}\n{TOKEN_B}\n")
    client = make_app(API_TOKENS_FILE=str(token_file)).test_client()
    assert client.get("/v1/trees/cni").status_code == 401
    ok = client.get("/v1/trees/cni", headers={"Authorization": f"Bearer {TOKEN_B}"})
    assert ok.status_code == 200


@pytest.mark.parametrize("content", [None, "", "\n\n", "bad token\u00e9"])
def test_unusable_token_file_stops_start_up(tmp_path: Path, content: str | None) -> None:
    token_file = tmp_path / "tokens"
    if content is not None:
        token_file.write_text(content, encoding="utf-8")
    with pytest.raises(AuthConfigError, match="NETADVISOR_API_TOKENS_FILE"):
        make_app(API_TOKENS_FILE=str(token_file))


def test_token_file_rotation_is_picked_up(tmp_path: Path) -> None:
    now = [0.0]
    token_file = tmp_path / "tokens"
    token_file.write_text(TOKEN_A)
    store = TokenStore([], token_file, reload_interval=10, clock=lambda: now[0])
    assert store.accepts(TOKEN_A)
    assert not store.accepts(TOKEN_B)
    token_file.write_text(TOKEN_B)
    import os

    os.utime(token_file, (1, 1))
    now[0] = 5.0
    # Not re-read before the interval has passed.
    assert store.accepts(TOKEN_A)
    now[0] = 11.0
    assert store.accepts(TOKEN_B)
    assert not store.accepts(TOKEN_A)
    # A broken update keeps the tokens that worked.
    token_file.write_text("")
    os.utime(token_file, (2, 2))
    now[0] = 22.0
    assert store.accepts(TOKEN_B)


def test_cors_is_off_by_default() -> None:
    response = (
        make_app()
        .test_client()
        .get("/v1/trees/cni", headers={"Origin": "https://portal.example.com"})
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_only_listed_origins() -> None:
    app = make_app(
        CORS_ORIGINS="https://portal.example.com, http://localhost:3000",
        API_TOKENS=TOKEN_A,
    )
    client = app.test_client()
    allowed = client.get(
        "/v1/trees/cni",
        headers={"Origin": "https://portal.example.com", "Authorization": f"Bearer {TOKEN_A}"},
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://portal.example.com"
    assert "X-Decision-ID" in allowed.headers["Access-Control-Expose-Headers"]
    denied = client.get(
        "/v1/trees/cni",
        headers={"Origin": "https://evil.example.com", "Authorization": f"Bearer {TOKEN_A}"},
    )
    assert "Access-Control-Allow-Origin" not in denied.headers
    # The preflight passes without a token: browsers never send one with it.
    preflight = client.options(
        "/v1/trees/cni/evaluate",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    # Probes are not CORS resources.
    probe = client.get("/livez", headers={"Origin": "https://portal.example.com"})
    assert "Access-Control-Allow-Origin" not in probe.headers
    assert "Vary" not in probe.headers
    # A caller without Origin (a server) gets no CORS headers, and a shared cache is told
    # the answer depends on Origin, so it never serves it to a browser.
    server = client.get("/v1/trees/cni", headers={"Authorization": f"Bearer {TOKEN_A}"})
    assert "Access-Control-Allow-Origin" not in server.headers
    assert "Origin" in server.headers["Vary"]
    assert "Origin" in allowed.headers["Vary"]


def test_options_on_v1_needs_the_token_unless_it_is_an_allowed_preflight() -> None:
    app = make_app(CORS_ORIGINS="https://portal.example.com", API_TOKENS=TOKEN_A)
    client = app.test_client()
    preflight = {
        "Origin": "https://portal.example.com",
        "Access-Control-Request-Method": "POST",
    }
    assert client.options("/v1/trees/cni/evaluate", headers=preflight).status_code == 200
    refused = [
        {},  # a plain OPTIONS
        {"Origin": "https://portal.example.com"},  # no method asked: not a preflight
        {"Access-Control-Request-Method": "POST"},  # no origin
        {**preflight, "Origin": "https://evil.example.com"},  # an origin not listed
    ]
    for headers in refused:
        response = client.options("/v1/trees/cni", headers=headers)
        assert response.status_code == 401, headers
        assert response.mimetype == "application/problem+json"
        assert "Access-Control-Allow-Methods" not in response.headers
    # Without CORS configured no origin is allowed, so every OPTIONS needs the token.
    no_cors = make_app(API_TOKENS=TOKEN_A).test_client()
    assert no_cors.options("/v1/trees/cni", headers=preflight).status_code == 401
    authorised = {"Authorization": f"Bearer {TOKEN_A}"}
    assert no_cors.options("/v1/trees/cni", headers=authorised).status_code == 200
    # Outside /v1, OPTIONS stays open like the rest.
    assert no_cors.options("/livez").status_code == 200


@pytest.mark.parametrize(
    "value", ["*", "https://*.example.com", "portal.example.com", "https://x.com/path", "ftp://x"]
)
def test_cors_rejects_anything_but_origins(value: str) -> None:
    with pytest.raises(CorsConfigError):
        load({}, {"CORS_ORIGINS": value})


def test_cors_origins_are_normalised() -> None:
    settings = load({}, {"CORS_ORIGINS": ["HTTPS://Portal.Example.com/"]})
    assert settings.cors_origins == ("https://portal.example.com",)
    assert load({}, {"CORS_ORIGINS": ""}).cors_origins == ()


def test_decision_event_with_masking(lines: Lines) -> None:
    client = make_app(DECISION_LOG_MASK="kernel_version, encryption").test_client()
    answers = {"network_policy": True, "kernel_version": "5.10", "encryption": True}
    response = client.post(
        "/v1/trees/cni/evaluate", json=answers, headers={"X-Request-ID": "req-1"}
    )
    decision_id = response.get_json()["decision_id"]
    assert response.headers["X-Decision-ID"] == decision_id
    (event,) = lines.by_logger(DECISION_LOGGER)
    assert event["event"] == "decision"
    assert event["decision_id"] == decision_id
    assert event["request_id"] == "req-1"
    assert event["tree_id"] == "cni"
    assert event["tree_version"] == "2.0.0"
    assert event["tree_digest"] == "sha256:abc"
    assert event["answers"] == {
        "network_policy": True,
        "kernel_version": "***",
        "encryption": "***",
    }
    assert event["recommendation"] == "cilium"
    assert event["status"] == "complete"
    assert event["duration_ms"] == 0.123
    (access,) = lines.by_logger(ACCESS_LOGGER)
    assert access["decision_id"] == decision_id


def test_decision_log_can_be_switched_off_but_ids_remain(lines: Lines) -> None:
    client = make_app(DECISION_LOG=False).test_client()
    response = client.post("/v1/trees/cni/evaluate", json={})
    assert len(response.get_json()["decision_id"]) == 32
    assert lines.by_logger(DECISION_LOGGER) == []
