"""GET /v1/trees, /v1/trees/{id} (ETag, 304, pinning, deprecation) and /versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from support.api import make_app

from service.api import live_trees


def test_list_names_every_tree_with_its_default_and_versions(client: FlaskClient) -> None:
    response = client.get("/v1/trees")
    assert response.status_code == 200
    trees = {t["id"]: t for t in response.get_json()["trees"]}
    assert set(trees) == {"example", "expose"}
    assert trees["expose"]["latest_version"] == "2.0.0"
    assert trees["expose"]["versions"] == ["1.0.0", "2.0.0"]
    assert trees["example"]["title"] == "Expose a service"


def test_definition_has_questions_options_and_structure(client: FlaskClient) -> None:
    response = client.get("/v1/trees/example")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["version"], body["status"]) == ("example", "1.0.0", "current")
    questions = {q["id"]: q for q in body["questions"]}
    assert questions["protocol"]["options"] == [
        {"id": "http", "label": "HTTP or HTTPS"},
        {"id": "tcp", "label": "Other TCP"},
    ]
    assert questions["external"]["options"][0] == {"id": True, "label": "Yes"}
    assert questions["services"]["min"] == 1
    assert body["root"] == "exposure"
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes["count"]["branches"][1] == {
        "when": ">= 2",
        "next": "shared",
        "reason": "{services} services can share one load balancer.",
    }
    assert nodes["shared"]["recommend"] == "ingress"
    assert body["pricing"]["lb_month_low"]["value"] == 16.43
    # The tree file's location on this machine is nobody's business.
    assert b"1.0.0.yaml" not in response.data and b"tests/trees" not in response.data


def test_default_version_has_strong_etag_and_short_cache(client: FlaskClient) -> None:
    response = client.get("/v1/trees/expose")
    assert response.get_json()["version"] == "2.0.0"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.headers["Cache-Control"] == "max-age=60"
    assert "Deprecation" not in response.headers


def test_pinned_version_is_cached_as_immutable(client: FlaskClient) -> None:
    response = client.get("/v1/trees/expose?version=2.0.0")
    assert response.headers["Cache-Control"] == "max-age=86400, immutable"
    assert response.headers["ETag"] == client.get("/v1/trees/expose").headers["ETag"]


def test_if_none_match_answers_304_without_body(client: FlaskClient) -> None:
    etag = client.get("/v1/trees/expose?version=1.0.0").headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get("/v1/trees/expose?version=1.0.0", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.data == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == "max-age=86400, immutable"
        assert "Deprecation" in response.headers


def test_stale_etag_gets_the_new_definition(client: FlaskClient) -> None:
    old = client.get("/v1/trees/expose?version=1.0.0").headers["ETag"]
    response = client.get("/v1/trees/expose?version=2.0.0", headers={"If-None-Match": old})
    assert response.status_code == 200
    assert response.headers["ETag"] != old
    assert response.get_json()["version"] == "2.0.0"


def test_deprecated_version_says_so_and_links_its_successor(client: FlaskClient) -> None:
    response = client.get("/v1/trees/expose?version=1.0.0")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "deprecated"
    assert body["deprecation"]["source"] == "https://gateway-api.sigs.k8s.io/"
    # RFC 9745: @ and the Unix time of the date the successor appeared (its as_of).
    since = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    assert response.headers["Deprecation"] == f"@{int(since.timestamp())}"
    link = response.headers["Link"]
    assert '</v1/trees/expose?version=2.0.0>; rel="successor-version"' in link
    assert '<https://gateway-api.sigs.k8s.io/>; rel="deprecation"' in link
    successor = client.get("/v1/trees/expose?version=2.0.0")
    assert successor.get_json()["status"] == "current"


def test_unknown_tree_is_404_with_a_suggestion(client: FlaskClient) -> None:
    response = client.get("/v1/trees/expos")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "urn:netadvisor:problem:unknown-tree"
    assert problem["suggestion"] == "did you mean 'expose'?"
    assert "example, expose" in problem["detail"]


def test_unknown_version_is_404_listing_the_versions(client: FlaskClient) -> None:
    response = client.get("/v1/trees/expose?version=3.0.0")
    assert response.status_code == 404
    problem = response.get_json()
    assert problem["type"] == "urn:netadvisor:problem:unknown-version"
    assert "1.0.0, 2.0.0" in problem["detail"]
    assert (problem["tree"], problem["version"]) == ("expose", "3.0.0")


def test_versions_lists_status_changes_and_default(client: FlaskClient) -> None:
    response = client.get("/v1/trees/expose/versions")
    assert response.status_code == 200
    body = response.get_json()
    assert body["default_version"] == "2.0.0"
    assert [(v["version"], v["status"], v["default"]) for v in body["versions"]] == [
        ("1.0.0", "deprecated", False),
        ("2.0.0", "current", True),
    ]
    assert body["versions"][1]["changes"][0].startswith("Adds gateway_api")
    assert client.get("/v1/trees/nope/versions").status_code == 404


def test_a_pricing_file_changes_the_definition_and_its_etag(tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("trees:\n  expose:\n    lb_month: 25\n")
    plain = make_app().test_client().get("/v1/trees/expose")
    priced = make_app(PRICING_FILE=str(prices)).test_client().get("/v1/trees/expose")
    assert priced.get_json()["pricing"]["lb_month"]["value"] == 25
    assert priced.headers["ETag"] != plain.headers["ETag"]


def test_bundled_trees_carry_the_contract_ids(bundled_client: FlaskClient) -> None:
    trees = {t["id"]: t for t in bundled_client.get("/v1/trees").get_json()["trees"]}
    assert set(trees) >= {
        "cni",
        "service-type",
        "ingress-controller",
        "service-mesh",
        "network-troubleshooting",
    }
    latest = {
        "cni": "3.0.0",
        "service-type": "3.0.0",
        "ingress-controller": "3.0.0",
        "service-mesh": "3.0.0",
        "network-troubleshooting": "2.0.0",
    }
    for tree_id, version in latest.items():
        assert trees[tree_id]["latest_version"] == version, tree_id
        for older in trees[tree_id]["versions"][:-1]:
            old = bundled_client.get(f"/v1/trees/{tree_id}?version={older}")
            assert old.get_json()["status"] == "deprecated"
            assert "successor-version" in old.headers["Link"]
            assert old.headers["Deprecation"].startswith("@")


def test_the_list_names_each_versions_digest_the_etag_of_its_definition(
    client: FlaskClient,
) -> None:
    listed = {t["id"]: t for t in client.get("/v1/trees").get_json()["trees"]}
    for version, digest in listed["expose"]["digests"].items():
        etag = client.get(f"/v1/trees/expose?version={version}").headers["ETag"]
        assert etag == f'"{digest}"'


def test_a_reload_swaps_in_good_files_and_keeps_the_last_good_on_bad_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    overlay = tmp_path / "overlay" / "expose"
    overlay.mkdir(parents=True)
    source = Path(__file__).parent / "trees" / "_api" / "expose" / "2.0.0.yaml"
    tree = overlay / "2.0.0.yaml"
    tree.write_text(source.read_text())
    app = make_app(OVERLAY_DIRS=[str(tree.parent.parent)])
    live = live_trees(app)
    assert live is not None
    client = app.test_client()
    first = client.get("/v1/trees").get_json()["trees"]
    assert live.reload() is None  # nothing changed

    tree.write_text(source.read_text().replace("title: Expose services", "title: Reviewed"))
    assert live.reload() is True
    assert client.get("/v1/trees/expose").get_json()["title"] == "Reviewed"
    assert client.get("/v1/trees").get_json()["trees"] != first
    good = live.current

    tree.write_text(source.read_text().replace("as_of: ", "as_of: 2026-13-45 #"))
    with caplog.at_level("ERROR", logger="netadvisor.trees"):
        assert live.reload() is False
    assert live.current is good
    (record,) = caplog.records
    assert record.event == "tree_reload_failed"  # type: ignore[attr-defined]
    assert record.file == "overlay/expose/2.0.0.yaml"  # type: ignore[attr-defined]
    assert client.get("/readyz").status_code == 200
    assert client.get("/v1/trees/expose").get_json()["title"] == "Reviewed"
    assert live.reload() is None  # a refused change is not retried until it changes
