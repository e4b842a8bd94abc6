"""The example Slack bot, driven offline by signed Slack payloads through Bolt and the real API.

Slash commands and button clicks go through Bolt's request handling (signature checked);
the bot calls the Flask app's test client with its bearer token; its replies go to the
`response_url` of each payload, here a server on loopback that records them.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import flask
import pytest
from slack_bolt import App, BoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.signature import SignatureVerifier
from support.api import QUIET, bundled_catalog, make_app
from support.render_checks import check_block_kit

from service.serving import create_app

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-signing-secret"
API_TOKEN = "bot-token-0123456789abcdef"


def load_bot() -> Any:
    spec = importlib.util.spec_from_file_location(
        "netadvisor_slack_bot", ROOT / "examples" / "slack_bot" / "bot.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bot = load_bot()


class Replies:
    """A loopback HTTP server standing in for Slack's response_url endpoint."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []
        replies = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                replies.posted.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/actions/T1/1/abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def replies() -> Iterator[Replies]:
    server = Replies()
    yield server
    server.close()


def flask_transport(
    app: flask.Flask,
    calls: list[tuple[str, str, dict[str, str]]],
    bodies: list[Any] | None = None,
) -> Any:
    client = app.test_client()

    def send(
        method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        calls.append((method, path, dict(headers)))
        if bodies is not None:
            bodies.append(json.loads(body) if body else None)
        response = client.open(path, method=method, headers=headers, data=body)
        return response.status_code, response.get_data()

    return send


def offline_authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None,
        team_id="T1",
        bot_token="xoxb-offline",
        bot_user_id="UBOT",
        bot_id="BBOT",
    )


class Slack:
    """Sends what Slack would send, signed, through Bolt; returns what the bot replied."""

    def __init__(self, app: flask.Flask, replies: Replies, token: str = API_TOKEN) -> None:
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.bodies: list[Any] = []
        netadvisor = bot.Netadvisor(flask_transport(app, self.calls, self.bodies), token)
        # A fixed authorization instead of a token: with a token Bolt asks Slack's
        # auth.test whom it belongs to, and this test stays offline.
        self.bolt: App = bot.build_app(
            netadvisor,
            authorize=offline_authorize,
            signing_secret=SECRET,
            process_before_response=True,
        )
        self.replies = replies
        self.verifier = SignatureVerifier(SECRET)

    def _send(self, body: str) -> dict[str, Any]:
        timestamp = str(int(time.time()))
        headers = {
            "content-type": ["application/x-www-form-urlencoded"],
            "x-slack-request-timestamp": [timestamp],
            "x-slack-signature": [self.verifier.generate_signature(timestamp=timestamp, body=body)],
        }
        before = len(self.replies.posted)
        response = self.bolt.dispatch(BoltRequest(body=body, headers=headers))
        assert response.status == 200, response.body
        assert len(self.replies.posted) == before + 1
        return self.replies.posted[-1]

    def command(self, text: str) -> dict[str, Any]:
        form = {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "acme",
            "channel_id": "C1",
            "channel_name": "platform",
            "user_id": "U1",
            "user_name": "pat",
            "command": "/netadvisor",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": self.replies.url,
            "trigger_id": "1.2.3",
        }
        return self._send(urllib.parse.urlencode(form))

    def click(self, message: dict[str, Any], button: dict[str, Any]) -> dict[str, Any]:
        block_id = next(
            b["block_id"]
            for b in message["blocks"]
            if b["type"] == "actions"
            and button["action_id"] in {e["action_id"] for e in b["elements"]}
        )
        payload = {
            "type": "block_actions",
            "user": {"id": "U1", "username": "pat", "name": "pat", "team_id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "container": {
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": "C1",
                "is_ephemeral": True,
            },
            "trigger_id": "1.2.4",
            "team": {"id": "T1", "domain": "acme"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": "C1", "name": "platform"},
            "state": {"values": {}},
            "response_url": self.replies.url,
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": block_id,
                    "text": button["text"],
                    "value": button["value"],
                    "action_ts": "1700000001.000200",
                }
            ],
        }
        return self._send(urllib.parse.urlencode({"payload": json.dumps(payload)}))


def buttons(message: dict[str, Any], kind: str = "") -> list[dict[str, Any]]:
    return [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(f"netadvisor:{kind}")
    ]


