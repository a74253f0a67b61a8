"""Three-valued predicates over one patient's features: the shared language of criteria and phenotypes.

A predicate is data (parsed from the criteria and phenotype YAML files). It is evaluated two
ways from the same object: here, in pure Python for one patient (:meth:`Predicate.truth`), and
by :mod:`calciscope.engine.criteria`, which compiles it to a pair of never-null Ibis booleans
(*certainly true*, *certainly false*), so that no engine's NULL semantics can leak in.

Forms accepted in YAML::

    {feature: x}                           boolean feature recorded true
    {feature: x, op: ">", value: 0}        numeric comparison (unknown when x is unknown)
    {feature: x, min: 18, below: 40}       half-open numeric range
    {feature: x, in: [a], not_in: [b, c]}  text value: true if in ``in``, false if in ``not_in``
    {any: [...]}, {all: [...]}, {not: ...} Kleene OR, AND, NOT
    {evidence: [...]}                      true if any part is true, else false if any is false
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from calciscope.errors import CatalogueError

__all__ = [
    "AllOf",
    "AnyOf",
    "Compare",
    "Evidence",
    "FeatureTrue",
    "Not",
    "OneOf",
    "Predicate",
    "Range",
    "clean_value",
    "parse_predicate",
]

Row = Mapping[str, Any]

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}


def clean_value(value: Any) -> Any:
    """Return None for every spelling of a missing value (None, NaN, NaT, pandas NA)."""
    if value is None or value is True or value is False:
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if value != value:  # NaT and pandas.NA compare unequal to themselves
            return None
    except TypeError:  # pandas.NA raises on bool()
        return None
    return value


class Predicate:
    """A three-valued condition: :meth:`truth` gives True, False or None (unknown)."""

    def truth(self, row: Row) -> bool | None:
        """Evaluate for one patient (a mapping from feature name to value)."""
        raise NotImplementedError

    def features(self) -> frozenset[str]:
        """Return the names of the features (or result columns) this predicate reads."""
        raise NotImplementedError


@dataclass(frozen=True)
class FeatureTrue(Predicate):
    """A boolean feature recorded true (false when recorded false, unknown when null)."""

    feature: str

    def truth(self, row: Row) -> bool | None:  # noqa: D102
        value = clean_value(row.get(self.feature))
        return None if value is None else bool(value)

    def features(self) -> frozenset[str]:  # noqa: D102
        return frozenset({self.feature})


@dataclass(frozen=True)
class Compare(Predicate):
    """A numeric feature compared with a constant."""

    feature: str
    op: str
    value: float

    def truth(self, row: Row) -> bool | None:  # noqa: D102
        value = clean_value(row.get(self.feature))
        return None if value is None else COMPARISONS[self.op](value, self.value)

    def features(self) -> frozenset[str]:  # noqa: D102
        return frozenset({self.feature})


@dataclass(frozen=True)
class Range(Predicate):
    """A numeric feature in ``[low, below)``; either end may be open (None)."""

    feature: str
    low: float | None
    below: float | None

    def truth(self, row: Row) -> bool | None:  # noqa: D102
        value = clean_value(row.get(self.feature))
        if value is None:
            return None
        return (self.low is None or value >= self.low) and (
            self.below is None or value < self.below
        )

    def features(self) -> frozenset[str]:  # noqa: D102
        return frozenset({self.feature})


@dataclass(frozen=True)
class OneOf(Predicate):
    """A text value: true if in ``yes``, false if in ``no``, otherwise (or null) unknown."""

    feature: str
    yes: tuple[str, ...]
    no: tuple[str, ...]

    def truth(self, row: Row) -> bool | None:  # noqa: D102
        value = clean_value(row.get(self.feature))
        if value in self.yes:
            return True
        return False if value in self.no else None

    def features(self) -> frozenset[str]:  # noqa: D102
        return frozenset({self.feature})


@dataclass(frozen=True)
class AnyOf(Predicate):
    """Kleene OR: true if any part is true, false if every part is false."""

    parts: tuple[Predicate, ...]

    def truth(self, row: Row) -> bool | None:  # noqa: D102
        values = [p.truth(row) for p in self.parts]
        if any(v is True for v in values):
            return True
        return False if all(v is False for v in values) else None

    def features(self) -> frozenset[str]:  # noqa: D102
        return frozenset().union(*(p.features() for p in self.parts))


@dataclass(frozen=True)
class AllOf(Predicate):
    """Kleene AND: false if any part is false, true if every part is true."""

    parts: tuple[Predicate, ...]

    def truth(self, row: Row) -> bool | None:  # noqa: D102
        values = [p.truth(row) for p in self.parts]
        if any(v is False for v in values):
            return False
        return True if all(v is True for v in values) else None

    def features(self) -> frozenset[str]:  # noqa: D102
        return frozenset().union(*(p.features() for p in self.parts))


@dataclass(frozen=True)
class Evidence(Predicate):
    """Several sources for one finding: any true → true; else any false → false; else unknown.

    Unlike Kleene OR, one source recorded false is enough to call the finding absent when no
    source says it is present (e.g. a region recorded without thickening, or scored 0 on mRSS).
    """

    parts: tuple[Predicate, ...]

    def truth(self, row: Row) -> bool | None:  # noqa: D102
        values = [p.truth(row) for p in self.parts]
        if any(v is True for v in values):
            return True
        return False if any(v is False for v in values) else None

    def features(self) -> frozenset[str]:  # noqa: D102
        return frozenset().union(*(p.features() for p in self.parts))


@dataclass(frozen=True)
class Not(Predicate):
    """Kleene NOT."""

    part: Predicate

    def truth(self, row: Row) -> bool | None:  # noqa: D102
        value = self.part.truth(row)
        return None if value is None else not value

    def features(self) -> frozenset[str]:  # noqa: D102
        return self.part.features()


def _parse_feature(raw: dict[str, Any], where: str) -> Predicate:
    name = str(raw["feature"])
    if "op" in raw:
        if raw["op"] not in COMPARISONS:
            raise CatalogueError(f"{where}: unknown comparison {raw['op']!r}")
        return Compare(name, str(raw["op"]), float(raw["value"]))
    if "min" in raw or "below" in raw:
        low, below = raw.get("min"), raw.get("below")
        return Range(
            name, None if low is None else float(low), None if below is None else float(below)
        )
    if "in" in raw:
        return OneOf(name, tuple(map(str, raw["in"])), tuple(map(str, raw.get("not_in", ()))))
    return FeatureTrue(name)


def parse_predicate(raw: Any, where: str = "predicate") -> Predicate:
    """Build a predicate from its YAML form (see the module docstring).

    Raises
    ------
    CatalogueError
        When the form is not one of those listed, naming ``where``.
    """
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: expected a mapping, got {raw!r}")
    nested = {"any": AnyOf, "all": AllOf, "evidence": Evidence}
    for key, cls in nested.items():
        if key in raw:
            return cls(tuple(parse_predicate(p, where) for p in raw[key]))
    if "not" in raw:
        return Not(parse_predicate(raw["not"], where))
    if "feature" in raw:
        return _parse_feature(raw, where)
    raise CatalogueError(f"{where}: cannot read predicate {raw!r}")
