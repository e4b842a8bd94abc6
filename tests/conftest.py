"""Shared fixtures: apps on the test trees and the bundled ones (tests/support/api.py)."""

from __future__ import annotations

from collections.abc import Iterator

import flask
import pytest
from flask.testing import FlaskClient
from support import api

from service.engine import Catalog


@pytest.fixture
def app() -> flask.Flask:
    return api.make_app()


@pytest.fixture
def client(app: flask.Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


@pytest.fixture(scope="session")
def bundled_app() -> flask.Flask:
    return api.bundled_app()


@pytest.fixture
def bundled_client(bundled_app: flask.Flask) -> Iterator[FlaskClient]:
    with bundled_app.test_client() as c:
        yield c


@pytest.fixture(scope="session")
def bundled_catalog() -> Catalog:
    return api.bundled_catalog()
