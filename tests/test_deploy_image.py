"""The container image, as far as it can be proven without a Docker engine.

The Dockerfile is read for its rules (stages, user, entry point); its build steps are
replayed on the files the .dockerignore lets into the context: build the wheel, install
it into a fresh virtualenv, drop pip, run `netadvisor check`, then run the image's CMD
with the root filesystem mounted read-only and /tmp as the only writable tmpfs, as the
Deployment runs it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.server import start_gunicorn

from bench import serving_proof as proof

# Exhaustive or tool-driven: in `make test`, not in the quick `make check`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Instruction:
    stage: str
    keyword: str
    value: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with their stage name; comments dropped, continuations joined."""
    logical: list[str] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    instructions = []
    stage = ""
    for line in logical:
        keyword, _, value = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = value.split()
            stage = parts[-1] if len(parts) >= 3 and parts[-2].upper() == "AS" else parts[0]
        instructions.append(Instruction(stage, keyword, value.strip()))
    return instructions


DOCKERFILE = parse_dockerfile((ROOT / "Dockerfile").read_text())
FINAL_STAGE = DOCKERFILE[-1].stage


def final(keyword: str) -> list[str]:
    return [i.value for i in DOCKERFILE if i.stage == FINAL_STAGE and i.keyword == keyword]


