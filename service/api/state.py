"""Where the app keeps its loaded catalog and the documents built from it."""

from __future__ import annotations

from typing import cast

import flask

from service.engine import Catalog

from .definitions import Documents

CATALOG = "netadvisor"
DOCUMENTS = "netadvisor.documents"


def catalog() -> Catalog:
    return cast(Catalog, flask.current_app.extensions[CATALOG])


def documents() -> Documents:
    return cast(Documents, flask.current_app.extensions[DOCUMENTS])
