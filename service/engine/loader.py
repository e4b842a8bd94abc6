"""Reads a tree or pricing file with safe YAML and hard limits, so a hostile file fails fast."""

from __future__ import annotations

import hashlib
import math
import os
import stat
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
from yaml.nodes import MappingNode, Node, ScalarNode

MAX_FILE_BYTES = 512 * 1024
MAX_DEPTH = 32
# Every number in a tree or pricing file lies within +-MAX_NUMBER: counts, bounds, cost
# factors and prices are far below it, and a product of a few of them stays finite.
MAX_NUMBER = 10**9
# Longer number scalars are refused before int() sees them: CPython raises a ValueError
# past 4,300 digits, and converting long ones takes quadratic time.
_MAX_NUMBER_TEXT = 32


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


def _line(node: Node) -> int | None:
    return node.start_mark.line + 1 if node.start_mark else None


def _over_limit(text: str) -> str:
    shown = text if len(text) <= 24 else f"{text[:12]}...({len(text)} characters)"
    return f"{shown} is over the limit: numbers must lie within +-{MAX_NUMBER:,}"


class _Checks:
    """Constructor overrides shared by both loaders (placed before SafeConstructor).

    Duplicate keys would otherwise keep the last value silently; a non-finite price prints
    as "$nan"; a date that does not exist stays a string so the schema names its key.
    """

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        build: Any = self
        mapping: dict[Any, Any] = {}
        lines: dict[Any, int | None] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlRefused("YAML merge keys (<<) are not allowed", _line(key_node))
            key = build.construct_object(key_node, deep=deep)
            try:
                seen = key in lines
            except TypeError:
                raise YamlRefused("a mapping key must be a plain value", _line(key_node)) from None
            if seen:
                raise YamlRefused(
                    f"duplicate key {key!r} (first on line {lines[key]}); write each key once",
                    _line(key_node),
                )
            lines[key] = _line(key_node)
            mapping[key] = build.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_int(self, node: ScalarNode) -> int:
        if len(node.value) > _MAX_NUMBER_TEXT:
            raise YamlRefused(_over_limit(node.value), _line(node))
        value: int = super().construct_yaml_int(node)  # type: ignore[misc]
        if abs(value) > MAX_NUMBER:
            raise YamlRefused(_over_limit(node.value), _line(node))
        return value

    def construct_yaml_float(self, node: ScalarNode) -> float:
        if len(node.value) > _MAX_NUMBER_TEXT:
            raise YamlRefused(_over_limit(node.value), _line(node))
        value: float = super().construct_yaml_float(node)  # type: ignore[misc]
        if not math.isfinite(value):
            raise YamlRefused(f"{node.value} is not a finite number", _line(node))
        if abs(value) > MAX_NUMBER:
            raise YamlRefused(_over_limit(node.value), _line(node))
        return value

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except ValueError:
            return str(node.value)


def _register(loader: Any) -> None:
    for tag, method in (
        ("int", loader.construct_yaml_int),
        ("float", loader.construct_yaml_float),
        ("timestamp", loader.construct_yaml_timestamp),
    ):
        loader.add_constructor(f"tag:yaml.org,2002:{tag}", method)


class _StrictLoader(_Checks, yaml.SafeLoader):
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


_register(_StrictLoader)

if yaml.__with_libyaml__:

    class _FastLoader(_Checks, yaml.CSafeLoader):
        """libyaml's parser with the same constructor checks."""

    _register(_FastLoader)


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
        fast = _FastLoader(text)
        try:
            return fast.get_single_data()
        finally:
            fast.dispose()
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_limited(path: Path) -> bytes:
    """A regular file's bytes, refused unread when over MAX_FILE_BYTES; raises OSError."""
    # O_NONBLOCK: opening a FIFO someone left in place of the file must not hang start-up.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise YamlRefused("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise YamlRefused(f"file is {info.st_size} bytes; the limit is {MAX_FILE_BYTES} bytes")
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:  # the file grew between stat and read
        raise YamlRefused(f"file is over the limit of {MAX_FILE_BYTES} bytes")
    return raw


def read_yaml_file(path: Path) -> tuple[Any, str]:
    """Read and parse one file: its data and SHA-256 digest.

    Raises OSError, YamlRefused or yaml.YAMLError.
    """
    raw = read_limited(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlRefused(f"file is not UTF-8 (byte {exc.start})") from None
    return parse_yaml(text), hashlib.sha256(raw).hexdigest()


def read_tree_file(path: Path) -> RawTree:
    """Read and parse one tree file; raises OSError, YamlRefused or yaml.YAMLError."""
    data, digest = read_yaml_file(path)
    return RawTree(path=path, data=data, digest=digest)


def set_max_file_bytes(limit: int) -> int:
    """Set the file size cap (benchmarks lift it for big generated trees); the old cap."""
    global MAX_FILE_BYTES
    old, MAX_FILE_BYTES = MAX_FILE_BYTES, limit
    return old
