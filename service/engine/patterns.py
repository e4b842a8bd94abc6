"""A static check that refuses regular expressions whose backtracking can take exponential time."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

# Python 3.11's `re` has no match timeout, so a tree's `pattern` is proven safe before it is
# used. The check reads the parse tree `re` itself builds; these modules have no stubs.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)
_TOP = 0x10FFFF
# Non-ASCII letters and digits match \w and \d; every non-ASCII character is one range
# here, which errs on the side of calling two sets overlapping.
_NON_ASCII = (0x80, _TOP)
_DIGIT = ((0x30, 0x39), _NON_ASCII)
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A), _NON_ASCII)
_SPACE = ((0x09, 0x0D), (0x1C, 0x20), _NON_ASCII)
_ANY = ((0, _TOP),)
_CATEGORIES = {
    _c.CATEGORY_DIGIT: _DIGIT,
    _c.CATEGORY_WORD: _WORD,
    _c.CATEGORY_SPACE: _SPACE,
}
# A chain of this many adjacent repeats that can trade characters is O(n**3) at least.
_MAX_CHAIN = 3

Chars = frozenset[tuple[int, int]]


def _overlap(a: Chars, b: Chars) -> bool:
    return any(lo <= b_hi and b_lo <= hi for lo, hi in a for b_lo, b_hi in b)


def _literal(code: int, ignore_case: bool) -> Chars:
    char = chr(code)
    codes = {code, ord(char.lower()[0]), ord(char.upper()[0])} if ignore_case else {code}
    return frozenset((c, c) for c in codes)


def _complement(chars: Chars) -> Chars:
    out: set[tuple[int, int]] = set()
    start = 0
    for lo, hi in sorted(chars):
        if lo > start:
            out.add((start, lo - 1))
        start = max(start, hi + 1)
    if start <= _TOP:
        out.add((start, _TOP))
    return frozenset(out)


def _set_chars(items: Sequence[tuple[Any, Any]], ignore_case: bool) -> Chars:
    negated = bool(items) and items[0][0] is _c.NEGATE
    out: set[tuple[int, int]] = set()
    for op, av in items[1:] if negated else items:
        if op is _c.LITERAL:
            out |= _literal(av, ignore_case)
        elif op is _c.RANGE:
            out.add(av)
            if ignore_case:
                out |= {(0x41, 0x5A), (0x61, 0x7A)}
        elif negated:
            # A category's set here is wider than the truth; its complement would be
            # narrower, so a negated set with a category is taken as any character.
            return frozenset(_ANY)
        else:
            out |= set(_CATEGORIES.get(av, _ANY))
    return _complement(frozenset(out)) if negated else frozenset(out)


class _Checker:
    """Walks one parsed pattern and collects why it is unsafe."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.ignore_case = bool(state.flags & _c.SRE_FLAG_IGNORECASE)
        self.problems: list[str] = []

    def chars(self, items: Sequence[tuple[Any, Any]]) -> Chars:
        """Every character a sequence can consume."""
        out: set[tuple[int, int]] = set()
        for op, av in items:
            if op is _c.LITERAL:
                out |= _literal(av, self.ignore_case)
            elif op is _c.IN:
                out |= _set_chars(av, self.ignore_case)
            elif op is _c.NOT_LITERAL:
                out |= _complement(_literal(av, self.ignore_case))
            elif op in _REPEATS:
                out |= self.chars(av[2])
            elif op is _c.SUBPATTERN:
                out |= self.chars(av[3])
            elif op is _c.BRANCH:
                for alternative in av[1]:
                    out |= self.chars(alternative)
            elif op is _c.ATOMIC_GROUP:
                out |= self.chars(av)
            elif op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
                continue  # consumes nothing
            else:  # ANY, NOT_LITERAL, CATEGORY outside a set: be pessimistic
                out |= set(_ANY)
        return frozenset(out)

    def variable(self, items: Sequence[tuple[Any, Any]]) -> bool:
        """Whether the sequence can match texts of different lengths (so trade characters)."""
        low, high = _parser.SubPattern(self.state, list(items)).getwidth()
        return bool(low != high)

    def first(self, items: Sequence[tuple[Any, Any]]) -> Chars:
        """The characters the sequence can start with (a superset)."""
        out: set[tuple[int, int]] = set()
        for index, item in enumerate(items):
            if item[0] in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
                continue
            out |= self.chars([item])
            if _parser.SubPattern(self.state, list(items[index : index + 1])).getwidth()[0]:
                break
        return frozenset(out)

    def flat(self, items: Sequence[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        """The sequence with plain groups inlined and a fixed count of a variable part
        written out ((a+){2} is a+a+), up to the length that matters here."""
        out: list[tuple[Any, Any]] = []
        for op, av in items:
            if op is _c.SUBPATTERN:
                out += self.flat(av[3])
            elif op in _REPEATS and av[0] == av[1] > 1 and self.variable(av[2]):
                body = self.flat(av[2])
                out += body * (1 if self.delimited(body) else min(av[0], _MAX_CHAIN))
            else:
                out.append((op, av))
        return out

    def ambiguous(self, items: Sequence[tuple[Any, Any]]) -> int:
        """The longest chain of adjacent variable parts whose characters overlap.

        Two such parts ('a+a+') can split the same text in many ways; a branch whose
        alternatives can start alike ('a|ab') counts as such a chain too.
        """
        longest = chain = 0
        open_chars: Chars = frozenset()
        for op, av in self.flat(items):
            if op in _REPEATS:
                longest = max(longest, self.ambiguous(av[2]))
            if op is _c.BRANCH:
                starts = [self.first(alt) for alt in av[1]]
                empty = sum(1 for alt in av[1] if not alt or alt.getwidth()[0] == 0)
                for i, first in enumerate(starts):
                    if empty > 1 or any(_overlap(first, other) for other in starts[i + 1 :]):
                        longest = max(longest, 2)
                for alt in av[1]:
                    longest = max(longest, self.ambiguous(alt))
            if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
                continue
            chars = self.chars([(op, av)])
            if self.variable([(op, av)]):
                chain = chain + 1 if chain and _overlap(open_chars, chars) else 1
                open_chars = open_chars | chars if chain > 1 else chars
            elif not (chain and _overlap(open_chars, chars)):
                chain, open_chars = 0, frozenset()
            longest = max(longest, chain)
        return longest

    def delimited(self, body: Sequence[tuple[Any, Any]]) -> bool:
        """Whether each repetition starts or ends with a character nothing else in it takes,
        so where one repetition ends is fixed by the text, not by backtracking."""
        for edge, rest in ((body[:1], body[1:]), (body[-1:], body[:-1])):
            single = edge and not self.variable(edge) and edge[0][0] in (_c.LITERAL, _c.IN)
            if single and not _overlap(self.chars(edge), self.chars(rest)):
                return True
        return False

    def walk(self, items: Sequence[tuple[Any, Any]]) -> None:
        for op, av in items:
            if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
                self.problems.append("backreferences are not allowed")
            elif op in _REPEATS:
                low, high, body = av
                if high > 1:
                    self.repeat(list(body), low, high)
                self.walk(body)
            elif op is _c.SUBPATTERN:
                self.walk(av[3])
            elif op is _c.BRANCH:
                for alternative in av[1]:
                    self.walk(alternative)
            elif op in (_c.ASSERT, _c.ASSERT_NOT):
                self.walk(av[1])
            elif op is _c.ATOMIC_GROUP:
                self.walk(av)

    def repeat(self, body: list[tuple[Any, Any]], low: int, high: int) -> None:
        # A repeated part that can itself match in several ways multiplies those ways
        # per repetition: (a+)+, (a|a)*, (\d{1,3})+.
        while len(body) == 1 and body[0][0] is _c.SUBPATTERN:
            body = list(body[0][1][3])
        if self.ambiguous(body) >= 2 or (
            self.variable(body) and low != high and not self.delimited(body)
        ):
            self.problems.append(
                "a repeated part can match the same text in more than one way (as in (a+)+ "
                "or (a|ab)*), which takes exponential time on a non-matching answer"
            )


def unsafe_pattern(pattern: str) -> str | None:
    """Why `pattern` could backtrack catastrophically, or None when it cannot.

    Refuses backreferences, repetition of a part that can match one text in several ways
    ((a+)+, (a|a)*, (\\w+\\d*)+, unless each repetition is fixed by a delimiter that nothing
    else in it matches, as in (\\.[a-z]+)*), and 3 or more adjacent overlapping repeats
    (\\d+\\d+\\d+). A pattern `re` cannot compile is left to the compiler's message.
    """
    try:
        parsed = _parser.parse(pattern)
    except Exception:  # re.error, RecursionError, OverflowError: not this check's to report
        return None
    checker = _Checker(parsed.state)
    items = list(parsed)
    checker.walk(items)
    if not checker.problems and checker.ambiguous(items) >= _MAX_CHAIN:
        checker.problems.append(
            f"{_MAX_CHAIN} or more adjacent repeats can trade characters (as in \\d+\\d+\\d+), "
            "which takes polynomial time"
        )
    return checker.problems[0] if checker.problems else None
