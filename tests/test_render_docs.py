"""docs/integrations.md: its diagram is one the renderer writes, its calls are in the spec."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from support.api import bundled_catalog
from support.render_checks import parse_mermaid

from service.engine.evaluate import evaluate_tree, parse_text_answers
from service.render.mermaid import render_mermaid

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")


def test_the_diagram_shown_is_the_diagram_served() -> None:
    (block,) = re.findall(r"^```mermaid\n(.*?)^```$", DOC, flags=re.S | re.M)
    (url,) = re.findall(r"curl -s '[^']*/v1/trees/([a-z-]+)/diagram\?([^']*)'", DOC)
    tree_id, query = url
    tree = bundled_catalog().get(tree_id)
    answers = dict(pair.split("=", 1) for pair in query.split("&"))
    path_only = answers.pop("view", "full") == "path"
    result = evaluate_tree(tree, parse_text_answers(tree, answers))
    parse_mermaid(block)
    assert block == render_mermaid(tree, result, path_only=path_only), (
        "docs/integrations.md shows an outdated diagram; paste the output of "
        f"GET /v1/trees/{tree_id}/diagram?{query}"
    )


def test_every_call_in_the_doc_is_in_the_spec() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    routes = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in spec["paths"]]
    calls = set(re.findall(r"(/v1/[A-Za-z0-9_{}./-]*[A-Za-z0-9_}])", DOC))
    assert {"/v1/evaluations", "/v1/trees/cni/compare", "/v1/trees/{id}/diagram"} <= calls
    for call in calls:
        assert any(r.match(call) for r in routes), call
