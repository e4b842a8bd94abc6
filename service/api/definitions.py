"""Tree definitions as callers read them, serialised once at start-up with their ETags."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from service.engine import Branch, Catalog, Leaf, QuestionNode, Recommendation, Tree

# Pinned versions are immutable; the default one changes when a new version ships.
CACHE_PINNED = "max-age=86400, immutable"
CACHE_DEFAULT = "max-age=60"


def _recommendation(rec: Recommendation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rec.id,
        "title": rec.title,
        "summary": rec.summary.source,
        "sources": [s.id for s in rec.sources],
    }
    if rec.costs is not None:
        out["costs"] = [
            {"id": c.id, "label": c.label, "basis": c.basis.source, "source": c.source}
            for c in rec.costs
        ]
    return out


def _branch(branch: Branch) -> dict[str, Any]:
    return {"when": branch.label, "next": branch.target, "reason": branch.reason.source}


def _node(node: QuestionNode | Leaf) -> dict[str, Any]:
    if isinstance(node, QuestionNode):
        return {
            "id": node.id,
            "kind": "question",
            "question": node.question.id,
            "branches": [_branch(b) for b in node.branches],
        }
    return {
        "id": node.id,
        "kind": "recommendation",
        "recommend": node.recommendation.id,
        "reasons": [r.source for r in node.reasons],
        "alternatives": [a.recommendation.id for a in node.alternatives],
    }


def definition(tree: Tree) -> dict[str, Any]:
    """The whole tree: questions to ask, what each answer leads to, prices, sources.

    Texts are the templates as written ({name} placeholders are filled at evaluation).
    """
    deprecation = None
    if tree.status == "deprecated":
        deprecation = {"message": tree.deprecation_message, "source": tree.deprecation_source}
    return {
        "id": tree.id,
        "version": tree.version,
        "title": tree.title,
        "description": tree.description,
        "status": tree.status,
        "as_of": tree.as_of.isoformat(),
        "digest": tree.digest,
        "changes": list(tree.changes),
        "deprecation": deprecation,
        "questions": [q.to_dict() for q in tree.questions.values()],
        "recommendations": [_recommendation(r) for r in tree.recommendations.values()],
        "root": tree.root,
        "nodes": [_node(n) for n in tree.nodes.values()],
        "pricing": {
            name: {
                "value": p.value,
                "unit": p.unit,
                "description": p.description,
                "source": p.source,
            }
            for name, p in tree.pricing.items()
        },
        "sources": [{"id": s.id, "title": s.title, "url": s.url} for s in tree.sources.values()],
    }


def tree_url(tree: Tree) -> str:
    return f"/v1/trees/{quote(tree.id)}?version={quote(tree.version)}"


def deprecation_headers(tree: Tree, successor: Tree | None) -> dict[str, str]:
    """RFC 9745 `Deprecation` (the date the successor was published) and `Link`s to the
    successor version and to the source that explains the deprecation."""
    if tree.status != "deprecated":
        return {}
    since = successor.as_of if successor is not None else tree.as_of
    moment = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    links = []
    if successor is not None:
        links.append(f'<{tree_url(successor)}>; rel="successor-version"')
    if tree.deprecation_source:
        links.append(f'<{tree.deprecation_source}>; rel="deprecation"; type="text/html"')
    headers = {"Deprecation": f"@{int(moment.timestamp())}"}
    if links:
        headers["Link"] = ", ".join(links)
    return headers


@dataclass(frozen=True, slots=True)
class Entry:
    """One tree version, ready to serve: its definition bytes, ETag and headers."""

    tree: Tree
    definition: bytes
    etag: str
    deprecation: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Documents:
    """Everything the read endpoints return, built once from an immutable catalog."""

    entries: Mapping[tuple[str, str], Entry]
    trees_list: bytes
    versions: Mapping[str, bytes]

    @classmethod
    def build(cls, catalog: Catalog) -> Documents:
        entries: dict[tuple[str, str], Entry] = {}
        listing = []
        versions: dict[str, bytes] = {}
        for tree_id in catalog.tree_ids:
            default = catalog.defaults[tree_id]
            all_versions = catalog.versions(tree_id)
            digests: dict[str, str] = {}
            for tree in all_versions:
                data = orjson.dumps(definition(tree))
                # A hash of the bytes served, so a price from a pricing file or a change
                # in how definitions are written also changes the tag.
                etag = hashlib.sha256(data).hexdigest()[:32]
                successor = default if default.status == "current" else None
                entries[(tree_id, tree.version)] = Entry(
                    tree, data, etag, deprecation_headers(tree, successor)
                )
                digests[tree.version] = etag
            listing.append(
                {
                    "id": tree_id,
                    "title": default.title,
                    "description": default.description,
                    "latest_version": default.version,
                    "versions": [t.version for t in all_versions],
                    # Which definitions are live: each version's ETag, which a changed
                    # tree file or pricing file changes.
                    "digests": digests,
                }
            )
            versions[tree_id] = orjson.dumps(
                {
                    "tree": tree_id,
                    "default_version": default.version,
                    "versions": [
                        {
                            "version": t.version,
                            "status": t.status,
                            "as_of": t.as_of.isoformat(),
                            "changes": list(t.changes),
                            "default": t.version == default.version,
                        }
                        for t in all_versions
                    ],
                }
            )
        return cls(entries, orjson.dumps({"trees": listing}), versions)

    def entry(self, tree: Tree) -> Entry:
        return self.entries[(tree.id, tree.version)]
