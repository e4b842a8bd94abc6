"""The process serving the API: settings, gunicorn's configuration and worker, middleware."""

from __future__ import annotations

from .app import create_app, middleware
from .settings import Settings, active, load

__all__ = ["Settings", "active", "create_app", "load", "middleware"]
