"""The feature table's aggregates, computed per concept group (:mod:`calciscope.engine.features`).

Each feature reads the facts of a few concepts. The features are grouped by the concepts they
read (:func:`concept_groups`), and each group is one grouped aggregate over the facts of its
concepts only, one row per patient; the feature table joins the groups' rows to the patients.
So a fact row evaluates the aggregates of the features that read its concept (a dozen or two),
not every feature's (some 240 ``CASE`` aggregates, 25 of them ``count(DISTINCT …)``, when
the table was one grouped aggregate over every fact): the grouped aggregate was three
quarters of the study's time in the database at a million patients (docs/scale.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from calciscope.engine.predicates import all_of, any_of
from calciscope.features import (
    MIDLINE_GROUPS,
    SITE_GROUPS,
    Derivation,
    DerivationKind,
    Feature,
    FeatureCatalogue,
    FeatureType,
)
from calciscope.model import Status
from calciscope.model.bounds import BOUND_PATTERN, SETTLES, compare

__all__ = [
    "MAX_GROUPS",
    "all_given",
    "code_match",
    "concept_column",
    "concept_facts",
    "concept_groups",
    "flag",
    "grouped_aggregates",
    "limit_comparison",
]

#: At most this many concept groups, each a grouped aggregate joined to the patients; beyond
#: it the groups of one concept with the fewest features are merged into one (whose facts then
#: evaluate every merged feature's aggregates). DuckDB holds the hash tables of every join of
#: the chain at once and cannot spill them: with 40 groups the feature table of a million
#: patients did not fit DuckDB's 1 GB limit, with 8 it did (docs/scale.md). SQLite joins at
#: most 64 tables in one ``SELECT``.
MAX_GROUPS = 8

_KNOWN_MORPHOLOGY = ("nodular", "sheet_like", "reticular", "mixed")


def concept_column(name: str) -> str:
    """Return the column marking the facts of a concept (``c__<concept>``)."""
    return f"c__{name}"


def all_given(*conditions: ir.BooleanValue | None) -> ir.BooleanValue:
    """AND of the given conditions, skipping None (no filter); true when there are none."""
    return all_of([c for c in conditions if c is not None])


def limit_comparison(
    f: ir.Table, limit: ir.NumericValue
) -> tuple[ir.BooleanValue, ir.BooleanValue, ir.BooleanValue]:
    """Return (a value to compare, it is above ``limit``, it is at or below ``limit``).

    A value is ``value_num`` or a bound kept as text (``value_text`` "<5", ">1000"; the OMOP
    operator and FHIR comparator, :mod:`calciscope.model.bounds`), which settles the comparison
    only as :data:`~calciscope.model.bounds.SETTLES` says; a bound that settles neither leaves
    both false (the comparison unknown). Never null.
    """
    number = f.value_num
    text = f.value_text
    comparator = text.re_extract(BOUND_PATTERN, 1).nullif("")
    bound = text.re_extract(BOUND_PATTERN, 2).nullif("").cast("float64")
    exact, given = number.notnull(), number.isnull() & comparator.notnull()
    above: list[tuple[ir.BooleanValue, ir.BooleanValue]] = []
    at_or_below: list[tuple[ir.BooleanValue, ir.BooleanValue]] = []
    for sign, (high_test, low_test) in SETTLES.items():
        value, when = (number, exact) if sign == "=" else (bound, given & (comparator == sign))
        if high_test is not None:
            above.append((when, compare(high_test, value, limit)))
        if low_test is not None:
            at_or_below.append((when, compare(low_test, value, limit)))

    def settled(cases: list[tuple[ir.BooleanValue, ir.BooleanValue]]) -> ir.BooleanValue:
        return ibis.cases(*cases, else_=ibis.literal(False)).fill_null(False)

    return (exact | given).fill_null(False), settled(above), settled(at_or_below)


def flag(condition: ir.BooleanValue) -> ir.IntegerScalar:
    """1 when any row satisfies ``condition`` (null counts as no), else 0."""
    return ibis.cases((condition, 1), else_=0).max()


class _Compiler:
    """Builds the aggregate expressions for each feature over the filtered facts.

    ``concepts``: the facts are known to be of these concepts only (a concept group's facts,
    :func:`grouped_aggregates`), so a derivation reading all of them needs no concept test.
    """

    def __init__(
        self, facts: ir.Table, catalogue: FeatureCatalogue, concepts: Iterable[str] = ()
    ) -> None:
        self.f = facts
        self.catalogue = catalogue
        self.concepts = frozenset(concepts)

    def concept_match(self, derive: Derivation) -> ir.BooleanValue:
        if self.concepts and self.concepts <= set(derive.concepts):
            return ibis.literal(True)
        return any_of([self.f[concept_column(name)] for name in derive.concepts])

    def absent_match(self, derive: Derivation) -> ir.BooleanValue:
        """Return whether an absent fact rules the derivation's concepts out.

        A fact of a concept with ``whole_codes`` does only with one of them (or the implicit
        ``calciscope:<name>``); "no dermatomyositis" leaves the IIM open (fixes19). Otherwise
        any fact of the concepts does (the same test as :meth:`concept_match`).
        """
        concepts = [self.catalogue.concepts[name] for name in derive.concepts]
        if not any(c.whole_codes for c in concepts):
            return self.concept_match(derive) & self.status_is(Status.ABSENT)
        tests = [
            self.f[concept_column(c.name)] & code_match(self.f, c.ruling_out_codes)
            if c.whole_codes
            else self.f[concept_column(c.name)]
            for c in concepts
        ]
        return any_of(tests) & self.status_is(Status.ABSENT)

    def _in(self, column: ir.Column, values: Iterable[Any]) -> ir.BooleanValue:
        return column.isin([v.value for v in values])

    def site_match(self, derive: Derivation) -> ir.BooleanValue | None:
        """Return the site and laterality filter, or None when the feature has none."""
        conds = []
        if derive.sites:
            conds.append(self._in(self.f.body_site, derive.sites).fill_null(False))
        if derive.laterality:
            conds.append(self._in(self.f.laterality, derive.laterality).fill_null(False))
        return all_given(*conds)

    def status_is(self, status: Status) -> ir.BooleanValue:
        return self.f.status == status.value

    def text_kept(self, derive: Derivation) -> ir.BooleanValue | None:
        """Return the filter passing over texts that say nothing was determined, or None."""
        if not derive.skip_values:
            return None
        text = self.f.value_text.strip().lower()
        return ~text.isin(list(derive.skip_values)).fill_null(False)

    # --- aggregates per derivation kind -----------------------------------------------
    def status(self, derive: Derivation) -> dict[str, ir.Scalar]:
        concept = self.concept_match(derive)
        present = concept & self.status_is(Status.PRESENT)
        site_ok = self.site_match(derive)
        here = all_given(present, site_ok)
        parts = {"pos": flag(all_given(here, self._morph_ok(derive)))}
        if derive.both_sides:  # no side, "unspecified" or bilateral: the concept names both
            lat, morph = self.f.laterality, self._morph_ok(derive)
            both = lat.isnull() | lat.isin(["bilateral", "unspecified"])
            parts["pos"] = flag(all_given(here & both, morph))
            for side in ("left", "right"):
                parts[side] = flag(all_given(here & (lat == side).fill_null(False), morph))
        absent_here = self.absent_match(derive)
        if site_ok is not None:
            absent_here = absent_here & (site_ok | self.f.body_site.isnull())
        if derive.morphology:
            absent_here = absent_here & (self.f.morphology.isnull() | self._morph_ok(derive))
            parts["unk"] = flag(here & ~self._morph_known())
            parts["any"] = flag(here)
        parts["neg"] = flag(absent_here)
        if derive.latest:  # the latest record decides (features.yaml `latest`)
            day = self.f.effective_date
            present_ok = all_given(here, self._morph_ok(derive))
            parts["plast"] = ibis.cases((present_ok, day), else_=ibis.null("date")).max()
            parts["pund"] = flag(present_ok & day.isnull())
            parts["nlast"] = ibis.cases((absent_here, day), else_=ibis.null("date")).max()
        for i, limit in enumerate(derive.above_upper_limit):
            # a value with its own reference range is compared with it (same unit by
            # definition); the others with the default table (_default_limits: by sex and age)
            valued, above, at_or_below = limit_comparison(self.f, self.f.reference_high)
            own = (
                self.f[concept_column(limit.concept)]
                & self.status_is(Status.PRESENT)
                & valued
                & self.f.reference_high.notnull()
            )
            parts[f"own{i}"] = flag(own)
            parts[f"ownhigh{i}"] = flag(own & above)
            parts[f"ownopen{i}"] = flag(own & ~at_or_below)
        return parts

    def _morph_ok(self, derive: Derivation) -> ir.BooleanValue | None:
        if not derive.morphology:
            return None
        return self._in(self.f.morphology, derive.morphology).fill_null(False)

    def _morph_known(self) -> ir.BooleanValue:
        return self.f.morphology.isin(list(_KNOWN_MORPHOLOGY)).fill_null(False)

    def all_match(self, derive: Derivation) -> dict[str, ir.Scalar]:
        concept = self.concept_match(derive)
        present = concept & self.status_is(Status.PRESENT)
        return {
            "any": flag(present),
            "bad": flag(present & self._morph_known() & ~all_given(self._morph_ok(derive))),
            "unk": flag(present & ~self._morph_known()),
            "neg": flag(self.absent_match(derive)),
        }

    def dates(self, derive: Derivation, *, first: bool) -> dict[str, ir.Scalar]:
        cond = all_given(
            self.concept_match(derive)
            & self._in(self.f.status, derive.statuses)
            & self.site_match(derive),
            self._morph_ok(derive),
        )
        value = ibis.cases((cond, self.f.effective_date), else_=ibis.null("date"))
        return {"val": value.min() if first else value.max()}

    def count_sites(self, derive: Derivation) -> dict[str, ir.Scalar]:
        concept = self.concept_match(derive)
        present = all_given(concept & self.status_is(Status.PRESENT), self._morph_ok(derive))
        groups = self.f.body_site.substitute(
            {region.value: group for region, group in SITE_GROUPS.items()}
        )
        any_present = concept & self.status_is(Status.PRESENT)
        unknown_morph = ~self._morph_known() if derive.morphology else ibis.literal(False)
        sited = present & self.f.body_site.notnull()
        open_ = (present & self.f.body_site.isnull()) | (any_present & unknown_morph)

        def distinct(cond: ir.BooleanValue) -> ir.IntegerScalar:
            return ibis.cases((cond, groups), else_=ibis.null("string")).nunique()

        if not derive.by_side:
            n = distinct(sited)
        else:
            # a paired region counts once per side (bilateral = both); a midline one, or a
            # paired one whose lesions all lack a side, once; a paired lesion without its side
            # leaves the count a lower bound (it may be the other side)
            paired = sited & ~groups.isin(sorted(MIDLINE_GROUPS))
            lat = self.f.laterality
            left = paired & lat.isin(["left", "bilateral"]).fill_null(False)
            right = paired & lat.isin(["right", "bilateral"]).fill_null(False)
            sided = paired & lat.isin(["left", "right", "bilateral"]).fill_null(False)
            n = distinct(left) + distinct(right) + distinct(sited) - distinct(sided)
            open_ = open_ | (paired & ~sided)
        return {
            "n": n,
            "open": flag(open_),
            "any": flag(any_present),
            "neg": flag(self.absent_match(derive)),
        }

    def max_value(self, derive: Derivation) -> dict[str, ir.Scalar]:
        cond = all_given(
            self.concept_match(derive), self.status_is(Status.PRESENT), self.site_match(derive)
        )
        return {"val": ibis.cases((cond, self.f.value_num), else_=ibis.null("float64")).max()}

    def latest_date(self, derive: Derivation) -> dict[str, ir.Scalar]:
        cond = all_given(
            self.concept_match(derive),
            self.status_is(Status.PRESENT),
            self.site_match(derive),
            self.text_kept(derive),
        )
        return {"last": ibis.cases((cond, self.f.sort_date), else_=ibis.null("date")).max()}

    def aggregates(self, features: Iterable[Feature]) -> dict[str, ir.Scalar]:
        """Return the per-patient aggregates the features are finished from (``name__part``)."""
        return {
            f"{feature.name}__{part}": expr
            for feature in features
            for part, expr in self.derivation(feature.derive).items()
        }

    def derivation(self, derive: Derivation) -> dict[str, ir.Scalar]:
        """Return the aggregates of one derivation, by its kind."""
        kind = derive.kind
        if kind is DerivationKind.STATUS:
            return self.status(derive)
        if kind is DerivationKind.ALL_MATCH:
            return self.all_match(derive)
        if kind in (DerivationKind.FIRST_DATE, DerivationKind.AGE_AT):
            return self.dates(derive, first=True)
        if kind is DerivationKind.LAST_DATE:
            return self.dates(derive, first=False)
        if kind is DerivationKind.COUNT_SITES:
            return self.count_sites(derive)
        if kind is DerivationKind.MAX_VALUE:
            return self.max_value(derive)
        return self.latest_date(derive)  # LATEST_VALUE, LATEST_TEXT, LATEST_TEXT_CONFLICT


def code_match(facts: ir.Table, codes: Iterable[tuple[str, str]]) -> ir.BooleanValue:
    """Return whether a fact's (system, code) is one of ``codes``.

    Compared column by column, a system's codes in one ``IN`` list, not as a concatenated
    ``system|code`` key: no string is built per fact.
    """
    by_system: dict[str, set[str]] = {}
    for system, code in codes:
        by_system.setdefault(system, set()).add(code)
    return any_of(
        [
            (facts.system == system) & facts.code.isin(sorted(values))
            for system, values in sorted(by_system.items())
        ]
    )


def concept_facts(f: ir.Table, catalogue: FeatureCatalogue, concepts: Sequence[str]) -> ir.Table:
    """Return the facts of ``concepts``, each marked with which of them it means (``c__…``).

    The marks are computed on these facts only (a fact's code may belong to two concepts),
    by the code alone where no other system has the same code among them: a mark per concept
    and fact, so at a million patients some 50 marks on the 26 M facts of the merged group
    (docs/scale.md, branch ``duck17``); with one concept every fact is of it.
    """
    codes = [pair for name in concepts for pair in catalogue.concepts[name].codes]
    part = f.filter(code_match(f, codes))
    if len(concepts) == 1:
        return part.mutate(**{concept_column(concepts[0]): ibis.literal(True)})
    # the facts here have one of ``codes``: a code no other system has among them says its
    # concept by itself, so only the codes two systems share are compared with the system too
    systems: dict[str, set[str]] = {}
    for system, code in codes:
        systems.setdefault(code, set()).add(system)
    marks = {}
    for name in concepts:
        mine = catalogue.concepts[name].codes
        alone = sorted({code for system, code in mine if len(systems[code]) == 1})
        shared = [(system, code) for system, code in mine if len(systems[code]) > 1]
        tests = [part.code.isin(alone)] if alone else []
        if shared:
            tests.append(code_match(part, shared))
        marks[concept_column(name)] = any_of(tests)
    return part.mutate(**marks)


def concept_groups(
    features: Iterable[Feature], limit: int = MAX_GROUPS
) -> list[tuple[tuple[str, ...], list[Feature]]]:
    """Group the features by the set of concepts whose facts they read.

    Returns (concepts, features) pairs in a fixed order. Past ``limit`` groups, the groups of
    one concept with the fewest features are merged into one reading the union of their
    concepts.
    """
    groups: dict[frozenset[str], list[Feature]] = {}
    for feature in features:
        groups.setdefault(frozenset(feature.derive.read_concepts), []).append(feature)
    # merged first: the groups of one concept with the fewest features (a concept read by one
    # feature is mostly a diagnosis or an antibody, a fact or two per patient), never a group
    # of several concepts (one reading the visits and measurements would bring their many
    # facts into the merged group's aggregates)
    ordered = sorted(
        groups.items(), key=lambda item: (len(item[0]) > 1, len(item[1]), sorted(item[0]))
    )
    if len(ordered) > limit:
        cut = len(ordered) - limit + 1
        merged = frozenset().union(*(concepts for concepts, _ in ordered[:cut]))
        members = [feature for _, group in ordered[:cut] for feature in group]
        ordered = [(merged, members), *ordered[cut:]]
    return [(tuple(sorted(concepts)), members) for concepts, members in ordered]


def grouped_aggregates(
    f: ir.Table, catalogue: FeatureCatalogue, features: Sequence[Feature]
) -> list[ir.Table]:
    """Return one table per concept group: ``patient_id`` and its features' aggregates.

    Each is grouped over the facts of the group's concepts only, so a patient without them
    has no row (the feature table's left join gives nulls, which every finisher reads as it
    read the zero flags of a patient whose facts were all of other concepts).
    """
    tables = []
    for concepts, members in concept_groups(features, MAX_GROUPS):
        part = concept_facts(f, catalogue, concepts)
        compiler = _Compiler(part, catalogue, concepts)
        grouped = part.group_by("patient_id").aggregate(**compiler.aggregates(members))
        tables.append(_with_latest_values(part, grouped, compiler, members))
    return tables


def _with_latest_values(
    f: ir.Table, grouped: ir.Table, compiler: _Compiler, chosen: list[Feature]
) -> ir.Table:
    """Add each latest-value feature's ``__val``: the value on the ``__last`` date found first.

    A second pass, since no aggregate knows the last date while it runs over the facts; over
    the group's facts only, the present ones (every aggregate below asks for both).
    """
    kinds = (
        DerivationKind.LATEST_VALUE,
        DerivationKind.LATEST_TEXT,
        DerivationKind.LATEST_TEXT_CONFLICT,
    )
    latest = [x for x in chosen if x.derive.kind in kinds]
    if not latest:
        return grouped
    last_dates = grouped.select("patient_id", *[f"{x.name}__last" for x in latest])
    names = sorted({c for x in latest for c in x.derive.concepts})
    f = f.filter(any_of([f[concept_column(c)] for c in names]), f.status == Status.PRESENT.value)
    joined = f.inner_join(last_dates, "patient_id")
    sub = _Compiler(joined, compiler.catalogue, compiler.concepts)
    aggs = {}
    for feature in latest:
        derive = feature.derive
        cond = all_given(
            sub.concept_match(derive),
            sub.status_is(Status.PRESENT),
            sub.site_match(derive),
            sub.text_kept(derive),
            joined.sort_date == joined[f"{feature.name}__last"],
        )
        text = (
            feature.type is FeatureType.TEXT or derive.kind is DerivationKind.LATEST_TEXT_CONFLICT
        )
        # a recorded category is read without case or surrounding spaces ("dcSSc " is dcssc;
        # edge12), so a recorded subset is not lost to its spelling
        column = joined.value_text.strip().lower() if text else joined.value_num
        on_last = ibis.cases((cond, column), else_=ibis.null(column.type()))
        if derive.kind is DerivationKind.LATEST_TEXT_CONFLICT:
            # different texts on the last date: true; one text: false; none recorded: null
            high, low = on_last.max(), on_last.min()
            aggs[f"{feature.name}__val"] = ibis.cases(
                (high != low, True), (high.notnull(), False), else_=ibis.null("boolean")
            )
        elif feature.type is FeatureType.TEXT:
            # Two different texts on the last date (a clinician recorded dcSSc and lcSSc the
            # same day): which is the latest is not known, so the value is unknown
            # (clinical-reference §11.2), not the alphabetically greater one (edge10); the
            # conflict itself is a feature of its own (latest_text_conflict, fix11).
            high, low = on_last.max(), on_last.min()
            aggs[f"{feature.name}__val"] = ibis.cases(
                (high == low, high), else_=ibis.null(column.type())
            )
        else:
            aggs[f"{feature.name}__val"] = on_last.max()
    values = joined.group_by("patient_id").aggregate(**aggs)
    return grouped.left_join(values, "patient_id").drop("patient_id_right")
