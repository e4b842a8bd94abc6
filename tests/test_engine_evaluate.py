"""Evaluation: the walk, partial answers, defaults, costs, what-if and answer errors."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from service.engine import Catalog, InvalidAnswers, InvalidPricing
from service.engine.model import QuestionNode
from service.engine.templates import Template

TREES = Path(__file__).parent / "trees"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(TREES)


def test_complete_evaluation_matches_the_contract_shape(catalog: Catalog) -> None:
    body = catalog.evaluate("example", {"external": True, "services": 20}).to_dict()
    assert set(body) >= {
        "tree",
        "status",
        "recommendation",
        "justification",
        "alternatives",
        "costs",
        "warnings",
        "next_question",
        "missing",
        "what_if",
    }
    assert body["tree"]["id"] == "example" and body["tree"]["version"] == "1.0.0"
    assert len(body["tree"]["digest"]) == 64
    assert body["status"] == "complete"
    assert body["recommendation"]["id"] == "ingress"
    assert body["recommendation"]["reasons"] == ["One load balancer serves all 20 services."]
    assert body["next_question"] is None and body["missing"] == []


def test_justification_is_the_path_in_order_with_reasons_filled_in(catalog: Catalog) -> None:
    body = catalog.evaluate("example", {"external": True, "services": 20}).to_dict()
    steps = [(s["question"], s["answer"], s["defaulted"]) for s in body["justification"]]
    assert steps == [("external", True, False), ("protocol", "http", True), ("services", 20, False)]
    assert body["justification"][2]["reason"] == "20 services can share one load balancer."


def test_costs_and_alternative_costs_compare_one_lb_with_many(catalog: Catalog) -> None:
    body = catalog.evaluate("example", {"external": True, "services": 20}).to_dict()
    assert body["costs"]["currency"] == "USD" and body["costs"]["period"] == "month"
    assert body["costs"]["total"] == {"low": 16.43, "high": 30.0}
    (alt,) = body["alternatives"]
    assert alt["id"] == "loadbalancer"
    assert alt["costs"]["total"] == {"low": 328.6, "high": 600.0}
    assert alt["costs"]["items"][0]["basis"] == "20 load balancers at $16.43-30 a month each"
    assert alt["costs"]["items"][0]["source"].startswith("https://aws.amazon.com/")


def test_leaf_without_cost_model_has_null_costs(catalog: Catalog) -> None:
    assert catalog.evaluate("example", {"external": False}).to_dict()["costs"] is None


def test_partial_answers_ask_the_next_question(catalog: Catalog) -> None:
    body = catalog.evaluate("example", {}).to_dict()
    assert body["status"] == "needs_input"
    assert body["recommendation"] is None
    question = body["next_question"]
    assert question["id"] == "external" and question["type"] == "boolean"
    assert [o["id"] for o in question["options"]] == [True, False]
    # services, protocol and kernel have defaults, so only external is still needed.
    assert body["missing"] == ["external"]


def test_answers_off_the_path_are_ignored_but_still_checked(catalog: Catalog) -> None:
    body = catalog.evaluate("example", {"external": False, "services": 7}).to_dict()
    assert body["recommendation"]["id"] == "clusterip"
    assert [s["question"] for s in body["justification"]] == ["external"]
    with pytest.raises(InvalidAnswers):
        catalog.evaluate("example", {"external": False, "services": "seven"})


def test_branch_warnings_are_carried(catalog: Catalog) -> None:
    body = catalog.evaluate("example", {"external": True}).to_dict()
    assert [w["code"] for w in body["warnings"]] == ["SINGLE_SERVICE"]


def test_what_if_names_answers_that_change_the_recommendation(catalog: Catalog) -> None:
    body = catalog.evaluate("example", {"external": True, "services": 20}).to_dict()
    changes = {(w["question"], w["answer"]): w["recommendation"]["id"] for w in body["what_if"]}
    assert changes == {
        ("external", False): "clusterip",
        ("protocol", "tcp"): "loadbalancer",
        ("services", 1): "loadbalancer",
    }
    ranged = [w for w in body["what_if"] if "when" in w]
    assert [(w["question"], w["when"]) for w in ranged] == [("services", "1")]


def test_what_if_answers_can_be_posted_back(catalog: Catalog) -> None:
    answers: dict[str, object] = {"external": True, "services": 20}
    body = catalog.evaluate("example", answers).to_dict()
    for change in body["what_if"]:
        again = catalog.evaluate("example", {**answers, change["question"]: change["answer"]})
        assert again.recommendation_id == change["recommendation"]["id"]


@pytest.mark.parametrize(
    ("answers", "field", "words"),
    [
        ({"externl": True}, "externl", "Did you mean 'external'? Valid questions: external"),
        ({"external": "yes"}, "external", "expected true or false"),
        ({"external": True, "protocol": "udp"}, "protocol", "choose one of: http, tcp"),
        ({"external": True, "services": 0}, "services", "below the minimum of 1"),
        ({"external": True, "services": 10001}, "services", "above the maximum of 10000"),
        ({"external": True, "services": 2.5}, "services", "expected a whole number"),
        ({"external": True, "services": True}, "services", "expected a whole number"),
        ({"kernel": "five"}, "kernel", "not a version"),
        ({"kernel": "5." * 200}, "kernel", "longer than 200 characters"),
        ({"external": None}, "external", "got null"),
    ],
)
def test_bad_answers_raise_structured_errors(
    catalog: Catalog, answers: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InvalidAnswers) as info:
        catalog.evaluate("example", answers)
    error = info.value
    assert error.tree == "example" and error.version == "1.0.0"
    assert field in error.errors
    assert words in " ".join(error.errors[field])


def test_every_bad_answer_is_reported_at_once(catalog: Catalog) -> None:
    with pytest.raises(InvalidAnswers) as info:
        catalog.evaluate("example", {"external": 1, "services": -1, "nope": 1})
    assert set(info.value.errors) == {"external", "services", "nope"}


def test_pricing_override_changes_figures(catalog: Catalog) -> None:
    body = catalog.evaluate(
        "example", {"external": True, "services": 20}, pricing={"lb_month_low": 10}
    ).to_dict()
    assert body["costs"]["total"] == {"low": 10.0, "high": 30.0}
    assert body["alternatives"][0]["costs"]["total"]["low"] == 200.0
    assert "$10-30" in body["costs"]["items"][0]["basis"]


@pytest.mark.parametrize(
    ("pricing", "words"),
    [
        ({"lb_month_lo": 1}, "Did you mean 'lb_month_low'?"),
        ({"lb_month_low": -1}, "from 0 up to 1e12"),
        ({"lb_month_low": "cheap"}, "expected a number"),
        ({"lb_month_low": float("nan")}, "from 0 up to 1e12"),
        ({"lb_month_low": 1e300}, "from 0 up to 1e12"),
    ],
)
def test_bad_pricing_is_refused(catalog: Catalog, pricing: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidPricing) as info:
        catalog.evaluate("example", {"external": True}, pricing=pricing)
    assert words in " ".join(next(iter(info.value.errors.values())))


def test_evaluation_does_not_change_the_tree(catalog: Catalog) -> None:
    before = catalog.evaluate("example", {"external": True, "services": 20}).to_dict()
    before["recommendation"]["reasons"].append("mutated by a caller")
    before["costs"]["items"].clear()
    after = catalog.evaluate("example", {"external": True, "services": 20}).to_dict()
    assert after["recommendation"]["reasons"] == ["One load balancer serves all 20 services."]
    assert after["costs"]["items"]


def test_costs_name_the_defaults_they_assume(catalog: Catalog) -> None:
    assumed = catalog.evaluate("example", {"external": True}).to_dict()["costs"]["assumptions"]
    assert assumed == [{"question": "services", "value": 1, "defaulted": True}]
    given = catalog.evaluate("example", {"external": True, "services": 1}).to_dict()
    assert given["costs"]["assumptions"] == []


def _scribble(value: object) -> None:
    """Change every dict and list inside a response, as a careless caller might."""
    if isinstance(value, dict):
        for item in list(value.values()):
            _scribble(item)
        value["scribbled"] = True
    elif isinstance(value, list):
        for item in value:
            _scribble(item)
        value.append("scribbled")


def test_responses_share_nothing_a_caller_can_change() -> None:
    # Evaluation copies fragments prepared at load time; a caller changing its response
    # must not change the next one.
    bundled = Catalog.load(None)
    for tree_id in bundled.tree_ids:
        for tree in bundled.versions(tree_id):
            for case in tree.tests:
                first = bundled.evaluate(tree_id, case.answers, version=tree.version).to_dict()
                expected = copy.deepcopy(first)
                _scribble(first)
                again = bundled.evaluate(tree_id, case.answers, version=tree.version).to_dict()
                assert again == expected, (tree_id, tree.version, case.name)


def test_question_nodes_lead_to_the_tree_s_own_nodes() -> None:
    bundled = Catalog.load(None)
    for tree_id in bundled.tree_ids:
        for tree in bundled.versions(tree_id):
            for node in tree.nodes.values():
                if isinstance(node, QuestionNode):
                    for branch in node.branches:
                        assert branch.child is tree.nodes[branch.target]
                    for value, branch in node.lookup.items():
                        assert branch is node.branches[branch.index], value
                    for _, branch in (*node.int_ranges, *node.version_ranges):
                        assert branch is node.branches[branch.index]


def test_objects_kept_per_node_carry_no_instance_dict() -> None:
    # A tree holds one of these per node, branch or text: a __dict__ each would grow the
    # memory a loaded tree retains by a third.
    tree = Catalog.load(None).get("cni")
    root = tree.nodes[tree.root]
    assert isinstance(root, QuestionNode)
    leaf = next(n for n in tree.nodes.values() if not isinstance(n, QuestionNode))
    for obj in (root, root.branches[0], root.branches[0].reason, leaf, leaf.summary):
        assert not hasattr(obj, "__dict__"), type(obj).__name__


def test_templates_keep_the_text_around_their_names() -> None:
    named = Template.compile("{a} and {b}.")
    assert (named.head, named.pairs, named.names, named.text) == (
        "",
        (("a", " and "), ("b", ".")),
        ("a", "b"),
        "",
    )
    assert named.render({"a": 1, "b": True}) == "1 and yes."
    plain = Template.compile("No names.")
    assert (plain.head, plain.pairs, plain.names, plain.text) == ("No names.", (), (), "No names.")


def test_ask_all_offers_the_questions_that_have_defaults_in_path_order(catalog: Catalog) -> None:
    from service.engine.evaluate import evaluate_tree

    tree = catalog.get("example")
    body = evaluate_tree(tree, {"external": True}, ask_all=True).to_dict()
    assert body["status"] == "needs_input"
    assert body["next_question"]["id"] == "protocol"
    assert body["next_question"]["default"] == "http"
    assert body["missing"] == ["protocol"]
    body = evaluate_tree(tree, {"external": True, "protocol": "http"}, ask_all=True).to_dict()
    assert (body["next_question"]["id"], body["missing"]) == ("services", ["services"])
    answers = {"external": True, "protocol": "http", "services": 20}
    body = evaluate_tree(tree, answers, ask_all=True).to_dict()
    assert body["status"] == "complete" and body["recommendation"]["id"] == "ingress"
    assert not any(step["defaulted"] for step in body["justification"])
    # The default interview is unchanged: the defaults answer for the caller.
    assert catalog.evaluate("example", {"external": True}).status == "complete"


def test_missing_names_only_questions_every_path_from_here_asks(catalog: Catalog) -> None:
    from service.engine.evaluate import evaluate_tree

    tree = catalog.get("example")
    # From the root, `external` decides between a leaf and the protocol question, so
    # protocol (asked on one path only) is not "still needed" even when every question is.
    body = evaluate_tree(tree, {}, ask_all=True).to_dict()
    assert body["missing"] == ["external"]


def test_facts_fill_open_questions_and_explicit_answers_win(catalog: Catalog) -> None:
    from service.engine.evaluate import evaluate_tree

    tree = catalog.get("example")
    facts = {
        "external": (True, "Service/default/web: spec.type = LoadBalancer"),
        "services": (20, "20 LoadBalancer Services"),
        "protocol": ("sctp", "not an option here, so left out"),
        "unknown": (1, "a question this tree does not ask"),
    }
    body = evaluate_tree(tree, {"services": 3}, facts=facts).to_dict()
    steps = {s["question"]: s for s in body["justification"]}
    assert steps["external"]["from_facts"] is True
    assert steps["external"]["evidence"].startswith("Service/default/web")
    assert steps["services"]["answer"] == 3 and "from_facts" not in steps["services"]
    assert steps["protocol"]["defaulted"] is True and "from_facts" not in steps["protocol"]


def test_a_factor_can_count_what_is_above_a_tier(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load((TREES / "example" / "1.0.0.yaml").read_text(encoding="utf-8"))
    # "The first 5 together, then each": a block price plus (services - 5) extra ones.
    data["recommendations"]["loadbalancer"]["costs"] = [
        {
            "id": "block",
            "label": "First five",
            "low": [18.25],
            "high": [18.25],
            "basis": "The first 5 together",
            "source": "aws-elb-pricing",
        },
        {
            "id": "extra",
            "label": "Each further one",
            "low": ["services - 5", 7.3],
            "high": ["services - 5", 7.3],
            "basis": "{services} in all",
            "source": "aws-elb-pricing",
        },
    ]
    data["tests"] = [t for t in data["tests"] if "costs" not in t["expect"]]
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / "1.0.0.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    catalog = Catalog.load(tmp_path)
    three = catalog.evaluate("example", {"external": True, "protocol": "tcp", "services": 3})
    eight = catalog.evaluate("example", {"external": True, "protocol": "tcp", "services": 8})
    assert three.to_dict()["costs"]["total"]["low"] == 18.25
    assert eight.to_dict()["costs"]["total"]["low"] == round(18.25 + 3 * 7.3, 2)
    from service.engine import audit

    formulas = [c["low"] for c in audit(catalog.get("example"))["costs"]]
    assert "max(0, services - 5) x 7.30" in formulas
