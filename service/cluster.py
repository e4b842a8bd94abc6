"""Cluster evidence for the CLI: kubectl JSON from a file, stdin, or read-only `kubectl get`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from .facts import Facts, derive

# What the trees ask about the cluster, in one call: nodes (platform, kernel, zones, IP
# family, Windows), DaemonSets (the CNI, meshes), Deployments and IngressClasses.
CLUSTER_GET = ("get", "nodes,daemonsets,deployments,ingressclasses", "-A", "-o", "json")
KUBECTL_TIMEOUT = 60


class EvidenceError(Exception):
    """Input that cannot be read as JSON, or a kubectl call that failed; the message says
    which and what to do."""


def read_objects(source: str) -> Any:
    """The parsed JSON of a file, or of stdin when `source` is '-'."""
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise EvidenceError(f"cannot read {source}: {exc.strerror}") from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        where = "stdin" if source == "-" else source
        raise EvidenceError(
            f"{where} is not JSON ({exc}); pipe in `kubectl get ... -o json`"
        ) from None


def _kubectl(args: Sequence[str]) -> Any:
    binary = shutil.which("kubectl")
    if binary is None:
        raise EvidenceError("kubectl is not on PATH; install it or pipe its output in instead")
    try:
        done = subprocess.run(  # noqa: S603 - a fixed read-only `kubectl get`
            [binary, *args],
            capture_output=True,
            timeout=KUBECTL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise EvidenceError(f"kubectl {' '.join(args)} took over {KUBECTL_TIMEOUT} s") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise EvidenceError(
            f"kubectl {' '.join(args)} failed: {reason[-1] if reason else done.returncode}"
        )
    try:
        return orjson.loads(done.stdout)
    except orjson.JSONDecodeError:
        raise EvidenceError(f"kubectl {' '.join(args)} did not print JSON") from None


def _items(listing: Any) -> list[Any]:
    if isinstance(listing, dict) and isinstance(listing.get("items"), list):
        return list(listing["items"])
    return [listing] if isinstance(listing, dict) else []


def kubectl_objects(service: str | None = None) -> tuple[Any, list[str]]:
    """Run read-only `kubectl get` with the current context: the cluster-wide objects, and
    for `service` (NAMESPACE/NAME) the Service, its EndpointSlices and its Pods. Returns
    one List and the commands run, so the caller can say what was read."""
    commands = [list(CLUSTER_GET)]
    items = _items(_kubectl(CLUSTER_GET))
    if service is not None:
        namespace, sep, name = service.partition("/")
        if not sep or not namespace or not name:
            raise EvidenceError(f"--service takes NAMESPACE/NAME, got {service!r}")
        svc_args = ["get", "service", name, "-n", namespace, "-o", "json"]
        commands.append(svc_args)
        svc = _kubectl(svc_args)
        items.append(svc)
        slices = ["get", "endpointslices", "-n", namespace, "-o", "json"]
        slices += ["-l", f"kubernetes.io/service-name={name}"]
        commands.append(slices)
        items += _items(_kubectl(slices))
        selector = svc.get("spec", {}).get("selector") if isinstance(svc, dict) else None
        if isinstance(selector, dict) and selector:
            label = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
            pods = ["get", "pods", "-n", namespace, "-l", label, "-o", "json"]
            commands.append(pods)
            items += _items(_kubectl(pods))
    ran = ["kubectl " + " ".join(c) for c in commands]
    return {"kind": "List", "apiVersion": "v1", "items": items}, ran


def gather(
    source: str | None, *, kubectl: bool, service: str | None, error: str | None
) -> Facts | None:
    """The facts the command line points at: kubectl output from a file or stdin (`-`), or
    kubectl run here (each command it ran is said on stderr), and an error text; None when
    none was given."""
    objects: object = None
    if kubectl:
        objects, ran = kubectl_objects(service)
        for command in ran:
            print(f"ran: {command}", file=sys.stderr)
    elif source is not None:
        objects = read_objects(source)
    if objects is None and not error:
        return None
    return derive(objects, error)
