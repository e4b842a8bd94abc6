"""Static checks of the image and the manifests: hadolint, checkov, kubernetes-validate.

A missing tool fails its test with the command that installs it; nothing is skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

# Exhaustive or tool-driven: in `make test`, not in the quick `make check`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "k8s"
VARIANTS = {"ingress": K8S, "gateway-api": K8S / "gateway-api", "local": K8S / "local"}
KUBERNETES_VERSION = "1.37.0"
INSTALL = "scripts/install-static-checkers"
# Kinds defined by CRDs: kubernetes-validate ships schemas for built-in kinds only.
# Their references are checked in test_deploy_manifests.py instead.
CRD_KINDS = {
    ("gateway.networking.k8s.io/v1", "Gateway"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
}


def _tool(name: str, *candidates: Path) -> str:
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} is not installed; run {INSTALL} (it installs hadolint, "
            "kubernetes-validate and checkov)"
        )
    return found


def _venv_bin(name: str) -> Path:
    return Path(sys.executable).parent / name


def _kubernetes_validate() -> Any:
    try:
        import kubernetes_validate
    except ImportError:
        pytest.fail(f"kubernetes-validate is not installed; run {INSTALL}")
    return kubernetes_validate


def checkov() -> str:
    return _tool("checkov", ROOT / ".venv-checkov" / "bin" / "checkov")


def render(directory: Path) -> list[dict[str, Any]]:
    """The kustomization as kubectl would apply it."""
    kubectl = shutil.which("kubectl")
    kustomize = shutil.which("kustomize")
    if kubectl is not None:
        command = [kubectl, "kustomize", str(directory)]
    elif kustomize is not None:
        command = [kustomize, "build", str(directory)]
    else:
        pytest.fail(
            "neither kubectl nor kustomize is installed: install kubectl "
            "(apt-get install kubectl) to render the kustomizations"
        )
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def test_hadolint_finds_nothing() -> None:
    hadolint = _tool("hadolint", _venv_bin("hadolint"))
    result = subprocess.run(
        [
            hadolint,
            "--config",
            str(ROOT / ".hadolint.yaml"),
            "--disable-ignore-pragma",
            "--format",
            "json",
            str(ROOT / "Dockerfile"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)
    assert result.returncode == 0


def test_hadolint_configuration_fails_on_style() -> None:
    # The gate above only means something if the threshold is the strictest one.
    config = yaml.safe_load((ROOT / ".hadolint.yaml").read_text())
    assert config["failure-threshold"] == "style"
    assert "ignored" not in config


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_kubernetes_validate_strict(variant: str) -> None:
    kubernetes_validate = _kubernetes_validate()
    validated = []
    unvalidated = set()
    for doc in render(VARIANTS[variant]):
        key = (doc["apiVersion"], doc["kind"])
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            unvalidated.add(key)
            continue
        except kubernetes_validate.ValidationError as exc:
            name = f"{doc['kind']}/{doc['metadata']['name']}"
            pytest.fail(
                f"{variant}: {name} is not valid for Kubernetes "
                f"{KUBERNETES_VERSION}: {exc.message} at {list(exc.path)}"
            )
        validated.append(doc["kind"])
    assert unvalidated <= CRD_KINDS, f"no schema for {unvalidated - CRD_KINDS}"
    assert {
        "Deployment",
        "Service",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "ConfigMap",
        "Namespace",
    } <= set(validated)


def test_strict_validation_rejects_an_unknown_field() -> None:
    kubernetes_validate = _kubernetes_validate()

    deployment = next(d for d in render(K8S) if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFilesytem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def _checkov(*args: str) -> list[dict[str, Any]]:
    # --skip-download: no call to the vendor's platform; the checks are all local.
    result = subprocess.run(
        [checkov(), "--skip-download", "--output", "json", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov gave no report (exit {result.returncode}): {result.stderr[-2000:]}")
    return reports if isinstance(reports, list) else [reports]


def _assert_clean(reports: list[dict[str, Any]], minimum_passed: int) -> None:
    passed = 0
    for report in reports:
        results = report["results"]
        failed = [
            f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
            for c in results["failed_checks"]
        ]
        assert failed == [], "\n".join(failed)
        for skipped in results["skipped_checks"]:
            reason = (skipped["check_result"].get("suppress_comment") or "").strip()
            # A skip names why, in the manifest, in words.
            assert len(reason.split()) >= 8 and reason != "No comment provided", (
                f"{skipped['check_id']} skipped without a reason"
            )
        passed += len(results["passed_checks"])
    assert passed >= minimum_passed


def test_checkov_dockerfile() -> None:
    _assert_clean(_checkov("--file", "Dockerfile", "--framework", "dockerfile"), 50)


def test_checkov_manifests() -> None:
    # Raw files (every resource as written) and the rendered kustomizations (what the
    # cluster receives, including the Gateway API variant's patch).
    _assert_clean(_checkov("--directory", "k8s", "--framework", "kubernetes"), 90)
    _assert_clean(_checkov("--directory", "k8s", "--framework", "kustomize"), 150)
