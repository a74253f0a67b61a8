"""Load and validate the concept and feature catalogue (``concepts.yaml``, ``features.yaml``).

The catalogue is the one place where a clinical concept is tied to its codes and where a
feature is defined from concepts. Everything else (the engine, criteria, readers and
writers, reports) refers to features by the names defined here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from calciscope.errors import CatalogueError
from calciscope.model import CODE_SYSTEMS, BodyRegion, Laterality, Morphology, Status
from calciscope.model.records import use_closed_values, use_value_ranges
from calciscope.model.units import normalise_unit, unit_spellings

__all__ = [
    "MIDLINE_GROUPS",
    "SITE_GROUPS",
    "Concept",
    "ConceptKind",
    "Derivation",
    "DerivationKind",
    "Feature",
    "FeatureCatalogue",
    "FeatureType",
    "UpperLimit",
    "load_catalogue",
]

#: Body regions counted as one region for calcinosis extent (clinical-reference §11.5: face/neck).
SITE_GROUPS: dict[BodyRegion, str] = {region: region.value for region in BodyRegion} | {
    BodyRegion.FACE: "face_neck",
    BodyRegion.NECK: "face_neck",
}


#: Site groups without a left and right (clinical-reference §11.5: "laterality where it
#: applies"): a lesion there is one site whatever side is recorded when sides are counted.
MIDLINE_GROUPS: frozenset[str] = frozenset({"chest", "abdomen", "back", "face_neck"})


class ConceptKind(StrEnum):
    """What a concept is: something found about the patient, or something done to them.

    A *finding* is any statement about the patient (a diagnosis, sign, test result or event);
    a *procedure* is an intervention performed on the patient (a biopsy, a radiograph). Formats
    that tell them apart use it: Phenopackets write procedures as ``medicalActions``.
    """

    FINDING = "finding"
    PROCEDURE = "procedure"


class DerivationKind(StrEnum):
    """How a feature is computed from facts (see the header of ``features.yaml``)."""

    STATUS = "status"
    ALL_MATCH = "all_match"
    FIRST_DATE = "first_date"
    LAST_DATE = "last_date"
    COUNT_SITES = "count_sites"
    MAX_VALUE = "max_value"
    LATEST_VALUE = "latest_value"
    LATEST_TEXT = "latest_text"
    LATEST_TEXT_CONFLICT = "latest_text_conflict"
    AGE_AT = "age_at"


class FeatureType(StrEnum):
    """Value type of a feature column."""

    BOOLEAN = "boolean"
    NUMBER = "number"
    INTEGER = "integer"
    DATE = "date"
    TEXT = "text"


@dataclass(frozen=True)
class Concept:
    """A clinical concept and every (system, code) that means it.

    ``values`` is the closed set of ``value_text`` a fact of the concept may carry, when the
    concept declares one (``ssc_subset``: dcssc, lcssc, sine, undetermined); empty when any text may.
    ``whole_codes``: when the concept declares them, its other codes name only a part of it (a
    subtype), and an absent record of a part does not rule the whole out (fixes19: "no
    dermatomyositis" is no "no IIM"); empty when every code names the whole concept.
    ``value_range``: the lowest and highest ``value_num`` a fact of the concept may carry (None
    for no bound), when the concept declares one (``mrss_site``: 0 to 3; an enzyme activity:
    0 or more); None when any finite number may.
    """

    name: str
    label: str
    codes: tuple[tuple[str, str], ...]
    kind: ConceptKind = ConceptKind.FINDING
    values: tuple[str, ...] = ()
    whole_codes: tuple[tuple[str, str], ...] = ()
    value_range: tuple[float | None, float | None] | None = None

    @property
    def ruling_out_codes(self) -> tuple[tuple[str, str], ...]:
        """The codes whose absent record rules the concept out (all, unless it has parts).

        A concept with ``whole_codes``: those and the implicit ``calciscope:<name>``.
        """
        if not self.whole_codes:
            return self.codes
        return (*self.whole_codes, ("calciscope", self.name))

    def rules_out(self, system: str, code: str) -> bool:
        """Whether an absent record of (system, code) says the concept is absent."""
        return (system, code) in self.ruling_out_codes

    @property
    def primary_code(self) -> tuple[str, str]:
        """The preferred (system, code): the first HPO/MONDO code, else ``calciscope:<name>``."""
        for system, code in self.codes:
            if system in ("HP", "MONDO"):
                return system, code
        return "calciscope", self.name


@dataclass(frozen=True)
class AgeBand:
    """The limits from an age on (whole years at the measurement), until the next band's age."""

    from_age: int
    female: float
    male: float


@dataclass(frozen=True)
class UpperLimit:
    """The upper limit of normal of a measured concept, by sex and age (a default table in YAML).

    A value of the concept in one of ``units`` (a fact without a unit is taken to be in the
    first; the case of ASCII letters does not count: "u/l" is U/L, edge13; white space was
    normalised when the fact entered the registry, fixes16) above the limit
    counts as raised; values in other units are not compared.
    ``female`` / ``male`` hold below the first of ``bands`` (ascending ``from_age``); a band
    that leaves out a sex keeps that sex's limit from the band before.
    """

    concept: str
    units: tuple[str, ...]
    female: float
    male: float
    bands: tuple[AgeBand, ...] = ()

    def periods(self) -> list[tuple[int, int | None, float, float]]:
        """Return ``(from age, until age or None, female, male)`` covering every age."""
        starts = [0, *(band.from_age for band in self.bands)]
        limits = [(self.female, self.male), *((b.female, b.male) for b in self.bands)]
        ends: list[int | None] = [*starts[1:], None]
        return [(a, b, f, m) for a, b, (f, m) in zip(starts, ends, limits, strict=True)]

    def takes_unit(self, unit: str | None) -> bool:
        """Whether a value in ``unit`` is compared with this table (no unit: the first unit)."""
        return unit is None or unit in self.unit_spellings

    @property
    def unit_spellings(self) -> frozenset[str]:
        """The stored units compared: the table's units in any ASCII case (U/L, u/l, U/l, u/L).

        A plain string comparison, the same in Python and every SQL engine
        (:func:`calciscope.model.units.unit_spellings`); spaces were normalised when the fact
        entered the registry (:func:`calciscope.model.units.normalise_unit`).
        """
        return frozenset(s for unit in self.units for s in unit_spellings(unit))

    def bounds(self, sex: str | None, ages: tuple[int, int] | None) -> tuple[float, float]:
        """Return (the lowest, the highest) limit a measurement could have.

        Over the sexes the patient could be (``female``, ``male``, both for any other or none)
        and the age bands the age at the measurement could fall in (``ages``: lowest and
        highest whole years; ``None``: unknown, every band). The same rule the feature
        compiler applies in the database (``engine.features._row_limits``): a value is raised
        only above the highest and normal only at or below the lowest.
        """
        lows, highs = [], []
        for start, end, female, male in self.periods():
            if ages is not None and not (ages[1] >= start and (end is None or ages[0] < end)):
                continue
            by_sex = {"female": (female,), "male": (male,)}.get(sex or "", (female, male))
            lows.append(min(by_sex))
            highs.append(max(by_sex))
        return min(lows), max(highs)


@dataclass(frozen=True)
class Derivation:
    """How one feature is derived from facts of one or more concepts."""

    kind: DerivationKind
    concepts: tuple[str, ...]
    sites: tuple[BodyRegion, ...] = ()
    laterality: tuple[Laterality, ...] = ()
    morphology: tuple[Morphology, ...] = ()
    statuses: tuple[Status, ...] = (Status.PRESENT,)
    above_upper_limit: tuple[UpperLimit, ...] = ()
    #: count_sites: left and right of a paired region count as two sites
    by_side: bool = False
    #: count_sites: null (unknown) instead of the known lower bound when a lesion lacks its
    #: site, side or morphology
    exact: bool = False
    #: status: the concept names both sides ("of both hands"): a present fact without a side,
    #: "unspecified" or bilateral counts, one side counts only with a present fact of the other
    #: side; a side
    #: alone leaves the feature unknown (the other side may never have been examined)
    both_sides: bool = False
    #: latest_text / latest_text_conflict: texts that say nothing was determined (a clinician's
    #: "undetermined" subset): such a fact is passed over, so it neither hides an earlier value
    #: nor conflicts with another of its day (edge13); lower case, without surrounding spaces
    skip_values: tuple[str, ...] = ()
    #: status: the latest record decides: a present fact is withdrawn by an absent one dated
    #: after every dated present one (and no undated present one), on or before the index
    #: date; the feature is then false (fixes17: a scleroderma-like disorder recorded, then
    #: ruled out, no longer excludes). Otherwise as ``status``: present wins
    latest: bool = False

    @property
    def concept(self) -> str:
        """The first (usually only) concept."""
        return self.concepts[0]

    @property
    def read_concepts(self) -> tuple[str, ...]:
        """Every concept whose facts the derivation reads (measured ones included)."""
        return self.concepts + tuple(limit.concept for limit in self.above_upper_limit)


@dataclass(frozen=True)
class Feature:
    """One column of the feature table."""

    name: str
    type: FeatureType
    label: str
    derive: Derivation
    redcap: str | None = None


@dataclass(frozen=True)
class FeatureCatalogue:
    """Concepts and features, with lookups by name and by code."""

    version: str
    concepts: dict[str, Concept]
    features: dict[str, Feature]
    _by_code: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict, repr=False)

    def concepts_for_code(self, system: str, code: str) -> tuple[str, ...]:
        """Return the concepts a (system, code) means (a code may mean several, e.g. M34.82)."""
        return self._by_code.get((system, code), ())

    def allowed_values(self, system: str, code: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Return ``(concept, values)`` for each concept of a code that declares its ``values``.

        A fact of such a code may carry only those ``value_text`` values (the model checks it,
        :class:`calciscope.model.Fact`); empty when no concept of the code declares a set.
        """
        return tuple(
            (name, self.concepts[name].values)
            for name in self.concepts_for_code(system, code)
            if self.concepts[name].values
        )

    def value_ranges(
        self, system: str, code: str
    ) -> tuple[tuple[str, tuple[float | None, float | None]], ...]:
        """Return ``(concept, (low, high))`` for each concept of a code that bounds its values.

        A fact of such a code may carry only a ``value_num`` within the bounds (the model checks
        it, :class:`calciscope.model.Fact`); empty when no concept of the code declares one.
        """
        return tuple(
            (name, bounds)
            for name in self.concepts_for_code(system, code)
            if (bounds := self.concepts[name].value_range) is not None
        )

    def upper_limits(self, system: str, code: str) -> list[tuple[Feature, UpperLimit]]:
        """Return the default upper-limit tables a value of this code is compared with.

        Each as (the feature whose derivation holds the table, the table), in catalogue order
        (``muscle_enzymes_elevated`` and its CK, LDH, AST and ALT limits).
        """
        concepts = set(self.concepts_for_code(system, code))
        return [
            (feature, limit)
            for feature in self.features.values()
            for limit in feature.derive.above_upper_limit
            if limit.concept in concepts
        ]

    def is_procedure(self, system: str, code: str) -> bool:
        """Whether a (system, code) means procedures only (every concept it means is one)."""
        names = self.concepts_for_code(system, code)
        return bool(names) and all(self.concepts[n].kind is ConceptKind.PROCEDURE for n in names)

    def extended(
        self, concepts: Iterable[Concept], features: Iterable[Feature] = ()
    ) -> FeatureCatalogue:
        """Return a copy with these concepts and features added (their codes looked up too)."""
        by_code = dict(self._by_code)
        added = {c.name: c for c in concepts}
        for concept in added.values():
            for key in concept.codes:
                by_code[key] = (*by_code.get(key, ()), concept.name)
        return FeatureCatalogue(
            self.version,
            self.concepts | added,
            self.features | {f.name: f for f in features},
            by_code,
        )

    def feature(self, name: str) -> Feature:
        """Return a feature by name, or raise :class:`CatalogueError` naming it."""
        try:
            return self.features[name]
        except KeyError:
            raise CatalogueError(f"unknown feature {name!r}") from None


def _concept(raw: dict[str, Any]) -> Concept:
    name = raw["name"]
    codes: list[tuple[str, str]] = []
    for system, values in (raw.get("codes") or {}).items():
        if system not in CODE_SYSTEMS:
            raise CatalogueError(f"concept {name!r}: unknown code system {system!r}")
        codes += [(system, str(value)) for value in values]
    codes.append(("calciscope", name))
    try:
        kind = ConceptKind(raw.get("kind", ConceptKind.FINDING))
    except ValueError as exc:
        raise CatalogueError(f"concept {name!r}: {exc}") from None
    values = raw.get("values") or []
    if not isinstance(values, list) or any(
        not isinstance(v, str) or v != v.strip().lower() or not v for v in values
    ):
        raise CatalogueError(
            f"concept {name!r}: values must be a list of lower-case texts without spaces "
            f"around them, not {values!r}"
        )
    value_range = _value_range(name, raw.get("value_range"))
    whole: list[tuple[str, str]] = [
        (str(system), str(value))
        for system, values in (raw.get("whole_codes") or {}).items()
        for value in values
    ]
    parts = [pair for pair in whole if pair not in codes or pair == ("calciscope", name)]
    if parts:
        raise CatalogueError(
            f"concept {name!r}: whole_codes must be among its listed codes, not {parts}"
        )
    return Concept(
        name=name,
        label=raw.get("label", name),
        codes=tuple(codes),
        kind=kind,
        values=tuple(values),
        whole_codes=tuple(whole),
        value_range=value_range,
    )


def _value_range(name: str, raw: Any) -> tuple[float | None, float | None] | None:
    if raw is None:
        return None
    bounds = raw if isinstance(raw, list) and len(raw) == 2 else None
    if bounds is None or any(
        b is not None and (isinstance(b, bool) or not isinstance(b, int | float)) for b in bounds
    ):
        raise CatalogueError(
            f"concept {name!r}: value_range must be [low, high] (numbers or null), not {raw!r}"
        )
    low, high = (None if b is None else float(b) for b in bounds)
    if low is not None and high is not None and low > high:
        raise CatalogueError(f"concept {name!r}: value_range {raw!r} has low above high")
    return low, high


def _enum_tuple(enum: type[StrEnum], values: list[str] | None, where: str) -> tuple[Any, ...]:
    try:
        return tuple(enum(v) for v in values or ())
    except ValueError as exc:
        raise CatalogueError(f"{where}: {exc}") from None


def _bands(raw: list[dict[str, Any]], female: float, male: float) -> tuple[AgeBand, ...]:
    """Return the age bands of a limit; a sex a band leaves out keeps the band before's limit."""
    bands = []
    for item in raw:
        female = float(item.get("female", female))
        male = float(item.get("male", male))
        bands.append(AgeBand(from_age=int(item["from_age"]), female=female, male=male))
    ages = [band.from_age for band in bands]
    if ages != sorted(set(ages)) or (ages and ages[0] <= 0):
        raise ValueError(f"band ages must rise and be above 0, got {ages}")
    return tuple(bands)


def _table_units(raw: list[Any]) -> tuple[str, ...]:
    """Return a table's units, each written as a stored unit and comparable without case."""
    units = tuple(str(u) for u in raw)
    for unit in units:
        if normalise_unit(unit) != unit:
            raise ValueError(f"unit {unit!r} is not written as the registry stores it")
        unit_spellings(unit)  # raises for a unit with too many letters
    return units


def _limits(
    raw: list[dict[str, Any]], concepts: dict[str, Concept], where: str
) -> tuple[UpperLimit, ...]:
    try:
        limits = tuple(
            UpperLimit(
                concept=str(item["concept"]),
                units=_table_units(item["units"]),
                female=float(item["female"]),
                male=float(item["male"]),
                bands=_bands(item.get("bands") or [], float(item["female"]), float(item["male"])),
            )
            for item in raw
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogueError(f"{where}: bad above_upper_limit entry ({exc!r})") from None
    unknown = [limit.concept for limit in limits if limit.concept not in concepts]
    if unknown:
        raise CatalogueError(f"{where}: unknown concept(s) {unknown} in above_upper_limit")
    return limits


def _feature(raw: dict[str, Any], concepts: dict[str, Concept]) -> Feature:
    name = raw["name"]
    spec = raw["derive"]
    where = f"feature {name!r}"
    listed = spec.get("concepts") or [spec.get("concept")]
    unknown = [c for c in listed if c not in concepts]
    if unknown:
        raise CatalogueError(f"{where}: unknown concept(s) {unknown}")
    try:
        kind = DerivationKind(spec["kind"])
        ftype = FeatureType(raw["type"])
    except (KeyError, ValueError) as exc:
        raise CatalogueError(f"{where}: {exc}") from None
    derive = Derivation(
        kind=kind,
        concepts=tuple(listed),
        sites=_enum_tuple(BodyRegion, spec.get("sites"), where),
        laterality=_enum_tuple(Laterality, spec.get("laterality"), where),
        morphology=_enum_tuple(Morphology, spec.get("morphology"), where),
        statuses=_enum_tuple(Status, spec.get("statuses"), where) or (Status.PRESENT,),
        above_upper_limit=_limits(spec.get("above_upper_limit") or [], concepts, where),
        by_side=bool(spec.get("by_side", False)),
        exact=bool(spec.get("exact", False)),
        both_sides=bool(spec.get("both_sides", False)),
        skip_values=tuple(str(v).strip().lower() for v in spec.get("skip_values") or ()),
        latest=bool(spec.get("latest", False)),
    )
    if derive.latest and (kind is not DerivationKind.STATUS or derive.both_sides):
        raise CatalogueError(f"{where}: latest is for a status feature without both_sides")
    label = raw.get("label") or concepts[listed[0]].label
    return Feature(name=name, type=ftype, label=label, derive=derive, redcap=raw.get("redcap"))


def _read_yaml(name: str) -> dict[str, Any]:
    text = resources.files("calciscope.features").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise CatalogueError(f"{name}: expected a mapping at the top level")
    return data


@cache
def load_catalogue() -> FeatureCatalogue:
    """Load the packaged concept and feature catalogue.

    Returns
    -------
    FeatureCatalogue
        Concepts and features, validated (unknown concepts, kinds, sites and duplicate names
        raise :class:`~calciscope.errors.CatalogueError`).
    """
    concepts_raw = _read_yaml("concepts.yaml")
    features_raw = _read_yaml("features.yaml")
    concepts: dict[str, Concept] = {}
    for raw in concepts_raw["concepts"]:
        concept = _concept(raw)
        if concept.name in concepts:
            raise CatalogueError(f"duplicate concept {concept.name!r}")
        concepts[concept.name] = concept
    features: dict[str, Feature] = {}
    for raw in features_raw["features"]:
        feature = _feature(raw, concepts)
        if feature.name in features:
            raise CatalogueError(f"duplicate feature {feature.name!r}")
        features[feature.name] = feature
    empty = FeatureCatalogue(version=str(features_raw["version"]), concepts={}, features={})
    return empty.extended(concepts.values(), features.values())


def _allowed_values(system: str, code: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return load_catalogue().allowed_values(system, code)


def _value_ranges(
    system: str, code: str
) -> tuple[tuple[str, tuple[float | None, float | None]], ...]:
    return load_catalogue().value_ranges(system, code)


# the model checks a fact's value_text against the concepts' declared values, and its
# value_num against their ranges, from here (it does not import this higher layer:
# model.records.use_closed_values, use_value_ranges)
use_closed_values(_allowed_values)
use_value_ranges(_value_ranges)