def is_recommendation(message: dict[str, Any]) -> bool:
    first = message["blocks"][0]
    return first["type"] == "header" and first["text"]["text"].startswith("Recommendation: ")


@pytest.fixture(scope="module")
def example_app() -> flask.Flask:
    return make_app(API_TOKENS=API_TOKEN)


@pytest.fixture(scope="module")
def bundled_app() -> flask.Flask:
    return create_app({"TESTING": True, **QUIET, "API_TOKENS": API_TOKEN})


def walk_every_path(slack: Slack, first: dict[str, Any]) -> list[list[str]]:
    """Click through every answer button, depth first; the texts of each path to the end."""
    paths: list[list[str]] = []

    def visit(message: dict[str, Any], path: list[str]) -> None:
        check_block_kit(message)
        if is_recommendation(message):
            assert message["replace_original"] is True
            paths.append(path)
            return
        answer_buttons = buttons(message, "answer")
        assert answer_buttons, f"a question without buttons after {path}: {message}"
        for button in answer_buttons:
            visit(slack.click(message, button), [*path, button["text"]["text"]])

    visit(first, [])
    return paths


def test_a_conversation_from_slash_command_to_every_recommendation(
    example_app: flask.Flask, replies: Replies
) -> None:
    slack = Slack(example_app, replies)
    first = slack.command("example")
    assert first["response_type"] == "ephemeral"
    assert first["blocks"][1]["text"]["text"].startswith(
        "*Must clients outside the cluster reach the service?*"
    )
    paths = walk_every_path(slack, first)
    assert paths == [["Yes"], ["No"]]  # defaults answer protocol and services
    # Every call carried the bot's bearer token and asked for Slack's format.
    assert all(h["Authorization"] == f"Bearer {API_TOKEN}" for _, _, h in slack.calls)
    assert {p for _, p, _ in slack.calls} == {
        "/v1/trees/example/evaluate?format=slack&version=1.0.0",
        "/v1/trees/example/evaluate?format=slack",
    }


def test_what_if_and_start_over_buttons(example_app: flask.Flask, replies: Replies) -> None:
    slack = Slack(example_app, replies)
    message = slack.command("example external=yes services=12")
    assert is_recommendation(message)
    assert message["blocks"][0]["text"]["text"] == "Recommendation: One shared Ingress"
    assert "12 services can share one load balancer" in json.dumps(message)
    titles = {b["text"]["text"]: b for b in buttons(message, "whatif")}
    assert "If external is no: ClusterIP Service" in titles
    other = slack.click(message, titles["If external is no: ClusterIP Service"])
    assert other["blocks"][0]["text"]["text"] == "Recommendation: ClusterIP Service"
    (restart,) = buttons(other, "restart")
    again = slack.click(other, restart)
    assert again["blocks"][1]["text"]["text"].startswith("*Must clients outside")


def test_tree_list_and_errors(example_app: flask.Flask, replies: Replies) -> None:
    slack = Slack(example_app, replies)
    listing = slack.command("")
    check_block_kit({**listing, "text": listing["text"]})
    starts = {json.loads(b["value"])["t"]: b for b in buttons(listing, "start")}
    assert len(starts) >= 2  # the test trees and the API's own
    start = starts["example"]
    assert start["text"]["text"] == "Expose a service"
    first = slack.click(listing, start)
    assert buttons(first, "answer")

    missing = slack.command("nosuch")
    assert missing["blocks"][0]["text"]["text"].startswith(":x: *")
    assert "nosuch" in missing["text"] + missing["blocks"][0]["text"]["text"]
    wrong = slack.command("example external=perhaps")
    assert "external" in wrong["blocks"][0]["text"]["text"]

    forged = dict(start, value="not json")
    assert slack.click(listing, forged)["blocks"][0]["text"]["text"].startswith(":x: *")

    locked_out = Slack(example_app, replies, token="wrong-token-0123456789")
    denied = locked_out.command("example")
    assert denied["blocks"][0]["text"]["text"].startswith(":x: *")
    assert "401" in denied["text"] or "Unauthorized" in denied["text"], denied
    assert locked_out.calls


def test_unsigned_requests_are_refused(example_app: flask.Flask, replies: Replies) -> None:
    slack = Slack(example_app, replies)
    body = urllib.parse.urlencode(
        {"command": "/netadvisor", "text": "example", "response_url": replies.url}
    )
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [str(int(time.time()))],
        "x-slack-signature": ["v0=forged"],
    }
    before = len(replies.posted)
    response = slack.bolt.dispatch(BoltRequest(body=body, headers=headers))
    assert response.status == 401
    assert len(replies.posted) == before and not slack.calls


