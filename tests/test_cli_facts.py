"""`netadvisor facts` and `evaluate --facts`: kubectl JSON from a file, stdin or kubectl."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "kubectl"


def run(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_facts_from_a_file_name_each_answer_with_its_evidence() -> None:
    done = run("facts", str(FIXTURES / "gke.json"))
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "platform = gcp   (Node/" in out
    assert "current_cni = gke-dataplane-v2" in out


def test_facts_from_stdin_as_json() -> None:
    done = run("facts", "-", "--format", "json", stdin=(FIXTURES / "eks.json").read_bytes())
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)["answers"]
    assert answers["kernel_version"]["value"] == "6.1"


def test_evaluate_with_facts_from_stdin_asks_only_the_rest() -> None:
    done = run(
        "evaluate",
        "cni",
        "--facts",
        "-",
        "-a",
        "network_policy=yes",
        "-a",
        "l7_visibility=no",
        "-a",
        "encryption=no",
        "--format",
        "json",
        stdin=(FIXTURES / "eks.json").read_bytes(),
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["recommendation"]["id"] == "aws-vpc-cni"
    assert any(s.get("from_facts") for s in body["justification"])


def test_an_error_text_alone_is_enough() -> None:
    done = run("facts", "--error", "lookup web.shop.svc.cluster.local: no such host")
    assert done.returncode == 0, done.stderr
    assert "error_class = nxdomain" in done.stdout.decode()


def test_input_that_is_not_json_is_refused_by_name() -> None:
    done = run("facts", "-", stdin=b"NAME   STATUS\nnode-1 Ready\n")
    assert done.returncode != 0
    err = done.stderr.decode()
    assert "stdin is not JSON" in err and "-o json" in err and "Traceback" not in err
    missing = run("facts", "/nonexistent/nodes.json")
    assert (
        missing.returncode != 0 and "cannot read /nonexistent/nodes.json" in missing.stderr.decode()
    )
    nothing = run("facts")
    assert nothing.returncode != 0 and "--kubectl" in nothing.stderr.decode()


@pytest.fixture
def fake_kubectl(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A kubectl on PATH that records its arguments and prints a fixture, as a cluster's
    API server would answer (no cluster runs here)."""
    log = tmp_path / "calls"
    script = tmp_path / "kubectl"
    fixture = FIXTURES / "kind-cilium.json"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        'case "$*" in\n'
        f"  'get nodes,daemonsets,deployments,ingressclasses -A -o json') cat {fixture} ;;\n"
        "  *) echo 'error: not expected' >&2; exit 1 ;;\n"
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    return env, log


def test_kubectl_is_run_read_only_and_each_command_is_named(
    fake_kubectl: tuple[dict[str, str], Path],
) -> None:
    env, log = fake_kubectl
    done = run("facts", "--kubectl", env=env)
    assert done.returncode == 0, done.stderr
    assert "current_cni = cilium" in done.stdout.decode()
    assert "ran: kubectl get nodes,daemonsets,deployments,ingressclasses -A -o json" in (
        done.stderr.decode()
    )
    calls = log.read_text().splitlines()
    assert calls and all(call.startswith("get ") for call in calls)


def test_a_failing_kubectl_is_reported_in_one_line(
    fake_kubectl: tuple[dict[str, str], Path],
) -> None:
    env, _ = fake_kubectl
    done = run("facts", "--kubectl", "--service", "shop/web", env=env)
    assert done.returncode != 0
    err = done.stderr.decode()
    assert "kubectl get service web -n shop -o json failed: error: not expected" in err
    assert "Traceback" not in err
    bad = run("facts", "--kubectl", "--service", "web", env=env)
    assert "NAMESPACE/NAME" in bad.stderr.decode()
