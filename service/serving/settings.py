"""Every setting of the service: one typed object, parsed once at start, and its table."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from service.api import ApiConfig

from . import runtime
from .auth import parse_token_setting
from .runtime import SettingError
from .values import boolean, integer, level, origins, paths, seconds, text, words

FILE_VARIABLE = "NETADVISOR_SETTINGS_FILE"


def _setting(variable: str, default: Any, parse: Callable[[object, str], Any]) -> Any:
    return field(default=default, metadata={"variable": variable, "parse": parse})


# What each setting is for, and its default where the value alone would not say it:
# the table in docs/cli.md is made of these (table()).
WHAT = {
    "NETADVISOR_HOST": "address to listen on (the image: `0.0.0.0`)",
    "NETADVISOR_PORT": "port to listen on, the CLI's and the image's",
    "NETADVISOR_WORKERS": "gunicorn workers; cores from the CPU affinity and the cgroup limit",
    "NETADVISOR_TREES_DIR": "directory of decision trees",
    "NETADVISOR_OVERLAY_DIRS": "overlay directories, separated by `:`",
    "NETADVISOR_PRICING_FILE": "a file of prices overriding the trees'",
    "NETADVISOR_RELOAD_SECONDS": (
        "how often each worker checks the trees, overlays and pricing file for a change "
        "(1 to 86400); a change that loads serves without a restart, one that does not "
        "is logged and counted while the previous trees keep serving (SIGHUP: at once)"
    ),
    "NETADVISOR_API_TOKENS": (
        "bearer tokens (comma-separated) for every `/v1` call; several allow "
        "rotation; set but empty refuses to start"
    ),
    "NETADVISOR_API_TOKENS_FILE": (
        "tokens from a file (separated by commas or whitespace; a mounted Secret)"
    ),
    "NETADVISOR_API_TOKENS_RELOAD_SECONDS": (
        "how often the token file is checked for a change (1 to 86400)"
    ),
    "NETADVISOR_CORS_ORIGINS": "comma-separated origins a browser may call `/v1` and the spec from",
    "NETADVISOR_MAX_BODY_BYTES": "body limit (413 beyond it)",
    "NETADVISOR_FACTS_MAX_BYTES": "body limit for a body that carries `facts` (kubectl output)",
    "NETADVISOR_BATCH_MAX_ITEMS": "requests per `POST /v1/evaluations`",
    "NETADVISOR_BODY_CACHE_BYTES": (
        "memory each worker keeps for the JSON bodies of recent evaluations, reused when "
        "the same answers come again (least recently used out first; 0 keeps none)"
    ),
    "NETADVISOR_ACCESS_LOG": "a JSON access line per request",
    "NETADVISOR_DECISION_LOG": "a JSON decision event per evaluation",
    "NETADVISOR_DECISION_LOG_MASK": (
        "comma-separated question ids whose answers the decision log masks"
    ),
    "NETADVISOR_LOG_LEVEL": "log level: debug, info, warning, error, critical",
    "GUNICORN_TIMEOUT": (
        "seconds a worker may be silent before it is replaced (a request costs milliseconds)"
    ),
    "GUNICORN_READ_TIMEOUT": (
        "seconds a client has to send its whole request (408 after) and to "
        "read its response; below the timeout"
    ),
    "GUNICORN_GRACEFUL_TIMEOUT": (
        "seconds to finish requests after SIGTERM; with a 5 s preStop pause it fits the pod's 30 s"
    ),
    "GUNICORN_MAX_REQUESTS": "requests before a worker is recycled (bounds slow memory growth)",
    "GUNICORN_MAX_REQUESTS_JITTER": "random extra requests, so workers do not restart together",
    "GUNICORN_LIMIT_REQUEST_LINE": "longest request line (the longest API URL is far shorter)",
    "GUNICORN_LIMIT_REQUEST_FIELDS": "most request headers (a proxy adds a handful)",
    "GUNICORN_LIMIT_REQUEST_FIELD_SIZE": "longest request header (long tokens, a portal's cookies)",
    "GUNICORN_BACKLOG": "connections the kernel queues for the workers",
    "GUNICORN_WORKER_CONNECTIONS": "open connections one worker holds at most",
    "PROMETHEUS_MULTIPROC_DIR": (
        "where workers keep metric files; its `*.db` files are removed at start"
    ),
}
SHOWN = {
    "NETADVISOR_WORKERS": "usable cores + 1, at least 2",
    "NETADVISOR_TREES_DIR": "the bundled trees",
    "NETADVISOR_API_TOKENS": "unset: no authentication",
    "NETADVISOR_CORS_ORIGINS": "unset: CORS off",
    "GUNICORN_READ_TIMEOUT": "10, or the timeout - 1",
    "PROMETHEUS_MULTIPROC_DIR": "a new temporary directory",
}


_MIB = 1024 * 1024
_N = "NETADVISOR_"
_G = "GUNICORN_"


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings, from defaults, the settings file, the environment and the test
    overrides, in that order; ``netadvisor serve`` passes its flags as the environment."""

    host: str = _setting(_N + "HOST", "127.0.0.1", text)
    port: int = _setting(_N + "PORT", 8000, integer(1, 65535))
    workers: int | None = _setting(_N + "WORKERS", None, integer(1, 256))
    trees_dir: str | None = _setting(_N + "TREES_DIR", None, text)
    overlay_dirs: tuple[str, ...] = _setting(_N + "OVERLAY_DIRS", (), paths)
    pricing_file: str | None = _setting(_N + "PRICING_FILE", None, text)
    reload_seconds: float = _setting(_N + "RELOAD_SECONDS", 30.0, seconds)
    api_tokens: tuple[str, ...] | None = _setting(_N + "API_TOKENS", None, parse_token_setting)
    api_tokens_file: str | None = _setting(_N + "API_TOKENS_FILE", None, text)
    api_tokens_reload_seconds: float = _setting(_N + "API_TOKENS_RELOAD_SECONDS", 30.0, seconds)
    cors_origins: tuple[str, ...] = _setting(_N + "CORS_ORIGINS", (), origins)
    max_body_bytes: int = _setting(_N + "MAX_BODY_BYTES", 64 * 1024, integer(1))
    facts_max_bytes: int = _setting(_N + "FACTS_MAX_BYTES", 16 * _MIB, integer(1))
    batch_max_items: int = _setting(_N + "BATCH_MAX_ITEMS", 100, integer(1))
    body_cache_bytes: int = _setting(_N + "BODY_CACHE_BYTES", 16 * _MIB, integer(0))
    access_log: bool = _setting(_N + "ACCESS_LOG", True, boolean)
    decision_log: bool = _setting(_N + "DECISION_LOG", True, boolean)
    decision_log_mask: tuple[str, ...] = _setting(_N + "DECISION_LOG_MASK", (), words)
    log_level: str = _setting(_N + "LOG_LEVEL", "info", level)
    timeout: int = _setting(_G + "TIMEOUT", 15, integer(2))
    read_timeout: int | None = _setting(_G + "READ_TIMEOUT", None, integer(1))
    graceful_timeout: int = _setting(_G + "GRACEFUL_TIMEOUT", 20, integer(0))
    max_requests: int = _setting(_G + "MAX_REQUESTS", 20000, integer(0))
    max_requests_jitter: int = _setting(_G + "MAX_REQUESTS_JITTER", 2000, integer(0))
    limit_request_line: int = _setting(_G + "LIMIT_REQUEST_LINE", 4094, integer(256, 8190))
    limit_request_fields: int = _setting(_G + "LIMIT_REQUEST_FIELDS", 50, integer(10, 32768))
    limit_request_field_size: int = _setting(
        _G + "LIMIT_REQUEST_FIELD_SIZE", 8190, integer(256, 65536)
    )
    backlog: int = _setting(_G + "BACKLOG", 2048, integer(16))
    worker_connections: int = _setting(_G + "WORKER_CONNECTIONS", 1000, integer(16, 65536))
    metrics_dir: str | None = _setting("PROMETHEUS_MULTIPROC_DIR", None, text)
    testing: bool = False

    def __post_init__(self) -> None:
        deadline = self.read_timeout
        if deadline is None:
            object.__setattr__(self, "read_timeout", min(10, self.timeout - 1))
        elif deadline >= self.timeout:
            raise SettingError(
                f"GUNICORN_READ_TIMEOUT={deadline} must be below GUNICORN_TIMEOUT="
                f"{self.timeout}, or the arbiter kills a worker before its client's deadline"
            )
        if self.workers is None:
            object.__setattr__(self, "workers", runtime.default_workers(runtime.available_cpus()))

    @property
    def bind(self) -> list[str]:
        host = self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return [f"{host}:{self.port}"]

    @property
    def deadline(self) -> int:
        return self.read_timeout or 10

    def api(self, decisions: Any = None) -> ApiConfig:
        return ApiConfig(
            trees_dir=self.trees_dir,
            overlay_dirs=self.overlay_dirs,
            pricing_file=self.pricing_file,
            max_body_bytes=self.max_body_bytes,
            facts_max_bytes=self.facts_max_bytes,
            batch_max_items=self.batch_max_items,
            body_cache_bytes=self.body_cache_bytes,
            decisions=decisions,
            testing=self.testing,
        )


