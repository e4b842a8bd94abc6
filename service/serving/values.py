"""Setting values from text (environment, file) or typed (file, overrides), checked."""

from __future__ import annotations

import os
from collections.abc import Callable

from .cors import check_origins
from .runtime import SettingError

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
LEVELS = ("debug", "info", "warning", "error", "critical")


def integer(low: int, high: int | None = None) -> Callable[[object, str], int]:
    def parse(value: object, name: str) -> int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingError(f"{name}={str(value)[:40]!r} is not an integer")
        if value < low or (high is not None and value > high):
            upper = f" and <= {high}" if high is not None else ""
            raise SettingError(f"{name}={value} must be >= {low}{upper}")
        return value

    return parse


def seconds(value: object, name: str) -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not 1 <= number <= 86400:  # NaN fails this too
        raise SettingError(
            f"{name}={str(value)[:40]!r} must be a number of seconds from 1 to 86400 (default 30)"
        )
    return number


def boolean(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise SettingError(f"{name}={str(value)[:40]!r} is not a boolean (use true or false)")
    return text in _TRUE


def text(value: object, name: str) -> str | None:
    text = str(value).strip()
    return text or None


def _listed(value: object, name: str) -> None:
    if not isinstance(value, str | list | tuple):
        raise SettingError(f"{name} must be a list, not {str(value)[:40]!r}")


def words(value: object, name: str) -> tuple[str, ...]:
    """A list, or one string of items separated by commas or whitespace."""
    _listed(value, name)
    if isinstance(value, list | tuple):
        return tuple(str(item).strip() for item in value if str(item).strip())
    return tuple(part for part in str(value).replace(",", " ").split() if part)


def paths(value: object, name: str) -> tuple[str, ...]:
    """A list, or one string of paths separated by os.pathsep."""
    _listed(value, name)
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value if str(item))
    return tuple(part for part in str(value).split(os.pathsep) if part)


def level(value: object, name: str) -> str:
    level = str(value).strip().lower()
    if level not in LEVELS:
        raise SettingError(f"{name}={level!r} must be one of {', '.join(LEVELS)}")
    return level


def origins(value: object, name: str) -> tuple[str, ...]:
    return check_origins(words(value, name), name)
