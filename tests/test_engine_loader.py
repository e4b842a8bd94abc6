"""The YAML loader refuses hostile input quickly and safely."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from service.engine import Catalog, TreeCheckError
from service.engine.loader import (
    MAX_FILE_BYTES,
    MAX_NUMBER,
    YamlRefused,
    parse_yaml,
    read_tree_file,
    read_yaml_file,
)


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


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first on line 1)"),
        ("a:\n  b: 1\n  b: 1\n", 3, "duplicate key 'b'"),
        ("<<: {a: 1}\n", 1, "merge keys"),
        ("price: .nan\n", 1, ".nan is not a finite number"),
        ("price: -.inf\n", 1, "-.inf is not a finite number"),
        ("price: 1.0e+400\n", 1, "not a finite number"),
        ("n: 18446744073709551615\n", 1, "over the limit"),
        ("n: " + "9" * 5000 + "\n", 1, "(5000 characters) is over the limit"),
        ("n: 1000000001\n", 1, "within +-1,000,000,000"),
        ("n: -2.5e+9\n", 1, "over the limit"),
    ],
)
def test_duplicate_keys_non_finite_and_huge_numbers_are_refused_with_the_line(
    text: str, line: int, words: str
) -> None:
    with pytest.raises(YamlRefused) as info:
        parse_yaml(text)
    assert words in info.value.message
    assert info.value.line == line


def test_numbers_within_the_limit_and_real_dates_load() -> None:
    import datetime as dt

    data = parse_yaml("n: 1000000000\nf: 16.43\nd: 2026-11-27\nbad: 2026-13-45\n")
    # A date that does not exist stays text, so the schema can name the key it is under.
    assert data == {"n": MAX_NUMBER, "f": 16.43, "d": dt.date(2026, 11, 27), "bad": "2026-13-45"}


def test_an_oversized_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB that costs nothing to make
    started = time.perf_counter()
    with pytest.raises(YamlRefused, match="the limit is 524288 bytes"):
        read_yaml_file(path)
    assert time.perf_counter() - started < 0.5


def test_a_fifo_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    import os

    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    with pytest.raises(YamlRefused, match="not a regular file"):
        read_yaml_file(path)
