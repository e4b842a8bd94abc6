"""The evaluate fast path answers exactly as the Flask view does, and leaves it all else."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import flask
import pytest
from conftest import QUIET, check_response
from werkzeug.test import TestResponse

from service.api import create_app
from service.api.fast_evaluate import FastEvaluate
from service.serving import events
from service.serving.context import RequestContext
from service.serving.runtime import ClientTimeout

TOKEN = "fast-path-token-0123456789"
# Headers that differ between any two requests, whichever path serves them.
PER_REQUEST = frozenset({"X-Request-ID", "X-Decision-ID"})


class Served:
    """Counts the requests the fast path passed on to Flask."""

    def __init__(self, app: flask.Flask) -> None:
        context = app.wsgi_app
        assert isinstance(context, RequestContext)
        fast = context.app
        assert isinstance(fast, FastEvaluate)
        self.passed_on = 0
        flask_app = fast.flask_app

        def counting(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            self.passed_on += 1
            return flask_app(environ, start_response)

        fast.flask_app = counting


def apps(**config: Any) -> tuple[flask.Flask, flask.Flask]:
    settings = {"TESTING": True, **QUIET, **config}
    return create_app(settings), create_app({**settings, "FAST_EVALUATE": False})


def comparable(response: TestResponse) -> tuple[int, list[tuple[str, str]], Any]:
    headers = [(k, v) for k, v in response.headers.items() if k not in PER_REQUEST]
    body: Any = response.get_data()
    if response.mimetype == "application/json":
        body = json.loads(body)
        body.pop("decision_id", None)
    elif response.mimetype == "application/problem+json":
        body = json.loads(body)
    return response.status_code, headers, body


def both(
    fast: flask.Flask, slow: flask.Flask, path: str, **kwargs: Any
) -> tuple[TestResponse, TestResponse]:
    a = fast.test_client().post(path, **kwargs)
    b = slow.test_client().post(path, **kwargs)
    if "//" not in path:  # werkzeug answers that one before the API: not in the spec
        check_response(a)
    assert comparable(a) == comparable(b), path
    if a.status_code == 200 and a.mimetype == "application/json":
        assert a.headers["X-Decision-ID"] == a.get_json()["decision_id"]
    return a, b


def every_case(app: flask.Flask) -> Iterable[tuple[str, dict[str, Any]]]:
    """Each bundled tree's own test cases, at its default version."""
    catalog = app.extensions["netadvisor"]
    for tree_id in catalog.tree_ids:
        tree = catalog.get(tree_id)
        for case in tree.tests:
            body: dict[str, Any] = {"answers": dict(case.answers)}
            if case.pricing:
                body["pricing"] = dict(case.pricing)
            yield tree_id, body


def test_every_tree_case_is_answered_by_the_fast_path_as_by_flask() -> None:
    fast, slow = apps()
    served = Served(fast)
    cases = list(every_case(fast))
    assert len(cases) > 50
    for tree_id, body in cases:
        both(fast, slow, f"/v1/trees/{tree_id}/evaluate", json=body)
    assert served.passed_on == 0  # the plain requests never reached Flask


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/v1/trees/cni/evaluate", {"json": {"answers": {"network_policy": "maybe"}}}),
        ("/v1/trees/cni/evaluate", {"json": {"answers": {"nope": True}}}),
        ("/v1/trees/cni/evaluate", {"json": {"answers": {}, "pricing": {"x": 1}}}),
        ("/v1/trees/cni/evaluate", {"json": {"answers": {}, "extra": 1}}),
        ("/v1/trees/cni/evaluate", {"json": ["answers"]}),
        ("/v1/trees/cni/evaluate", {"data": b"{not json", "content_type": "application/json"}),
        ("/v1/trees/cni/evaluate", {"data": b"", "content_type": "application/json"}),
        ("/v1/trees/cni/evaluate", {"data": b'{"answers":{}}', "content_type": "text/plain"}),
        (
            "/v1/trees/cni/evaluate",
            {"data": b'{"answers":{}}', "content_type": "application/json; charset=latin-1"},
        ),
        (
            "/v1/trees/cni/evaluate",
            {"data": b'{"answers":{}}', "content_type": "application/json; charset=utf-8"},
        ),
        ("/v1/trees/cni/evaluate?version=1.0.0", {"json": {"answers": {}}}),
        ("/v1/trees/cni/evaluate?format=markdown", {"json": {"answers": {}}}),
        ("/v1/trees/cni/evaluate?format=nope", {"json": {"answers": {}}}),
        ("/v1/trees/nope/evaluate", {"json": {"answers": {}}}),
        ("/v1/trees/cni/evaluate/", {"json": {"answers": {}}}),
        ("/v1/trees//evaluate", {"json": {"answers": {}}}),
        ("/v1/trees/a/b/evaluate", {"json": {"answers": {}}}),
        ("/v1/trees/cni/evaluate", {"json": {"answers": {"x" * 200: True}}}),
        ("/v1/trees/cni/evaluate", {"json": {"answers": {f"q{i}": 1 for i in range(500)}}}),
    ],
)
def test_requests_it_does_not_serve_get_flasks_answer(path: str, kwargs: dict[str, Any]) -> None:
    fast, slow = apps()
    served = Served(fast)
    both(fast, slow, path, **kwargs)
    assert served.passed_on == 1


def test_body_over_the_limit_is_flasks_413() -> None:
    fast, slow = apps(MAX_BODY_BYTES=64)
    body = {"answers": {"network_policy": True, "l7_visibility": True, "encryption": True}}
    response, _ = both(fast, slow, "/v1/trees/cni/evaluate", json=body)
    assert response.status_code == 413


