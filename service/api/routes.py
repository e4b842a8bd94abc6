"""The API's WSGI callable: evaluate and batch to their handlers, every other path to Flask."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .evaluate import Evaluate
from .evaluations import RULE as BATCH
from .evaluations import Batch

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_PREFIX, _SUFFIX = "/v1/trees/", "/evaluate"


class Routes:
    """Evaluate and batch are answered ahead of Flask's routing (service.api.direct)."""

    __slots__ = ("batch", "evaluate", "flask_app")

    def __init__(self, evaluate: Evaluate, batch: Batch, flask_app: WSGIApplication) -> None:
        self.evaluate = evaluate
        self.batch = batch
        self.flask_app = flask_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path.endswith(_SUFFIX) and path.startswith(_PREFIX):
            tree_id = path[len(_PREFIX) : -len(_SUFFIX)]
            if tree_id and "/" not in tree_id:
                return self.evaluate(environ, start_response, tree_id)
        elif path == BATCH:
            return self.batch(environ, start_response)
        return self.flask_app(environ, start_response)
