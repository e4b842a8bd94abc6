"""The bundled trees keep the public contract: ids, question types, and always a decision."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from support.api import bundled_catalog

from service.engine import Catalog, Tree

# The contract questions of each tree (CONTRACT.md), as type and the answers to try.
BOOL = ("boolean", (True, False))
CONTRACT: dict[str, dict[str, tuple[str, tuple[object, ...]]]] = {
    "cni": {
        "network_policy": BOOL,
        "l7_visibility": BOOL,
        "encryption": BOOL,
        "kernel_version": ("string", ("3.10", "4.18", "5.4", "5.10", "6.1", "6.12")),
    },
    "service-type": {
        "consumers": ("enum", ("in-cluster", "external", "outside-dependency")),
        "environment": ("enum", ("development", "production")),
        "protocol": ("enum", ("http", "tcp", "udp")),
        "load_balancer_available": BOOL,
        "external_services": ("integer", (1, 2, 5, 19, 20, 50, 1000)),
    },
    "ingress-controller": {
        "platform": ("enum", ("aws", "gcp", "azure", "on-prem", "other")),
        "cloud_integration": BOOL,
        "builtin_acme": BOOL,
        "reload_sensitive": BOOL,
        "existing_ingress_nginx": BOOL,
    },
    "service-mesh": {
        "microservices": ("integer", (1, 19, 20, 49, 50, 500)),
        "mtls_required": BOOL,
        "advanced_traffic": BOOL,
        "observability_in_place": BOOL,
        "operations_capacity": BOOL,
        "priority": ("enum", ("simplicity", "features")),
        "pods": ("integer", (0, 200)),
    },
    "network-troubleshooting": {
        "symptom": (
            "enum",
            ("service-unreachable", "ingress-502", "tls-handshake-failure", "wrong-backend"),
        ),
        "pods_have_ips": BOOL,
        "service_exists": BOOL,
        "endpoints_present": BOOL,
        "dns_resolves": BOOL,
        "certificate_ready": BOOL,
        "dns_points_to_ingress": BOOL,
    },
}
RECOMMENDATIONS = {
    "cni": {"calico", "cilium", "flannel"},
    "service-type": {"clusterip", "nodeport", "loadbalancer", "externalname", "ingress"},
    "ingress-controller": {
        "ingress-nginx",
        "traefik",
        "aws-load-balancer-controller",
        "gke-ingress",
    },
    "service-mesh": {"no-mesh", "linkerd", "istio"},
    "network-troubleshooting": {
        "cni-failure",
        "service-missing",
        "pods-not-ready",
        "dns-failure",
        "network-policy-or-cni",
        "backend-unreachable-from-ingress",
        "certificate-not-issued",
        "acme-challenge-dns",
        "ingress-rule-mismatch",
    },
}
PLATFORM = ("enum", ("aws", "gcp", "azure", "on-prem", "other"))
# CONTRACT.md "Version 3 of the advice": what the new major versions add.
CONTRACT_V3: dict[str, dict[str, tuple[str, tuple[object, ...]]]] = {
    "cni": {
        "platform": PLATFORM,
        "current_cni": (
            "enum",
            (
                "none",
                "aws-vpc-cni",
                "azure-cni",
                "azure-cni-cilium",
                "gke-dataplane-v2",
                "flannel",
                "calico",
                "cilium",
                "weave",
                "other",
            ),
        ),
    },
    "service-type": {"platform": PLATFORM},
    "ingress-controller": {},
    "service-mesh": {"platform": PLATFORM},
    "network-troubleshooting": {
        "symptom": (
            "enum",
            (
                "service-unreachable",
                "ingress-502",
                "tls-handshake-failure",
                "wrong-backend",
                "gateway-404",
                "lb-pending",
                "ingress-504",
                "intermittent-timeouts",
                "connection-reset",
            ),
        ),
        "pods_scheduled": BOOL,
    },
}
# Questions the version-3 contract adds with a default (optional, but fixed ids and options).
OPTIONAL_V3 = {
    "cni": {"windows_nodes": "boolean", "ip_family": "enum"},
    "service-type": {"exposure": "enum"},
    "ingress-controller": {"exposure": "enum", "waf_required": "boolean"},
    "service-mesh": {"mesh_rps": "integer"},
    "network-troubleshooting": {"error_class": "enum"},
}
RECOMMENDATIONS_V3 = {
    "cni": {"aws-vpc-cni", "azure-cni-cilium", "gke-dataplane-v2", "upgrade-node-os"},
    "service-type": {"bare-metal-lb"},
    "ingress-controller": {"azure-application-gateway-for-containers", "aks-app-routing"},
    "service-mesh": {"managed-istio", "istio-ambient", "cilium-mesh"},
    "network-troubleshooting": {
        "pods-pending",
        "lb-controller-missing",
        "route-not-attached",
        "conntrack-or-snat-exhaustion",
        "mtu-mismatch",
        "mtls-strict-rejects",
        "idle-timeout-mismatch",
        "rollout-endpoint-lag",
    },
}
# The version each tree's version-3 contract starts at.
V3 = {
    "cni": 3,
    "service-type": 3,
    "ingress-controller": 3,
    "service-mesh": 3,
    "network-troubleshooting": 2,
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return bundled_catalog()


def all_versions() -> Iterator[tuple[str, str]]:
    catalog = bundled_catalog()
    for tree_id in CONTRACT:
        for tree in catalog.versions(tree_id):
            yield tree_id, tree.version


def test_every_contract_tree_is_bundled(catalog: Catalog) -> None:
    assert set(CONTRACT) <= set(catalog.tree_ids)
    for tree_id in CONTRACT:
        assert "1.0.0" in [t.version for t in catalog.versions(tree_id)]


def _is_v3(tree: Tree) -> bool:
    return tree.semver[0] >= V3[tree.id]


def _contract(tree: Tree) -> dict[str, tuple[str, tuple[object, ...]]]:
    """The contract questions this version must keep, with the answers to try."""
    questions = dict(CONTRACT[tree.id])
    if _is_v3(tree):
        questions.update(CONTRACT_V3[tree.id])
    return questions


@pytest.mark.parametrize("tree_id", list(CONTRACT))
def test_version_3_is_the_default_and_every_older_version_says_so(
    catalog: Catalog, tree_id: str
) -> None:
    default = catalog.get(tree_id)
    assert _is_v3(default) and default.status == "current"
    for tree in catalog.versions(tree_id):
        if tree is default:
            continue
        assert tree.status == "deprecated", f"{tree_id} {tree.version}"
        body = catalog.evaluate(tree_id, {}, version=tree.version).to_dict()
        assert body["warnings"][0]["code"] == "TREE_VERSION_DEPRECATED"
        assert default.version in body["warnings"][0]["message"]


@pytest.mark.parametrize(("tree_id", "version"), list(all_versions()))
def test_contract_questions_keep_their_ids_and_types(
    catalog: Catalog, tree_id: str, version: str
) -> None:
    tree = catalog.get(tree_id, version)
    contract = _contract(tree)
    for qid, (kind, values) in contract.items():
        if qid == "kernel_version" and qid not in tree.questions:
            continue  # asked only where it matters; a version may not branch on it
        assert qid in tree.questions, f"{tree_id} {version} lacks contract question {qid}"
        question = tree.questions[qid]
        assert question.type == kind
        if kind == "enum" and _is_v3(tree):
            assert set(question.option_ids) >= set(values), f"{tree_id} {version} {qid}"
    if _is_v3(tree):
        for qid, kind in OPTIONAL_V3[tree_id].items():
            assert qid in tree.questions, f"{tree_id} {version} lacks {qid}"
            assert tree.questions[qid].type == kind
            assert tree.questions[qid].default is not None, f"{qid} must have a default"
    for qid, question in tree.questions.items():
        if qid not in contract:
            assert question.default is not None, f"extra question {qid} must be optional"


def _answer_sets(tree: Tree) -> Iterator[dict[str, object]]:
    spec = {q: v for q, (_, v) in _contract(tree).items() if q in tree.questions}
    for combo in itertools.product(*spec.values()):
        yield dict(zip(spec, combo, strict=True))


@pytest.mark.parametrize(("tree_id", "version"), list(all_versions()))
def test_contract_answers_alone_always_reach_a_recommendation(
    catalog: Catalog, tree_id: str, version: str
) -> None:
    tree = catalog.get(tree_id, version)
    contract_ids = set(RECOMMENDATIONS[tree_id])
    if _is_v3(tree):
        contract_ids |= RECOMMENDATIONS_V3[tree_id]
        contract_ids.discard("weave")
    seen: set[str] = set()
    for answers in _answer_sets(tree):
        result = catalog.evaluate(tree_id, answers, version=version)
        assert result.status == "complete", f"{tree_id} {version} stops on {answers}"
        rec = result.recommendation_id
        assert rec is not None
        seen.add(rec)
        # The contract allows added recommendations, so only retired advice is refused here.
        if tree_id == "ingress-controller" and tree.status == "current":
            assert not (rec == "ingress-nginx" and not answers["existing_ingress_nginx"]), (
                "a retired controller must never be recommended for a new install"
            )
        if tree_id == "cni" and _is_v3(tree) and answers["platform"] in ("aws", "gcp", "azure"):
            assert rec != "flannel", f"Flannel on a managed cloud: {answers}"
    if tree.semver[0] == 1 or tree_id in ("service-type", "network-troubleshooting"):
        missing = contract_ids - seen
        if tree_id == "ingress-controller" and tree.semver[0] >= 2:
            missing.discard("ingress-nginx")
        # Some diagnoses hang on optional questions (MTU, mTLS); their own cases reach them.
        missing -= {c.expect.get("recommendation") for c in tree.tests}
        assert not missing, f"{tree_id} {version} never recommends {sorted(missing)}"
    if _is_v3(tree):
        reached = seen | {c.expect.get("recommendation") for c in tree.tests}
        unreached = (contract_ids - {"ingress-nginx", "gke-ingress"}) - reached
        assert not unreached, f"{tree_id} {version} never recommends {sorted(unreached)}"


def test_weave_only_in_the_course_version(catalog: Catalog) -> None:
    assert "weave" in catalog.get("cni", "1.0.0").recommendations
    for tree in catalog.versions("cni"):
        if tree.semver[0] >= 2:
            assert "weave" not in tree.recommendations


@pytest.mark.parametrize(("tree_id", "version"), list(all_versions()))
def test_every_tree_is_dated_and_sourced(catalog: Catalog, tree_id: str, version: str) -> None:
    tree = catalog.get(tree_id, version)
    # The day its facts were last checked: this round's trees were checked on 2026-11-27
    # (versions 1 and 2) and 2026-11-29 (version 3).
    assert tree.as_of.isoformat() in ("2026-11-27", "2026-11-29")
    assert all(s.url.startswith("https://") for s in tree.sources.values())
    for rec in tree.recommendations.values():
        assert rec.sources, f"{tree_id} {version}: {rec.id} cites no source"


@pytest.mark.parametrize(("tree_id", "version"), list(all_versions()))
def test_what_if_answers_lead_where_they_say(catalog: Catalog, tree_id: str, version: str) -> None:
    tree = catalog.get(tree_id, version)
    checked = 0
    for case in tree.tests:
        answers = dict(case.answers)
        result = catalog.evaluate(tree_id, answers, version=version)
        for change in result.what_if():
            again = catalog.evaluate(
                tree_id, {**answers, change["question"]: change["answer"]}, version=version
            )
            assert again.recommendation_id == change["recommendation"]["id"], (case.name, change)
            checked += 1
    assert checked, f"{tree_id} {version}: no case has a what-if to check"
