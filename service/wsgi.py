"""The WSGI entry point gunicorn serves: `service.wsgi:app`."""

from __future__ import annotations

from service.engine import TreeCheckError
from service.serving import create_app

try:
    app = create_app()
except (TreeCheckError, ValueError) as exc:
    # gunicorn loads this in the master before binding the port: a bad tree, price file or
    # setting stops start-up with the checker's message and no traceback.
    raise SystemExit(f"netadvisor: cannot start: {exc}") from None
