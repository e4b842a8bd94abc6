"""Reads a tree file with safe YAML and hard limits, so a hostile file fails fast."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    ScalarEvent,
)
from yaml.nodes import Node

MAX_FILE_BYTES = 512 * 1024
MAX_DEPTH = 32


class YamlRefused(Exception):
    """A construct the tree format does not allow, with the line it was found on."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _refuse(event: Event) -> int | None:
    """Raise on an alias, an anchor or an explicit tag; return the event's line."""
    line = event.start_mark.line + 1 if event.start_mark else None
    if isinstance(event, AliasEvent):
        raise YamlRefused("YAML aliases (*name) are not allowed; repeat the value", line)
    if getattr(event, "anchor", None) is not None:
        raise YamlRefused("YAML anchors (&name) are not allowed; repeat the value", line)
    tag = getattr(event, "tag", None)
    explicit = (
        tag is not None
        and not (isinstance(event, ScalarEvent) and event.implicit[0])
        and not (isinstance(event, CollectionStartEvent) and event.implicit)
    )
    if explicit:
        raise YamlRefused(f"YAML tags ({tag}) are not allowed; write plain values", line)
    return line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases and explicit tags, and caps nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = _refuse(event)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlRefused(f"nesting deeper than {MAX_DEPTH} levels", line)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


@dataclass(frozen=True)
class RawTree:
    """A parsed tree file before checking: its data, path and content digest."""

    path: Path
    data: Any
    digest: str


def _refuse_events(text: str) -> None:
    """Refuse anchors, aliases, explicit tags and deep nesting from libyaml's event stream.

    Scanning events in C and then loading with libyaml is several times faster than the
    pure-Python composer the strict loader hooks into, and it refuses the same things.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        line = _refuse(event)
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlRefused(f"nesting deeper than {MAX_DEPTH} levels", line)
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def parse_yaml(text: str) -> Any:
    """Parse YAML text under the tree format's restrictions."""
    if yaml.__with_libyaml__:
        _refuse_events(text)
        return yaml.load(text, Loader=yaml.CSafeLoader)
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_tree_file(path: Path) -> RawTree:
    """Read and parse one file; raises OSError, YamlRefused or yaml.YAMLError."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise YamlRefused(f"file is {size} bytes; the limit is {MAX_FILE_BYTES} bytes")
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:  # the file grew between stat and read
        raise YamlRefused(f"file is over the limit of {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlRefused(f"file is not UTF-8 (byte {exc.start})") from None
    return RawTree(path=path, data=parse_yaml(text), digest=hashlib.sha256(raw).hexdigest())
