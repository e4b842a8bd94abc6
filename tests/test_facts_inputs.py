"""Cluster facts from bad input: fewer facts, never an error; the fixtures are real objects."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.answers import options

from service.facts import derive

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "kubectl"
NAMES = sorted(path.name for path in FIXTURES.glob("*.json"))
KUBERNETES_VERSION = "1.37.0"
# Facts that count or compare over objects: losing a field may change them, not just drop them.
AGGREGATES = frozenset({"kernel_version", "zones", "nodes"})
# Fields without which an object is not read at all, as if it were not in the output.
IDENTITY = frozenset({"kind", "metadata", "name", "namespace"})
ENUMS = {
    # The trees' own options: a derived answer must be one the trees accept.
    "platform": options("cni", "platform"),
    "current_cni": options("cni", "current_cni"),
    "ip_family": {"ipv4", "ipv6", "dual-stack"},
    "existing_dataplane": {"none", "cilium", "istio"},
    "current_mesh": {"none", "istio", "istio-ambient", "linkerd", "cilium", "app-mesh", "other"},
    "error_class": {"timeout", "refused", "reset", "nxdomain", "tls", "http-5xx", "other"},
}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


DOCS = {name: load(name) for name in NAMES}
FULL = {name: derive(doc).values() for name, doc in DOCS.items()}


def items(doc: Any) -> list[dict[str, Any]]:
    return list(doc["items"]) if "items" in doc else [doc]


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_object_is_valid_kubernetes(name: str) -> None:
    import kubernetes_validate

    for obj in items(DOCS[name]):
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = f"{obj['kind']}/{obj['metadata']['name']}"
            pytest.fail(f"{name}: {where}: {exc.message} at {list(exc.path)}")


@pytest.mark.parametrize("name", NAMES)
def test_fixtures_are_shaped_like_kubectl_output(name: str) -> None:
    doc = DOCS[name]
    if "items" in doc:
        assert doc["kind"] == "List" and doc["apiVersion"] == "v1"
        assert doc["metadata"] == {"resourceVersion": ""}
    for obj in items(doc):
        assert "managedFields" not in obj["metadata"]  # kubectl hides them by default
        assert {"uid", "resourceVersion", "creationTimestamp"} <= set(obj["metadata"])


def test_eks_nodes_have_no_pod_cidr_and_slices_print_null_endpoints() -> None:
    assert all("podCIDR" not in o["spec"] for o in items(DOCS["eks.json"]) if o["kind"] == "Node")
    (piece,) = [o for o in items(DOCS["troubleshoot-pending.json"]) if o["kind"] == "EndpointSlice"]
    assert "endpoints" in piece and piece["endpoints"] is None


@pytest.mark.parametrize(
    "objects",
    [
        None,
        0,
        1.5,
        True,
        "",
        "nodes",
        [],
        {},
        [None, 1, "x", [], {}],
        {"items": None},
        {"items": "x"},
        {"items": [None, 3, "node", []]},
        {"kind": "List", "items": [{"kind": "Node"}]},
        {"kind": "Node", "metadata": None},
        {"kind": "Node", "metadata": {"name": 7}},
        {"kind": 5, "metadata": {"name": "n"}},
        {"kind": "Node", "metadata": {"name": "n", "labels": None}, "spec": None, "status": None},
        {
            "kind": "Node",
            "metadata": {"name": "n", "labels": [], "annotations": "x"},
            "spec": {"providerID": 7, "podCIDRs": "10.0.0.0/24"},
            "status": {"nodeInfo": [], "addresses": {"type": "InternalIP"}},
        },
        {
            "kind": "Node",
            "metadata": {"name": "n"},
            "status": {
                "nodeInfo": {"operatingSystem": "linux", "kernelVersion": None},
                "addresses": [None, {"type": 1}],
            },
        },
        {
            "kind": "DaemonSet",
            "metadata": {"name": "aws-node", "namespace": None},
            "spec": {"template": {"spec": {"containers": [None, {"image": None}]}}},
        },
        {
            "kind": "DaemonSet",
            "metadata": {"name": "cilium", "namespace": "kube-system"},
            "spec": {"template": {"spec": {"containers": "quay.io/cilium/cilium"}}},
        },
        {"kind": "IngressClass", "metadata": {"name": "x"}, "spec": None},
        {"kind": "EndpointSlice", "metadata": {"name": "s", "labels": None}, "endpoints": "x"},
        {
            "kind": "EndpointSlice",
            "metadata": {"name": "s"},
            "endpoints": [None, {"conditions": 1}],
        },
        {"kind": "Service", "metadata": {"name": "s"}, "spec": {"selector": "app=web"}},
        {
            "kind": "Pod",
            "metadata": {"name": "p"},
            "status": {"conditions": [None, {"type": None}]},
        },
        {"kind": "List", "items": [[[[[[{"kind": "Node", "metadata": {"name": "deep"}}]]]]]]},
    ],
)
def test_malformed_input_is_skipped(objects: object) -> None:
    facts = derive(objects)
    for qid, answer in facts.to_dict()["answers"].items():
        assert isinstance(answer["evidence"], str), qid
    assert "platform" not in facts.answers
    json.dumps(facts.to_dict())


def test_a_readable_fact_survives_junk_beside_it() -> None:
    node = items(DOCS["eks.json"])[0]
    facts = derive({"kind": "List", "items": [None, "junk", {"kind": "Node"}, node, 42]})
    assert facts.answers["platform"].value == "aws"
    assert facts.answers["kernel_version"].value == "6.1"


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every dictionary key in the object, as a path of keys and list indexes."""
    found = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            found.append((*prefix, key))
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            found.extend(paths(value, (*prefix, index)))
    return found


PATHS = {name: paths(doc) for name, doc in DOCS.items()}


def apply(doc: Any, path: tuple[Any, ...], replacement: object = ...) -> bool:
    """Delete the key at path, or put the replacement there; False when it is gone already."""
    parent = doc
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(parent, dict) or path[-1] not in parent:
        return False
    if replacement is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return True


def check_answers(facts: dict[str, object]) -> None:
    for qid, value in facts.items():
        assert isinstance(value, str | int | bool), qid
        if qid in ENUMS:
            assert value in ENUMS[qid], (qid, value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(NAMES))
def test_a_missing_field_yields_fewer_facts_never_others(data: st.DataObject, name: str) -> None:
    path = data.draw(st.sampled_from(PATHS[name]), label="path")
    doc = copy.deepcopy(DOCS[name])
    assert apply(doc, path)
    got = derive(doc).values()
    full = FULL[name]
    check_answers(got)
    assert set(got) <= set(full), f"{path} added {set(got) - set(full)}"
    if path[-1] in IDENTITY:
        return  # the object itself is gone: as if kubectl had not printed it
    changed = {q: (full[q], got[q]) for q in got if q not in AGGREGATES and got[q] != full[q]}
    assert not changed, f"{path} changed {changed}"


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=8),
    st.just([]),
    st.just({}),
    st.lists(st.none(), max_size=2),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(NAMES), error=st.none() | st.text(max_size=40))
def test_any_damage_never_raises(data: st.DataObject, name: str, error: str | None) -> None:
    doc = copy.deepcopy(DOCS[name])
    for path in data.draw(st.lists(st.sampled_from(PATHS[name]), max_size=12), label="paths"):
        apply(doc, path, data.draw(st.just(...) | JUNK, label="replacement"))
    facts = derive(doc, error)
    check_answers(facts.values())
    json.dumps(facts.to_dict())
