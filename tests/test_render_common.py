"""What every renderer shares: money as people write it, and where an answer came from."""

from __future__ import annotations

from pathlib import Path

from support.answers import MESH_ON_AWS
from support.api import bundled_catalog

from service.engine import Catalog
from service.engine.evaluate import evaluate_tree
from service.engine.templates import format_value
from service.render.common import answer_origin
from service.render.markdown import render_markdown
from service.render.text import render_text

TREES = Path(__file__).parent / "trees"


def test_prices_read_as_money_with_cents_and_small_figures_keep_their_digits() -> None:
    assert format_value(14.2) == "14.20"
    assert format_value(16.43) == "16.43"
    assert format_value(30.0) == "30"
    assert format_value(0.0225) == "0.0225"
    assert format_value(0.6) == "0.6"


def test_text_and_markdown_say_which_answers_were_defaults_or_facts() -> None:
    tree = Catalog.load(TREES).get("example")
    facts = {"services": (20, "20 Services of type LoadBalancer")}
    body = evaluate_tree(tree, {"external": True}, facts=facts).to_dict()
    text = render_text(body)
    assert "protocol = http (default):" in text
    assert "services = 20 (from the cluster: 20 Services of type LoadBalancer):" in text
    assert "external = yes:" in text
    markdown = render_markdown(body)
    assert "(default)" in markdown and "(from the cluster: 20 Services" in markdown
    assert answer_origin({"defaulted": False}) == ""


def test_costs_name_the_assumed_prices_until_someone_sets_them() -> None:
    catalog = bundled_catalog()
    answers = dict(MESH_ON_AWS)
    body = catalog.evaluate("service-mesh", answers).to_dict()
    assumed = {a["price"]: a["value"] for a in body["costs"]["assumptions"] if "price" in a}
    assert "ztunnel_hops" in assumed
    tree = catalog.get("service-mesh")
    assert tree.pricing["ztunnel_hops"].description.startswith("Assumption")
    assert "assumes the price ztunnel_hops = 2" in render_text(body)
    assert "assumes the price ztunnel" in render_markdown(body)
    mine = catalog.evaluate("service-mesh", answers, pricing={"ztunnel_hops": 1.5}).to_dict()
    assert "ztunnel_hops" not in {a.get("price") for a in mine["costs"]["assumptions"]}
