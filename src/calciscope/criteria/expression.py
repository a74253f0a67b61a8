"""Three-valued predicates over one patient's features: the shared language of criteria and phenotypes.

A predicate is data (parsed from the criteria and phenotype YAML files), and it is evaluated in
one place only: :mod:`calciscope.engine.predicates` compiles it to a pair of never-null Ibis
booleans (*certainly true*, *certainly false*), so that no engine's NULL semantics can leak in.
Here a predicate only says which features it reads, combines with ``&``, ``|`` and ``~`` (Kleene
AND, OR, NOT) and describes itself, so that an explanation can print the rule that fired.

Forms accepted in YAML::

    {feature: x}                           boolean feature recorded true
    {feature: x, op: ">", value: 0}        numeric comparison (unknown when x is unknown)
    {feature: x, min: 18, below: 40}       half-open numeric range
    {feature: x, in: [a], not_in: [b, c]}  text value: true if in ``in``, false if in ``not_in``
    {any: [...]}, {all: [...]}, {not: ...} Kleene OR, AND, NOT
    {evidence: [...]}                      true if any part is true, else false if any is false
    {absent_if: ...}                       never true; false when the part is true (evidence
                                           that can only rule a finding out, inside ``evidence``)
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from calciscope.errors import CatalogueError

__all__ = [
    "COMPARISONS",
    "AbsentIf",
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

#: The comparison operators a predicate may use (the compiler applies them to Ibis columns).
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
    try:
        if value != value:  # NaN, NaT and pandas.NA compare unequal to themselves
            return None
    except TypeError:  # pandas.NA raises on bool()
        return None
    return value


class Predicate:
    """A three-valued condition over one patient's features (true, false or unknown).

    Predicates combine like gpsea's: ``a & b`` (Kleene AND), ``a | b`` (Kleene OR) and ``~a``
    (Kleene NOT) build new predicates, and :meth:`describe` renders the rule as text.
    """

    def features(self) -> frozenset[str]:
        """Return the names of the features (or result columns) this predicate reads."""
        raise NotImplementedError

    def describe(self) -> str:
        """Return the rule as a short text, e.g. ``anti_scl70 and not ssc_like_disorder``."""
        raise NotImplementedError

    def __and__(self, other: Predicate) -> Predicate:
        return AllOf((*_parts(self, AllOf), *_parts(other, AllOf)))

    def __or__(self, other: Predicate) -> Predicate:
        return AnyOf((*_parts(self, AnyOf), *_parts(other, AnyOf)))

    def __invert__(self) -> Predicate:
        return self.part if isinstance(self, Not) else Not(self)


def _parts(pred: Predicate, kind: type[AllOf] | type[AnyOf]) -> tuple[Predicate, ...]:
    """Flatten ``(a & b) & c`` into one AND of three, so descriptions stay flat."""
    return pred.parts if isinstance(pred, kind) else (pred,)


def _operand(pred: Predicate) -> str:
    """Describe a part of a combination or negation, in parentheses when it combines parts."""
    text = pred.describe()
    return f"({text})" if isinstance(pred, _Combination) else text


@dataclass(frozen=True)
class _OnFeature(Predicate):
    """A test of one feature's value."""

    feature: str

    def features(self) -> frozenset[str]:
        return frozenset({self.feature})


@dataclass(frozen=True)
class FeatureTrue(_OnFeature):
    """A boolean feature recorded true (false when recorded false, unknown when null)."""

    def describe(self) -> str:  # noqa: D102
        return self.feature


@dataclass(frozen=True)
class Compare(_OnFeature):
    """A numeric feature compared with a constant."""

    op: str
    value: float

    def describe(self) -> str:  # noqa: D102
        return f"{self.feature} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Range(_OnFeature):
    """A numeric feature in ``[low, below)``; either end may be open (None)."""

    low: float | None
    below: float | None

    def describe(self) -> str:  # noqa: D102
        low = "" if self.low is None else f"{self.low:g} <= "
        below = "" if self.below is None else f" < {self.below:g}"
        return f"{low}{self.feature}{below}"


@dataclass(frozen=True)
class OneOf(_OnFeature):
    """A text value: true if in ``yes``, false if in ``no``, otherwise (or null) unknown."""

    yes: tuple[str, ...]
    no: tuple[str, ...]

    def describe(self) -> str:  # noqa: D102
        return f"{self.feature} in {{{', '.join(self.yes)}}}"


@dataclass(frozen=True)
class _Combination(Predicate):
    parts: tuple[Predicate, ...]
    #: the word between the parts' descriptions
    word: ClassVar[str]

    def features(self) -> frozenset[str]:
        return frozenset().union(*(p.features() for p in self.parts))

    def describe(self) -> str:
        return f" {self.word} ".join(map(_operand, self.parts))


@dataclass(frozen=True)
class AnyOf(_Combination):
    """Kleene OR: true if any part is true, false if every part is false."""

    word = "or"


@dataclass(frozen=True)
class AllOf(_Combination):
    """Kleene AND: false if any part is false, true if every part is true."""

    word = "and"


@dataclass(frozen=True)
class Evidence(_Combination):
    """Several sources for one finding: any true → true; else any false → false; else unknown.

    Unlike Kleene OR, one source recorded false is enough to call the finding absent when no
    source says it is present (e.g. a region recorded without thickening, or scored 0 on mRSS).
    """

    def describe(self) -> str:  # noqa: D102
        return f"evidence of any of ({', '.join(p.describe() for p in self.parts)})"


@dataclass(frozen=True)
class _OnePart(Predicate):
    part: Predicate

    def features(self) -> frozenset[str]:
        return self.part.features()


@dataclass(frozen=True)
class AbsentIf(_OnePart):
    """Evidence that can only rule a finding out: never true, false when ``part`` is true.

    Used inside :class:`Evidence` for a body region without a site of its own in a scored
    instrument (the back in the mRSS), which is taken as not thickened when the instrument's
    sites standing for it were scored and never above 0 (leroy1988.yaml).
    """

    def describe(self) -> str:  # noqa: D102
        return f"absent when {self.part.describe()}"


@dataclass(frozen=True)
class Not(_OnePart):
    """Kleene NOT."""

    def describe(self) -> str:  # noqa: D102
        return f"not {_operand(self.part)}"


def _parse_feature(raw: dict[str, Any], where: str) -> Predicate:
    name = str(raw["feature"])
    if "op" in raw:
        if raw["op"] not in COMPARISONS:
            raise CatalogueError(f"{where}: unknown comparison {raw['op']!r}")
        return Compare(name, str(raw["op"]), float(raw["value"]))
    if "min" in raw or "below" in raw:
        low, below = (None if raw.get(k) is None else float(raw[k]) for k in ("min", "below"))
        return Range(name, low, below)
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
    for key, combination in {"any": AnyOf, "all": AllOf, "evidence": Evidence}.items():
        if key in raw:
            return combination(tuple(parse_predicate(p, where) for p in raw[key]))
    for key, one_part in {"not": Not, "absent_if": AbsentIf}.items():
        if key in raw:
            return one_part(parse_predicate(raw[key], where))
    if "feature" in raw:
        return _parse_feature(raw, where)
    raise CatalogueError(f"{where}: cannot read predicate {raw!r}")
