"""Decision log: one structured event per evaluation, so a team can audit what was advised."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from service.api.context import Decision
from service.serving.context import context_fields
from service.serving.events import DECISION_LOGGER, write_event

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

MASKED = "***"


class DecisionLog:
    """The API's decision sink: writes each evaluation as a JSON line, answers masked."""

    __slots__ = ("mask",)

    def __init__(self, mask: frozenset[str] = frozenset()) -> None:
        self.mask = mask

    def masked(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        if not self.mask:
            return dict(answers)
        return {key: MASKED if key in self.mask else value for key, value in answers.items()}

    def __call__(self, environ: WSGIEnvironment, decision: Decision) -> None:
        fields: dict[str, Any] = {
            **context_fields(environ),
            "event": "decision",
            "decision_id": decision.decision_id,
            "tree_id": decision.tree_id,
            "tree_version": decision.version,
            "tree_digest": decision.digest,
            "answers": self.masked(decision.answers),
            "recommendation": decision.recommendation,
            "status": decision.status,
            "duration_ms": round(decision.duration_ms, 3),
            "operation": decision.operation,
        }
        write_event(DECISION_LOGGER, "decision", fields)
