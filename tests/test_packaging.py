"""The wheel built from the repository carries the trees and the spec, and finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# Exhaustive or tool-driven: in `make test`, not in the quick `make check`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("netadvisor-*.whl")
    return built


def test_wheel_contains_every_tree_file_and_the_spec(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    trees = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "decision_trees").glob("*/*.yaml")
    )
    assert trees, "the repository has bundled trees"
    for tree in trees:
        assert f"service/{tree}" in names
    assert "service/openapi.yaml" in names


def test_installed_wheel_loads_its_bundled_trees(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    script = (
        "import service, service.engine as e; "
        "print(service.__file__); print(e.bundled_trees_dir()); "
        "print(','.join(e.Catalog.load().tree_ids))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    module_file, trees_dir, tree_ids = done.stdout.strip().splitlines()
    assert module_file.startswith(str(target))
    assert trees_dir.startswith(str(target))
    expected = sorted(p.name for p in (ROOT / "decision_trees").iterdir() if p.is_dir())
    assert tree_ids.split(",") == expected
