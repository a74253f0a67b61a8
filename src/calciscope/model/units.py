"""Units shared by every layer: years from days, and how a measured value's unit is written.

A fact's ``unit`` is written one way when the fact enters the registry
(:func:`normalise_unit`, applied by :class:`calciscope.model.Fact`): every run of white space
(any Unicode space: a non-breaking space pasted with a laboratory value, a tab) becomes one
ASCII space, and none is kept at either end. The case is kept as written - a UCUM code is
case-sensitive (``mU/L`` is milli-, ``MU/L`` mega-units) and calciscope writes the unit back as
one (FHIR ``valueQuantity.code``). Where a rule takes a unit without regard to case (the
default upper limits of normal: ``u/l`` is U/L), it compares the stored text with every
spelling of its units in ASCII upper and lower case (:func:`unit_spellings`): a plain string
comparison, the same in Python and in every SQL engine (SQL ``UPPER`` is not: SQLite changes
only ASCII letters, DuckDB and PostgreSQL others too; Python upper-cases the micro sign ``µ``
to a Greek capital).
"""

from __future__ import annotations

import itertools

__all__ = [
    "DAYS_PER_YEAR",
    "MAX_CASELESS_LETTERS",
    "WHITE_SPACE",
    "normalise_unit",
    "unit_spellings",
]

#: The Julian year: durations in days are divided by it to give years (ages, disease duration).
DAYS_PER_YEAR = 365.25

#: Every character Python's ``str.split()`` and ``str.strip()`` take for white space (the
#: Unicode White_Space characters and the ASCII separators U+001C-U+001F); the bulk import's
#: vectorised check (:mod:`calciscope.interop.native_facts`) spells its pattern from this.
#: (tests/model/test_units.py checks it against ``str.isspace`` over every code point.)
WHITE_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

#: The most ASCII letters a unit compared without regard to case may hold (2**n spellings).
MAX_CASELESS_LETTERS = 10


def normalise_unit(text: str | None) -> str | None:
    """Return a unit as the registry stores it: white space runs as one space, none at the ends.

    An empty or all-space unit is no unit (None). Letters keep their case.
    """
    if text is None:
        return None
    return " ".join(text.split()) or None


def unit_spellings(unit: str) -> tuple[str, ...]:
    """Return every spelling of ``unit`` that differs only in the case of its ASCII letters.

    ``U/L`` → ``U/L``, ``U/l``, ``u/L``, ``u/l``. Other characters (``µ``, digits, ``/``) are
    kept as they are, so the comparison is the same in Python and in SQL.

    Raises
    ------
    ValueError
        When the unit has more than :data:`MAX_CASELESS_LETTERS` ASCII letters.
    """
    choices = [(c.upper(), c.lower()) if c.isascii() and c.isalpha() else (c,) for c in unit]
    letters = sum(len(choice) == 2 for choice in choices)
    if letters > MAX_CASELESS_LETTERS:
        raise ValueError(
            f"unit {unit!r} has {letters} letters; at most {MAX_CASELESS_LETTERS} compare "
            "without regard to case"
        )
    return tuple(dict.fromkeys("".join(p) for p in itertools.product(*choices)))
