"""The docs cannot drift: every console example in README.md and docs/ runs against a real
server (or the CLI) and prints what the page shows, ids and times masked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.docs_examples import Example, doc_files, examples, normalise, run
from support.server import Server, serve

pytestmark = pytest.mark.slow

EXAMPLES = [example for path in doc_files() for example in examples(path)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("docs")) as running:
        yield running


def test_the_docs_have_examples_to_run() -> None:
    files = {example.path.name for example in EXAMPLES}
    assert {"README.md", "api.md"} <= files
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_the_example_prints_what_the_page_shows(example: Example, server: Server) -> None:
    actual = normalise(run(example, server.port))
    assert actual == normalise(example.shown), (
        f"{example.name} shows other output than `{example.command}` prints now; "
        "run `python -m tests.support.docs_examples --update` and review the diff"
    )


def test_masks_hide_only_what_changes_from_run_to_run() -> None:
    assert normalise('{"decision_id":"' + "a" * 32 + '"}  ') == '{"decision_id":"<id>"}'
    assert normalise("digest 17a895316da2, 2026-11-29T23:10:29.123+00:00") == (
        "digest <digest>, <time>"
    )
    assert normalise("cni 3.0.0") == "cni 3.0.0"


def test_each_example_is_found_where_it_is_written(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("intro\n\n```console\n$ echo a \\\n  b\na b\n$ true\n```\n")
    (first, second) = examples(page)
    assert (first.line, first.command, first.shown) == (4, "echo a \\\n  b", "a b")
    assert (second.command, second.shown) == ("true", "")
