"""Issue examples: what version 2.0.0 advised, and what version 3 advises instead."""

from __future__ import annotations

from typing import Any

import pytest
from support.answers import MESH_ON_AWS
from support.api import bundled_catalog

from service.engine import Catalog

POLICY_ONLY = {"network_policy": True, "l7_visibility": False, "encryption": False}
NOTHING = {"network_policy": False, "l7_visibility": False, "encryption": False}
UDP3 = {
    "consumers": "external",
    "environment": "production",
    "protocol": "udp",
    "load_balancer_available": True,
    "external_services": 3,
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return bundled_catalog()


def _body(catalog: Catalog, tree: str, answers: dict[str, Any], version: str | None = None) -> Any:
    body = catalog.evaluate(tree, answers, version=version).to_dict()
    assert body["status"] == "complete", body["next_question"]
    return body


def test_a_running_cilium_is_kept_instead_of_a_migration_to_calico(catalog: Catalog) -> None:
    old = _body(catalog, "cni", {**POLICY_ONLY, "current_cni": "cilium"}, "2.0.0")
    assert old["recommendation"]["id"] == "calico"
    answers = {
        **POLICY_ONLY,
        "current_cni": "cilium",
        "platform": "on-prem",
        "kernel_version": "6.1",
    }
    assert _body(catalog, "cni", answers)["recommendation"]["id"] == "cilium"


@pytest.mark.parametrize(
    ("platform", "expected"),
    [("aws", "aws-vpc-cni"), ("azure", "azure-cni-cilium"), ("gcp", "gke-dataplane-v2")],
)
def test_no_requirements_on_a_managed_cloud_gets_the_clouds_cni_never_flannel(
    catalog: Catalog, platform: str, expected: str
) -> None:
    assert _body(catalog, "cni", NOTHING, "2.0.0")["recommendation"]["id"] == "flannel"
    body = _body(catalog, "cni", {**NOTHING, "platform": platform, "current_cni": "none"})
    assert body["recommendation"]["id"] == expected


def test_an_eks_cluster_needing_policy_keeps_the_vpc_cni(catalog: Catalog) -> None:
    answers = {**POLICY_ONLY, "platform": "aws", "current_cni": "aws-vpc-cni"}
    body = _body(catalog, "cni", answers)
    assert body["recommendation"]["id"] == "aws-vpc-cni"
    assert "enableNetworkPolicy" in str(body["recommendation"])


def test_kernels_below_every_floor_mean_upgrading_the_node_os(catalog: Catalog) -> None:
    old = _body(catalog, "cni", {**POLICY_ONLY, "kernel_version": "4.19"}, "2.0.0")
    assert old["recommendation"]["id"] == "calico"  # Calico 3.31 needs 5.10
    answers = {
        **POLICY_ONLY,
        "platform": "on-prem",
        "current_cni": "none",
        "kernel_version": "4.19",
    }
    body = _body(catalog, "cni", answers)
    assert body["recommendation"]["id"] == "upgrade-node-os"
    assert "KERNEL_BELOW_SUPPORTED_FLOOR" in [w["code"] for w in body["warnings"]]


def test_three_udp_services_on_aks_share_one_standard_load_balancer(catalog: Catalog) -> None:
    old = _body(catalog, "service-type", {**UDP3, "platform": "azure"}, "2.0.0")
    assert old["costs"]["total"]["low"] > 70
    body = _body(catalog, "service-type", {**UDP3, "platform": "azure"})
    # One Standard LB (first five rules $0.025/h) and three public IPs ($0.005/h each).
    assert 28 < body["costs"]["total"]["low"] <= body["costs"]["total"]["high"] < 31


def test_on_prem_answers_carry_no_aws_prices(catalog: Catalog) -> None:
    old = _body(catalog, "service-type", {**UDP3, "platform": "on-prem"}, "2.0.0")
    assert "PRICES_ASSUME_AWS" in [w["code"] for w in old["warnings"]]
    body = _body(catalog, "service-type", {**UDP3, "platform": "on-prem"})
    assert body["costs"]["total"] == {"low": 0.0, "high": 0.0}
    assert "aws" not in str(body["costs"]).lower()
    assert not [w for w in body["warnings"] if w["code"].startswith(("AWS", "PRICES_ASSUME"))]


def test_internal_exposure_has_no_public_ipv4_charge(catalog: Catalog) -> None:
    internet = _body(catalog, "service-type", {**UDP3, "platform": "aws"})
    internal = _body(catalog, "service-type", {**UDP3, "platform": "aws", "exposure": "internal"})
    labels = [item["label"].lower() for item in internal["costs"]["items"]]
    assert not any("ipv4" in label for label in labels)
    assert internal["costs"]["total"]["low"] < internet["costs"]["total"]["low"]


def test_mesh_proxies_are_priced_on_the_same_mesh_wide_traffic(catalog: Catalog) -> None:
    answers = dict(MESH_ON_AWS)
    body = _body(catalog, "service-mesh", answers)
    assert body["recommendation"]["id"] == "istio-ambient"
    sidecar = next(a for a in body["alternatives"] if a["id"] == "istio")
    ambient_total = body["costs"]["total"]["high"]
    # Same traffic: sidecars cost a few times more, not thirty times (2.0.0's basis).
    assert 1.5 < sidecar["costs"]["total"]["high"] / ambient_total < 10
    linkerd = next(a for a in body["alternatives"] if a["id"] == "linkerd")
    assert any("cpu" in item["label"].lower() for item in linkerd["costs"]["items"])


def test_azure_gets_its_own_l7_entry_and_aws_prices_the_waf(catalog: Catalog) -> None:
    answers = {
        "cloud_integration": True,
        "builtin_acme": False,
        "reload_sensitive": False,
        "existing_ingress_nginx": False,
    }
    old = _body(catalog, "ingress-controller", {**answers, "platform": "azure"}, "2.0.0")
    assert old["recommendation"]["id"] == "envoy-gateway"
    azure = _body(catalog, "ingress-controller", {**answers, "platform": "azure"})
    assert azure["recommendation"]["id"] == "azure-application-gateway-for-containers"
    plain = _body(catalog, "ingress-controller", {**answers, "platform": "aws"})
    waf = _body(catalog, "ingress-controller", {**answers, "platform": "aws", "waf_required": True})
    assert waf["recommendation"]["id"] == "aws-load-balancer-controller"
    assert any("waf" in item["label"].lower() for item in waf["costs"]["items"])
    assert waf["costs"]["total"]["low"] > plain["costs"]["total"]["low"]


def test_an_acme_requirement_is_never_dropped_on_the_cilium_path(catalog: Catalog) -> None:
    answers = {
        "platform": "on-prem",
        "cloud_integration": False,
        "builtin_acme": True,
        "reload_sensitive": False,
        "existing_ingress_nginx": False,
        "existing_dataplane": "cilium",
    }
    old = _body(catalog, "ingress-controller", answers, "2.0.0")
    assert "ACME_NEEDS_CERT_MANAGER" not in [w["code"] for w in old["warnings"]]
    body = _body(catalog, "ingress-controller", answers)
    assert body["recommendation"]["id"] == "cilium-gateway"
    assert "ACME_NEEDS_CERT_MANAGER" in [w["code"] for w in body["warnings"]]
