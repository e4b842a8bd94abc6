"""Facts read from Node objects: platform, oldest kernel, Windows, zones, IP family, count."""

from __future__ import annotations

import re

from .model import Answer, Facts, Obj, get_list, get_str

_PROVIDER_SCHEMES = {
    "aws": "aws",
    "gce": "gcp",
    "azure": "azure",
    # kind and k3s name themselves in the provider ID: local or self-hosted clusters.
    "kind": "on-prem",
    "k3s": "on-prem",
    # Clouds the trees have no option of their own for.
    "digitalocean": "other",
    "linode": "other",
    "hcloud": "other",
    "oci": "other",
    "ibm": "other",
    "alicloud": "other",
    "scaleway": "other",
    "exoscale": "other",
}
_PROVIDER_LABELS = (
    ("eks.amazonaws.com/nodegroup", "aws"),
    ("eks.amazonaws.com/compute-type", "aws"),
    ("cloud.google.com/gke-nodepool", "gcp"),
    ("kubernetes.azure.com/cluster", "azure"),
)
_CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
_KUBEADM_SOCKET = "kubeadm.alpha.kubernetes.io/cri-socket"
_ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
# Enough to tell the family of an address or CIDR; ipaddress costs 15 us a node.
_IPV4 = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?")
_IPV6 = re.compile(r"[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?:/\d{1,3})?")
_KERNEL = re.compile(r"(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?")
_NUMBERS = re.compile(r"\d{1,9}")


def kernel_major_minor(text: str) -> str | None:
    """MAJOR.MINOR of a kernel string: '6.1.109-118.189.amzn2023.x86_64' is '6.1'."""
    found = _KERNEL.match(text.strip())
    return f"{int(found[1])}.{int(found[2])}" if found else None


def _kernel_key(text: str) -> tuple[int, ...] | None:
    """Every number in the version, in order, so that builds of one release compare too."""
    if _KERNEL.match(text.strip()) is None:
        return None
    return tuple(int(number) for number in _NUMBERS.findall(text)[:8])


def _os(node: Obj) -> tuple[str, str] | None:
    """The node's operating system and the field it came from."""
    value = get_str(node.raw, "status", "nodeInfo", "operatingSystem")
    if value:
        return value.lower(), f"status.nodeInfo.operatingSystem = {value}"
    for key in ("kubernetes.io/os", "beta.kubernetes.io/os"):
        value = node.label(key)
        if value:
            return value.lower(), f"metadata.labels[{key}] = {value}"
    return None


def _platform_of(node: Obj) -> tuple[str, str, bool] | None:
    """(platform, evidence, from a cloud) for one node, or None when it does not say."""
    provider = get_str(node.raw, "spec", "providerID")
    if provider and "://" in provider:
        platform = _PROVIDER_SCHEMES.get(provider.split("://", 1)[0].lower())
        if platform:
            evidence = node.evidence("spec.providerID", provider)
            return platform, evidence, platform != "on-prem"
    for key, platform in _PROVIDER_LABELS:
        value = node.label(key)
        if value is not None:
            return platform, node.evidence(f"metadata.labels[{key}]", value), True
    instance_type = node.label("node.kubernetes.io/instance-type")
    if instance_type == "k3s":
        return (
            "on-prem",
            node.evidence("metadata.labels[node.kubernetes.io/instance-type]", "k3s"),
            False,
        )
    socket = node.annotation(_KUBEADM_SOCKET)
    if not provider and socket and node.label(_CONTROL_PLANE) is not None:
        # kubeadm without a cloud provider: nothing but the machines themselves.
        evidence = node.evidence(f"metadata.annotations[{_KUBEADM_SOCKET}]", socket)
        return "on-prem", f"{evidence} (kubeadm control plane, no spec.providerID)", False
    return None


def _platform(nodes: list[Obj], facts: Facts) -> None:
    clouds: dict[str, str] = {}
    local: str | None = None
    for node in nodes:
        found = _platform_of(node)
        if found is None:
            continue
        platform, evidence, cloud = found
        if cloud:
            clouds.setdefault(platform, evidence)
        elif local is None:
            local = evidence
    if len(clouds) > 1:
        facts.notes.append(f"platform not derived: nodes from {', '.join(sorted(clouds))}")
    elif clouds:
        ((platform, evidence),) = clouds.items()
        facts.answers["platform"] = Answer(platform, evidence)
    elif local is not None:
        facts.answers["platform"] = Answer("on-prem", local)


