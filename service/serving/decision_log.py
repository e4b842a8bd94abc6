"""Decision log: one structured event per evaluation, so a team can audit what was advised."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

import flask

from service.serving.context import DECISION_ID_KEY, context_fields
from service.serving.events import DECISION_LOGGER, write_event
from service.serving.runtime import as_bool

DECISION_ID_HEADER = "X-Decision-ID"
MASKED = "***"

_EXTENSION = "netadvisor.decision_log"
_SEPARATORS = re.compile(r"[\s,]+")


def parse_mask(value: object) -> frozenset[str]:
    """Question ids whose answers are masked: a comma-separated string or a list."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(part for part in _SEPARATORS.split(value) if part)
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(str(item) for item in value)
    raise ValueError(
        f"DECISION_LOG_MASK must be a comma-separated list, not {type(value).__name__}"
    )


class DecisionLog:
    """One app's decision log: on or off, the answers to mask, and the writing of events."""

    def __init__(self, *, enabled: bool = True, mask: frozenset[str] = frozenset()) -> None:
        self.enabled = enabled
        self.mask = mask

    def masked(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        if not self.mask:
            return dict(answers)
        return {key: MASKED if key in self.mask else value for key, value in answers.items()}

    def record(
        self,
        environ: dict[str, Any],
        *,
        tree_id: str,
        version: str,
        digest: str,
        answers: Mapping[str, Any],
        recommendation: str | None,
        status: str,
        duration_ms: float,
    ) -> str:
        """Log one evaluation made for the request of ``environ``; return its
        ``decision_id``, which is also kept in the environ for the access line."""
        decision_id = secrets.token_hex(16)
        if self.enabled:
            fields: dict[str, Any] = {
                **context_fields(environ),
                "event": "decision",
                "decision_id": decision_id,
                "tree_id": tree_id,
                "tree_version": version,
                "tree_digest": digest,
                "answers": self.masked(answers),
                "recommendation": recommendation,
                "status": status,
                "duration_ms": round(duration_ms, 3),
            }
            write_event(DECISION_LOGGER, "decision", fields)
        environ[DECISION_ID_KEY] = decision_id
        return decision_id


def init_decision_log(app: flask.Flask) -> DecisionLog:
    """Read ``DECISION_LOG`` (on by default) and ``DECISION_LOG_MASK`` from the config."""
    decisions = DecisionLog(
        enabled=as_bool(app.config.get("DECISION_LOG", True), "NETADVISOR_DECISION_LOG"),
        mask=parse_mask(app.config.get("DECISION_LOG_MASK")),
    )
    app.extensions[_EXTENSION] = decisions
    return decisions


def decision_log(app: flask.Flask) -> DecisionLog:
    """The app's decision log, set up from its config on first use."""
    decisions: DecisionLog | None = app.extensions.get(_EXTENSION)
    return decisions if decisions is not None else init_decision_log(app)


def record_decision(**event: Any) -> str:
    """Log one evaluation of the current request (see ``DecisionLog.record``)."""
    return decision_log(flask.current_app).record(flask.request.environ, **event)
