"""`netadvisor ask`: typed answers, re-asking on bad input, clean exits, every tree to the end."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from support.api import bundled_catalog

from service.ask import CANCELLED, ask, read_answer
from service.engine import Catalog

TEST_TREES = Path(__file__).parent / "trees"


@pytest.fixture(scope="module")
def example() -> Catalog:
    return Catalog.load(TEST_TREES)


def typist(lines: Iterable[str | BaseException]) -> tuple[list[str], object]:
    """A stand-in for input(): returns the lines in turn, raising any exception given."""
    prompts: list[str] = []
    pending: Iterator[str | BaseException] = iter(lines)

    def read(prompt: str) -> str:
        prompts.append(prompt)
        item = next(pending, EOFError())
        if isinstance(item, BaseException):
            raise item
        return item

    return prompts, read


def run(
    catalog: Catalog, tree: str, lines: Iterable[str | BaseException], version: str | None = None
) -> tuple[int, str, str, int]:
    prompts, read = typist(lines)
    out, err = io.StringIO(), io.StringIO()
    code = ask(catalog, tree, version, read=read, out=out, err=err)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue(), len(prompts)


def test_asks_each_question_and_prints_the_recommendation(example: Catalog) -> None:
    code, out, err, asked = run(example, "example", ["1", "", "20"])
    assert (code, err, asked) == (0, "", 3)
    assert "Must clients outside the cluster reach the service?" in out
    assert "  1. Yes\n  2. No\n" in out
    assert "  1. HTTP or HTTPS\n  2. Other TCP\n  Press Enter for the default: HTTP or HTTPS" in out
    assert "(a whole number from 1 to 10000)" in out
    assert "Recommendation: One shared Ingress [ingress]" in out
    assert "20 services can share one load balancer." in out


def test_options_by_number_id_or_label(example: Catalog) -> None:
    for typed in (["2"], ["no"], ["No"], ["false"], ["N"]):
        code, out, _, _ = run(example, "example", typed)
        assert code == 0 and "Recommendation: ClusterIP Service" in out
    code, out, _, asked = run(example, "example", ["yes", "Other TCP"])
    assert "Recommendation: One LoadBalancer Service each" in out
    assert asked == 2  # TCP decides it: the number of services is not on this path


def test_bad_answers_are_asked_again(example: Catalog) -> None:
    code, out, err, asked = run(
        example, "example", ["", "maybe", "7", "1", "tcpx", "1", "0", "10001", "many", "4"]
    )
    assert (code, err) == (0, "")
    assert asked == 10
    assert out.count("choose a number from 1 to 2; try again") == 3
    assert "type an answer; try again" in out
    assert "0 is below the minimum of 1; try again" in out
    assert "10001 is above the maximum of 10000; try again" in out
    assert "expected a whole number from 1 to 10000; try again" in out
    assert "4 services can share one load balancer." in out


def test_end_of_input_and_ctrl_c_stop_cleanly(example: Catalog) -> None:
    code, out, err, _ = run(example, "example", ["1"])
    assert code == 1
    assert err == "\nnetadvisor: no answer to protocol; stopped\n"
    assert "Recommendation" not in out
    code, _, err, _ = run(example, "example", [KeyboardInterrupt()])
    assert (code, err) == (CANCELLED, "\nnetadvisor: stopped\n")


def test_version_answers() -> None:
    question = bundled_catalog().get("cni").questions["kernel_version"]
    assert question.is_version
    assert read_answer(question, " 5.10 ") == "5.10"
    with pytest.raises(ValueError, match="not a version"):
        read_answer(question, "five")


BUNDLED = bundled_catalog()


@pytest.mark.parametrize(
    "tree",
    [t for tid in BUNDLED.tree_ids for t in BUNDLED.versions(tid)],
    ids=lambda t: f"{t.id}-{t.version}",
)
@pytest.mark.parametrize("choice", ["first", "last"])
def test_every_tree_can_be_answered_to_the_end(tree: object, choice: str) -> None:
    """Always the first (or last) option, the minimum or a version: a recommendation follows."""
    from service.engine import Tree

    assert isinstance(tree, Tree)
    answers_typed: list[str] = []
    out = io.StringIO()

    def smart(prompt: str) -> str:
        # Answer the last question shown: an option, a version or a number.
        shown = out.getvalue().rsplit("\n\n", 1)[-1]
        options = [ln for ln in shown.splitlines() if ln.startswith("  ") and ". " in ln[:6]]
        if options:
            answer = "1" if choice == "first" else str(len(options))
        elif "MAJOR.MINOR" in shown:
            answer = "4.19" if choice == "first" else "6.8"
        else:
            bounds = re.search(r"from (\d+) to (\d+)|at least (\d+)", shown)
            assert bounds, shown
            low = bounds.group(1) or bounds.group(3)
            answer = low if choice == "first" else (bounds.group(2) or "5000")
        if len(answers_typed) > 100:  # re-asked again and again: fail instead of looping
            raise EOFError
        answers_typed.append(answer)
        return answer

    code = ask(BUNDLED, tree.id, tree.version, read=smart, out=out, err=io.StringIO())
    assert code == 0, out.getvalue()
    assert "Recommendation:" in out.getvalue()
    assert answers_typed


def test_the_command_reads_stdin() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "service.cli", "ask", "example", "--trees", str(TEST_TREES)],
        input="2\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Recommendation: ClusterIP Service [clusterip]" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "service.cli", "ask", "example", "--trees", str(TEST_TREES)],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == "netadvisor: no answer to external; stopped"
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "service.cli", "ask", "nosuch", "--trees", str(TEST_TREES)],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and "no decision tree 'nosuch'" in proc.stderr


def test_evaluate_prints_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    from service.cli import main
    from service.render.markdown import render_markdown

    code = main(
        [
            "evaluate",
            "example",
            "--trees",
            str(TEST_TREES),
            "-a",
            "external=yes",
            "-a",
            "services=20",
            "--format",
            "markdown",
        ]
    )
    assert code == 0
    expected = Catalog.load(TEST_TREES).evaluate("example", {"external": True, "services": 20})
    assert capsys.readouterr().out == render_markdown(expected.to_dict())