def bundled_versions() -> list[Any]:

    catalog = bundled_catalog()
    return [
        pytest.param(tree.id, tree.version, id=f"{tree.id}-{tree.version}")
        for tree_id in catalog.tree_ids
        for tree in catalog.versions(tree_id)
    ]


@pytest.mark.parametrize(("tree", "version"), bundled_versions())
def test_every_bundled_tree_to_every_recommendation(
    bundled_app: flask.Flask, replies: Replies, tree: str, version: str
) -> None:
    slack = Slack(bundled_app, replies)
    first = slack.command(f"{tree} version={version}")
    paths = walk_every_path(slack, first)
    assert paths
    # One evaluate call per message: the command's, then one per click.
    clicks = len({tuple(p[:i]) for p in paths for i in range(1, len(p) + 1)})
    assert len(slack.calls) == 1 + clicks


def button_payloads(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(b["value"]) for b in buttons(message, "answer")]


def test_troubleshoot_starts_from_a_pasted_error(
    bundled_app: flask.Flask, replies: Replies
) -> None:
    slack = Slack(bundled_app, replies)
    error = 'Get "http://checkout.shop:8080/": dial tcp 172.20.118.41:8080: i/o timeout'
    first = slack.command(f"troubleshoot {error}")
    check_block_kit(first)
    # The error went to netadvisor as facts, never as an answer the bot guessed.
    assert slack.calls[-1][1] == "/v1/trees/network-troubleshooting/evaluate?format=slack"
    assert slack.bodies[-1] == {"answers": {}, "facts": {"error": error}}
    # The first question is the symptom; every button carries the derived error class on.
    payloads = button_payloads(first)
    assert {p["q"] for p in payloads} == {"symptom"}
    assert all(p["a"] == {"error_class": "timeout"} for p in payloads)
    unreachable = next(
        b for b in buttons(first, "answer") if json.loads(b["value"])["o"] == "service-unreachable"
    )
    second = slack.click(first, unreachable)
    # error_class is answered, so it is not asked; the click sent it as an answer.
    assert slack.bodies[-1] == {
        "answers": {"error_class": "timeout", "symptom": "service-unreachable"}
    }
    assert {p["q"] for p in button_payloads(second)} == {"service_exists"}
    assert all(p["a"]["error_class"] == "timeout" for p in button_payloads(second))


@pytest.mark.parametrize(
    ("text", "error_class"),
    [
        ("`curl: (6) Could not resolve host: checkout.shop.svc.cluster.local`", "nxdomain"),
        ("```\ndial tcp 10.0.0.7:8080: connect: connection refused\n```", "refused"),
        ("&lt;html&gt;&lt;title&gt;502 Bad Gateway&lt;/title&gt;&lt;/html&gt;", "http-5xx"),
    ],
)
def test_troubleshoot_reads_the_error_as_slack_sends_it(
    bundled_app: flask.Flask, replies: Replies, text: str, error_class: str
) -> None:
    slack = Slack(bundled_app, replies)
    slack.command(f"troubleshoot {text}")
    sent = slack.bodies[-1]["facts"]["error"]
    assert "`" not in sent and "&lt;" not in sent and "&gt;" not in sent
    assert all(p["a"] == {"error_class": error_class} for p in button_payloads(replies.posted[-1]))


def test_troubleshoot_without_an_error_starts_the_tree(
    bundled_app: flask.Flask, replies: Replies
) -> None:
    slack = Slack(bundled_app, replies)
    first = slack.command("troubleshoot")
    assert slack.bodies[-1] == {"answers": {}}
    assert {p["q"] for p in button_payloads(first)} == {"symptom"}
    assert all(p["a"] == {} for p in button_payloads(first))


def test_error_text_is_unescaped_once_and_unfenced() -> None:
    assert bot.parse_error_text("``` x &lt;y&gt; &amp;lt; ```") == "x <y> &lt;"
    assert bot.parse_error_text("`a`") == "a"
    assert bot.parse_error_text("``") == "``"
    assert len(bot.parse_error_text("x" * 10_000)) == bot.MAX_ERROR_TEXT