_FIELDS = {f.name: f for f in fields(Settings) if f.metadata}
_BY_VARIABLE = {f.metadata["variable"]: f for f in _FIELDS.values()}


def _from_file(path: str) -> dict[str, object]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingError(f"{FILE_VARIABLE} {path}: cannot be read: {exc}") from None
    unknown = sorted(set(data) - set(_BY_VARIABLE))
    if unknown:
        raise SettingError(f"{FILE_VARIABLE} {path}: no such setting: {', '.join(unknown)}")
    return data


def load(
    env: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None
) -> Settings:
    """Parse every setting once; a value that cannot be used raises SettingError naming it.

    ``overrides`` (tests, programs embedding the app) are keyed by the variable's name
    without its prefix (``TREES_DIR``) and may hold typed values.
    """
    env = os.environ if env is None else env
    raw: dict[str, tuple[object, str]] = {}
    file = env.get(FILE_VARIABLE, "").strip()
    if file:
        for variable, value in _from_file(file).items():
            raw[_BY_VARIABLE[variable].name] = (value, f"{variable} in {file}")
    for variable, spec in _BY_VARIABLE.items():
        # Blank is unset, except for tokens: a Secret rendered empty must not open the API.
        if variable in env and (env[variable].strip() or spec.name == "api_tokens"):
            raw[spec.name] = (env[variable], variable)
    testing = False
    for key, value in (overrides or {}).items():
        if key == "TESTING":
            testing = bool(value)
            continue
        if value is None:  # unset
            continue
        if key.lower() not in _FIELDS:
            raise SettingError(f"{key}: no such setting")
        raw[key.lower()] = (value, _FIELDS[key.lower()].metadata["variable"])
    values = {
        name: _FIELDS[name].metadata["parse"](value, where) for name, (value, where) in raw.items()
    }
    return Settings(**values, testing=testing)


_active: Settings | None = None


def active() -> Settings:
    """The process's settings: parsed at its first use (gunicorn's configuration, in the
    master), then shared by the app and the forked workers."""
    global _active
    if _active is None:
        _active = load()
    return _active


def table() -> str:
    """The settings as the Markdown table in docs/cli.md (a test keeps them equal)."""
    rows = ["| variable | default | what |", "|---|---|---|"]
    for spec in fields(Settings):
        if not spec.metadata:
            continue
        variable = spec.metadata["variable"]
        shown = SHOWN.get(variable) or _shown(spec.default)
        rows.append(f"| `{variable}` | {shown} | {WHAT[variable]} |")
    rows.append(
        f"| `{FILE_VARIABLE}` | unset | a TOML file of these variables (`NAME = value`), "
        "read before the environment, which wins |"
    )
    return "\n".join(rows) + "\n"


def _shown(default: object) -> str:
    if default is None or default == ():
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"
