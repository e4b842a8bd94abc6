"""Facts in an evaluation, as properties: an explicit answer always wins over a fact, and
evidence with fields missing gives fewer derived answers, never an error."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from support.api import bundled_catalog

from service.engine.evaluate import evaluate_tree
from service.facts import derive

FIXTURES = Path(__file__).parent / "fixtures" / "kubectl"
CATALOG = bundled_catalog()
CLUSTERS = {
    name: json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    for name in ("eks", "gke", "aks", "kind-cilium", "k3s-flannel", "windows-calico")
}
TREES = ("cni", "service-type", "ingress-controller", "service-mesh")


def _facts(objects: Any) -> dict[str, tuple[object, str]]:
    return {q: (a.value, a.evidence) for q, a in derive(objects).answers.items()}


@st.composite
def explicit_answers(draw: st.DrawFn, tree_id: str) -> dict[str, object]:
    """Valid explicit answers to some of a tree's questions."""
    tree = CATALOG.get(tree_id)
    answers: dict[str, object] = {}
    for question in tree.questions.values():
        if not draw(st.booleans()):
            continue
        data = question.to_dict()
        if data["options"]:
            answers[question.id] = draw(st.sampled_from([o["id"] for o in data["options"]]))
        elif data["type"] == "integer":
            answers[question.id] = draw(
                st.integers(min_value=data.get("min", 0), max_value=data.get("max", 1000))
            )
        elif data.get("format") == "version":
            answers[question.id] = draw(st.sampled_from(["4.19", "5.10", "6.1"]))
    return answers


@settings(max_examples=150, deadline=None)
@given(
    tree_id=st.sampled_from(TREES),
    cluster=st.sampled_from(sorted(CLUSTERS)),
    data=st.data(),
)
def test_an_explicit_answer_is_never_overridden_by_a_fact(
    tree_id: str, cluster: str, data: st.DataObject
) -> None:
    answers = data.draw(explicit_answers(tree_id))
    result = evaluate_tree(CATALOG.get(tree_id), answers, facts=_facts(CLUSTERS[cluster]))
    for qid, value in answers.items():
        assert result.given[qid] == value
    for step in result.to_dict()["justification"]:
        if step["question"] in answers:
            assert "from_facts" not in step


def _drop(obj: Any, path: list[int | str]) -> None:
    for key in path[:-1]:
        obj = obj[key]
    del obj[path[-1]]


def _paths(obj: Any, prefix: list[int | str]) -> list[list[int | str]]:
    out: list[list[int | str]] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.append([*prefix, key])
            out += _paths(value, [*prefix, key])
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out += _paths(value, [*prefix, i])
    return out


@settings(max_examples=200, deadline=None)
@given(cluster=st.sampled_from(sorted(CLUSTERS)), data=st.data())
def test_evidence_with_a_field_missing_still_evaluates(cluster: str, data: st.DataObject) -> None:
    objects = copy.deepcopy(CLUSTERS[cluster])
    paths = [p for p in _paths(objects, []) if isinstance(p[-1], str)]
    _drop(objects, data.draw(st.sampled_from(paths)))
    facts = _facts(objects)
    for tree_id in TREES:
        body = evaluate_tree(CATALOG.get(tree_id), {}, facts=facts).to_dict()
        assert body["status"] in ("complete", "needs_input")
