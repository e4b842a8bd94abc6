"""The netadvisor command line: check, test and evaluate, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
TREES = HERE / "trees"
BROKEN = HERE / "fixtures" / "broken"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_passes_on_good_trees() -> None:
    done = run("check", str(TREES))
    assert done.returncode == 0, done.stderr
    assert "ok: 1 trees, 1 versions checked" in done.stdout


def test_check_names_file_node_and_fix_without_a_traceback() -> None:
    done = run("check", str(BROKEN / "unknown-next"))
    assert done.returncode == 1
    assert "unknown-next/example/1.0.0.yaml: nodes.exposure.branches[1].next" in done.stderr
    assert "did you mean 'proto'?" in done.stderr
    assert "Traceback" not in done.stderr


def test_test_reports_cases_and_branch_coverage() -> None:
    done = run("test", str(HERE / "fixtures" / "versions"))
    assert done.returncode == 0, done.stdout
    assert "ok   example 1.0.0: 5/5 cases, branch coverage 100% (6 branches)" in done.stdout
    assert "10 cases; 12/12 branches covered" in done.stdout


def test_test_fails_on_a_failing_case_and_on_missing_coverage(tmp_path: Path) -> None:
    text = (TREES / "example" / "1.0.0.yaml").read_text()
    text = text.replace(
        "expect: {status: complete, recommendation: clusterip}",
        "expect: {status: complete, recommendation: ingress}",
    )
    # Drop the only TCP case so the protocol -> tcp branch is never taken.
    start = text.index("  - name: TCP\n")
    end = text.index("  - name: nothing answered yet")
    text = text[:start] + text[end:]
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / "1.0.0.yaml").write_text(text)
    done = run("test", str(tmp_path))
    assert done.returncode == 1
    assert (
        "case failed: internal only: recommendation 'clusterip', expected 'ingress'" in done.stdout
    )
    assert "not covered: proto -> per-service (when protocol is tcp)" in done.stdout


def test_evaluate_json() -> None:
    done = run(
        "evaluate",
        "example",
        "--trees",
        str(TREES),
        "--answer",
        "external=yes",
        "--answer",
        "services=20",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["recommendation"]["id"] == "ingress"
    assert body["costs"]["total"] == {"low": 16.43, "high": 30.0}


def test_evaluate_text_with_price_override() -> None:
    done = run(
        "evaluate",
        "example",
        "--trees",
        str(TREES),
        "-a",
        "external=true",
        "-a",
        "services=20",
        "--price",
        "lb_month_low=10",
    )
    assert done.returncode == 0, done.stderr
    assert "Recommendation: One shared Ingress [ingress]" in done.stdout
    assert "Total: $10-$30" in done.stdout


def test_evaluate_partial_answers_prints_the_next_question() -> None:
    done = run("evaluate", "example", "--trees", str(TREES))
    assert done.returncode == 0
    assert "Needs an answer: external" in done.stdout
    assert "--answer external=true" in done.stdout


def test_evaluate_bad_answer_exits_2_with_the_fix() -> None:
    done = run("evaluate", "example", "--trees", str(TREES), "-a", "protocol=udp")
    assert done.returncode == 2
    assert "choose one of: http, tcp" in done.stderr
    assert "Traceback" not in done.stderr


def test_evaluate_malformed_answer_flag() -> None:
    done = run("evaluate", "example", "--trees", str(TREES), "-a", "external")
    assert done.returncode != 0
    assert "--answer takes ID=VALUE" in done.stderr


def test_a_closed_pipe_ends_quietly() -> None:
    script = (
        f"{sys.executable} -m service.cli evaluate example --trees {TREES} "
        "-a external=yes -a services=20 --format json | head -c 10"
    )
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert "Traceback" not in done.stderr


def test_serve_refuses_a_bad_overlay_from_the_environment_before_starting() -> None:
    import os

    env = {**os.environ, "NETADVISOR_OVERLAY_DIRS": str(BROKEN / "unknown-next")}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 1
    assert "did you mean 'proto'?" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_option_of_every_command_is_described_in_help() -> None:
    import argparse

    from service.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in sub.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"netadvisor {name} {action.option_strings or action.dest}"
