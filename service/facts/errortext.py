"""Facts read from the error text a user saw: its class, and a Service reported missing."""

from __future__ import annotations

import re
from collections import deque

from .model import Answer, Facts

# Only the tail is read: the root cause ends Go, curl and Envoy error chains.
_MAX_TEXT = 64 * 1024
_CLASSES = (
    ("timeout", r"i/o timeout|context deadline exceeded|timed out|Client\.Timeout exceeded"),
    ("timeout", r"upstream request timeout|TLS handshake timeout"),
    ("refused", r"connection refused"),
    ("reset", r"connection reset by peer|upstream connect error[^\n]{0,80}?reset"),
    ("nxdomain", r"no such host|NXDOMAIN|could not resolve host"),
    ("tls", r"x509:|tls:|certificate|SSL routines|SSL_ERROR"),
    (
        "http-5xx",
        r"\b50[234]\b|Bad Gateway|Service ?Unavailable|Gateway Time-?out|no healthy upstream",
    ),
)
_PATTERN = re.compile(
    "|".join(f"(?P<c{index}>{pattern})" for index, (_, pattern) in enumerate(_CLASSES)),
    re.IGNORECASE,
)
_NOT_FOUND = re.compile(r'services "([^"\s]{1,253})" not found')


def classify(text: str) -> tuple[str, str]:
    """(class, matched phrase): the last phrase wins, as the root cause comes last."""
    tail = text[-_MAX_TEXT:]
    # Only the last match counts; a deque of one keeps it without holding the others.
    (last,) = deque(_PATTERN.finditer(tail), maxlen=1) or (None,)
    if last is None or last.lastgroup is None:
        return "other", ""
    return _CLASSES[int(last.lastgroup[1:])][0], last.group()


def derive_error(text: str, facts: Facts) -> None:
    """error_class always, and service_exists false for kubectl's NotFound on a Service."""
    error_class, phrase = classify(text)
    shown = text.strip()[:80]
    evidence = f'error: matched "{phrase}"' if phrase else f'error: no known phrase in "{shown}"'
    facts.answers["error_class"] = Answer(error_class, evidence)
    missing = _NOT_FOUND.search(text[-_MAX_TEXT:])
    if missing is not None and "service_exists" not in facts.answers:
        facts.answers["service_exists"] = Answer(False, f'error: "{missing.group()}"')
