"""The API under test: apps on the test trees and the bundled ones, a test client that
checks every response against openapi.yaml, problem assertions, and the bundled catalog
loaded once per session."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import flask
import jsonschema
import yaml
from flask.testing import FlaskClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.deserializing.media_types.util import json_loads, plain_loads
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.test import TestResponse

from service.engine import Catalog
from service.serving import create_app

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC_PATH = ROOT / "openapi.yaml"
TEST_TREES = ROOT / "tests" / "trees"
# Underscore directories are skipped when tests/trees itself is loaded, so these extra
# trees (a deprecated and a current version of one tree) reach only the API tests.
API_TREES = TEST_TREES / "_api"

# Logging on and off is the serving layer's business; the API tests keep stdout quiet.
QUIET = {"ACCESS_LOG": False, "DECISION_LOG": False}


@functools.cache
def spec_dict() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return data


# openapi-core reads only a few media types as text; these responses are text too.
TEXT_TYPES = (
    "text/markdown",
    "text/vnd.mermaid",
    "application/yaml",
    "text/css",
    "text/javascript",
)


@functools.cache
def openapi() -> OpenAPI:
    extra = dict.fromkeys(TEXT_TYPES, plain_loads)
    extra["application/problem+json"] = json_loads
    return OpenAPI.from_file_path(
        str(SPEC_PATH), config=Config(extra_media_type_deserializers=extra)
    )


class _SentRequest(WerkzeugOpenAPIRequest):
    """The request as the app received it; its body stream is spent, and response
    validation needs only the operation it names."""

    @property
    def body(self) -> bytes | None:
        return None


@functools.cache
def _problem_validator() -> jsonschema.protocols.Validator:
    schema = {"$ref": "#/components/schemas/Problem", "components": spec_dict()["components"]}
    return jsonschema.Draft202012Validator(schema)


def check_response(response: TestResponse) -> None:
    """Fail unless the response is one openapi.yaml documents for its request.

    A path or method the spec does not have cannot be looked up; such a response must
    still be a problem document.
    """
    request = response.request
    try:
        openapi().validate_response(_SentRequest(request), WerkzeugOpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        assert response.status_code in (404, 405), response.status_code
        assert response.mimetype == "application/problem+json"
        _problem_validator().validate(response.get_json())


# What an error body must never show: a trace, a path on this machine, a Python type.
LEAKS = re.compile(r"Traceback|File \"|/work/|/srv/|\.py\b|\w+Error\b|\w+Exception\b|<class")


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """The response is a problem+json document of this status that leaks nothing."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem: dict[str, Any] = response.get_json()
    assert problem["status"] == status
    assert {"type", "title", "detail"} <= set(problem)
    assert not LEAKS.search(response.get_data(as_text=True)), response.get_data(as_text=True)
    return problem


class CheckedClient(FlaskClient):
    """A test client that validates every response against the spec."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        check_response(response)
        return response


def make_app(**config: Any) -> flask.Flask:
    settings = {"TESTING": True, "TREES_DIR": str(TEST_TREES), "OVERLAY_DIRS": [str(API_TREES)]}
    settings.update(QUIET)
    settings.update(config)
    app = create_app(settings)
    app.test_client_class = CheckedClient
    return app


def bundled_app() -> flask.Flask:
    """An app on the bundled trees whose test client checks every response."""
    app = create_app({"TESTING": True, **QUIET})
    app.test_client_class = CheckedClient
    return app


@functools.cache
def bundled_catalog() -> Catalog:
    """The bundled trees, loaded once for the session (a catalog never changes)."""
    return Catalog.load()
