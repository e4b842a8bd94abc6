"""Derived answers with their evidence, and safe reading of untrusted kubectl objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Value = str | int | bool

# kubectl nests nothing deeper than a List of objects; a bound keeps hostile input cheap.
_MAX_LIST_DEPTH = 4


@dataclass(frozen=True)
class Answer:
    """One derived answer and the object field it was read from."""

    value: Value
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "evidence": self.evidence}


@dataclass
class Facts:
    """Answers keyed by question id, plus notes on what was read and how."""

    answers: dict[str, Answer] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "answers": {qid: answer.to_dict() for qid, answer in self.answers.items()},
            "notes": list(self.notes),
        }

    def values(self) -> dict[str, Value]:
        """The answers alone, as an evaluate request's `answers` would carry them."""
        return {qid: answer.value for qid, answer in self.answers.items()}


def get(obj: object, *keys: str) -> object:
    """obj[k1][k2]... or None as soon as a step is not a JSON object holding the key."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def get_str(obj: object, *keys: str) -> str | None:
    value = get(obj, *keys)
    return value if isinstance(value, str) else None


def get_list(obj: object, *keys: str) -> list[object]:
    value = get(obj, *keys)
    return value if isinstance(value, list) else []


def get_map(obj: object, *keys: str) -> dict[str, object]:
    value = get(obj, *keys)
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Obj:
    """A Kubernetes object as kubectl printed it: kind, where it lives, and its raw body."""

    kind: str
    namespace: str | None
    name: str
    raw: dict[str, object]

    @property
    def ref(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"

    def evidence(self, path: str, value: object) -> str:
        return f"{self.ref}: {path} = {value}"

    def label(self, key: str) -> str | None:
        return get_str(self.raw, "metadata", "labels", key)

    def annotation(self, key: str) -> str | None:
        return get_str(self.raw, "metadata", "annotations", key)


def iter_objects(objects: object) -> Iterator[Obj]:
    """Every readable object in a List, a JSON array or a single object; the rest skipped."""
    stack: list[tuple[object, int]] = [(objects, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list):
            if depth < _MAX_LIST_DEPTH:
                stack.extend((child, depth + 1) for child in reversed(item))
            continue
        if not isinstance(item, dict):
            continue
        items = item.get("items")
        if isinstance(items, list):
            stack.append((items, depth))
            continue
        kind = item.get("kind")
        name = get_str(item, "metadata", "name")
        if not isinstance(kind, str) or not kind or not name:
            continue
        yield Obj(kind, get_str(item, "metadata", "namespace") or None, name, item)
