"""Hot reload on real gunicorn: changed trees and prices serve without a restart (polling and
SIGHUP), a bad change is refused, logged and counted while the last good trees serve."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.server import Server, serve

pytestmark = pytest.mark.slow

TREES = Path(__file__).parent / "trees"
WORKERS = 2
EXPOSE = "overlay/expose/2.0.0.yaml"


@dataclass(frozen=True)
class Files:
    root: Path

    @property
    def tree(self) -> Path:
        return self.root / EXPOSE

    @property
    def prices(self) -> Path:
        return self.root / "prices.yaml"

    def retitle(self, title: str) -> None:
        text = re.sub(r"(?m)^title: .*$", f"title: {title}", self.tree.read_text())
        _replace(self.tree, text)


def _replace(path: Path, text: str) -> None:
    """Write as a deployment does: a new file renamed over the old one."""
    fresh = path.with_name(f".{path.name}.new")
    fresh.write_text(text)
    fresh.replace(path)


def _files(tmp_path: Path) -> Files:
    shutil.copytree(TREES / "example", tmp_path / "trees" / "example")
    shutil.copytree(TREES / "_api", tmp_path / "overlay")
    files = Files(tmp_path)
    _replace(files.prices, "trees:\n  expose:\n    lb_month: 25\n")
    return files


@contextmanager
def _server(files: Files, reload_seconds: int) -> Iterator[Server]:
    args = ["--trees", str(files.root / "trees"), "--overlay", str(files.root / "overlay")]
    args += ["--pricing-file", str(files.prices)]
    env = {"NETADVISOR_RELOAD_SECONDS": str(reload_seconds), "NETADVISOR_LOG_LEVEL": "info"}
    with serve(files.root / "run", args, env, workers=WORKERS) as server:
        yield server


def _get(server: Server, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(server.base + path, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _evaluate(server: Server) -> dict[str, Any]:
    """One evaluation of expose 2.0.0 with the same answers each time: a body the worker
    keeps for reuse, which must not outlive the trees it was made from."""
    request = urllib.request.Request(
        server.base + "/v1/trees/expose/evaluate?version=2.0.0",
        data=json.dumps({"answers": {"external": True}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body


def _view(server: Server) -> tuple[str, str, float, str]:
    """What one request sees: the listed digest of expose 2.0.0, the ETag and title of
    its definition, its price, from one connection each; an evaluation's title and
    digest must agree with the definition's."""
    listing = json.loads(_get(server, "/v1/trees")[2])
    digest = {t["id"]: t for t in listing["trees"]}["expose"]["digests"]["2.0.0"]
    _, headers, body = _get(server, "/v1/trees/expose?version=2.0.0")
    definition = json.loads(body)
    etag = headers["ETag"].strip('"')
    evaluated = _evaluate(server)["tree"]
    if (evaluated["title"], evaluated["digest"]) != (definition["title"], definition["digest"]):
        return digest, "", definition["pricing"]["lb_month"]["value"], ""
    return digest, etag, definition["pricing"]["lb_month"]["value"], definition["title"]


def _until(check: Callable[[], bool], within: float = 40.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.2)


def _all_see(server: Server, title: str, price: float, requests: int = 12) -> bool:
    """Every one of a run of requests (spread over the workers) sees the new trees, and
    the list's digest is the definition's ETag (catalog and documents swapped together)."""
    for _ in range(requests):
        digest, etag, seen_price, seen_title = _view(server)
        if (seen_title, seen_price) != (title, price) or digest != etag:
            return False
    return True


def _counter(server: Server, name: str) -> float:
    text = _get(server, "/metrics")[2].decode()
    found = re.search(rf"(?m)^{name} ([0-9.e+]+)$", text)
    return float(found.group(1)) if found else 0.0


def _refusals(server: Server) -> list[dict[str, Any]]:
    return [line for line in server.log_lines() if line.get("event") == "tree_reload_failed"]


