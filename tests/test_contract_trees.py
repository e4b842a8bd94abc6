"""The bundled trees keep the public contract: ids, question types, and always a decision."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

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
NEEDS_CURRENT_2X = ("cni", "ingress-controller", "service-mesh")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def all_versions() -> Iterator[tuple[str, str]]:
    catalog = Catalog.load()
    for tree_id in CONTRACT:
        for tree in catalog.versions(tree_id):
            yield tree_id, tree.version


def test_every_contract_tree_is_bundled(catalog: Catalog) -> None:
    assert set(CONTRACT) <= set(catalog.tree_ids)
    for tree_id in CONTRACT:
        assert "1.0.0" in [t.version for t in catalog.versions(tree_id)]


@pytest.mark.parametrize("tree_id", NEEDS_CURRENT_2X)
def test_changed_advice_has_a_current_2x_default_and_a_deprecated_1x(
    catalog: Catalog, tree_id: str
) -> None:
    default = catalog.get(tree_id)
    assert default.semver[0] >= 2 and default.status == "current"
    old = catalog.get(tree_id, "1.0.0")
    assert old.status == "deprecated"
    body = catalog.evaluate(tree_id, {}, version="1.0.0").to_dict()
    assert body["warnings"][0]["code"] == "TREE_VERSION_DEPRECATED"
    assert default.version in body["warnings"][0]["message"]


@pytest.mark.parametrize(("tree_id", "version"), list(all_versions()))
def test_contract_questions_keep_their_ids_and_types(
    catalog: Catalog, tree_id: str, version: str
) -> None:
    tree = catalog.get(tree_id, version)
    for qid, (kind, _values) in CONTRACT[tree_id].items():
        if qid == "kernel_version" and qid not in tree.questions:
            continue  # asked only where it matters; a version may not branch on it
        assert qid in tree.questions, f"{tree_id} {version} lacks contract question {qid}"
        assert tree.questions[qid].type == kind
    for qid, question in tree.questions.items():
        if qid not in CONTRACT[tree_id]:
            assert question.default is not None, f"extra question {qid} must be optional"


def _answer_sets(tree: Tree, tree_id: str) -> Iterator[dict[str, object]]:
    spec = {q: v for q, (_, v) in CONTRACT[tree_id].items() if q in tree.questions}
    for combo in itertools.product(*spec.values()):
        yield dict(zip(spec, combo, strict=True))


@pytest.mark.parametrize(("tree_id", "version"), list(all_versions()))
def test_contract_answers_alone_always_reach_a_recommendation(
    catalog: Catalog, tree_id: str, version: str
) -> None:
    tree = catalog.get(tree_id, version)
    contract_ids = RECOMMENDATIONS[tree_id]
    seen: set[str] = set()
    for answers in _answer_sets(tree, tree_id):
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
    if tree.semver[0] == 1 or tree_id in ("service-type", "network-troubleshooting"):
        missing = contract_ids - seen
        if tree_id == "ingress-controller" and tree.semver[0] >= 2:
            missing.discard("ingress-nginx")
        assert not missing, f"{tree_id} {version} never recommends {sorted(missing)}"


def test_weave_only_in_the_course_version(catalog: Catalog) -> None:
    assert "weave" in catalog.get("cni", "1.0.0").recommendations
    for tree in catalog.versions("cni"):
        if tree.semver[0] >= 2:
            assert "weave" not in tree.recommendations


@pytest.mark.parametrize(("tree_id", "version"), list(all_versions()))
def test_every_tree_is_dated_and_sourced(catalog: Catalog, tree_id: str, version: str) -> None:
    tree = catalog.get(tree_id, version)
    assert tree.as_of.isoformat() == "2026-11-27"
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
