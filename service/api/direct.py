"""Endpoints answered from WSGI ahead of Flask's routing: the hot ones (evaluate, batch)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from werkzeug.exceptions import MethodNotAllowed

from .config import ApiConfig
from .context import ROUTE_KEY
from .errors import wsgi_error
from .live import LiveTrees

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

JSON = "application/json"
Headers = list[tuple[str, str]]


class DirectRoute:
    """One endpoint, every method, answered from WSGI: Flask's routing and request
    context cost several times an evaluation. The API's body reader, validators and
    error answers are the same as behind Flask; subclasses give `rule` and `answer`."""

    rule: ClassVar[str]
    allow: ClassVar[tuple[str, ...]] = ("POST", "OPTIONS")

    __slots__ = ("config", "trees")

    def __init__(self, trees: LiveTrees, config: ApiConfig) -> None:
        self.trees = trees
        self.config = config

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse, param: str = ""
    ) -> Iterable[bytes]:
        environ[ROUTE_KEY] = self.rule
        try:
            method = environ.get("REQUEST_METHOD")
            if method == "OPTIONS":
                allow = ", ".join(self.allow)
                start_response("200 OK", [("Allow", allow), ("Content-Length", "0")])
                return [b""]
            if method != "POST":
                raise MethodNotAllowed(valid_methods=self.allow)
            data, headers = self.answer(environ, param)
        except Exception as exc:
            return wsgi_error(exc, environ, start_response)
        headers.append(("Content-Length", str(len(data))))
        start_response("200 OK", headers)
        return [data]

    def answer(self, environ: WSGIEnvironment, param: str) -> tuple[bytes, Headers]:
        """The body and headers of a POST (`param`: the path's variable part, if any)."""
        raise NotImplementedError
