"""catalog-info.yaml and docs/backstage.md: entities Backstage accepts, pointing at real files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog-info.yaml"
DOC = ROOT / "docs" / "backstage.md"
# Backstage's FieldFormatEntityPolicy: names, namespaces and entity references.
NAME = re.compile(r"^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
REF = re.compile(r"^(?:[a-z]+:)?(?:[a-z0-9-]+/)?[A-Za-z0-9][-A-Za-z0-9_.]*$")


def entities() -> dict[str, dict[str, Any]]:
    docs = list(yaml.safe_load_all(CATALOG.read_text(encoding="utf-8")))
    return {d["kind"]: d for d in docs}


def test_catalog_has_the_component_and_its_api() -> None:
    found = entities()
    assert set(found) == {"Component", "API"}
    for entity in found.values():
        assert entity["apiVersion"] == "backstage.io/v1alpha1"
        assert NAME.match(entity["metadata"]["name"])
        assert set(entity) <= {"apiVersion", "kind", "metadata", "spec", "relations"}
        spec = entity["spec"]
        assert spec["lifecycle"] in {"experimental", "production", "deprecated"}
        assert REF.match(spec["owner"])
        for tag in entity["metadata"].get("tags", []):
            assert re.fullmatch(r"[a-z0-9:+#]+(-[a-z0-9:+#]+)*", tag) and len(tag) <= 63
    component, api = found["Component"], found["API"]
    assert component["spec"]["type"] == "service"
    assert component["spec"]["providesApis"] == [api["metadata"]["name"]]
    assert api["spec"]["type"] == "openapi"


def test_api_definition_is_the_served_spec() -> None:
    definition = entities()["API"]["spec"]["definition"]
    assert set(definition) == {"$text"}
    target = (CATALOG.parent / definition["$text"]).resolve()
    assert target == ROOT / "openapi.yaml"
    spec = yaml.safe_load(target.read_text(encoding="utf-8"))
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_kubernetes_annotations_match_the_manifests() -> None:
    annotations = entities()["Component"]["metadata"]["annotations"]
    namespace = annotations["backstage.io/kubernetes-namespace"]
    key, _, value = annotations["backstage.io/kubernetes-label-selector"].partition("=")
    service = yaml.safe_load((ROOT / "k8s" / "base" / "service.yaml").read_text())
    assert service["metadata"]["namespace"] == namespace
    assert service["metadata"]["labels"][key] == value


def code_blocks(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.S | re.M)


def test_proxy_configuration_sends_the_bearer_token() -> None:
    configs = [yaml.safe_load(block) for block in code_blocks("yaml")]
    (proxy,) = [c["proxy"] for c in configs if "proxy" in c]
    endpoint = proxy["endpoints"]["/netadvisor"]
    assert endpoint["headers"]["Authorization"] == "Bearer ${NETADVISOR_TOKEN}"
    assert endpoint["credentials"] == "require"
    assert set(endpoint["allowedMethods"]) == {"GET", "POST"}
    service = yaml.safe_load((ROOT / "k8s" / "base" / "service.yaml").read_text())
    name, namespace = service["metadata"]["name"], service["metadata"]["namespace"]
    port = service["spec"]["ports"][0]["port"]
    expected = f"http://{name}.{namespace}.svc.cluster.local"
    assert endpoint["target"] == (expected if port == 80 else f"{expected}:{port}")
    (catalog,) = [c["catalog"] for c in configs if "catalog" in c]
    assert catalog["locations"][0]["target"].endswith("/catalog-info.yaml")


def test_every_call_in_the_doc_is_in_the_spec() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    routes = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in spec["paths"]]
    # Template literals (${...}) stand for one path segment.
    text = re.sub(r"\$\{[^}]+\}", "x", DOC.read_text(encoding="utf-8"))
    calls = set(re.findall(r"(/v1/[A-Za-z0-9_{}./-]*[A-Za-z0-9_}])", text))
    assert {"/v1/trees/x/evaluate", "/v1/trees/service-mesh/evaluate"} <= calls
    for call in calls:
        assert any(r.match(call) for r in routes), call
