"""Bearer-token authentication for the /v1 API, tokens from configuration or a mounted file."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from service.api import errors

from .cors import is_preflight

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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
# What a Secret rendered empty looks like; starting with the API open over one fails open.
_EMPTY_FORMS = frozenset({"", "null", "[]", '[""]'})


def parse_token_setting(value: object, name: str = TOKENS_VARIABLE) -> tuple[str, ...]:
    """Tokens from the setting: set but empty is refused, never read as "no authentication"."""
    if isinstance(value, list | tuple):
        value = ",".join(str(item) for item in value)
    text = str(value).strip()
    tokens = [] if text.replace(" ", "") in _EMPTY_FORMS else parse_tokens(text, name)
    if not tokens:
        raise AuthConfigError(
            f"{TOKENS_VARIABLE} is set but holds no token, which would leave the API open; "
            "unset it to run without authentication, or give one or more tokens separated "
            "by commas"
        )
    return tuple(tokens)


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


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def _protected(path: str) -> bool:
    return path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")


class Auth:
    """WSGI middleware: a /v1 request without a valid bearer token is answered 401 here;
    everything else (probes, metrics, the spec) and CORS preflights from the allowed
    origins are passed on."""

    __slots__ = ("app", "origins", "store")

    def __init__(
        self, app: WSGIApplication, store: TokenStore, origins: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.store = store
        self.origins = frozenset(origins)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not _protected(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        # A browser's preflight never carries credentials; it only learns what is
        # allowed. Any other OPTIONS is a call like the rest and needs the token.
        if self.origins and is_preflight(environ, self.origins):
            return self.app(environ, start_response)
        token = _bearer(environ.get("HTTP_AUTHORIZATION"))
        if token is None:
            detail = "This endpoint needs an 'Authorization: Bearer <token>' header."
            challenge = REALM
        elif not self.store.accepts(token):
            detail, challenge = "The bearer token is not valid.", f'{REALM}, error="invalid_token"'
        else:
            return self.app(environ, start_response)
        return errors.respond(
            environ, start_response, 401, "Unauthorized", detail, {"WWW-Authenticate": challenge}
        )
