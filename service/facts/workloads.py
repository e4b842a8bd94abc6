"""Facts read from DaemonSets, Deployments and IngressClasses: CNI, data plane, ingress-nginx."""

from __future__ import annotations

import re

from .model import Answer, Facts, Obj, get_list, get_str

# Where the CNIs install their node agents.
_CNI_NAMESPACES = frozenset({"kube-system", "calico-system", "kube-flannel", "cilium"})
_CNI_BY_NAME = {
    "aws-node": "aws-vpc-cni",
    "azure-cns": "azure-cni",
    "anetd": "gke-dataplane-v2",
    "calico-node": "calico",
    "cilium": "cilium",
    "kube-flannel-ds": "flannel",
    "weave-net": "weave",
    "antrea-agent": "other",
    "kube-router": "other",
    "kube-ovn-cni": "other",
    "ovnkube-node": "other",
}
# Image repositories that confirm a name, or name the CNI of a renamed DaemonSet.
_CNI_BY_IMAGE = (
    (re.compile(r"/amazon-k8s-cni(?:[:@]|$)"), "aws-vpc-cni"),
    (re.compile(r"/azure-cns(?:[:@]|$)"), "azure-cni"),
    (re.compile(r"calico/node(?:[:@]|$)"), "calico"),
    (re.compile(r"^quay\.io/cilium/cilium(?:[:@]|$)"), "cilium"),
    # AKS builds its managed Cilium into Microsoft's registry.
    (re.compile(r"^mcr\.microsoft\.com/.*cilium/cilium(?:[:@]|$)"), "azure-cni-cilium"),
    (re.compile(r"flannel(?:-io)?/flannel(?:[:@]|$)"), "flannel"),
    (re.compile(r"weaveworks/weave-kube(?:[:@]|$)"), "weave"),
)
# An image may name a more specific CNI than the DaemonSet's name does.
_REFINES = {"azure-cni-cilium": "cilium"}
_FLANNEL_ANNOTATION = "flannel.alpha.coreos.com/backend-type"
# The AKS Istio add-on runs its istiod-asm-* revisions in aks-istio-system.
_ISTIO_NAMESPACES = {"istio-system", "aks-istio-system"}
_NGINX_IMAGE = re.compile(r"(?:^|/)ingress-nginx/controller(?:[:@]|$)")
_NGINX_CONTROLLER = "k8s.io/ingress-nginx"
_MANAGED_CILIUM = {
    "gke-dataplane-v2": "GKE Dataplane V2",
    "azure-cni-cilium": "Azure CNI powered by Cilium",
}


def _images(obj: Obj) -> list[tuple[str, str]]:
    """(container name, image) of each container and init container in the pod template."""
    found = []
    for group in ("containers", "initContainers"):
        for container in get_list(obj.raw, "spec", "template", "spec", group):
            image = get_str(container, "image")
            if image:
                found.append((get_str(container, "name") or "?", image))
    return found


def _cni_of(daemonset: Obj) -> tuple[str, str] | None:
    if daemonset.namespace not in _CNI_NAMESPACES:
        return None
    images = _images(daemonset)
    by_image = {
        (cni, f"spec.template.spec.containers[{name}].image", image)
        for name, image in images
        for pattern, cni in _CNI_BY_IMAGE
        if pattern.search(image)
    }
    named = _CNI_BY_NAME.get(daemonset.name)
    if named is not None:
        for cni, path, image in sorted(by_image):
            if named in (cni, _REFINES.get(cni)):
                return cni, daemonset.evidence(path, image)
        return named, daemonset.evidence("metadata.name", daemonset.name)
    # A renamed agent counts only when its images name exactly one CNI (not Canal's two).
    if len({cni for cni, _, _ in by_image}) == 1:
        cni, path, image = min(by_image)
        return cni, daemonset.evidence(path, image)
    return None


def _combine(found: dict[str, str], facts: Facts) -> tuple[str, str] | None:
    if "azure-cni-cilium" in found or {"azure-cni", "cilium"} <= set(found):
        parts = ("azure-cni", "cilium", "azure-cni-cilium")
        return "azure-cni-cilium", "; ".join(found[part] for part in parts if part in found)
    if "aws-vpc-cni" in found and len(found) > 1:
        others = ", ".join(sorted(set(found) - {"aws-vpc-cni"}))
        facts.notes.append(
            f"current_cni: the Amazon VPC CNI runs pod networking; {others} beside it "
            "(policy-only or chained)"
        )
        return "aws-vpc-cni", found["aws-vpc-cni"]
    if "azure-cni" in found and set(found) <= {"azure-cni", "calico"}:
        if "calico" in found:
            facts.notes.append("current_cni: Calico beside Azure CNI enforces network policy")
        return "azure-cni", found["azure-cni"]
    if len(found) == 1:
        ((cni, evidence),) = found.items()
        return cni, evidence
    facts.notes.append(f"current_cni not derived: several CNIs run ({', '.join(sorted(found))})")
    return None


