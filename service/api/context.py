"""What the API leaves in a request's WSGI environ for the layer serving it, and its hook."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flask
from werkzeug.routing import Rule

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

# The route template a request was answered under (None: no route matched), read by
# the metrics and the access line; the decision id of an evaluation, for the access line.
ROUTE_KEY = "netadvisor.route"
DECISION_ID_KEY = "netadvisor.decision_id"
DECISION_ID_HEADER = "X-Decision-ID"


@dataclass(frozen=True, slots=True)
class Decision:
    """One evaluation, as the decision log records it."""

    decision_id: str
    tree_id: str
    version: str
    digest: str
    answers: Mapping[str, Any]
    recommendation: str | None
    status: str
    duration_ms: float
    # Which operation evaluated: evaluate (and batch), compare (one per version that
    # could be evaluated) or diagram (when answers are given to highlight a path).
    operation: str = "evaluate"


# Told of every evaluation with the environ of its request; set by whoever serves the
# app (the serving layer's decision log), None when nobody listens.
DecisionSink = Callable[["WSGIEnvironment", Decision], None]


class RoutedRequest(flask.Request):
    """Flask's request, keeping the matched route template in the WSGI environ, where
    the layer serving the app reads it once the response is made."""

    @property
    def url_rule(self) -> Rule | None:
        rule: Rule | None = self.environ.get("werkzeug.rule")
        return rule

    @url_rule.setter
    def url_rule(self, rule: Rule | None) -> None:
        self.environ["werkzeug.rule"] = rule
        self.environ[ROUTE_KEY] = rule.rule if rule is not None else None
