r"""Literal strings a regular expression cannot match without: a cheap test before a scan.

Python's ``re`` tries a pattern that starts with a lookbehind ("(?<![a-z])any\s+...") at every
position of the text, so a few such ConText rules cost more than the phrase tries of a whole
layer. Most of them cannot match unless some literal occurs: "any", one of "people",
"patients", ... . :func:`required_literals` reads those sets from the parsed pattern, and
:class:`~calciscope.extract.matcher.PhraseMatcher` skips a rule when, for one of its sets, no
member occurs in the text it would scan (``str.__contains__`` runs in C). The answer is exact:
a set is only reported when every match must consume one of its members, and a pattern that
holds anything the analysis does not know (case-insensitive flags, back-references) reports
none and is always run.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

__all__ = ["guard_characters", "required_literals", "test_source"]

#: At most this many sets are checked per rule (the most selective first).
MAX_SETS = 3

#: Letters from the most to the least frequent in English text (a static guess, not read from
#: any data): a character not listed (a digit, "/", "?", ...) counts as rarer than any letter.
_LETTER_ORDER = " etaoinshrdlcumwfgypbvkjxqz"
#: At most this many guard characters a literal (see :func:`guard_characters`).
GUARDS = 2
#: Only a literal of at least this many characters is guarded.
MIN_GUARDED = 3
#: Only a character at least this far down :data:`_LETTER_ORDER` guards (a frequent letter is
#: in nearly every window: its test would cost and skip nothing).
_RARE_FROM = _LETTER_ORDER.index("w")

try:  # the parser behind ``re`` (private; without it no rule is skipped, none is missed)
    _parser: Any = importlib.import_module("re._parser")
    _c: Any = importlib.import_module("re._constants")
    _ZERO_WIDTH = frozenset({_c.ASSERT, _c.ASSERT_NOT, _c.AT})
    _REPEATS = frozenset(
        {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
    )
except (ImportError, AttributeError):  # pragma: no cover - another Python implementation
    _parser = None


def required_literals(regex: re.Pattern[str]) -> tuple[tuple[str, ...], ...]:
    """Return sets of strings each of which must have a member inside every match.

    Parameters
    ----------
    regex
        A compiled pattern over (lowercased) text.

    Returns
    -------
    tuple of tuple of str
        At most :data:`MAX_SETS` sets, the most selective first (longest shortest member,
        then fewest members); empty when nothing is known (the pattern must always run).
    """
    if _parser is None or regex.flags & re.IGNORECASE:
        return ()
    try:
        parsed = _parser.parse(regex.pattern, regex.flags)
        sets = _sequence(list(parsed))
    except Exception:  # _Unknown, or a parser of another version: run the rule, skip nothing
        return ()
    # a set met wherever another one is (each member of the other holds one of its members)
    # tests nothing more; of two sets that meet each other the first ranked is kept
    ranked = sorted(set(sets), key=lambda s: (-min(map(len, s)), len(s), s))
    useful = [
        s
        for i, s in enumerate(ranked)
        if not any(
            _meets(o, s) and (j < i or not _meets(s, o)) for j, o in enumerate(ranked) if j != i
        )
    ]
    return tuple(useful[:MAX_SETS])


def guard_characters(literal: str) -> tuple[str, ...]:
    """Return characters of ``literal`` to test before it, the likeliest to be missing first.

    A text holds ``literal`` only if it holds each of its characters, so a window that lacks
    one cannot hold the literal: ``"v" in window`` (``memchr``, and shared by every literal
    with a "v" in one window's test) answers for "liver" and "involving" at a fraction of
    what a substring search costs (speed38). At most :data:`GUARDS` characters, the rarest in
    English first (:data:`_LETTER_ORDER`); none for a literal shorter than 3 characters (its
    own search is as cheap).
    """
    if len(literal) < MIN_GUARDED:
        return ()
    rank = {c: i for i, c in enumerate(_LETTER_ORDER)}
    ranked = sorted(set(literal), key=lambda c: (-rank.get(c, len(rank)), c))
    return tuple(c for c in ranked[:GUARDS] if rank.get(c, len(rank)) >= _RARE_FROM)


class _Unknown(Exception):
    """The pattern holds something whose literals are not known (the whole rule runs)."""


def _sequence(items: list[tuple[Any, Any]]) -> list[tuple[str, ...]]:
    """Return the literal sets of a sequence: each run of literals, each mandatory group."""
    sets: list[tuple[str, ...]] = []
    run = ""
    for op, av in items:
        if op is _c.LITERAL:
            run += chr(av)
            continue
        if op is _c.ASSERT and av[0] == 1:
            # A positive lookahead consumes nothing either, but what it needs must follow the
            # match's start inside the scanned text (``endpos`` ends what it sees); a lookbehind
            # may see text before the window, so it adds nothing.
            sets += _sequence(list(av[1]))
            continue
        if op in _ZERO_WIDTH:  # consumes nothing: the literals on both sides are adjacent
            continue
        if run:
            sets.append((run,))
            run = ""
        sets += _element(op, av)
    if run:
        sets.append((run,))
    return sets


def _best(sets: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    if not sets:
        return None
    return min(sets, key=lambda s: (-min(map(len, s)), len(s)))


def _element(op: Any, av: Any) -> list[tuple[str, ...]]:
    """Return the literal sets a match of this element must contain (each a set to meet)."""
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        if add_flags or del_flags:
            raise _Unknown
        return _sequence(list(body))
    if op is _c.BRANCH:
        return _branch(av[1])
    if op in _REPEATS:
        low, _high, body = av
        return _sequence(list(body)) if low >= 1 else []
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _sequence(list(av))
    if op is _c.IN:
        if all(kind is _c.LITERAL for kind, _ in av):
            return [tuple(sorted({chr(code) for _, code in av}))]
        return []
    if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
        raise _Unknown
    return []


def _branch(alternatives: list[Any]) -> list[tuple[str, ...]]:
    """Return the sets every alternative meets (none when one alternative needs nothing).

    A set is met by an alternative when one of the alternative's own sets meets it
    (:func:`_meets`): so the union of each alternative's best set, and each set of the first
    alternative that every other alternative meets ("nodule" in "chalky ca nodules|gritty ca
    nodules", "/" in ": y/n|(y/n)").
    """
    needs = [_sequence(list(branch)) for branch in alternatives]
    if not all(needs):
        return []
    union = sorted({member for sets in needs for member in _best(sets) or ()})
    found = [tuple(union)]
    for candidate in dict.fromkeys(needs[0]):
        if all(any(_meets(s, candidate) for s in sets) for sets in needs[1:]):
            found.append(candidate)
    return found


def _meets(have: tuple[str, ...], need: tuple[str, ...]) -> bool:
    """Whether text holding a member of ``have`` always holds a member of ``need``."""
    return all(any(n in h for n in need) for h in have)


def test_source(needs: Sequence[tuple[tuple[str, ...], ...]]) -> str:
    """Return the source of ``passing(w, _R=_R)``: the ``_R[i]`` whose ``needs[i]`` ``w`` meets.

    ``_R[i]`` is chosen, in order, when each set of ``needs[i]`` has a member in ``w``; a
    literal (or guard character) that several tests need is tested at most once a call, its
    answer kept in a variable; each literal's :func:`guard_characters` are tested before it
    (speed38). For :func:`~calciscope.extract.matcher._passing_function`, which runs it.
    """
    literals = {member for sets in needs for members in sets for member in members}
    guards = {literal: guard_characters(literal) for literal in literals}
    uses = Counter(member for sets in needs for members in sets for member in set(members))
    uses.update(c for characters in guards.values() for c in characters)
    shared = {
        member: f"_v{i}" for i, member in enumerate(sorted(m for m, n in uses.items() if n > 1))
    }
    lines = ["def passing(w, _R=_R):"]
    if shared:
        lines.append("    " + " = ".join(shared.values()) + " = None")
    lines.append("    chosen = []")
    for number, sets in enumerate(needs):
        terms = []
        for members in sets:
            tests = [
                " and ".join(_test(x, shared) for x in (*guards[member], member))
                for member in members
            ]
            terms.append("(" + " or ".join(tests) + ")")
        if terms:
            lines.append(f"    if {' and '.join(terms)}:")
            lines.append(f"        chosen.append(_R[{number}])")
        else:
            lines.append(f"    chosen.append(_R[{number}])")
    lines.append("    return chosen")
    return "\n".join(lines)


def _test(literal: str, shared: dict[str, str]) -> str:
    """Return the source of ``literal in w``, its answer kept in a variable if ``shared``."""
    test = f"{literal!r} in w"
    if literal in shared:
        name = shared[literal]
        test = f"({name} if {name} is not None else ({name} := {test}))"
    return test
