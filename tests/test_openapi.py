"""openapi.yaml is a valid OpenAPI 3.1 document, matches the routes, and its examples fit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import flask
import jsonschema
import pytest
from openapi_core.validation.response.exceptions import InvalidData
from openapi_spec_validator import validate
from support.api import check_response, spec_dict
from werkzeug.test import TestResponse

from service.api import evaluate, evaluations

METHODS = {"get", "post", "put", "patch", "delete"}


def test_the_spec_is_valid_openapi_3_1() -> None:
    spec = spec_dict()
    assert spec["openapi"].startswith("3.1.")
    validate(spec)


def _spec_path(rule: str) -> str:
    # Flask's <converter(args):name> is OpenAPI's {name}.
    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_route_is_in_the_spec_and_every_path_is_routed(app: flask.Flask) -> None:
    # Evaluate and batch are routed ahead of Flask's URL map (service.api.routes.Routes).
    rules = [(rule.rule, rule.methods or ()) for rule in app.url_map.iter_rules()]
    rules += [(route.rule, route.allow) for route in (evaluate.Evaluate, evaluations.Batch)]
    routed = {
        (_spec_path(rule), method.lower())
        for rule, methods in rules
        for method in methods
        if method.lower() in METHODS
    }
    specified = {
        (path, method)
        for path, item in spec_dict()["paths"].items()
        for method in item
        if method in METHODS
    }
    assert routed == specified


def test_every_operation_has_an_id_and_documents_its_errors() -> None:
    for path, item in spec_dict()["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            assert operation.get("operationId"), (path, method)
            responses = operation["responses"]
            if path.startswith("/v1"):
                assert {"401", "500"} <= set(responses), (path, method)
            if "{tree_id}" in path:
                assert "404" in responses, (path, method)
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(responses), (path, method)


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec_dict()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example beside a JSON schema in the spec."""
    for path, item in spec_dict()["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(status, _resolve(r)) for status, r in operation["responses"].items()]
            for where, body in bodies:
                for media_type, content in body.get("content", {}).items():
                    if "json" not in media_type or "schema" not in content:
                        continue
                    label = f"{method.upper()} {path} {where} {media_type}"
                    if "example" in content:
                        yield label, content["schema"], content["example"]
                    for name, example in content.get("examples", {}).items():
                        yield f"{label} {name}", content["schema"], _resolve(example)["value"]


EXAMPLES = list(_examples())


def test_there_are_examples_for_every_json_body() -> None:
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize(("where", "schema", "example"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_each_example_fits_its_schema(where: str, schema: dict[str, Any], example: Any) -> None:
    validator = jsonschema.Draft202012Validator(
        {**schema, "components": spec_dict()["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    errors = [e.message for e in validator.iter_errors(example)]
    assert not errors, (where, errors)


def test_the_response_check_catches_a_response_the_spec_does_not_allow(
    app: flask.Flask,
) -> None:
    # The checking client is the proof behind every API test; prove that it can fail.
    client = app.test_client()
    response = client.get("/v1/trees")
    wrong = TestResponse(
        b'{"trees": [{"id": 1}]}',
        200,
        {"Content-Type": "application/json", "X-Request-ID": "x"},
        request=response.request,
    )
    with pytest.raises(InvalidData):
        check_response(wrong)
    undocumented = TestResponse(
        b"{}", 418, {"Content-Type": "application/json"}, request=response.request
    )
    with pytest.raises(Exception, match="418"):
        check_response(undocumented)


def _schema_keys(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, str(key)
            # Property names and examples are data, not keywords.
            if key not in ("properties", "examples", "example", "default", "enum"):
                yield from _schema_keys(value, f"{path}.{key}")
            elif key == "properties":
                for name, sub in value.items():
                    yield from _schema_keys(sub, f"{path}.properties.{name}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _schema_keys(item, f"{path}[{i}]")


def test_no_schema_has_a_key_that_is_really_a_cut_off_description() -> None:
    # A YAML flow mapping `{description: A, B}` turns ` B` into a key of its own.
    bad = [
        f"{where}: {key!r}"
        for where, key in _schema_keys(spec_dict()["components"]["schemas"], "schemas")
        if not re.fullmatch(r"[$A-Za-z][A-Za-z0-9_$-]*", key)
    ]
    assert not bad, bad


def test_every_operation_states_its_security() -> None:
    for path, item in spec_dict()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                assert "security" in operation, f"{method.upper()} {path}"
