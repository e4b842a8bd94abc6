"""The YAML loader refuses hostile input quickly and safely."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from service.engine import Catalog, TreeCheckError
from service.engine.loader import MAX_FILE_BYTES, YamlRefused, parse_yaml, read_tree_file


@pytest.fixture(autouse=True, params=["libyaml", "pure-python"])
def yaml_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every refusal holds with libyaml's fast path and with the pure-Python loader."""
    import yaml

    if request.param == "pure-python":
        monkeypatch.setattr(yaml, "__with_libyaml__", False)
    elif not yaml.__with_libyaml__:
        pytest.fail("PyYAML was built without libyaml; reinstall pyyaml from a wheel")
    return str(request.param)


def test_plain_yaml_parses() -> None:
    assert parse_yaml("a: 1\nb: [x, y]\n") == {"a": 1, "b": ["x", "y"]}


def test_billion_laughs_is_refused_at_the_first_anchor() -> None:
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    bomb += "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}" + f",*{chr(97 + i)}" * 8 + "]\n"
        for i in range(8)
    )
    started = time.perf_counter()
    with pytest.raises(YamlRefused, match="anchors"):
        parse_yaml(bomb)
    assert time.perf_counter() - started < 5  # generous: it must not expand anything


@pytest.mark.parametrize(
    "text",
    ["a: !!python/object/apply:os.system ['true']", "a: !custom 1", "a: !!str 1", "!!map {a: 1}"],
)
def test_explicit_tags_are_refused(text: str) -> None:
    with pytest.raises(YamlRefused, match="tags"):
        parse_yaml(text)


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(YamlRefused, match="nesting deeper than 32"):
        parse_yaml("a: " + "[" * 200 + "]" * 200)


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(YamlRefused, match="limit"):
        read_tree_file(path)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / "1.0.0.yaml").write_bytes(b"id: \xff\xfe\n")
    with pytest.raises(TreeCheckError, match="not UTF-8"):
        Catalog.load(tmp_path)


def test_digest_is_the_sha256_of_the_file(tmp_path: Path) -> None:
    import hashlib

    source = Path(__file__).parent / "trees" / "example" / "1.0.0.yaml"
    raw = read_tree_file(source)
    assert raw.digest == hashlib.sha256(source.read_bytes()).hexdigest()
