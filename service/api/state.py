"""Where the app keeps its configuration and live trees, and the snapshot a request reads."""

from __future__ import annotations

from typing import cast

import flask

from service.engine import Catalog

from .config import ApiConfig
from .definitions import Documents
from .live import LiveTrees, Snapshot

LIVE = "netadvisor.trees"
CONFIG = "netadvisor.config"
# The snapshot a request read first: every later read in the request gets the same one,
# so a reload between two reads never pairs one catalog with another's documents.
SNAPSHOT_KEY = "netadvisor.snapshot"


def live() -> LiveTrees:
    return cast(LiveTrees, flask.current_app.extensions[LIVE])


def snapshot() -> Snapshot:
    environ = flask.request.environ
    found: Snapshot | None = environ.get(SNAPSHOT_KEY)
    if found is None:
        found = environ[SNAPSHOT_KEY] = live().current
    return found


def catalog() -> Catalog:
    return snapshot().catalog


def documents() -> Documents:
    return snapshot().documents


def config() -> ApiConfig:
    return cast(ApiConfig, flask.current_app.extensions[CONFIG])