def _pattern(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def dockerignore_admits(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or a parent of it decides."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    admitted = True
    for negated, pattern in rules:
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            admitted = negated
    return admitted


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line.lstrip("!").strip("/")
        rules.append((negated, _pattern(line)))
    return rules


def build_context(into: Path) -> list[str]:
    """Copy what `docker build .` would send; return the relative paths."""
    rules = dockerignore_rules()
    sent = []
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if path.is_file() and dockerignore_admits(relative, rules):
            target = into / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            sent.append(relative)
    return sent


def test_context_holds_only_what_the_build_needs(tmp_path: Path) -> None:
    sent = build_context(tmp_path)
    tops = {p.split("/")[0] for p in sent}
    assert tops == {"pyproject.toml", "README.md", "openapi.yaml", "decision_trees", "service"}
    assert not any("__pycache__" in p or p.endswith(".pyc") for p in sent)
    # Every COPY from the context names something the context has.
    for instruction in DOCKERFILE:
        if instruction.keyword == "COPY" and "--from=" not in instruction.value:
            for source in instruction.value.split()[:-1]:
                assert (tmp_path / source).exists(), source


def test_final_stage_runs_unprivileged_without_build_tools() -> None:
    (user,) = final("USER")
    uid, _, gid = user.partition(":")
    assert int(uid) >= 10000 and int(gid) >= 10000
    # Numeric, so runAsNonRoot can verify it without looking up a name.
    assert uid.isdigit()
    run_lines = " ".join(final("RUN"))
    for tool in ("apt-get install", "gcc", "build-essential", "pip install"):
        assert tool not in run_lines
    assert "pip uninstall" in run_lines
    copies = final("COPY")
    assert all(c.startswith("--from=") for c in copies), copies
    assert final("EXPOSE") == ["8000"]


def test_base_image_is_pinned_to_a_patch_release() -> None:
    bases = [i.value.split()[0] for i in DOCKERFILE if i.keyword == "FROM"]
    stages = {i.stage for i in DOCKERFILE}
    external = [b for b in bases if b not in stages]
    assert external, bases
    for image in external:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image


def test_cmd_execs_gunicorn_with_the_serving_config() -> None:
    (cmd,) = final("CMD")
    argv = json.loads(cmd)  # exec form: JSON, no shell in between
    assert argv == [
        "gunicorn", "--config", "python:service.serving.gunicorn_conf", "service.wsgi:app"
    ]  # fmt: skip
    assert final("ENTRYPOINT") == []
    env = " ".join(final("ENV"))
    assert "NETADVISOR_HOST=0.0.0.0" in env
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/" in env


@dataclass
class Installed:
    venv: Path
    workdir: Path


@pytest.fixture(scope="module")
def installed() -> Iterator[Installed]:
    """The image's install steps, replayed: wheel from the context, fresh venv, no pip."""
    # Outside /tmp: the read-only run below mounts an empty tmpfs over /tmp.
    base = Path(tempfile.mkdtemp(prefix="netadvisor-image-", dir="/var/tmp"))
    try:
        context = base / "context"
        build_context(context)
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--no-isolation",
             "--outdir", str(base / "wheels"), str(context)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        (wheel,) = (base / "wheels").glob("netadvisor-*.whl")
        venv = base / "opt" / "netadvisor"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        subprocess.run(
            [*pip, "install", "--quiet", "--disable-pip-version-check", str(wheel)],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        subprocess.run([*pip, "uninstall", "--yes", "--quiet", "pip"], check=True, timeout=120)
        yield Installed(venv, venv)
    finally:
        shutil.rmtree(base, ignore_errors=True)


pytest_slow = pytest.mark.slow


@pytest_slow
def test_installed_image_checks_its_bundled_trees(installed: Installed) -> None:
    result = subprocess.run(
        [str(installed.venv / "bin" / "netadvisor"), "check"],
        capture_output=True, text=True, timeout=120, cwd="/",
        env={"PATH": f"{installed.venv / 'bin'}:/usr/bin:/bin", "HOME": "/nonexistent"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert not (installed.venv / "bin" / "pip").exists()
    no_pip = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import pip"],
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert no_pip.returncode != 0


def _read_only_command(venv: Path, argv: list[str]) -> list[str]:
    """Run ``argv`` as the pod does: root filesystem read-only, /tmp a fresh tmpfs, no
    capabilities and no privilege gain (the image's user cannot be used here: the
    interpreter lives under root's home on this machine)."""
    unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
    if unshare is None or setpriv is None:
        pytest.fail("unshare and setpriv are needed (apt-get install util-linux)")
    script = (
        "mount -o remount,bind,ro / && mount -t tmpfs -o size=32m,mode=1777 tmpfs /tmp && "
        f"cd {shlex.quote(str(venv))} && exec {setpriv} --no-new-privs --inh-caps=-all "
        f"--bounding-set=-all -- {shlex.join(argv)}"
    )
    return [unshare, "--mount", "--propagation", "private", "--", "sh", "-c", script]


@pytest_slow
def test_image_cmd_serves_with_a_read_only_root_filesystem(installed: Installed) -> None:
    if os.geteuid() != 0:
        pytest.fail("this test mounts a read-only root filesystem and needs root")
    (cmd,) = final("CMD")
    argv = json.loads(cmd)
    argv[0] = str(installed.venv / "bin" / argv[0])
    server = start_gunicorn(
        workers=2,
        command=_read_only_command(installed.venv, argv),
        cwd=installed.workdir,
        env={
            "PATH": f"{installed.venv / 'bin'}:/usr/bin:/bin",
            "HOME": "/nonexistent",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "PROMETHEUS_MULTIPROC_DIR": "/tmp/metrics",
        },
    )
    try:
        writable = subprocess.run(
            ["nsenter", "-t", str(server.proc.pid), "-m", "touch", "/written"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert "Read-only file system" in writable.stderr
        assert proof.request(server.port, "GET", "/livez").status == 200
        reply = proof.request(
            server.port, "POST", proof.EVALUATE_PATH, proof.EVALUATE_BODY, proof.JSON_HEADERS
        )
        assert reply.status == 200
        metrics = proof.request(server.port, "GET", "/metrics")
        assert metrics.status == 200
        assert b"netadvisor_evaluations_total" in metrics.body
    finally:
        code = server.stop()
    assert code == 0
    output = server.output()
    assert "Read-only file system" not in output
    assert "Traceback" not in output