def _kernel(nodes: list[Obj], facts: Facts) -> None:
    oldest: tuple[tuple[int, ...], str, Obj] | None = None
    linux = 0
    for node in nodes:
        found = _os(node)
        kernel = get_str(node.raw, "status", "nodeInfo", "kernelVersion")
        # Windows reports its build (10.0.20348...) as the kernel: not a Linux kernel.
        if found is None or found[0] != "linux" or kernel is None:
            continue
        key = _kernel_key(kernel)
        if key is None:
            continue
        linux += 1
        if oldest is None or key < oldest[0]:
            oldest = (key, kernel, node)
    if oldest is None:
        return
    key, kernel, node = oldest
    value = f"{key[0]}.{key[1]}"
    facts.answers["kernel_version"] = Answer(
        value, node.evidence("status.nodeInfo.kernelVersion", kernel)
    )
    facts.notes.append(f"{linux} Linux node(s) with a kernel read; kernel from the oldest")
    os_image = get_str(node.raw, "status", "nodeInfo", "osImage") or ""
    if key[:2] == (4, 18) and "Red Hat" in os_image:
        facts.notes.append(
            "the oldest kernel is RHEL 8's 4.18, which carries backports: the cni tree "
            "suggests answering 5.10 for it"
        )


def _windows(nodes: list[Obj], facts: Facts) -> None:
    first: str | None = None
    for node in nodes:
        found = _os(node)
        if found is None:
            return  # one node of unknown OS: cannot say there are none
        os_name, evidence = found
        if os_name == "windows":
            facts.answers["windows_nodes"] = Answer(True, f"{node.ref}: {evidence}")
            return
        first = first or f"{node.ref}: {evidence}"
    if first is not None:
        facts.answers["windows_nodes"] = Answer(False, first)
        facts.notes.append(f"windows_nodes: none of the {len(nodes)} nodes read runs Windows")


def _zones(nodes: list[Obj], facts: Facts) -> None:
    zones: dict[str, str] = {}
    for node in nodes:
        for key in _ZONE_LABELS:
            zone = node.label(key)
            if zone:
                zones.setdefault(zone, node.evidence(f"metadata.labels[{key}]", zone))
                break
    if zones:
        shown = "; ".join(list(zones.values())[:10])
        facts.answers["zones"] = Answer(len(zones), shown)


def _families(values: list[object]) -> set[int]:
    found: set[int] = set()
    for value in values:
        if isinstance(value, str):
            if _IPV4.fullmatch(value):
                found.add(4)
            elif _IPV6.fullmatch(value):
                found.add(6)
    return found


def _ip_family(nodes: list[Obj], facts: Facts) -> None:
    by_cidr: dict[int, str] = {}
    by_address: dict[int, str] = {}
    for node in nodes:
        cidrs = get_list(node.raw, "spec", "podCIDRs") or [get_str(node.raw, "spec", "podCIDR")]
        for family in _families(cidrs):
            shown = ",".join(c for c in cidrs if isinstance(c, str))
            by_cidr.setdefault(family, node.evidence("spec.podCIDRs", shown))
        for address in get_list(node.raw, "status", "addresses"):
            if get_str(address, "type") == "InternalIP":
                ip = get_str(address, "address")
                for family in _families([ip]):
                    by_address.setdefault(family, node.evidence("status.addresses[InternalIP]", ip))
    found = by_cidr or by_address
    if not found:
        return
    if not by_cidr:
        facts.notes.append(
            "no node has spec.podCIDRs (as on EKS with the VPC CNI): ip_family from the "
            "nodes' InternalIP addresses"
        )
    value = {4: "ipv4", 6: "ipv6"}[next(iter(found))] if len(found) == 1 else "dual-stack"
    evidence = "; ".join(dict.fromkeys(found[family] for family in sorted(found)))
    facts.answers["ip_family"] = Answer(value, evidence)


def derive_nodes(nodes: list[Obj], facts: Facts) -> None:
    """Every node fact the objects support; none when no Node was read."""
    if not nodes:
        return
    facts.answers["nodes"] = Answer(len(nodes), f"Node: {len(nodes)} read")
    _platform(nodes, facts)
    _kernel(nodes, facts)
    _windows(nodes, facts)
    _zones(nodes, facts)
    _ip_family(nodes, facts)
