"""Branch conditions as data: integer ranges and version comparisons, parsed and checked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

Version = tuple[int, int, int]
# [0-9], not \d: \d also matches other scripts' digits (full-width ones), which int() takes.
VERSION_RE = re.compile(r"([0-9]{1,6})\.([0-9]{1,6})(?:\.([0-9]{1,6}))?")
# What may follow MAJOR.MINOR.PATCH in a kernel release string, as `uname -r` prints it:
# 6.1.109-118.189.amzn2023.x86_64, 5.15.0-1057-aws, 4.18.0-553.el8_10.x86_64.
_KERNEL_SUFFIX = re.compile(r"[-+~_][A-Za-z0-9._+~-]{0,100}")
# Whole numbers in conditions: ASCII digits, at most ten of them (answers are bounded far
# below that, and int() of a long digit string is slow or refused).
_NUMBER = r"-?[0-9]{1,10}"
_INT_RANGE = re.compile(rf"({_NUMBER})\s*-\s*({_NUMBER})", re.ASCII)
_COMPARISON = re.compile(r"(<=|>=|<|>|==)?\s*(\S+)", re.ASCII)
_INT = re.compile(_NUMBER)
_VERSION_BOUND = re.compile(r"\s*(<|>=)\s*(\S+)\s*", re.ASCII)
INFINITY = float("inf")

INTEGER_FORMS = "N, A-B, < N, <= N, > N or >= N (for example '< 20', '20-49', '>= 50')"
VERSION_FORMS = "< V, >= V or '>= A, < B' with versions like 5.10 (for example '>= 5.10')"


class ConditionError(ValueError):
    """A `when` that cannot be read; the message says which forms are accepted."""


def _plain_version(text: str) -> Version | None:
    """'5.10' -> (5, 10, 0); None when the text is not exactly MAJOR.MINOR[.PATCH]."""
    match = VERSION_RE.fullmatch(text)
    if not match:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


@lru_cache(maxsize=4096)  # answers repeat; parsing once per distinct string keeps walks cheap
def parse_version(text: str) -> Version | None:
    """An answer as a version: MAJOR.MINOR[.PATCH], or a kernel release string whose
    MAJOR.MINOR.PATCH prefix is the version ('5.15.0-1057-aws' -> (5, 15, 0)).

    None when it is neither; digits are ASCII only.
    """
    text = text.strip()
    plain = _plain_version(text)
    if plain is not None:
        return plain
    match = VERSION_RE.match(text)
    if match is None or match.group(3) is None or not _KERNEL_SUFFIX.fullmatch(text, match.end()):
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch)


def format_version(version: Version) -> str:
    major, minor, patch = version
    return f"{major}.{minor}" if patch == 0 else f"{major}.{minor}.{patch}"


@dataclass(frozen=True)
class IntRange:
    """A closed range of whole numbers; `high` None means no upper bound."""

    low: int
    high: int | None

    def contains(self, value: int) -> bool:
        return self.low <= value and (self.high is None or value <= self.high)


def parse_int_condition(when: object, minimum: int, maximum: int | None) -> IntRange:
    """Read an integer `when` and clip it to the question's domain."""
    if isinstance(when, bool) or not isinstance(when, int | str):
        raise ConditionError(f"cannot read {when!r}; expected one of {INTEGER_FORMS}")
    text = str(when).strip()
    low: float
    high: float
    match = _INT_RANGE.fullmatch(text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if low > high:
            raise ConditionError(f"range {text!r} is empty: write the lower bound first")
    else:
        match = _COMPARISON.fullmatch(text)
        if not match:
            raise ConditionError(f"cannot read {text!r}; expected one of {INTEGER_FORMS}")
        op, number = match.group(1) or "==", match.group(2)
        if not _INT.fullmatch(number):
            raise ConditionError(
                f"{number[:40]!r} is not a whole number of at most 10 digits; {INTEGER_FORMS}"
            )
        n = int(number)
        low, high = {
            "==": (n, n),
            "<": (-INFINITY, n - 1),
            "<=": (-INFINITY, n),
            ">": (n + 1, INFINITY),
            ">=": (n, INFINITY),
        }[op]
    top = INFINITY if maximum is None else maximum
    clipped_low, clipped_high = max(low, minimum), min(high, top)
    if clipped_low > clipped_high:
        domain = f"{minimum}..{'' if maximum is None else maximum}"
        raise ConditionError(f"{text!r} matches no allowed answer (the question allows {domain})")
    return IntRange(int(clipped_low), None if clipped_high == INFINITY else int(clipped_high))


@dataclass(frozen=True)
class VersionRange:
    """A half-open range of versions [low, high); None bounds are open-ended."""

    low: Version | None
    high: Version | None

    def contains(self, value: Version) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)


def parse_version_condition(when: object) -> VersionRange:
    """Read a version `when`: '< V', '>= V' or '>= A, < B'."""
    if not isinstance(when, str):
        raise ConditionError(f"expected a quoted string: {VERSION_FORMS}")
    low: Version | None = None
    high: Version | None = None
    for part in when.split(","):
        match = _VERSION_BOUND.fullmatch(part)
        # Conditions take plain versions only; kernel release suffixes are for answers.
        version = _plain_version(match.group(2)) if match else None
        if not match or version is None:
            raise ConditionError(f"cannot read {part.strip()!r}; expected {VERSION_FORMS}")
        if match.group(1) == ">=":
            if low is not None:
                raise ConditionError(f"{when!r} has two lower bounds")
            low = version
        else:
            if high is not None:
                raise ConditionError(f"{when!r} has two upper bounds")
            high = version
    if low is not None and high is not None and low >= high:
        raise ConditionError(f"{when!r} matches no version")
    return VersionRange(low, high)


def int_coverage_problems(ranges: list[IntRange], minimum: int, maximum: int | None) -> list[str]:
    """Gaps and overlaps among integer ranges over minimum..maximum."""
    problems: list[str] = []
    expected: float = minimum
    top = INFINITY if maximum is None else maximum
    for r in sorted(ranges, key=lambda r: r.low):
        high = INFINITY if r.high is None else r.high
        if r.low > expected:
            problems.append(f"no branch covers {_span(expected, r.low - 1)}")
        elif r.low < expected:
            problems.append(f"branches overlap on {_span(r.low, min(high, expected - 1))}")
        expected = max(expected, high + 1)
    if expected != INFINITY and expected <= top:
        problems.append(f"no branch covers {_span(expected, top)}")
    return problems


def version_coverage_problems(ranges: list[VersionRange]) -> list[str]:
    """Gaps and overlaps among version ranges over every version."""
    problems: list[str] = []
    expected: Version | None = (0, 0, 0)
    for r in sorted(ranges, key=lambda r: r.low or (0, 0, 0)):
        low = r.low or (0, 0, 0)
        if expected is None:
            problems.append(f"branches overlap from {format_version(low)} upwards")
            continue
        if low > expected:
            problems.append(
                f"no branch covers versions from {format_version(expected)} "
                f"up to {format_version(low)}"
            )
        elif low < expected:
            problems.append(
                f"branches overlap between {format_version(low)} and {format_version(expected)}"
            )
        expected = None if r.high is None else max(expected, r.high)
    if expected is not None:
        problems.append(f"no branch covers versions from {format_version(expected)} upwards")
    return problems


def _span(low: float, high: float) -> str:
    if high == INFINITY:
        return f">= {int(low)}"
    return str(int(low)) if low == high else f"{int(low)}-{int(high)}"
