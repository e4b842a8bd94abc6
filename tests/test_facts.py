"""Cluster facts from real kubectl output: each platform, troubleshooting and error text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service.facts import Answer, Facts, classify_error, derive, kernel_major_minor

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "kubectl"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def facts_of(name: str, error: str | None = None) -> Facts:
    return derive(load(name), error)


# fixture -> {question id: (value, a part of the evidence)}; None: must not be derived.
EXPECTED: dict[str, dict[str, tuple[object, str] | None]] = {
    "eks.json": {
        "platform": ("aws", "Node/ip-10-0-1-5.ec2.internal: spec.providerID = aws:///us-east-1a/"),
        "kernel_version": ("6.1", "kernelVersion = 6.1.109-118.189.amzn2023.x86_64"),
        "current_cni": ("aws-vpc-cni", "DaemonSet/kube-system/aws-node: spec.template.spec"),
        "windows_nodes": (False, "status.nodeInfo.operatingSystem = linux"),
        "zones": (3, "topology.kubernetes.io/zone] = us-east-1c"),
        "ip_family": ("ipv4", "status.addresses[InternalIP] = 10.0.1.5"),
        "existing_ingress_nginx": (False, "alb (ingress.k8s.aws/alb)"),
        "existing_dataplane": ("istio", "Deployment/istio-system/istiod"),
        "current_mesh": ("istio", "Deployment/istio-system/istiod: metadata.name = istiod"),
        "cilium_cni": (False, "aws-node"),
        "nodes": (3, "Node: 3 read"),
        "service_exists": None,
    },
    "gke.json": {
        "platform": ("gcp", "spec.providerID = gce://acme-prod/us-central1-a/"),
        "kernel_version": ("6.1", "Node/gke-prod-default-pool-6f1d2c3b-q9mz: status.nodeInfo"),
        "current_cni": ("gke-dataplane-v2", "DaemonSet/kube-system/anetd"),
        "cilium_cni": (False, "anetd"),
        "windows_nodes": (False, "linux"),
        "zones": (2, "us-central1-b"),
        "ip_family": ("ipv4", "spec.podCIDRs = 10.112."),
        "existing_ingress_nginx": None,
        "existing_dataplane": ("istio", "Deployment/istio-system/istiod"),
        "current_mesh": ("istio-ambient", "DaemonSet/istio-system/ztunnel"),
    },
    "aks.json": {
        "platform": ("azure", "spec.providerID = azure:///subscriptions/"),
        "kernel_version": ("5.15", "5.15.0-1075-azure"),
        "current_cni": ("azure-cni-cilium", "DaemonSet/kube-system/azure-cns"),
        "cilium_cni": (False, "DaemonSet/kube-system/cilium"),
        "zones": (3, "westeurope-3"),
        "ip_family": ("ipv4", "10.244.0.0/24"),
        "existing_dataplane": ("istio", "Deployment/aks-istio-system/istiod-asm-1-24"),
        "current_mesh": ("istio", "Deployment/aks-istio-system/istiod-asm-1-24"),
    },
    "kubeadm-cilium.json": {
        "platform": ("on-prem", "Node/cp-1: metadata.annotations[kubeadm.alpha.kubernetes.io/cri"),
        "kernel_version": ("5.15", "Node/worker-1: status.nodeInfo.kernelVersion = 5.15.0-131"),
        "current_cni": ("cilium", "DaemonSet/kube-system/cilium: spec.template.spec.containers"),
        "cilium_cni": (True, "quay.io/cilium/cilium:v1.16.5"),
        "existing_dataplane": ("cilium", "DaemonSet/kube-system/cilium"),
        "ip_family": ("dual-stack", "fd00:10:244:0::/64"),
        "existing_ingress_nginx": (False, "cilium (io.cilium/ingress-controller)"),
        "zones": None,
        "current_mesh": None,
    },
    "kind-cilium.json": {
        "platform": ("on-prem", "spec.providerID = kind://docker/kind/kind-control-plane"),
        "kernel_version": ("6.10", "6.10.14-linuxkit"),
        "current_cni": ("cilium", "DaemonSet/cilium/cilium"),
        "ip_family": ("ipv4", "10.244.0.0/24"),
    },
    "k3s-flannel.json": {
        "platform": ("on-prem", "spec.providerID = k3s://pi-server"),
        "kernel_version": ("6.1", "Node/nuc-agent: status.nodeInfo.kernelVersion = 6.1.0-28-amd64"),
        "current_cni": ("flannel", "flannel.alpha.coreos.com/backend-type] = vxlan"),
        "existing_ingress_nginx": (False, "traefik (traefik.io/ingress-controller)"),
        "current_mesh": ("linkerd", "Deployment/linkerd/linkerd-destination"),
    },
    "kubeadm-flannel.json": {
        "platform": ("on-prem", "(kubeadm control plane, no spec.providerID)"),
        "kernel_version": ("4.18", "4.18.0-553.34.1.el8_10.x86_64"),
        "current_cni": ("flannel", "DaemonSet/kube-flannel/kube-flannel-ds: spec.template.spec"),
    },
    "windows-calico.json": {
        "platform": ("on-prem", "Node/k8s-cp-01"),
        "kernel_version": ("5.14", "5.14.0-503.21.1.el9_5.x86_64"),
        "windows_nodes": (True, "Node/k8s-win-01: status.nodeInfo.operatingSystem = windows"),
        "current_cni": ("calico", "DaemonSet/calico-system/calico-node"),
    },
    "ingress-nginx.json": {
        "existing_ingress_nginx": (True, "registry.k8s.io/ingress-nginx/controller:v1.12.1"),
        "platform": None,
    },
    "ingress-nginx-class.json": {
        "existing_ingress_nginx": (True, "IngressClass/nginx: spec.controller = k8s.io/ingress"),
    },
    "troubleshoot-pending.json": {
        "service_exists": (True, "Service/shop/checkout: spec.clusterIP = 172.20.118.41"),
        "endpoints_present": (False, "EndpointSlice/shop/checkout-x7k2p: endpoints = null"),
        "pods_scheduled": (False, "0/3 nodes are available: 3 Insufficient cpu"),
        "pods_have_ips": None,
        "platform": None,
        "nodes": None,
    },
    "troubleshoot-ready.json": {
        "service_exists": (True, "Service/default/web"),
        "endpoints_present": (True, "endpoints[0].conditions.ready = true (10.244.1.23)"),
        "pods_have_ips": (True, "status.podIP = 10.244.1.23"),
        "pods_scheduled": (True, "status.conditions[PodScheduled] = True"),
    },
    "troubleshoot-no-ip.json": {
        "endpoints_present": (False, "endpoints = null"),
        "pods_scheduled": (True, "Pod/payments/api-7b6c5d4e3f-lz9wx"),
        "pods_have_ips": (False, "status.podIP = (none)"),
    },
}


def test_every_fixture_has_expectations() -> None:
    assert {path.name for path in FIXTURES.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize(
    ("fixture", "qid"), [(fixture, qid) for fixture, ids in EXPECTED.items() for qid in ids]
)
def test_fixture_derives_the_answer_with_its_evidence(fixture: str, qid: str) -> None:
    expected = EXPECTED[fixture][qid]
    answers = facts_of(fixture).answers
    if expected is None:
        assert qid not in answers
        return
    value, evidence = expected
    assert answers[qid].value == value
    assert type(answers[qid].value) is type(value)
    assert evidence in answers[qid].evidence


def test_to_dict_is_the_contract_shape() -> None:
    body = facts_of("eks.json").to_dict()
    assert set(body) == {"answers", "notes"}
    assert body["answers"]["platform"] == {
        "value": "aws",
        "evidence": "Node/ip-10-0-1-5.ec2.internal: spec.providerID = "
        "aws:///us-east-1a/i-0abc1234def567890",
    }
    assert all(isinstance(note, str) for note in body["notes"])
    assert json.loads(json.dumps(body)) == body


def test_notes_say_how_the_answers_were_read() -> None:
    notes = " | ".join(facts_of("eks.json").notes)
    assert "3 Linux node(s) with a kernel read; kernel from the oldest" in notes
    assert "no node has spec.podCIDRs" in notes
    assert "Istio control plane found: Deployment/istio-system/istiod" in notes
    assert "Azure CNI powered by Cilium" in " ".join(facts_of("aks.json").notes)
    assert "k3s runs flannel" in " ".join(facts_of("k3s-flannel.json").notes)
    assert "RHEL 8's 4.18" in " ".join(facts_of("kubeadm-flannel.json").notes)


def test_windows_kernel_build_is_not_a_linux_kernel() -> None:
    doc = load("windows-calico.json")
    linux = [
        item
        for item in doc["items"]
        if item["kind"] != "Node" or "win" not in item["metadata"]["name"]
    ]
    windows_only = {"kind": "List", "items": [i for i in doc["items"] if i not in linux]}
    assert "kernel_version" not in derive(windows_only).answers
    assert derive(windows_only).answers["windows_nodes"].value is True


def test_calico_beside_the_vpc_cni_is_policy_only() -> None:
    doc = load("eks.json")
    calico = next(
        i for i in load("windows-calico.json")["items"] if i["metadata"]["name"] == "calico-node"
    )
    doc["items"].append(calico)
    facts = derive(doc)
    assert facts.answers["current_cni"].value == "aws-vpc-cni"
    assert any("calico beside it" in note for note in facts.notes)


def test_two_meshes_derive_none() -> None:
    linkerd = [
        i
        for i in load("k3s-flannel.json")["items"]
        if i["metadata"]["name"] == "linkerd-destination"
    ]
    facts = derive(load("eks.json")["items"] + linkerd)
    assert "current_mesh" not in facts.answers
    assert any("istio, linkerd all run" in note for note in facts.notes)


def test_two_unrelated_cnis_derive_none() -> None:
    flannel = load("kubeadm-flannel.json")["items"][1]
    calico = next(
        i for i in load("windows-calico.json")["items"] if i["metadata"]["name"] == "calico-node"
    )
    facts = derive([flannel, calico])
    assert "current_cni" not in facts.answers
    assert any("several CNIs run (calico, flannel)" in note for note in facts.notes)


def test_nodes_of_two_clouds_derive_no_platform() -> None:
    nodes = [load("eks.json")["items"][0], load("gke.json")["items"][0]]
    facts = derive({"kind": "List", "items": nodes})
    assert "platform" not in facts.answers
    assert any("nodes from aws, gcp" in note for note in facts.notes)


def test_several_services_derive_no_troubleshooting_facts() -> None:
    items = load("troubleshoot-ready.json")["items"] + load("troubleshoot-pending.json")["items"]
    facts = derive({"kind": "List", "items": items})
    assert not {"service_exists", "endpoints_present", "pods_scheduled"} & set(facts.answers)
    assert any("2 Services read" in note for note in facts.notes)


@pytest.mark.parametrize(
    ("text", "expected", "phrase"),
    [
        ('Get "http://web.shop:80/": dial tcp 10.96.4.2:80: i/o timeout', "timeout", "i/o timeout"),
        ("context deadline exceeded", "timeout", "context deadline exceeded"),
        ("curl: (28) Connection timed out after 10001 milliseconds", "timeout", "timed out"),
        ("dial tcp 10.244.1.23:8080: connect: connection refused", "refused", "connection refused"),
        ("curl: (56) Recv failure: Connection reset by peer", "reset", "Connection reset by peer"),
        (
            "upstream connect error or disconnect/reset before headers. reset reason: "
            "connection termination",
            "reset",
            "upstream connect error or disconnect/reset",
        ),
        (
            "upstream connect error or disconnect/reset before headers. reset reason: remote "
            "connection failure, transport failure reason: delayed connect error: "
            "Connection refused",
            "refused",
            "Connection refused",
        ),
        (
            "dial tcp: lookup web.shop.svc.cluster.local on 10.96.0.10:53: no such host",
            "nxdomain",
            "no such host",
        ),
        ("** server can't find web.shop: NXDOMAIN", "nxdomain", "NXDOMAIN"),
        ("curl: (6) Could not resolve host: web.shop", "nxdomain", "Could not resolve host"),
        (
            "tls: failed to verify certificate: x509: certificate signed by unknown authority",
            "tls",
            "certificate",
        ),
        ("remote error: tls: handshake failure", "tls", "tls:"),
        (
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
            "Gateway</h1></center><hr><center>nginx</center></body></html>",
            "http-5xx",
            "Bad Gateway",
        ),
        ("HTTP/1.1 503 Service Unavailable", "http-5xx", "Service Unavailable"),
        ("<title>504 Gateway Time-out</title>", "http-5xx", "Gateway Time-out"),
        ("no healthy upstream", "http-5xx", "no healthy upstream"),
        ("something else went wrong on port 5020", "other", ""),
    ],
)
def test_error_class(text: str, expected: str, phrase: str) -> None:
    assert classify_error(text) == (expected, phrase)
    answer = derive(None, text).answers["error_class"]
    assert answer.value == expected
    assert (f'matched "{phrase}"' if phrase else "no known phrase") in answer.evidence


def test_kubectl_not_found_says_the_service_does_not_exist() -> None:
    text = 'Error from server (NotFound): services "checkout" not found'
    answers = derive({}, text).answers
    assert answers["service_exists"] == Answer(False, 'error: "services "checkout" not found"')
    assert answers["error_class"].value == "other"
    # A Service in the objects wins over the error text.
    assert derive(load("troubleshoot-pending.json"), text).answers["service_exists"].value


def test_no_error_text_no_error_class() -> None:
    assert "error_class" not in derive({}, None).answers
    assert "error_class" not in derive({}, "   ").answers


@pytest.mark.parametrize(
    ("kernel", "expected"),
    [
        ("6.1.109-118.189.amzn2023.x86_64", "6.1"),
        ("6.1.100+", "6.1"),
        ("5.15.0-1079-azure", "5.15"),
        ("4.18.0-553.el8_10.x86_64", "4.18"),
        ("6.10", "6.10"),
        ("v6.1", None),
        ("", None),
    ],
)
def test_kernel_major_minor(kernel: str, expected: str | None) -> None:
    assert kernel_major_minor(kernel) == expected


def test_oldest_kernel_compares_numerically() -> None:
    doc = load("kind-cilium.json")
    doc["items"][0]["status"]["nodeInfo"]["kernelVersion"] = "6.9.1"
    doc["items"][1]["status"]["nodeInfo"]["kernelVersion"] = "6.10.14-linuxkit"
    assert derive(doc).answers["kernel_version"].value == "6.9"
