"""Answer sets several tests share, and the options the trees themselves offer."""

from __future__ import annotations

from service.engine import Catalog

# A team on EKS with 60 services that must have mTLS, simplicity first.
MESH_ON_AWS: dict[str, object] = {
    "platform": "aws",
    "microservices": 60,
    "mtls_required": True,
    "advanced_traffic": False,
    "observability_in_place": True,
    "operations_capacity": True,
    "priority": "simplicity",
    "pods": 200,
}


def options(tree_id: str, question: str) -> set[str]:
    """The option ids the default version of a bundled tree offers for a question."""
    tree = Catalog.load().get(tree_id)
    return {str(o["id"]) for o in tree.questions[question].to_dict()["options"]}
