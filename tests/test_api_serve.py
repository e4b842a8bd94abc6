"""`netadvisor serve` under gunicorn on loopback: ready, serving, and metrics that add up
over several workers."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from support.api import API_TREES, TEST_TREES
from support.server import Server, serve

pytestmark = pytest.mark.slow

WORKERS = 2
EVALUATIONS = 60


def _call(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    args = ["--trees", str(TEST_TREES), "--overlay", str(API_TREES)]
    with serve(tmp_path_factory.mktemp("serve"), args, workers=WORKERS) as running:
        yield running
    assert running.proc.returncode == 0, running.output()


def test_serve_answers_the_api(server: Server) -> None:
    base = server.base
    status, headers, body = _call(base + "/readyz")
    assert (status, json.loads(body)) == (200, {"status": "ready", "trees": 2, "versions": 3})
    status, headers, body = _call(
        base + "/v1/trees/expose/evaluate", {"answers": {"external": True, "services": 3}}
    )
    assert status == 200
    result = json.loads(body)
    assert result["recommendation"]["id"] == "gateway"
    assert headers["X-Decision-ID"] == result["decision_id"]
    assert headers["X-Request-ID"]
    status, headers, body = _call(base + "/v1/trees/nope")
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"


def _evaluations(text: str) -> float:
    pattern = re.compile(
        r'^netadvisor_evaluations_total\{recommendation="clusterip",status="complete",'
        r'tree="expose",version="2\.0\.0"\} (\S+)$',
        re.M,
    )
    match = pattern.search(text)
    return float(match.group(1)) if match else 0.0


def test_metrics_add_up_across_workers(server: Server) -> None:
    # `serve` execs gunicorn, so this pid is gunicorn's master.
    base, metrics_dir, master = server.base, server.metrics, server.proc.pid
    before = _evaluations(_call(base + "/metrics")[2].decode())
    url = base + "/v1/trees/expose/evaluate"
    sent = 0
    writers: set[int] = set()
    # Which worker accepts a connection is the kernel's choice, and one fast worker can
    # take a whole batch: send batches until both have counted some (each keeps its own
    # counter file), so the sum below really spans workers.
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(20):
            statuses = list(
                pool.map(
                    lambda _: _call(url, {"answers": {"external": False}})[0],
                    range(EVALUATIONS),
                )
            )
            assert statuses == [200] * EVALUATIONS
            sent += EVALUATIONS
            # counter_<pid>.db per live process; counter_exited.db holds exited workers'.
            writers = {
                int(p.stem.split("_")[1])
                for p in metrics_dir.glob("counter_*.db")
                if p.stem.split("_")[1].isdigit()
            }
            if len(writers - {master}) >= 2:
                break
    assert len(writers - {master}) >= 2, writers
    text = _call(base + "/metrics")[2].decode()
    assert _evaluations(text) == before + sent
    requests = re.search(
        r'^netadvisor_http_requests_total\{method="POST",route="/v1/trees/<tree_id>/evaluate",'
        r'status="200"\} (\S+)$',
        text,
        re.M,
    )
    assert requests is not None and float(requests.group(1)) >= sent
