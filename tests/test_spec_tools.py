"""Third-party tools accept openapi.yaml whole, and what they generate works.

- Redocly CLI lints it with its recommended rules: no errors, no warnings.
- openapi-python-client generates a client without a warning, and that client drives
  every operation of a real server (every format, the server's own refusals included).
- openapi-typescript generates types from which tests/clients/netadvisor.ts, a client with
  a method per operation, type-checks under `tsc --noEmit` (strict).

The Node tools are the ones pinned in tests/node (`npm ci --prefix tests/node`); they run
offline, with telemetry and update checks off.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from support.api import ROOT, SPEC_PATH, check_response, spec_dict
from support.server import Server, serve
from werkzeug.test import EnvironBuilder, TestResponse

NODE_BIN = ROOT / "tests" / "node" / "node_modules" / ".bin"
CLIENT_TS = ROOT / "tests" / "clients" / "netadvisor.ts"
METHODS = {"get", "post", "put", "patch", "delete"}
# The statuses the server itself answers, before or around the app, on any operation.
SERVER_REFUSALS = {"400", "408", "414", "417", "431", "500", "501", "503"}

OFFLINE = {
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_UPDATE_NOTIFIER": "1",
    "npm_config_update_notifier": "false",
    "npm_config_offline": "true",
}


def _node_tool(name: str) -> Path:
    tool = NODE_BIN / name
    if not tool.exists():
        # A missing tool fails with the command that installs it; nothing is skipped.
        pytest.fail(f"{tool} is missing: run `make node-tools` (npm ci --prefix tests/node)")
    return tool


def _run(argv: list[str | Path], cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env={**os.environ, **OFFLINE, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec_dict()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


# Redocly ------------------------------------------------------------------------------


def test_redocly_config_extends_the_recommended_rules() -> None:
    config = yaml.safe_load((ROOT / "redocly.yaml").read_text(encoding="utf-8"))
    assert config["extends"] == ["recommended"]
    # Each rule turned off is explained in redocly.yaml; this is the whole list.
    off = {rule for rule, setting in config.get("rules", {}).items() if setting == "off"}
    assert off <= {"no-path-trailing-slash"}, off


def test_redocly_lint_with_the_recommended_rules_finds_nothing() -> None:
    redocly = _node_tool("redocly")
    result = _run([redocly, "lint", "--config", "redocly.yaml", "--format", "json", SPEC_PATH])
    report = json.loads(result.stdout[result.stdout.index("{") :])
    problems = [
        f"{p['severity']} {p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}"
        for p in report["problems"]
    ]
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, problems
    assert result.returncode == 0, result.stderr


# openapi-python-client -----------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """openapi-python-client's client for the spec, in a temporary directory, and what the
    generator printed."""
    out = tmp_path_factory.mktemp("python-client")
    # Its post-hooks run ruff, which is in this venv.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = _run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            SPEC_PATH,
            "--meta",
            "none",
            "--output-path",
            out / "netadvisor_client",
        ],
        cwd=out,
        PATH=path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result.stdout + result.stderr


def test_openapi_python_client_generates_without_a_warning(generated: tuple[Path, str]) -> None:
    out, printed = generated
    assert "warning" not in printed.lower(), printed
    assert "not in PATH" not in printed, printed
    modules = {p.stem for p in (out / "netadvisor_client" / "api").glob("*/*.py")}
    operation_modules = {
        "".join(f"_{c.lower()}" if c.isupper() else c for c in op["operationId"])
        for _, _, op in _operations()
    }
    assert operation_modules <= modules, operation_modules - modules


@pytest.fixture(scope="module")
def client_package(generated: tuple[Path, str]) -> Iterator[ModuleType]:
    out, _ = generated
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("netadvisor_client")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == "netadvisor_client"]:
            del sys.modules[name]


TOKEN = "spec-tools-token"  # a test token, for a server on loopback


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("server")
    env = {"NETADVISOR_API_TOKENS": TOKEN, "GUNICORN_READ_TIMEOUT": "1"}
    with serve(workdir, env=env, workers=1) as running:
        yield running


def _api(package: ModuleType, tag: str, operation: str) -> Any:
    return importlib.import_module(f"netadvisor_client.api.{tag}.{operation}")


@pytest.mark.slow
def test_the_generated_python_client_drives_every_operation(
    client_package: ModuleType, server: Server
) -> None:
    pkg = client_package
    models = importlib.import_module("netadvisor_client.models")
    client = pkg.AuthenticatedClient(base_url=server.base, token=TOKEN)
    anonymous = pkg.Client(base_url=server.base)
    done: set[str] = set()

    def call(tag: str, operation: str, *args: Any, via: Any = client, **kwargs: Any) -> Any:
        done.add(operation)
        response = _api(pkg, tag, operation).sync_detailed(*args, client=via, **kwargs)
        assert response.parsed is not None or response.status_code == 304, response
        return response

    trees = call("trees", "list_trees").parsed
    assert isinstance(trees, models.TreeList)
    assert "service-type" in [t.id for t in trees.trees]

    tree = call("trees", "get_tree", "cni", version="1.0.0")
    assert isinstance(tree.parsed, models.TreeDefinition)
    assert tree.parsed.status == "deprecated"
    again = call("trees", "get_tree", "cni", version="1.0.0", if_none_match=tree.headers["ETag"])
    assert again.status_code == 304

    versions = call("trees", "list_tree_versions", "service-type").parsed
    assert isinstance(versions, models.VersionList)

    formats = models.EvaluateTreeFormat
    body = models.EvaluationRequest.from_dict({"answers": {"consumers": "in-cluster"}})
    # Every format of the one 200 comes back as text (the first media type, Markdown, is
    # what this generator reads), and each parses as its own schema.
    as_json = call("evaluations", "evaluate_tree", "service-type", body=body)
    assert as_json.headers["Content-Type"] == "application/json"
    evaluation = models.Evaluation.from_dict(json.loads(as_json.parsed))
    assert evaluation.status == "needs_input" or evaluation.recommendation is not None
    slack = call("evaluations", "evaluate_tree", "service-type", body=body, format_=formats.SLACK)
    assert slack.headers["Content-Type"] == "application/json"
    assert models.SlackMessage.from_dict(json.loads(slack.parsed)).blocks
    markdown = call(
        "evaluations", "evaluate_tree", "service-type", body=body, format_=formats.MARKDOWN
    )
    assert markdown.headers["Content-Type"].startswith("text/markdown")
    assert markdown.parsed.startswith("# ")
    explicit = call("evaluations", "evaluate_tree", "service-type", body=body, format_=formats.JSON)
    assert json.loads(explicit.parsed)["status"] == evaluation.status

    compare = models.CompareRequest.from_dict({"answers": {"network_policy": True}})
    comparison = call("evaluations", "compare_versions", "cni", body=compare).parsed
    assert isinstance(comparison, models.Comparison)
    assert len(comparison.results) >= 2

    batch = models.BatchRequest.from_dict(
        {
            "requests": [
                {"tree": "service-type", "answers": {"consumers": "in-cluster"}},
                {"tree": "no-such-tree", "answers": {}},
            ]
        }
    )
    results = call("evaluations", "evaluate_batch", body=batch).parsed
    assert isinstance(results, models.BatchResults)
    first, failed = results.results
    assert isinstance(first, models.Evaluation)
    assert failed.problem.status == 404

    facts_input = models.FactsInput.from_dict(
        {"objects": {"kind": "List", "items": []}, "error": "dial tcp 10.0.0.1:80: i/o timeout"}
    )
    facts = call("evaluations", "derive_facts", body=facts_input).parsed
    assert isinstance(facts, models.Facts)
    assert facts.answers["error_class"].value == "timeout"

    answers = models.GetTreeDiagramAnswers.from_dict({"consumers": "external"})
    diagram = call(
        "trees",
        "get_tree_diagram",
        "service-type",
        answers=answers,
        view=models.GetTreeDiagramView.PATH,
    )
    assert diagram.headers["Content-Type"].startswith("text/vnd.mermaid")
    assert diagram.parsed.startswith("flowchart")

    assert call("operations", "livez", via=anonymous).parsed.status == "ok"
    assert call("operations", "healthz", via=anonymous).parsed.status == "ok"
    assert call("operations", "readyz", via=anonymous).parsed.trees >= 1
    metrics = call("operations", "metrics", via=anonymous)
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert "netadvisor_http_requests_total" in metrics.parsed
    served = call("operations", "openapi", via=anonymous)
    assert served.headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(served.parsed) == spec_dict()
    assert "swagger-ui" in call("operations", "docs", via=anonymous).parsed
    assert "swagger-ui" in call("operations", "docs_with_slash", via=anonymous).parsed
    for asset in models.DocsAssetAsset:
        fetched = call("operations", "docs_asset", asset, via=anonymous)
        assert fetched.status_code == 200, asset
        if asset.value.endswith(".png"):
            assert fetched.content.startswith(b"\x89PNG")  # binary: the raw bytes
    assert "<html" in call("page", "advisor_page", via=anonymous).parsed.lower()
    for asset in (models.AdvisorAssetAsset.APP_JS, models.AdvisorAssetAsset.STYLE_CSS):
        assert call("page", "advisor_asset", asset, via=anonymous).parsed

    every = {
        "".join(f"_{c.lower()}" if c.isupper() else c for c in op["operationId"])
        for _, _, op in _operations()
    }
    assert done == every, every - done

    # Documented errors parse as problems: the app's and the server's own.
    problem = models.Problem
    unauthorized = _api(pkg, "trees", "list_trees").sync_detailed(client=anonymous)
    assert unauthorized.status_code == 401
    assert isinstance(unauthorized.parsed, problem)
    unknown = _api(pkg, "trees", "get_tree").sync_detailed("no-such-tree", client=client)
    assert isinstance(unknown.parsed, problem)
    assert unknown.parsed.status == 404
    too_long = _api(pkg, "trees", "get_tree").sync_detailed("a" * 5000, client=client)
    assert too_long.status_code == 414
    assert isinstance(too_long.parsed, problem)
    big = client.with_headers({"X-Padding": "x" * 9000})
    large_headers = _api(pkg, "trees", "list_trees").sync_detailed(client=big)
    assert large_headers.status_code == 431
    assert isinstance(large_headers.parsed, problem)
    odd = anonymous.with_headers({"Expect": "something-else"})
    expectation = _api(pkg, "operations", "livez").sync_detailed(client=odd)
    assert expectation.status_code == 417
    assert isinstance(expectation.parsed, problem)


def _raw(server: Server, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes; read the answer until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = dict(field.split(": ", 1) for field in fields)
    return int(status_line.split(" ")[1]), headers, body


# What makes the server refuse a request before the app sees it; the path is one the
# spec has, so the refusal is checked against that operation's documented responses.
REFUSALS = {
    400: b"GET /livez HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    414: b"GET /livez?" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    417: b"GET /v1/trees HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n",
    431: b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"x" * 9000 + b"\r\n\r\n",
    501: b"POST /v1/facts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo\r\n\r\n0\r\n\r\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("status", [*REFUSALS, 408])
def test_the_servers_own_refusals_are_the_documented_problems(server: Server, status: int) -> None:
    if status == 408:
        # A head that never ends: the read deadline (1 s here) answers it.
        request, path, method = b"GET /readyz HTTP/1.1\r\nHost: x\r\n", "/readyz", "GET"
    else:
        request = REFUSALS[status]
        method, target = request.split(b" ", 2)[:2]
        path, method = target.decode().split("?")[0], method.decode()
    got, headers, body = _raw(server, request)
    assert got == status, body
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == status
    assert json.loads(body)["title"] == HTTPStatus(status).phrase
    sent = EnvironBuilder(path=path, method=method).get_request()
    check_response(TestResponse(body, got, headers, request=sent))


def test_every_operation_documents_the_servers_own_refusals() -> None:
    for path, method, operation in _operations():
        missing = SERVER_REFUSALS - set(operation["responses"])
        assert not missing, (method, path, missing)
    responses = spec_dict()["components"]["responses"]
    worker_only = ("MalformedRequest", "UriTooLong", "ExpectationFailed", "HeaderFieldsTooLarge")
    for name in (*worker_only, "UnsupportedTransferCoding", "ServerTimeout"):
        assert "X-Request-ID" not in responses[name]["headers"], name
        assert "application/problem+json" in responses[name]["content"], name


def test_the_spec_is_text_plain_to_a_caller_that_prefers_it(client: FlaskClient) -> None:
    # openapi.yaml documents text/plain beside application/yaml so that a generator that
    # knows no YAML media type (openapi-python-client) reads the spec as text.
    response = client.get("/openapi.yaml", headers={"Accept": "text/plain"})
    assert response.mimetype == "text/plain"
    assert yaml.safe_load(response.get_data(as_text=True)) == spec_dict()
    assert client.get("/openapi.yaml").mimetype == "application/yaml"


# openapi-typescript and tsc --------------------------------------------------------------

TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "target": "es2022",
        "lib": ["es2022", "dom", "dom.iterable"],
        "module": "esnext",
        "moduleResolution": "bundler",
        "noUnusedLocals": True,
        "noUnusedParameters": True,
        "noImplicitReturns": True,
        "noUncheckedIndexedAccess": True,
        "types": [],
    },
    "files": ["netadvisor.ts"],
}


@pytest.mark.slow
def test_the_typescript_client_type_checks_against_generated_types(tmp_path: Path) -> None:
    generate, tsc = _node_tool("openapi-typescript"), _node_tool("tsc")
    result = _run([generate, SPEC_PATH, "--output", tmp_path / "api.ts"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warn" not in (result.stdout + result.stderr).lower(), result.stdout + result.stderr
    shutil.copy(CLIENT_TS, tmp_path / "netadvisor.ts")
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG), encoding="utf-8")
    checked = _run([tsc, "--noEmit", "-p", tmp_path / "tsconfig.json"], cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
