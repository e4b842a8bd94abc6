"""Where the app keeps its configuration, loaded catalog and the documents built from it."""

from __future__ import annotations

from typing import cast

import flask

from service.engine import Catalog

from .config import ApiConfig
from .definitions import Documents

CATALOG = "netadvisor"
DOCUMENTS = "netadvisor.documents"
CONFIG = "netadvisor.config"


def catalog() -> Catalog:
    return cast(Catalog, flask.current_app.extensions[CATALOG])


def documents() -> Documents:
    return cast(Documents, flask.current_app.extensions[DOCUMENTS])


def config() -> ApiConfig:
    return cast(ApiConfig, flask.current_app.extensions[CONFIG])