def _current_cni(daemonsets: list[Obj], nodes: list[Obj], facts: Facts) -> str | None:
    found: dict[str, str] = {}
    for daemonset in daemonsets:
        cni = _cni_of(daemonset)
        if cni is not None:
            found.setdefault(*cni)
    if found:
        combined = _combine(found, facts)
        if combined is None:
            return None
        facts.answers["current_cni"] = Answer(*combined)
        return combined[0]
    if any(daemonset.name == "canal" for daemonset in daemonsets):
        return None
    for node in nodes:
        backend = node.annotation(_FLANNEL_ANNOTATION)
        if backend:
            evidence = node.evidence(f"metadata.annotations[{_FLANNEL_ANNOTATION}]", backend)
            facts.answers["current_cni"] = Answer("flannel", evidence)
            facts.notes.append(
                "current_cni: no CNI DaemonSet; flannel from the node annotations "
                "(k3s runs flannel inside its own binary)"
            )
            return "flannel"
    return None


def _find(objs: list[Obj], namespaces: set[str], prefix: str) -> Obj | None:
    return next((o for o in objs if o.namespace in namespaces and o.name.startswith(prefix)), None)


def _mesh(daemonsets: list[Obj], deployments: list[Obj], facts: Facts) -> Obj | None:
    """current_mesh from the control planes found; the istiod Deployment if Istio runs."""
    istiod = _find(deployments, _ISTIO_NAMESPACES, "istiod")
    ztunnel = _find(daemonsets, _ISTIO_NAMESPACES, "ztunnel")
    linkerd = _find(deployments, {"linkerd"}, "linkerd-destination")
    meshes: dict[str, Obj] = {}
    if istiod is not None:
        # ztunnel on every node is what makes Istio ambient rather than sidecars.
        meshes["istio" if ztunnel is None else "istio-ambient"] = ztunnel or istiod
        facts.notes.append(f"Istio control plane found: {istiod.ref}")
    if linkerd is not None:
        meshes["linkerd"] = linkerd
    if len(meshes) == 1:
        ((mesh, obj),) = meshes.items()
        facts.answers["current_mesh"] = Answer(mesh, obj.evidence("metadata.name", obj.name))
    elif meshes:
        facts.notes.append(f"current_mesh not derived: {', '.join(sorted(meshes))} all run")
    return istiod


def _dataplane(cni: str | None, istiod: Obj | None, facts: Facts) -> None:
    cni_evidence = facts.answers.get("current_cni")
    if cni is not None and cni_evidence is not None:
        facts.answers["cilium_cni"] = Answer(cni == "cilium", cni_evidence.evidence)
        if cni in _MANAGED_CILIUM:
            facts.notes.append(
                f"Cilium runs inside {_MANAGED_CILIUM[cni]}, managed by the provider: "
                "cilium_cni is false (its Gateway API and mesh are not yours to enable)"
            )
    if cni == "cilium" and istiod is not None:
        facts.notes.append("existing_dataplane not derived: both Cilium and Istio run")
    elif cni == "cilium" and cni_evidence is not None:
        facts.answers["existing_dataplane"] = Answer("cilium", cni_evidence.evidence)
    elif istiod is not None:
        facts.answers["existing_dataplane"] = Answer(
            "istio", istiod.evidence("metadata.name", istiod.name)
        )


def _ingress_nginx(workloads: list[Obj], classes: list[Obj], facts: Facts) -> None:
    for obj in workloads:
        for name, image in _images(obj):
            if _NGINX_IMAGE.search(image):
                path = f"spec.template.spec.containers[{name}].image"
                facts.answers["existing_ingress_nginx"] = Answer(True, obj.evidence(path, image))
                return
    for obj in classes:
        controller = get_str(obj.raw, "spec", "controller")
        if controller == _NGINX_CONTROLLER:
            evidence = obj.evidence("spec.controller", controller)
            facts.answers["existing_ingress_nginx"] = Answer(True, evidence)
            return
    # IngressClasses are cluster-scoped, so a listing is complete; ingress-nginx has
    # created one since 1.0. Without any, absence proves nothing.
    if classes and all(get_str(c.raw, "spec", "controller") for c in classes):
        controllers = ", ".join(
            f"{c.name} ({get_str(c.raw, 'spec', 'controller') or '?'})" for c in classes[:5]
        )
        evidence = f"IngressClass: {len(classes)} read, none k8s.io/ingress-nginx: {controllers}"
        facts.answers["existing_ingress_nginx"] = Answer(False, evidence)


def derive_workloads(
    daemonsets: list[Obj],
    deployments: list[Obj],
    classes: list[Obj],
    nodes: list[Obj],
    facts: Facts,
) -> None:
    """CNI, mesh, data plane and ingress-nginx facts from the workloads read."""
    cni = _current_cni(daemonsets, nodes, facts)
    _dataplane(cni, _mesh(daemonsets, deployments, facts), facts)
    _ingress_nginx(deployments + daemonsets, classes, facts)
