"""The Kubernetes manifests agree with each other, with the image and with the server.

Schema validity and security scanning are in test_deploy_static.py; here every
reference between resources is followed, and the shipped configuration is loaded by
the engine exactly as the kubelet would lay it out in the pod.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.engine import Catalog
from service.serving.settings import load

# Real processes or every stop of every tree: in `make test`, not the quick `make check`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "k8s"
VARIANTS = {"ingress": K8S, "gateway-api": K8S / "gateway-api", "local": K8S / "local"}


def render(directory: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is not installed (apt-get install kubectl): it renders the "
                    "kustomizations")  # fmt: skip
    out = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=True,
        timeout=60,
    )  # fmt: skip
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def docs(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(VARIANTS[request.param])


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"{kind} {name}: {len(found)} found"
    return found[0]


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels", {})
    return all(labels.get(k) == v for k, v in wanted.items()) and bool(wanted)


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return dict(found)


def env_of(docs: list[dict[str, Any]]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(docs)["env"]}


def test_every_namespaced_resource_is_in_the_app_namespace(docs: list[dict[str, Any]]) -> None:
    namespace = one(docs, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in docs:
        if doc["kind"] in ("Namespace", "Gateway"):
            continue
        assert doc["metadata"]["namespace"] == namespace["metadata"]["name"], doc["kind"]


def test_selectors_find_the_pods(docs: list[dict[str, Any]]) -> None:
    deployment = one(docs, "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert matches(deployment["spec"]["selector"], labels)
    service = one(docs, "Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
    assert matches(one(docs, "PodDisruptionBudget")["spec"]["selector"], labels)
    hpa = one(docs, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    # Several replicas, and a disruption budget that lets a node drain.
    assert deployment["spec"]["replicas"] >= hpa["minReplicas"] >= 3
    assert one(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    for constraint in deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]:
        assert matches(constraint["labelSelector"], labels)


def test_ports_line_up_from_route_to_process(docs: list[dict[str, Any]]) -> None:
    (port,) = container(docs)["ports"]
    assert port["containerPort"] == int(env_of(docs)["NETADVISOR_PORT"]) == 8000
    service = one(docs, "Service")
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] == port["name"]
    ingresses = [d for d in docs if d["kind"] == "Ingress"]
    routes = [d for d in docs if d["kind"] == "HTTPRoute"]
    # One entry point, except on a local cluster, reached by `kubectl port-forward`.
    local = container(docs)["image"].endswith(":dev")
    assert len(ingresses) + len(routes) == (0 if local else 1)
    for ingress in ingresses:
        annotations = ingress["metadata"]["annotations"]
        assert "cert-manager.io/cluster-issuer" in annotations
        (tls,) = ingress["spec"]["tls"]
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in tls["hosts"]
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] == service["metadata"]["name"]
                assert backend["port"]["name"] == service_port["name"]
    for route in routes:
        gateway = one(docs, "Gateway")
        assert "cert-manager.io/cluster-issuer" in gateway["metadata"]["annotations"]
        (parent,) = route["spec"]["parentRefs"]
        assert parent["name"] == gateway["metadata"]["name"]
        assert parent["namespace"] == gateway["metadata"]["namespace"]
        listener = next(
            x for x in gateway["spec"]["listeners"] if x["name"] == parent["sectionName"]
        )
        assert listener["protocol"] == "HTTPS"
        assert listener["tls"]["certificateRefs"]
        assert set(route["spec"]["hostnames"]) == {listener["hostname"]}
        allowed = listener["allowedRoutes"]["namespaces"]
        route_ns = {"kubernetes.io/metadata.name": route["metadata"]["namespace"]}
        assert allowed["from"] == "Selector" and matches(allowed["selector"], route_ns)
        for rule in route["spec"]["rules"]:
            (backend,) = rule["backendRefs"]
            assert backend["name"] == service["metadata"]["name"]
            assert backend["port"] == service_port["port"]


def test_network_policy_denies_by_default_and_admits_the_entry_point(
    docs: list[dict[str, Any]],
) -> None:
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    deny = next(p for p in policies if p["spec"]["podSelector"] == {})
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]
    labels = one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    allow = next(p for p in policies if matches(p["spec"]["podSelector"], labels))
    (port,) = container(docs)["ports"]
    sources = []
    for rule in allow["spec"]["ingress"]:
        assert [p["port"] for p in rule["ports"]] == [port["containerPort"]]
        for peer in rule["from"]:
            sources.append(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
    gateways = [d for d in docs if d["kind"] == "Gateway"]
    entry = gateways[0]["metadata"]["namespace"] if gateways else "traefik"
    assert sources[0] == entry
    (egress,) = allow["spec"]["egress"]
    assert sorted(p["port"] for p in egress["ports"]) == [53, 53]
    assert egress["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}


def test_pod_runs_restricted_and_read_only(docs: list[dict[str, Any]]) -> None:
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert one(docs, "ServiceAccount")["automountServiceAccountToken"] is False
    main = container(docs)
    security = main["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert security["seccompProfile"]["type"] == "RuntimeDefault"
    # The same UID as the image's USER line.
    user = re.search(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert user is not None
    assert security["runAsUser"] == pod["securityContext"]["runAsUser"] == int(user.group(1))
    assert security["runAsGroup"] == int(user.group(2))
    # Every path the server writes is on a writable in-memory volume.
    mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    metrics = Path(env_of(docs)["PROMETHEUS_MULTIPROC_DIR"])
    writable = [p for p, m in mounts.items() if not m.get("readOnly")]
    assert writable == ["/tmp"]
    assert metrics.is_relative_to("/tmp")
    assert volumes[mounts["/tmp"]["name"]]["emptyDir"]["medium"] == "Memory"
    for mount in main["volumeMounts"]:
        assert mount["name"] in volumes


def test_probes_and_shutdown_fit_the_grace_period(docs: list[dict[str, Any]]) -> None:
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    main = container(docs)
    assert main["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert main["startupProbe"]["httpGet"]["path"] == "/livez"
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert main[probe]["httpGet"]["port"] == main["ports"][0]["name"]
    pause = main["lifecycle"]["preStop"]["sleep"]["seconds"]
    server = load(env_of(docs))
    # Endpoints drain during the pause, then gunicorn has its graceful timeout, and
    # both fit before the kubelet's SIGKILL.
    assert pause + server.graceful_timeout < pod["terminationGracePeriodSeconds"]
    resources = main["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


def test_secret_and_config_are_mounted_where_the_server_reads_them(
    docs: list[dict[str, Any]],
) -> None:
    env = env_of(docs)
    main = container(docs)
    volumes = {v["name"]: v for v in one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]}
    mounted = {m["mountPath"]: volumes[m["name"]] for m in main["volumeMounts"]}

    def volume_for(path: str) -> dict[str, Any]:
        owner = max((m for m in mounted if path.startswith(m + "/") or path == m), key=len)
        return mounted[owner]

    tokens = volume_for(env["NETADVISOR_API_TOKENS_FILE"])
    assert Path(env["NETADVISOR_API_TOKENS_FILE"]).name in [
        i["path"] for i in tokens["secret"]["items"]
    ]
    # Secrets only as files, never in the environment.
    assert not any("valueFrom" in e for e in main["env"])
    config_names = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    assert volume_for(env["NETADVISOR_PRICING_FILE"])["configMap"]["name"] in config_names
    assert volume_for(env["NETADVISOR_OVERLAY_DIRS"])["configMap"]["name"] in config_names


def _lay_out(config_map: dict[str, Any], volume: dict[str, Any], into: Path) -> None:
    """Write a ConfigMap volume as the kubelet does: every key, or the listed items."""
    data = config_map.get("data") or {}
    items = volume["configMap"].get("items")
    pairs = [(i["key"], i["path"]) for i in items] if items else [(k, k) for k in data]
    into.mkdir(parents=True, exist_ok=True)
    for key, path in pairs:
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(data[key])


def test_shipped_configuration_loads_and_applies(
    docs: list[dict[str, Any]], tmp_path: Path
) -> None:
    env = env_of(docs)
    main = container(docs)
    volumes = {v["name"]: v for v in one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]}
    for mount in main["volumeMounts"]:
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            source = one(docs, "ConfigMap", volume["configMap"]["name"])
            _lay_out(source, volume, tmp_path / mount["mountPath"].lstrip("/"))
    overlays = [
        str(tmp_path / p.lstrip("/")) for p in env["NETADVISOR_OVERLAY_DIRS"].split(os.pathsep)
    ]
    pricing = tmp_path / env["NETADVISOR_PRICING_FILE"].lstrip("/")
    catalog = Catalog.load(None, overlays=overlays, pricing_file=pricing)
    bundled = Catalog.load(None)
    prices = yaml.safe_load(pricing.read_text())["prices"]
    assert prices, "the example pricing file overrides nothing"
    for name, value in prices.items():
        trees = [t for v in catalog.versions_by_tree.values() for t in v if name in t.prices]
        assert trees, name
        for tree in trees:
            assert tree.prices[name] == value
            assert bundled.get(tree.id, tree.version).prices[name] != value


def test_the_local_variant_runs_the_loaded_image_without_pulling() -> None:
    docs = render(K8S / "local")
    spec = container(docs)
    assert spec["image"] == "netadvisor:dev"
    assert spec["imagePullPolicy"] == "IfNotPresent"
    production = container(render(K8S))
    assert production["imagePullPolicy"] == "Always"
