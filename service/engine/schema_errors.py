"""Marshmallow's nested error messages flattened to (location, message, suggestion)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marshmallow import Schema, fields

from .errors import did_you_mean


def _unwrap(field: Any) -> Any:
    """The schema behind a Nested field (or the field itself)."""
    return field.schema if isinstance(field, fields.Nested) else field


def _child(current: Any, part: str | int) -> Any:
    """The field or schema that describes `part` inside `current`."""
    current = _unwrap(current)
    if isinstance(current, Schema):
        return current.fields.get(str(part))
    if isinstance(current, fields.List):
        return current.inner
    if isinstance(current, fields.Dict):
        return _DictEntry(current)
    if isinstance(current, _DictEntry):
        return current.field.value_field if part == "value" else current.field.key_field
    return None


class _DictEntry:
    """Marshmallow reports a dict entry's errors under "key" and "value"; this marks it."""

    def __init__(self, field: fields.Dict) -> None:
        self.field = field


def _location(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def iter_schema_errors(
    messages: Any, current: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[str, str, str | None]]:
    """Flatten marshmallow's nested messages to (location, message, suggestion)."""
    if isinstance(messages, dict):
        for key, sub in messages.items():
            if key == "_schema":
                yield from iter_schema_errors(sub, current, path)
                continue
            part: str | int = key if isinstance(key, int) else str(key)
            child = _child(current, part)
            entry = isinstance(_unwrap(current), _DictEntry)
            sub_path = path if entry else (*path, part)
            if sub == ["Unknown field."]:
                known = (
                    sorted(_unwrap(current).fields) if isinstance(_unwrap(current), Schema) else []
                )
                close = did_you_mean(str(key), known)
                hint = f"did you mean {close!r}?" if close else None
                msg = f"unknown key {key!r}; allowed keys: {', '.join(known)}"
                yield _location(sub_path), msg, hint
            else:
                yield from iter_schema_errors(sub, child, sub_path)
    elif isinstance(messages, list):
        for msg in messages:
            if isinstance(msg, dict | list):
                yield from iter_schema_errors(msg, current, path)
            elif msg == "Missing data for required field.":
                yield _location(path), "missing: this key is required", None
            else:
                yield _location(path), str(msg), None
    else:
        yield _location(path), str(messages), None
