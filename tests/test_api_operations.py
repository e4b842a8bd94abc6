"""Probes, metrics, the spec, the docs page, auth on /v1, and app configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from support.api import API_TREES, SPEC_PATH, TEST_TREES, assert_problem, make_app

from service.api.spec import ASSETS
from service.api.state import CONFIG
from service.engine import TreeCheckError
from service.serving import create_app

TOKEN = "t0ken-for-tests-0123456789"


def test_liveness_and_readiness(client: FlaskClient) -> None:
    for path in ("/livez", "/healthz"):
        response = client.get(path)
        assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert ready.get_json() == {"status": "ready", "trees": 2, "versions": 3}


def test_metrics_count_requests_by_route_template_and_status(client: FlaskClient) -> None:
    client.get("/v1/trees/example")
    client.get("/v1/trees/nope")
    client.get("/no/such/path")
    text = client.get("/metrics").get_data(as_text=True)
    assert "# TYPE netadvisor_http_requests_total counter" in text
    assert 'route="/v1/trees/<tree_id>",status="200"' in text
    assert 'route="/v1/trees/<tree_id>",status="404"' in text
    assert 'route="unmatched",status="404"' in text
    assert "/no/such/path" not in text
    assert 'netadvisor_http_request_duration_seconds_bucket{le="0.005",method="GET"' in text


def test_the_spec_is_served_as_written(client: FlaskClient) -> None:
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.mimetype == "application/yaml"
    assert response.data == SPEC_PATH.read_bytes()
    again = client.get("/openapi.yaml", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_docs_page_loads_only_local_assets(client: FlaskClient) -> None:
    page = client.get("/docs").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page
    for asset in ASSETS:
        # Relative to the page, so a path prefix in front of the service is kept.
        assert f'"docs/{asset}"' in page, asset
        response = client.get(f"/docs/{asset}")
        assert response.status_code == 200, asset
        assert len(response.data) > 100
    slash = client.get("/docs/").get_data(as_text=True)
    assert all(f'"{asset}"' in slash for asset in ASSETS)
    assert "/docs/" not in page.replace('"docs/', "") and "/docs/" not in slash
    assert_problem(client.get("/docs/index.html"), 404)


def test_docs_initializer_finds_the_spec_relatively_and_calls_no_validator(
    client: FlaskClient,
) -> None:
    script = client.get("/docs/swagger-initializer.js").get_data(as_text=True)
    assert '"../openapi.yaml"' in script and '"openapi.yaml"' in script
    assert "validatorUrl: null" in script
    assert '"/openapi.yaml"' not in script


def test_tokens_guard_v1_but_not_probes_metrics_or_spec() -> None:
    client = make_app(API_TOKENS=TOKEN).test_client()
    problem = assert_problem(client.get("/v1/trees"), 401)
    assert problem["title"] == "Unauthorized"
    denied = client.post(
        "/v1/trees/example/evaluate",
        json={"answers": {}},
        headers={"Authorization": "Bearer wrong-token-0123456789"},
    )
    assert_problem(denied, 401)
    assert "WWW-Authenticate" in denied.headers
    ok = client.get("/v1/trees", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    for path in ("/livez", "/readyz", "/metrics", "/openapi.yaml", "/docs"):
        assert client.get(path).status_code == 200, path


def test_configuration_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NETADVISOR_TREES_DIR", str(TEST_TREES))
    monkeypatch.setenv(
        "NETADVISOR_OVERLAY_DIRS", os.pathsep.join([str(API_TREES), str(tmp_path / "missing")])
    )
    monkeypatch.setenv("NETADVISOR_MAX_BODY_BYTES", "100")
    monkeypatch.setenv("NETADVISOR_BATCH_MAX_ITEMS", "2")
    # An empty overlay directory is an error: a typo in a path must not pass silently.
    with pytest.raises(TreeCheckError, match="not a directory"):
        create_app({"TESTING": True})
    monkeypatch.setenv("NETADVISOR_OVERLAY_DIRS", str(API_TREES))
    app = create_app({"TESTING": True})
    config = app.extensions[CONFIG]
    assert (config.max_body_bytes, config.batch_max_items) == (100, 2)
    client = app.test_client()
    assert {t["id"] for t in client.get("/v1/trees").get_json()["trees"]} == {"example", "expose"}
    big = client.post("/v1/trees/example/evaluate", json={"answers": {"kernel": "5." + "1" * 120}})
    assert big.status_code == 413


def test_a_bad_tree_stops_start_up_with_the_engines_message(tmp_path: Path) -> None:
    broken = tmp_path / "example"
    broken.mkdir()
    text = (TEST_TREES / "example" / "1.0.0.yaml").read_text()
    (broken / "1.0.0.yaml").write_text(text.replace("next: proto", "next: protoo"))
    with pytest.raises(TreeCheckError) as caught:
        create_app({"TESTING": True, "TREES_DIR": str(tmp_path)})
    assert "example/1.0.0.yaml: nodes.exposure.branches[1].next" in str(caught.value)
    assert "did you mean 'proto'?" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "value"), [("MAX_BODY_BYTES", 0), ("BATCH_MAX_ITEMS", "many"), ("OVERLAY_DIRS", 5)]
)
def test_unusable_settings_stop_start_up(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"NETADVISOR_{key}"):
        make_app(**{key: value})
