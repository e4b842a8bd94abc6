"""Every check the loader and compiler make, each proven with a real broken tree file."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.engine import Catalog, TreeCheckError

BROKEN = Path(__file__).parent / "fixtures" / "broken"

# fixture directory -> (location named, words the message must contain)
EXPECTED = {
    "unknown-key": ("questions[0].typ", "did you mean 'type'"),
    "missing-title": ("title", "missing: this key is required"),
    "id-mismatch": ("id", "must match the directory name 'example'"),
    "version-mismatch": ("version", "must match the file name '1.0.0.yaml'"),
    "duplicate-question": ("questions[1] (external)", "declared twice"),
    "unknown-next": ("nodes.exposure.branches[1].next", "did you mean 'proto'"),
    "unknown-question": ("nodes.proto.question", "did you mean 'protocol'"),
    "unknown-recommendation": ("nodes.internal.recommend", "did you mean 'clusterip'"),
    "cycle": ("nodes.count", "cycle: exposure -> proto -> count -> exposure"),
    "unreachable": ("nodes.internal", "unreachable"),
    "boolean-unhandled": ("nodes.exposure", "no branch handles false"),
    "enum-unhandled": ("nodes.proto", "no branch handles tcp"),
    "enum-twice": ("nodes.proto.branches[1].when", "'http' is already handled"),
    "int-gap": ("nodes.count", "no branch covers 2"),
    "int-overlap": ("nodes.count", "branches overlap on 1"),
    "int-bad-form": ("nodes.count.branches[1].when", "cannot read 'two or more'"),
    "leaf-no-reasons": ("nodes.internal.reasons", "a leaf needs reasons"),
    "unknown-source": ("pricing.lb_month_low.source", "did you mean 'aws-elb-pricing'"),
    "unknown-placeholder": ("nodes.count.branches[1].reason", "did you mean 'services'"),
    "unknown-cost-factor": ("recommendations.loadbalancer.costs[0].low[1]", "'lb_month_lo'"),
    "cost-factor-unanswered": ("nodes.per-service", "give services a default"),
    "bad-default": ("questions[2] (protocol).default", "Did you mean 'http'"),
    "deprecated-without-reason": ("deprecation", "needs deprecation"),
    "bad-test-answer": ("answers.services", "below the minimum of 1"),
    "yaml-alias": ("line 7", "anchors (&name) are not allowed"),
    "yaml-tag": ("line 3", "tags"),
    "yaml-syntax": ("line 85", "not valid YAML"),
    "too-deep": ("line", "nesting deeper than 32 levels"),
    "wrong-file-name": ("", "tree files are named <version>.yaml"),
    "not-a-mapping": ("", "must be a mapping"),
    "duplicate-key": ("line 4", "duplicate key 'title' (first on line 3)"),
    "bad-date": ("as_of", "'2026-13-45' is not a date (month must be in 1..12)"),
    "huge-integer": ("line 38", "18446744073709551615 is over the limit"),
    "infinite-factor": ("line 65", ".inf is not a finite number"),
    "redos-pattern": ("questions[3].pattern", "question 'kernel' is refused"),
}


def test_every_fixture_is_expected() -> None:
    assert sorted(p.name for p in BROKEN.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_file_is_refused_with_a_precise_message(case: str) -> None:
    location, words = EXPECTED[case]
    with pytest.raises(TreeCheckError) as info:
        Catalog.load(BROKEN / case)
    problems = info.value.problems
    assert problems, "a refused load names at least one problem"
    matching = [p for p in problems if location in p.location and words in str(p)]
    assert matching, f"no problem at {location!r} saying {words!r}: {[str(p) for p in problems]}"
    # Every problem names the file it is in.
    assert all(p.file.startswith(f"{case}/example/1.0.0.y") for p in problems)
    assert "Traceback" not in str(info.value)


def test_all_problems_of_a_file_are_reported_together(tmp_path: Path) -> None:
    text = (BROKEN.parent.parent / "trees" / "example" / "1.0.0.yaml").read_text()
    text = text.replace("next: proto\n", "next: protoo\n").replace(
        "recommend: clusterip\n", "recommend: clusterlp\n"
    )
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / "1.0.0.yaml").write_text(text)
    with pytest.raises(TreeCheckError) as info:
        Catalog.load(tmp_path)
    said = str(info.value)
    assert "protoo" in said and "clusterlp" in said


def test_version_ranges_must_cover_every_version(tmp_path: Path) -> None:
    text = (BROKEN.parent.parent / "trees" / "example" / "1.0.0.yaml").read_text()
    # Route the internal leaf through a kernel check with a gap between 4.18 and 5.10.
    text = text.replace(
        "        reason: Only workloads inside the cluster call it.\n        next: internal\n",
        "        reason: Only workloads inside the cluster call it.\n        next: kernel-check\n",
    ).replace(
        "  internal:\n",
        "  kernel-check:\n    question: kernel\n    branches:\n"
        '      - when: "< 4.18"\n        reason: old\n        next: internal\n'
        '      - when: ">= 5.10"\n        reason: new\n        next: internal\n'
        "  internal:\n",
    )
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / "1.0.0.yaml").write_text(text)
    with pytest.raises(TreeCheckError) as info:
        Catalog.load(tmp_path)
    assert "no branch covers versions from 4.18 up to 5.10" in str(info.value)


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TreeCheckError, match="no tree files found"):
        Catalog.load(tmp_path)


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TreeCheckError, match="not a directory"):
        Catalog.load(tmp_path / "nowhere")


EXAMPLE = BROKEN.parent.parent / "trees" / "example" / "1.0.0.yaml"


def _tree_with(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / "1.0.0.yaml").write_text(text)
    return tmp_path


_PATTERN = (
    "    format: version              # a string compared as a version: 5.10 > 5.9\n"
    '    default: "6.1"\n'
)


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(a|a)*", r"([a-z]+)*x", r"(\w+\d*)+", r"(x+x+)+y", r"\d+\d+\d+!", r"(a)\1"],
)
def test_a_catastrophic_pattern_is_refused_naming_the_question(
    tmp_path: Path, pattern: str
) -> None:
    trees = _tree_with(tmp_path, (_PATTERN, f"    pattern: '{pattern}'\n    default: zz\n"))
    with pytest.raises(TreeCheckError) as info:
        Catalog.load(trees)
    assert "questions[3].pattern" in str(info.value)
    assert "question 'kernel' is refused" in str(info.value)


@pytest.mark.parametrize(
    ("pattern", "sample"),
    [
        (r"^[a-z0-9-]+$", "a-1"),
        (r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", "a.b-c"),
        (r"[0-9]{1,3}(\.[0-9]{1,3}){3}", "10.0.0.1"),
        (r"(?:[^,]+,)*[^,]+", "a,b"),
    ],
)
def test_ordinary_patterns_pass_and_answers_are_length_capped(
    tmp_path: Path, pattern: str, sample: str
) -> None:
    from service.engine import InvalidAnswers

    trees = _tree_with(tmp_path, (_PATTERN, f"    pattern: '{pattern}'\n    default: {sample}\n"))
    catalog = Catalog.load(trees)
    question = catalog.get("example").questions["kernel"]
    assert question.coerce(sample) == sample
    with pytest.raises(InvalidAnswers, match="longer than 200 characters"):
        catalog.evaluate("example", {"kernel": "1" * 201})
