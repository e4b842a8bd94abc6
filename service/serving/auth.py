"""Bearer-token authentication for the /v1 API, tokens from configuration or a mounted file."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import flask

log = logging.getLogger(__name__)

# RFC 6750 b64token: what may follow "Bearer " in an Authorization header.
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_SEPARATORS = re.compile(r"[\s,]+")
PROTECTED_PREFIX = "/v1"
REALM = 'Bearer realm="netadvisor"'
MIN_TOKEN_LENGTH = 16


class AuthConfigError(ValueError):
    """The token configuration cannot be used; raised at start-up."""


def _digest(token: str) -> bytes:
    # Comparing fixed-length digests keeps the comparison time independent of the
    # length of the secret as well as of its content.
    return hashlib.sha256(token.encode("ascii")).digest()


def parse_tokens(text: str, source: str) -> list[str]:
    """Tokens separated by commas or whitespace; each must be a valid bearer token."""
    tokens = [part for part in _SEPARATORS.split(text) if part]
    for index, token in enumerate(tokens, start=1):
        if not _TOKEN.fullmatch(token):
            raise AuthConfigError(
                f"{source}: token {index} has characters a bearer token cannot carry "
                "(allowed: letters, digits, - . _ ~ + / and trailing =)"
            )
        if len(token) < MIN_TOKEN_LENGTH:
            log.warning(
                "API token shorter than %d characters",
                MIN_TOKEN_LENGTH,
                extra={"source": source, "token_index": index},
            )
    return tokens


TOKENS_VARIABLE = "NETADVISOR_API_TOKENS"
_EMPTY_TOKENS = (
    f"{TOKENS_VARIABLE} is set but holds no token, which would leave the API open; "
    "unset it to run without authentication, or give one or more tokens separated by commas"
)


def _config_tokens(value: object) -> list[str]:
    """Tokens from ``API_TOKENS``, which ``from_prefixed_env`` may have JSON-decoded.

    Unset means no authentication. Set but empty ("", " ", "[]", '[""]', "null") is
    refused: starting with the API open because a Secret rendered empty fails open.
    """
    raw = os.environ.get(TOKENS_VARIABLE)
    if value is None:
        # from_prefixed_env decodes "null" to None, which looks like unset.
        if raw is not None:
            raise AuthConfigError(_EMPTY_TOKENS)
        return []
    if isinstance(value, str):
        tokens = parse_tokens(value, TOKENS_VARIABLE)
    elif isinstance(value, list | tuple):
        tokens = parse_tokens(",".join(str(item) for item in value), TOKENS_VARIABLE)
    elif raw is not None:
        # A token such as "1e10" or "true" was decoded as JSON into a number or a bool, and
        # str() of that is not what the operator wrote: read the raw variable instead.
        tokens = parse_tokens(raw, TOKENS_VARIABLE)
    else:
        raise AuthConfigError(f"API_TOKENS must be a string or a list, not {type(value).__name__}")
    if not tokens:
        raise AuthConfigError(_EMPTY_TOKENS)
    return tokens


RELOAD_VARIABLE = "NETADVISOR_API_TOKENS_RELOAD_SECONDS"
MAX_RELOAD_SECONDS = 86400.0


def reload_seconds(value: object) -> float:
    """``API_TOKENS_RELOAD_SECONDS``: seconds between checks of the token file, 1 to 86400."""
    if value is None or value == "":
        return 30.0
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not 1 <= number <= MAX_RELOAD_SECONDS:  # NaN fails this too
        raise AuthConfigError(
            f"{RELOAD_VARIABLE}={str(value)[:40]!r} must be a number of seconds from 1 to "
            f"{MAX_RELOAD_SECONDS:.0f} (default 30)"
        )
    return number


class TokenStore:
    """The accepted tokens; a token file is re-read when it changes (Secret rotation)."""

    def __init__(
        self,
        tokens: Iterable[str],
        path: Path | None = None,
        *,
        reload_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._static = [_digest(token) for token in tokens]
        self._path = path
        self._reload_interval = reload_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._file: list[bytes] = []
        self._mtime: float | None = None
        self._next_check = 0.0
        if path is not None:
            self._file = self._read_file(path)
            self._mtime = path.stat().st_mtime
            self._next_check = clock() + reload_interval

    @property
    def enabled(self) -> bool:
        return bool(self._static or self._path is not None)

    @staticmethod
    def _read_file(path: Path) -> list[bytes]:
        source = f"NETADVISOR_API_TOKENS_FILE {path}"
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise AuthConfigError(f"{source}: cannot be read ({exc.__class__.__name__})") from None
        tokens = parse_tokens(text, source)
        if not tokens:
            raise AuthConfigError(
                f"{source}: holds no token, which would leave the API open; put one or more "
                "tokens in the file, or unset NETADVISOR_API_TOKENS_FILE to run without "
                "authentication"
            )
        return [_digest(token) for token in tokens]

    def _maybe_reload(self) -> None:
        assert self._path is not None
        now = self._clock()
        if now < self._next_check:
            return
        with self._lock:
            if now < self._next_check:
                return
            self._next_check = now + self._reload_interval
            try:
                mtime = self._path.stat().st_mtime
                if mtime == self._mtime:
                    return
                self._file = self._read_file(self._path)
                self._mtime = mtime
            except (OSError, AuthConfigError) as exc:
                # Keep the tokens we have: locking every caller out, or letting every
                # caller in, over a half-written Secret would both be worse.
                log.error("API token file not reloaded, keeping the previous tokens: %s", exc)
                return
            log.info("API token file reloaded", extra={"tokens": len(self._file)})

    def accepts(self, token: str) -> bool:
        """Constant-time check against every token; no early exit on a match."""
        if self._path is not None:
            self._maybe_reload()
        try:
            presented = _digest(token)
        except UnicodeEncodeError:
            return False
        matched = False
        for known in (*self._static, *self._file):
            matched |= hmac.compare_digest(presented, known)
        return matched


def token_store_from_config(config: flask.Config) -> TokenStore:
    """Build the store from ``API_TOKENS`` and ``API_TOKENS_FILE``; both may be set."""
    tokens = _config_tokens(config.get("API_TOKENS"))
    file_value = config.get("API_TOKENS_FILE")
    path = Path(str(file_value)) if file_value not in (None, "") else None
    interval = reload_seconds(config.get("API_TOKENS_RELOAD_SECONDS"))
    return TokenStore(tokens, path, reload_interval=interval)


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def presents_valid_token(store: TokenStore, header: str | None) -> bool:
    """Whether an ``Authorization`` header carries a bearer token the store accepts."""
    token = _bearer(header)
    return token is not None and store.accepts(token)


ProblemFactory = Callable[[int, str, str, dict[str, str]], flask.Response]
TOKENS_EXTENSION = "netadvisor.tokens"


def init_auth(app: flask.Flask, store: TokenStore, problem: ProblemFactory) -> None:
    """Require a bearer token on /v1 when tokens are configured; everything else is open."""
    app.extensions[TOKENS_EXTENSION] = store
    if not store.enabled:
        return

    def require_token() -> flask.Response | None:
        request = flask.request
        path = request.path
        if not (path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")):
            return None
        # A CORS preflight never carries credentials; it only learns what is allowed.
        if request.method == "OPTIONS":
            return None
        header = request.headers.get("Authorization")
        token = _bearer(header)
        if token is None:
            return problem(
                401,
                "Unauthorized",
                "This endpoint needs an 'Authorization: Bearer <token>' header.",
                {"WWW-Authenticate": REALM},
            )
        if not store.accepts(token):
            return problem(
                401,
                "Unauthorized",
                "The bearer token is not valid.",
                {"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
            )
        return None

    # First of the before-request hooks, so no other work is done for a refused caller.
    app.before_request_funcs.setdefault(None, []).insert(0, require_token)
