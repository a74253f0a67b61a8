"""A measured value known only as a bound ("<5", ">1000"), and when a bound settles a limit.

A laboratory result below the assay's detection limit or above its measuring range is stored
as text: OMOP ``value_as_number`` with an ``operator_concept_id``, FHIR ``valueQuantity`` with
a ``comparator`` (both read to ``value_text`` ``<5``, ``>1000``; ``value_num`` stays empty, so
no criterion ever reads the bound as the number). Whether such a value is above an upper limit
of normal is decided here, once, for the feature table (SQL, :mod:`calciscope.engine`) and for
the fact page (:func:`calciscope.api.lab_limit`): ``>1000`` against a limit of 500 is known
high, ``<5`` against 10 is known normal, ``<5`` against 3 and ``>100`` against 500 decide
nothing and leave the comparison unknown (calciscope's operational decision, docs/features.md).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["BOUND_PATTERN", "SETTLES", "Bound", "compare", "read_bound", "settled_above"]

#: A bound as the readers store it: a comparator then a plain decimal number (spaces around
#: either are allowed). Written for SQL regular expressions too (no ``\d``, no ``(?:``).
BOUND_PATTERN = r"^\s*(<=|>=|<|>)\s*(-?[0-9]+(\.[0-9]+)?)\s*$"

#: For a value given with each comparator, the comparison of its number with a limit that
#: settles the value above the limit, and the one that settles it at or below the limit; None
#: where none does. ``=`` is an exact number: ``v > L`` is above, ``v <= L`` at or below.
#: ``>b`` (the value exceeds b) is above L when ``b >= L``; ``>=b`` when ``b > L``; ``<b`` and
#: ``<=b`` are at or below L when ``b <= L``; a lower bound never shows a value normal, an
#: upper bound never shows it raised.
SETTLES: dict[str, tuple[str | None, str | None]] = {
    "=": (">", "<="),
    ">": (">=", None),
    ">=": (">", None),
    "<": (None, "<="),
    "<=": (None, "<="),
}

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<=": operator.le,
}
_BOUND = re.compile(BOUND_PATTERN)


class Bound(NamedTuple):
    """A value known only to be ``comparator`` ``number`` (``Bound("<", 5.0)`` is "<5")."""

    comparator: str
    number: float


def read_bound(text: str | None) -> Bound | None:
    """Return the bound a stored ``value_text`` gives (``"<5"`` → ``Bound("<", 5.0)``), or None."""
    match = _BOUND.match(text or "")
    return None if match is None else Bound(match.group(1), float(match.group(2)))


def compare(comparison: str, number: Any, limit: Any) -> Any:
    """Return ``number <comparison> limit``: Python numbers give a bool, Ibis values an expression."""
    return _OPERATORS[comparison](number, limit)


def settled_above(bound: Bound, limit: float) -> bool | None:
    """Return True (known above ``limit``), False (known at or below it) or None (not settled)."""
    above, at_or_below = SETTLES[bound.comparator]
    if above is not None and compare(above, bound.number, limit):
        return True
    if at_or_below is not None and compare(at_or_below, bound.number, limit):
        return False
    return None