def _healthy(server: Server, title: str, price: float) -> None:
    assert _get(server, "/readyz")[0] == 200
    assert _all_see(server, title, price)
    request = urllib.request.Request(
        server.base + "/v1/trees/expose/evaluate",
        data=b'{"answers": {}}',
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_changes_poll_in_and_bad_changes_are_refused_while_the_last_good_trees_serve(
    tmp_path: Path,
) -> None:
    files = _files(tmp_path)
    with _server(files, reload_seconds=1) as server:
        assert _counter(server, "netadvisor_tree_reload_failures_total") == 0
        start = _view(server)
        assert start[0] == start[1] and start[2] == 25

        # A changed overlay tree: every worker serves it, each one reloaded once.
        files.retitle("Expose a service, reviewed")
        _until(lambda: _all_see(server, "Expose a service, reviewed", 25))
        _until(lambda: _counter(server, "netadvisor_tree_reloads_total") >= WORKERS)
        assert _view(server)[0] != start[0]

        # A changed pricing file: the price and the digest move.
        before = _view(server)[0]
        _replace(files.prices, "trees:\n  expose:\n    lb_month: 40\n")
        _until(lambda: _all_see(server, "Expose a service, reviewed", 40))
        good = _view(server)
        assert good[0] != before

        # A bad tree: refused by every worker, logged with the file, counted.
        text = files.tree.read_text()
        _replace(files.tree, re.sub(r"(?m)^as_of: .*$", "as_of: 2026-13-45", text))
        _until(lambda: _counter(server, "netadvisor_tree_reload_failures_total") >= WORKERS)
        refused = _refusals(server)
        assert refused and refused[0]["file"] == EXPOSE and refused[0]["level"] == "error"
        assert "as_of" in json.dumps(refused[0])
        _healthy(server, "Expose a service, reviewed", 40)
        assert _view(server)[0] == good[0]

        # A bad pricing file while the tree is fixed: refused, the last good trees stay.
        _replace(files.tree, text)
        _replace(files.prices, "trees:\n  expose:\n    lb_month: .nan\n")
        _until(lambda: _counter(server, "netadvisor_tree_reload_failures_total") >= 2 * WORKERS)
        assert _refusals(server)[-1]["file"].endswith("prices.yaml")
        _healthy(server, "Expose a service, reviewed", 40)

        # Fixed: the next poll takes it.
        _replace(files.prices, "trees:\n  expose:\n    lb_month: 50\n")
        _until(lambda: _all_see(server, "Expose a service, reviewed", 50))
        assert "Traceback" not in server.log.read_text()


def _master_pid(server: Server) -> int:
    for line in server.log_lines():
        found = re.match(r"Listening at: \S+ \((\d+)\)", str(line.get("message")))
        if found:
            return int(found.group(1))
    raise AssertionError("no master pid in the log")


def test_sighup_loads_changed_trees_in_every_new_worker_and_keeps_them_on_a_bad_change(
    tmp_path: Path,
) -> None:
    files = _files(tmp_path)
    # No polling within the test: only SIGHUP can bring the change in.
    with _server(files, reload_seconds=3600) as server:
        master = _master_pid(server)
        # Each worker also checks the files when it starts (before its first request):
        # the change must come after every worker has started, or one picks it up alone.
        server.wait_workers(WORKERS)
        time.sleep(1.0)
        files.retitle("Expose a service, after HUP")
        time.sleep(1.5)
        assert _view(server)[3] == "Expose services"
        os.kill(master, signal.SIGHUP)
        _until(lambda: _all_see(server, "Expose a service, after HUP", 25))

        _replace(files.prices, "trees:\n  expose:\n    lb_month: -3\n")
        os.kill(master, signal.SIGHUP)
        _until(lambda: len(_refusals(server)) >= 1)
        time.sleep(2)  # the new workers are up and answering
        _healthy(server, "Expose a service, after HUP", 25)
        # Refused once, in the master; its workers fork knowing the change was refused.
        assert len(_refusals(server)) == 1
        assert _counter(server, "netadvisor_tree_reload_failures_total") == 1
