"""The catalog: versions and defaults, deprecation, overlays, deployment prices."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.engine import Catalog, TreeCheckError, UnknownTree, UnknownVersion

HERE = Path(__file__).parent
VERSIONS = HERE / "fixtures" / "versions"
TREES = HERE / "trees"


def test_default_is_the_highest_current_version() -> None:
    catalog = Catalog.load(VERSIONS)
    assert [t.version for t in catalog.versions("example")] == ["1.0.0", "2.0.0"]
    assert catalog.get("example").version == "2.0.0"
    assert catalog.evaluate("example", {"external": False}).to_dict()["warnings"] == []


def test_a_pinned_deprecated_version_evaluates_and_warns() -> None:
    catalog = Catalog.load(VERSIONS)
    body = catalog.evaluate(
        "example", {"external": True, "services": 20}, version="1.0.0"
    ).to_dict()
    assert body["tree"]["version"] == "1.0.0" and body["tree"]["status"] == "deprecated"
    assert body["costs"]["total"]["low"] == 15.0  # the old version keeps its own figures
    (warning,) = body["warnings"]
    assert warning["code"] == "TREE_VERSION_DEPRECATED"
    assert "The current version is 2.0.0" in warning["message"]
    assert warning["source"] == "https://aws.amazon.com/elasticloadbalancing/pricing/"


def test_a_deprecated_version_warns_even_while_input_is_needed() -> None:
    body = Catalog.load(VERSIONS).evaluate("example", {}, version="1.0.0").to_dict()
    assert body["status"] == "needs_input"
    assert body["warnings"][0]["code"] == "TREE_VERSION_DEPRECATED"


def test_unknown_tree_and_version_say_what_exists() -> None:
    catalog = Catalog.load(VERSIONS)
    with pytest.raises(UnknownTree) as tree_error:
        catalog.get("exampel")
    assert tree_error.value.suggestion == "did you mean 'example'?"
    with pytest.raises(UnknownVersion) as version_error:
        catalog.get("example", "3.0.0")
    assert "versions: 1.0.0, 2.0.0" in str(version_error.value)


def test_an_overlay_adds_versions_and_replaces_same_version(tmp_path: Path) -> None:
    overlay = tmp_path / "ours"
    (overlay / "example").mkdir(parents=True)
    text = (VERSIONS / "example" / "2.0.0.yaml").read_text()
    (overlay / "example" / "2.0.0.yaml").write_text(text.replace("value: 16.43", "value: 12"))
    (overlay / "example" / "2.1.0.yaml").write_text(
        text.replace("version: 2.0.0", "version: 2.1.0").replace("value: 16.43", "value: 11")
    )
    catalog = Catalog.load(VERSIONS, overlays=[overlay])
    assert [t.version for t in catalog.versions("example")] == ["1.0.0", "2.0.0", "2.1.0"]
    assert catalog.get("example").version == "2.1.0"
    assert catalog.get("example", "2.0.0").prices["lb_month_low"] == 12
    deprecated = catalog.evaluate("example", {}, version="1.0.0").to_dict()
    assert "The current version is 2.1.0" in deprecated["warnings"][0]["message"]


def test_a_broken_overlay_stops_the_load(tmp_path: Path) -> None:
    shutil.copytree(HERE / "fixtures" / "broken" / "unknown-next", tmp_path / "ours")
    with pytest.raises(TreeCheckError, match="protoo"):
        Catalog.load(VERSIONS, overlays=[tmp_path / "ours"])


def test_pricing_file_overrides_defaults(tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("prices:\n  lb_month_low: 14\ntrees:\n  example:\n    lb_month_high: 20\n")
    catalog = Catalog.load(TREES, pricing_file=prices)
    body = catalog.evaluate("example", {"external": True, "services": 20}).to_dict()
    assert body["costs"]["total"] == {"low": 14.0, "high": 20.0}
    assert catalog.get("example").pricing["lb_month_low"].value == 14.0
    # A request still overrides the deployment's price.
    body = catalog.evaluate("example", {"external": True}, pricing={"lb_month_low": 1}).to_dict()
    assert body["costs"]["total"]["low"] == 1.0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("prices:\n  lb_month_lo: 14\n", "did you mean 'lb_month_low'?"),
        ("prices:\n  lb_month_low: -1\n", "expected a number >= 0"),
        ("trees:\n  exampel:\n    lb_month_low: 1\n", "did you mean 'example'?"),
        ("- 1\n", "expected a mapping"),
        ("prices: [\n", "cannot read the pricing file"),
    ],
)
def test_bad_pricing_file_stops_the_load(tmp_path: Path, text: str, words: str) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(text)
    with pytest.raises(TreeCheckError) as info:
        Catalog.load(TREES, pricing_file=prices)
    assert words in str(info.value)


def test_trees_are_immutable() -> None:
    tree = Catalog.load(TREES).get("example")
    with pytest.raises(AttributeError):
        tree.version = "9.9.9"  # type: ignore[misc]


def test_bundled_trees_load_by_default() -> None:
    catalog = Catalog.load()
    assert catalog.tree_ids, "the bundled trees ship with the package"


def test_compare_ignores_questions_a_version_does_not_ask(tmp_path: Path) -> None:
    from service.engine.catalog import compare_versions

    tree_dir = tmp_path / "example"
    tree_dir.mkdir()
    shutil.copy(VERSIONS / "example" / "1.0.0.yaml", tree_dir / "1.0.0.yaml")
    newer = (VERSIONS / "example" / "2.0.0.yaml").read_text()
    newer = newer.replace(
        "  - id: kernel\n",
        "  - id: zones\n    prompt: How many zones?\n    type: integer\n    min: 1\n"
        "    default: 2\n  - id: kernel\n",
    )
    (tree_dir / "2.0.0.yaml").write_text(newer)
    outcomes = compare_versions(Catalog.load(tmp_path), "example", {"external": True, "zones": 3})
    assert [o.tree.version for o in outcomes] == ["1.0.0", "2.0.0"]
    old, new = outcomes
    assert old.ignored == ("zones",) and old.error is None and old.result is not None
    assert new.ignored == () and new.result is not None
    assert old.result.recommendation_id == new.result.recommendation_id == "loadbalancer"


def test_compare_reports_answers_that_do_not_fit_one_version() -> None:
    from service.engine.catalog import compare_versions

    outcomes = compare_versions(Catalog.load(VERSIONS), "example", {"services": 0})
    assert all(o.error is not None and o.result is None for o in outcomes)