def test_other_methods_and_paths_go_to_flask() -> None:
    fast, _ = apps()
    served = Served(fast)
    client = fast.test_client()
    assert client.get("/v1/trees/cni/evaluate").status_code == 405
    assert client.get("/v1/trees/cni").status_code == 200
    assert client.post("/v1/evaluations", json={"requests": []}).status_code == 422
    assert served.passed_on == 3


class _Stream:
    """A request body that fails the way gunicorn's does: slow, or cut short."""

    def __init__(self, data: bytes, error: BaseException | None) -> None:
        self.data, self.error = io.BytesIO(data), error

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            raise self.error
        return self.data.read(size)


def _post_raw(app: flask.Flask, stream: _Stream, length: int) -> TestResponse:
    return app.test_client().post(
        "/v1/trees/cni/evaluate",
        content_type="application/json",
        environ_overrides={"wsgi.input": stream, "CONTENT_LENGTH": str(length)},
    )


def test_slow_body_is_flasks_408_and_short_body_its_400() -> None:
    fast, slow = apps()
    for app in (fast, slow):
        timeout = ClientTimeout(110, "request body not received in time")
        response = _post_raw(app, _Stream(b"", timeout), 14)
        assert response.status_code == 408
        assert response.headers["Connection"] == "close"
        response = _post_raw(app, _Stream(b'{"answers"', None), 14)
        assert response.status_code == 400
        assert "ended before its declared length" in response.get_json()["detail"]


@pytest.mark.parametrize("length", ["\u00b2", "-1", "1e2", " 14", "99999999999999999999"])
def test_a_length_that_is_not_plain_digits_within_the_limit_goes_to_flask(length: str) -> None:
    fast, slow = apps()
    served = Served(fast)
    environ = {"CONTENT_LENGTH": length}
    a, b = (
        app.test_client().post(
            "/v1/trees/cni/evaluate",
            data=b'{"answers": {}}',
            content_type="application/json",
            environ_overrides=environ,
        )
        for app in (fast, slow)
    )
    assert comparable(a) == comparable(b)
    assert served.passed_on == 1


def test_with_tokens_only_a_valid_token_is_served_fast() -> None:
    fast, slow = apps(API_TOKENS=TOKEN)
    served = Served(fast)
    body = {"answers": {"network_policy": False}}
    good = {"Authorization": f"Bearer {TOKEN}"}
    response, _ = both(fast, slow, "/v1/trees/cni/evaluate", json=body, headers=good)
    assert response.status_code == 200
    assert served.passed_on == 0
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": TOKEN},
    ):
        response, _ = both(fast, slow, "/v1/trees/cni/evaluate", json=body, headers=headers)
        assert response.status_code == 401
    assert served.passed_on == 3


def test_the_switch_turns_the_fast_path_off() -> None:
    app = create_app({"TESTING": True, **QUIET, "FAST_EVALUATE": "false"})
    context = app.wsgi_app
    assert isinstance(context, RequestContext)
    assert not isinstance(context.app, FastEvaluate)


def test_with_cors_a_browsers_request_goes_to_flask_for_its_headers() -> None:
    origin = "https://portal.example.com"
    fast, slow = apps(CORS_ORIGINS=origin)
    served = Served(fast)
    body = {"answers": {"network_policy": False}}
    # A server-side caller sends no Origin: no CORS headers either way, served fast.
    response, _ = both(fast, slow, "/v1/trees/cni/evaluate", json=body)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"
    assert served.passed_on == 0
    # A browser sends its Origin: flask-cors answers it.
    for sent in (origin, "https://evil.example.com"):
        response, _ = both(
            fast, slow, "/v1/trees/cni/evaluate", json=body, headers={"Origin": sent}
        )
        assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") is None
    assert served.passed_on == 2
    allowed = fast.test_client().post(
        "/v1/trees/cni/evaluate", json=body, headers={"Origin": origin}
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize("kind", ["before_request", "after_request"])
def test_an_unknown_request_hook_stops_start_up(kind: str) -> None:
    app = create_app({"TESTING": True, **QUIET, "FAST_EVALUATE": False})

    def audit(*args: Any) -> Any:
        return args[0] if args else None

    getattr(app, kind)(audit)
    with pytest.raises(RuntimeError, match=r"\['audit'\] would be skipped"):
        FastEvaluate(app, app.wsgi_app)


def test_fast_answers_are_logged_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(events, "output", stream)
    app = create_app({"TESTING": True})
    served = Served(app)
    client = app.test_client()
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = client.post(
        "/v1/trees/cni/evaluate",
        json={"answers": {"network_policy": False}},
        headers={"X-Request-ID": "req-fast-1", "traceparent": f"00-{trace}-00f067aa0ba902b7-01"},
    )
    assert response.status_code == 200
    assert served.passed_on == 0
    decision_id = response.headers["X-Decision-ID"]
    decision, access = (json.loads(line) for line in stream.getvalue().splitlines())
    assert decision["logger"] == "netadvisor.decision"
    assert decision["decision_id"] == decision_id
    assert decision["request_id"] == "req-fast-1"
    assert decision["trace_id"] == trace
    assert decision["answers"] == {"network_policy": False}
    assert access["logger"] == "netadvisor.access"
    assert access["route"] == "/v1/trees/<tree_id>/evaluate"
    assert access["status"] == 200
    assert access["decision_id"] == decision_id
    assert response.headers["X-Request-ID"] == "req-fast-1"
    metrics = client.get("/metrics").get_data(as_text=True)
    assert (
        'netadvisor_http_requests_total{method="POST",route="/v1/trees/<tree_id>/evaluate",'
        'status="200"}' in metrics
    )
