"""Troubleshooting facts from one Service with its EndpointSlices and Pods."""

from __future__ import annotations

from .model import Answer, Facts, Obj, get, get_list, get_map, get_str

_SERVICE_NAME = "kubernetes.io/service-name"


def _selects(selector: dict[str, object], pod: Obj) -> bool:
    labels = get_map(pod.raw, "metadata", "labels")
    return all(labels.get(key) == value for key, value in selector.items())


def _endpoints(slices: list[Obj], facts: Facts) -> None:
    not_ready: str | None = None
    unknown = False
    for piece in slices:
        if "endpoints" not in piece.raw:
            unknown = True
            continue
        endpoints = piece.raw["endpoints"]
        if endpoints is None or endpoints == []:
            # kubectl prints "endpoints": null for a slice with no endpoint at all.
            not_ready = not_ready or piece.evidence("endpoints", "null")
            continue
        if not isinstance(endpoints, list):
            unknown = True
            continue
        for index, endpoint in enumerate(endpoints):
            ready = get(endpoint, "conditions", "ready")
            if ready is True:
                addresses = ",".join(
                    a for a in get_list(endpoint, "addresses") if isinstance(a, str)
                )
                path = f"endpoints[{index}].conditions.ready"
                evidence = piece.evidence(path, f"true ({addresses})" if addresses else "true")
                facts.answers["endpoints_present"] = Answer(True, evidence)
                return
            if ready is False:
                path = f"endpoints[{index}].conditions.ready"
                not_ready = not_ready or piece.evidence(path, "false")
            else:
                unknown = True  # the API reads a missing ready as true; do not guess
    if not_ready is not None and not unknown:
        facts.answers["endpoints_present"] = Answer(False, not_ready)


def _scheduling(pod: Obj) -> tuple[bool, str] | None:
    """Whether the pod is scheduled, with the field that says so; None when unknown."""
    for condition in get_list(pod.raw, "status", "conditions"):
        if get_str(condition, "type") != "PodScheduled":
            continue
        status = get_str(condition, "status")
        if status == "True":
            return True, pod.evidence("status.conditions[PodScheduled]", "True")
        if status == "False" and get_str(pod.raw, "status", "phase") == "Pending":
            why = ": ".join(
                text
                for text in (get_str(condition, "reason"), get_str(condition, "message"))
                if text
            )
            shown = f"False ({why})" if why else "False"
            return False, pod.evidence("status.conditions[PodScheduled]", shown)
    node = get_str(pod.raw, "spec", "nodeName")
    if node:
        return True, pod.evidence("spec.nodeName", node)
    return None


def _pods(pods: list[Obj], facts: Facts) -> None:
    scheduled: list[Obj] = []
    all_known = True
    first_scheduled: str | None = None
    for pod in pods:
        found = _scheduling(pod)
        if found is None:
            all_known = False
        elif not found[0]:
            facts.answers["pods_scheduled"] = Answer(False, found[1])
            break
        else:
            scheduled.append(pod)
            first_scheduled = first_scheduled or found[1]
    else:
        if all_known and first_scheduled is not None:
            facts.answers["pods_scheduled"] = Answer(True, first_scheduled)
    # Only a scheduled pod without an IP points at the CNI; a Pending one never has one.
    missing: str | None = None
    for pod in scheduled:
        ip = get_str(pod.raw, "status", "podIP")
        if ip:
            facts.answers["pods_have_ips"] = Answer(True, pod.evidence("status.podIP", ip))
            return
        if "status" in pod.raw and isinstance(pod.raw["status"], dict):
            missing = missing or pod.evidence("status.podIP", "(none)")
    if missing is not None:
        facts.answers["pods_have_ips"] = Answer(False, missing)
    elif pods and not scheduled:
        facts.notes.append("pods_have_ips not derived: no pod read is scheduled on a node")


def derive_troubleshooting(
    services: list[Obj], slices: list[Obj], pods: list[Obj], facts: Facts
) -> None:
    """service_exists, endpoints_present, pods_have_ips and pods_scheduled for one Service."""
    if len(services) > 1:
        facts.notes.append(
            f"{len(services)} Services read: the troubleshooting facts need one "
            "(kubectl get service NAME, its endpointslices and pods)"
        )
        return
    if services:
        (service,) = services
        ip = get_str(service.raw, "spec", "clusterIP")
        evidence = service.evidence("spec.clusterIP", ip) if ip else service.ref
        facts.answers["service_exists"] = Answer(True, evidence)
        slices = [
            s
            for s in slices
            if s.namespace == service.namespace and s.label(_SERVICE_NAME) == service.name
        ]
        selector = get_map(service.raw, "spec", "selector")
        # A Service without a selector has no pods of its own.
        pods = [
            p
            for p in pods
            if selector and p.namespace == service.namespace and _selects(selector, p)
        ]
    else:
        if len({(s.namespace, s.label(_SERVICE_NAME)) for s in slices}) > 1:
            slices = []
        if slices:
            pods = []  # without the Service, nothing says which pods are its own
    if slices:
        _endpoints(slices, facts)
    if pods:
        _pods(pods, facts)
