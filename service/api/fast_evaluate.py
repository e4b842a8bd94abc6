"""The evaluate endpoint's plain request answered straight from WSGI; all else goes to Flask."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

import flask
import orjson

from service.engine import Catalog, Tree
from service.serving import decision_log
from service.serving.auth import TOKENS_EXTENSION, TokenStore, presents_valid_token
from service.serving.context import RULE_KEY
from service.serving.cors import CORS_EXTENSION
from service.serving.runtime import as_bool

from .definitions import Documents
from .evaluate import DECISION_ID_HEADER, run
from .schemas import EvaluateBody, plain_evaluate
from .state import CATALOG, DOCUMENTS

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Evaluate is the endpoint callers hit per decision. Through Flask, a request costs about
# 75 us of request context, routing and response objects around the view, several times
# the evaluation itself. This path serves the request every client sends (POST, JSON, a
# declared length, no query string, no Origin when CORS is on, a valid token when tokens
# are on, a tree that exists, answers that fit) with the functions the view uses: the
# same evaluation, counting, decision log and body, so a caller cannot tell the two apart
# (tests/test_api_fast_evaluate.py compares them). Anything else is passed to Flask
# untouched, with the body put back if it was read: an error is always the Flask app's
# answer, worded by its one error handler.

_PREFIX = "/v1/trees/"
_SUFFIX = "/evaluate"
_ENDPOINT = "evaluate.evaluate"
# The Flask request hooks this path stands in for: require_token (it declines a request
# without a valid token), flask-cors' hook (it declines a request with an Origin) and
# _vary_on_origin (it adds the same Vary). Any other hook would be skipped here, so
# start-up stops instead.
KNOWN_HOOKS = frozenset({"require_token", "cors_after_request", "_vary_on_origin"})


def _unknown_hooks(app: flask.Flask) -> set[str]:
    names = {f.__name__ for funcs in app.before_request_funcs.values() for f in funcs}
    names |= {f.__name__ for funcs in app.after_request_funcs.values() for f in funcs}
    names |= {f.__name__ for funcs in app.url_value_preprocessors.values() for f in funcs}
    return names - KNOWN_HOOKS


class _Replay:
    """A request body already read, given back to Flask as its input stream; then the
    error that cut the read short, if one did, so Flask answers it as it would have."""

    __slots__ = ("_data", "_error")

    def __init__(self, data: bytes, error: BaseException | None) -> None:
        self._data = io.BytesIO(data)
        self._error = error

    def read(self, size: int | None = -1) -> bytes:
        chunk = self._data.read(size)
        if not chunk and self._error is not None and size != 0:
            raise self._error
        return chunk


class FastEvaluate:
    """WSGI callable in front of the Flask app for ``POST /v1/trees/{id}/evaluate``."""

    __slots__ = (
        "catalog",
        "cors",
        "decisions",
        "documents",
        "flask_app",
        "max_body",
        "rule",
        "tokens",
    )

    def __init__(self, app: flask.Flask, flask_app: WSGIApplication) -> None:
        unknown = _unknown_hooks(app)
        if unknown:
            raise RuntimeError(
                f"request hooks {sorted(unknown)} would be skipped by the evaluate fast "
                "path; teach service/api/fast_evaluate.py about them first"
            )
        self.flask_app = flask_app
        self.catalog: Catalog = app.extensions[CATALOG]
        self.documents: Documents = app.extensions[DOCUMENTS]
        self.decisions = decision_log(app)
        self.max_body: int = app.config["MAX_CONTENT_LENGTH"]
        tokens: TokenStore | None = app.extensions.get(TOKENS_EXTENSION)
        self.tokens = tokens if tokens is not None and tokens.enabled else None
        # With CORS on, a browser's request (it carries Origin) needs flask-cors' headers.
        self.cors = bool(app.extensions.get(CORS_EXTENSION))
        self.rule = next(r for r in app.url_map.iter_rules() if r.endpoint == _ENDPOINT)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        plain = self._plain_request(environ)
        if plain is None:
            return self.flask_app(environ, start_response)
        tree, length = plain
        stream = environ["wsgi.input"]
        try:
            data = stream.read(length)
        except (OSError, ValueError) as exc:
            # The client was too slow (the worker's deadline) or went away: Flask turns
            # the same error into its 408 or 400.
            environ["wsgi.input"] = _Replay(b"", exc)
            return self.flask_app(environ, start_response)
        answered = None if len(data) != length else self._answer(environ, tree, data)
        if answered is None:
            environ["wsgi.input"] = _Replay(data, None)
            return self.flask_app(environ, start_response)
        body, headers = answered
        environ[RULE_KEY] = self.rule
        start_response("200 OK", headers)
        return [body]

    def _plain_request(self, environ: WSGIEnvironment) -> tuple[Tree, int] | None:
        """The tree and body length of a request this path serves, else None."""
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING"):
            return None
        path: str = environ.get("PATH_INFO", "")
        if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
            return None
        tree = self.catalog.defaults.get(path[len(_PREFIX) : -len(_SUFFIX)])
        if tree is None:  # also an empty id, or one with a "/"
            return None
        if environ.get("CONTENT_TYPE") != "application/json":
            return None
        declared = environ.get("CONTENT_LENGTH")
        # isdigit() alone would pass digits such as "²" that int() refuses.
        if not (declared and declared.isascii() and declared.isdigit()):
            return None
        length = int(declared)
        if not 0 < length <= self.max_body:
            return None
        if self.cors and "HTTP_ORIGIN" in environ:
            return None
        if self.tokens is not None and not presents_valid_token(
            self.tokens, environ.get("HTTP_AUTHORIZATION")
        ):
            return None
        return tree, length

    def _answer(
        self, environ: WSGIEnvironment, tree: Tree, data: bytes
    ) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The evaluation's JSON and headers, or None when Flask must answer."""
        try:
            plain = plain_evaluate(orjson.loads(data))
        except orjson.JSONDecodeError:
            return None
        if plain is None:
            return None
        try:
            _, body = run(tree, EvaluateBody(*plain), self.decisions, environ)
        except Exception:
            # Answers that do not fit (the engine's errors) and anything unexpected are
            # answered by Flask, which words the problem and logs a failure once.
            return None
        payload = orjson.dumps(body)
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            (DECISION_ID_HEADER, body["decision_id"]),
            *self.documents.entry(tree).deprecation.items(),
        ]
        if self.cors:
            headers.append(("Vary", "Origin"))  # as service.serving.cors adds it
        return payload, headers


def fast_evaluate(app: flask.Flask, flask_app: WSGIApplication) -> WSGIApplication:
    """The fast path in front of ``flask_app``, unless ``FAST_EVALUATE`` is off."""
    if not as_bool(app.config.get("FAST_EVALUATE", True), "NETADVISOR_FAST_EVALUATE"):
        return flask_app
    return FastEvaluate(app, flask_app)


__all__ = ["FastEvaluate", "fast_evaluate"]
