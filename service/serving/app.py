"""The served app: the API with the serving middleware in front of every route alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import flask

from service import api

from .auth import Auth, TokenStore
from .context import RequestContext, ResponseObserver
from .cors import Cors
from .decision_log import DecisionLog
from .metrics import observe_request
from .settings import Settings, active, load

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


def middleware(
    inner: WSGIApplication,
    settings: Settings,
    observers: Sequence[ResponseObserver] = (observe_request,),
) -> WSGIApplication:
    """``inner`` behind the serving middleware, outermost first: the request context (id,
    trace, metrics, access line), then CORS and auth when they are configured. Each
    answers a request itself or passes it on; none is installed when it has nothing to do."""
    path = settings.api_tokens_file
    store = TokenStore(
        settings.api_tokens or (),
        Path(path) if path else None,
        reload_interval=settings.api_tokens_reload_seconds,
    )
    if store.enabled:
        inner = Auth(inner, store, settings.cors_origins)
    if settings.cors_origins:
        inner = Cors(inner, settings.cors_origins)
    return RequestContext(inner, access_log=settings.access_log, observers=observers)


def create_app(
    test_config: Mapping[str, object] | None = None, *, settings: Settings | None = None
) -> flask.Flask:
    """The app as served: settings (the process's, or the environment with
    ``test_config`` over it), the API built from them, and the middleware around it.
    A setting, tree or file that cannot be used raises here, at start-up."""
    if settings is None:
        settings = load(overrides=test_config) if test_config is not None else active()
    decisions = DecisionLog(frozenset(settings.decision_log_mask))
    app = api.create_app(settings.api(decisions if settings.decision_log else None))
    app.wsgi_app = middleware(app.wsgi_app, settings)  # type: ignore[assignment]
    return app
