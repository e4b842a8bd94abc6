"""A stateless Slack bot for netadvisor: a slash command starts a tree, buttons answer it.

Every message the bot posts comes from `POST /v1/trees/{id}/evaluate?format=slack`; every
button carries the tree, its version, the question, the option and the answers so far,
so a click is turned into the next evaluate call with nothing stored in the bot.

`/netadvisor troubleshoot <error text>` starts the troubleshooting tree from an error
message someone pasted: the text goes to netadvisor as `facts: {"error": ...}`, which
derives `error_class` from it; the buttons then carry that answer like any other.

Run it (Socket Mode needs no public URL):

    export SLACK_BOT_TOKEN=xoxb-... SLACK_APP_TOKEN=xapp-...
    export NETADVISOR_URL=https://netadvisor.example.internal NETADVISOR_TOKEN=...
    python examples/slack_bot/bot.py

or over HTTP with SLACK_SIGNING_SECRET set and no SLACK_APP_TOKEN (listens on PORT, 3000).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, Respond

COMMAND = "/netadvisor"
ACTIONS = re.compile(r"^netadvisor:")
START_ACTION = "netadvisor:start"
TROUBLESHOOT = "troubleshoot"
TROUBLESHOOT_TREE = "network-troubleshooting"
# netadvisor's limit on an error text is 20,000 characters; a slash command holds 4,000.
MAX_ERROR_TEXT = 4000
USAGE = (
    f"Usage: `{COMMAND} TREE [version=V] [question=answer ...]`, for example "
    f"`{COMMAND} service-mesh platform=aws microservices=12`, or "
    f"`{COMMAND} {TROUBLESHOOT} <the error you see>`. `{COMMAND}` alone lists the trees."
)

# (method, path with query, headers, body) -> (status, body)
Transport = Callable[[str, str, Mapping[str, str], bytes | None], tuple[int, bytes]]


def urllib_transport(base_url: str, timeout: float = 5.0) -> Transport:
    """Calls netadvisor over HTTP(S) with the standard library."""

    def send(
        method: str, path: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            base_url.rstrip("/") + path, data=body, headers=dict(headers), method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    return send


class Netadvisor:
    """The two calls the bot makes, returning Slack messages (errors become messages too)."""

    def __init__(self, transport: Transport, token: str | None = None) -> None:
        self.transport = transport
        self.headers = {"Accept": "application/json", "User-Agent": "netadvisor-slack-bot"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, payload: object = None) -> tuple[int, Any]:
        headers = dict(self.headers)
        body = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        try:
            status, raw = self.transport(method, path, headers, body)
        except OSError as exc:
            return 599, {"title": "netadvisor is unreachable", "detail": str(exc)}
        try:
            return status, json.loads(raw or b"null")
        except ValueError:
            return 599, {"title": "netadvisor answered with something that is not JSON"}

    def evaluate(
        self,
        tree: str,
        version: str | None,
        answers: Mapping[str, object],
        facts: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        """The Slack message for these answers; `facts` ({"error": ...} or {"objects": ...})
        fill the questions they answer, and the buttons carry those answers on."""
        query = {"format": "slack"}
        if version:
            query["version"] = version
        path = f"/v1/trees/{urllib.parse.quote(tree, safe='')}/evaluate?" + urllib.parse.urlencode(
            query
        )
        body: dict[str, object] = {"answers": dict(answers)}
        if facts:
            body["facts"] = dict(facts)
        status, data = self._call("POST", path, body)
        if status == 200 and isinstance(data, dict) and "blocks" in data:
            return data
        return problem_message(data)

    def tree_list(self) -> dict[str, Any]:
        status, data = self._call("GET", "/v1/trees")
        if status != 200 or not isinstance(data, dict):
            return problem_message(data)
        buttons = [
            {
                "type": "button",
                "action_id": f"{START_ACTION}:{i}",
                "text": {"type": "plain_text", "text": tree["title"][:75]},
                "value": json.dumps(
                    {"t": tree["id"], "v": tree["latest_version"], "a": {}}, separators=(",", ":")
                ),
            }
            for i, tree in enumerate(data["trees"][:25])
        ]
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Which decision?*"}}
        ]
        if buttons:
            blocks.append({"type": "actions", "block_id": "trees", "elements": buttons})
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": USAGE}]})
        return {"blocks": blocks, "text": "Which decision?"}


def problem_message(problem: object) -> dict[str, Any]:
    """An RFC 9457 problem (or anything else) as a short Slack message."""
    data = problem if isinstance(problem, dict) else {}
    title = str(data.get("title") or "netadvisor could not answer")
    detail = str(data.get("detail") or "")
    for field, messages in (data.get("errors") or {}).items():
        detail += f"\n• {field}: {'; '.join(map(str, messages))}"
    text = f":x: *{title}*" + (f"\n{detail}" if detail else "")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[:2900]
    return {
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        "text": title[:300],
    }


def parse_command(text: str) -> tuple[str | None, str | None, dict[str, object]]:
    """`TREE [version=V] [id=value ...]` -> (tree, version, answers typed from the text)."""
    words = text.split()
    if not words:
        return None, None, {}
    version = None
    answers: dict[str, object] = {}
    for word in words[1:]:
        key, _, value = word.partition("=")
        if key == "version":
            version = value
            continue
        lowered = value.lower()
        if lowered in ("yes", "true"):
            answers[key] = True
        elif lowered in ("no", "false"):
            answers[key] = False
        elif re.fullmatch(r"-?\d+", value):
            answers[key] = int(value)
        else:
            answers[key] = value
    return words[0], version, answers


def parse_error_text(text: str) -> str:
    """The error someone pasted after `troubleshoot`, as they saw it: Slack's escapes of
    `&`, `<` and `>` undone, and code formatting (backticks) around it removed."""
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    for fence in ("```", "`"):
        if len(text) > 2 * len(fence) and text.startswith(fence) and text.endswith(fence):
            text = text[len(fence) : -len(fence)].strip()
            break
    return text[:MAX_ERROR_TEXT]


def decode_button(value: str) -> tuple[str, str | None, dict[str, object]]:
    """The next call a button asks for: tree, version and answers with its own answer added."""
    payload = json.loads(value)
    answers = dict(payload.get("a") or {})
    if "q" in payload:
        answers[payload["q"]] = payload["o"]
    return payload["t"], payload.get("v"), answers


def build_app(netadvisor: Netadvisor, **app_options: Any) -> App:
    """The Bolt app; `app_options` go to `slack_bolt.App` (token, signing secret, ...)."""
    app = App(**app_options)

    @app.command(COMMAND)
    def start(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        text = command.get("text", "")
        words = text.split(None, 1)
        if words and words[0] == TROUBLESHOOT:
            error = parse_error_text(words[1] if len(words) > 1 else "")
            facts = {"error": error} if error else None
            message = netadvisor.evaluate(TROUBLESHOOT_TREE, None, {}, facts)
        else:
            tree, version, answers = parse_command(text)
            if tree:
                message = netadvisor.evaluate(tree, version, answers)
            else:
                message = netadvisor.tree_list()
        respond(response_type="ephemeral", **message)

    @app.action(ACTIONS)
    def answer(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            tree, version, answers = decode_button(action["value"])
        except (ValueError, KeyError, TypeError):
            respond(
                replace_original=False,
                **problem_message({"title": "That button is not one of netadvisor's"}),
            )
            return
        respond(replace_original=True, **netadvisor.evaluate(tree, version, answers))

    return app


def main() -> None:
    netadvisor = Netadvisor(
        urllib_transport(os.environ["NETADVISOR_URL"]), os.environ.get("NETADVISOR_TOKEN")
    )
    app_token = os.environ.get("SLACK_APP_TOKEN")
    if app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        app = build_app(netadvisor, token=os.environ["SLACK_BOT_TOKEN"])
        SocketModeHandler(app, app_token).start()
    else:
        app = build_app(
            netadvisor,
            token=os.environ["SLACK_BOT_TOKEN"],
            signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        )
        app.start(port=int(os.environ.get("PORT", "3000")))


if __name__ == "__main__":
    main()
