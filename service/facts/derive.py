"""derive(): kubectl objects and error text in, answers with their evidence out."""

from __future__ import annotations

from .errortext import derive_error
from .model import Facts, Obj, iter_objects
from .nodes import derive_nodes
from .troubleshooting import derive_troubleshooting
from .workloads import derive_workloads

_KINDS = ("Node", "DaemonSet", "Deployment", "IngressClass", "Service", "EndpointSlice", "Pod")


def derive(objects: object, error: str | None = None) -> Facts:
    """Every answer the objects and the error text support; never raises on bad input.

    `objects` is what `kubectl get ... -o json` prints (a List or one object) after JSON
    parsing; unknown kinds and malformed parts are skipped, so a fact that cannot be read
    is simply absent.
    """
    by_kind: dict[str, list[Obj]] = {kind: [] for kind in _KINDS}
    read = 0
    for obj in iter_objects(objects):
        read += 1
        bucket = by_kind.get(obj.kind)
        if bucket is not None:
            bucket.append(obj)
    facts = Facts()
    if read:
        counts = ", ".join(f"{len(v)} {k}" for k, v in by_kind.items() if v)
        facts.notes.append(f"{read} objects read ({counts or 'none of a kind used'})")
    nodes = by_kind["Node"]
    derive_nodes(nodes, facts)
    derive_workloads(
        by_kind["DaemonSet"], by_kind["Deployment"], by_kind["IngressClass"], nodes, facts
    )
    derive_troubleshooting(by_kind["Service"], by_kind["EndpointSlice"], by_kind["Pod"], facts)
    if isinstance(error, str) and error.strip():
        derive_error(error, facts)
    return facts
