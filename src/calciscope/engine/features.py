"""Compile the feature catalogue to one Ibis expression: the feature table.

One row per patient at an index date; booleans are true / false / null (present / absent /
unknown). The table is one grouped aggregate per concept group over the facts of its concepts
(:mod:`calciscope.engine.aggregates`; with a second pass for "latest value" features), one of
the laboratory values joined to their patients' sex and birth for the default upper limits of
normal, and a join of them all to the patients, so it runs inside SQLite, DuckDB, PostgreSQL or
Spark without Python loops over rows.

Three-valued logic is spelled out with explicit indicator columns (``cases(...)`` 0/1
maxima), never by relying on an engine's NULL semantics (architecture.md, pitfalls).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.common.exceptions import TableNotFound

from calciscope.engine.aggregates import (
    code_match,
    concept_column,
    concept_facts,
    flag,
    grouped_aggregates,
    limit_comparison,
)
from calciscope.engine.predicates import AGE_OLDEST, AGE_YOUNGEST, IBIS_TYPES, all_of, any_of
from calciscope.features import (
    Derivation,
    DerivationKind,
    Feature,
    FeatureCatalogue,
    UpperLimit,
    load_catalogue,
)
from calciscope.model import DAYS_PER_YEAR, ReviewState, Status

__all__ = [
    "IMAGE_RECORD",
    "NOTE_RECORD",
    "PATIENT_COLUMNS",
    "FactStage",
    "compute_feature_table",
    "dated_records",
]

#: Patient columns carried at the front of every feature table.
PATIENT_COLUMNS: tuple[str, ...] = ("patient_id", "sex", "birth_year", "centre", "synthetic")


def _limit_flags(
    t: ir.Table, name: str, derive: Derivation
) -> tuple[ir.BooleanValue, ir.BooleanValue]:
    """Return (a measured value above its limit, every measurement at or below its limit).

    A value that carries its own reference range (``reference_high``, the laboratory's upper
    limit of normal) is compared with it; any other with the default table
    (:func:`_default_limits`).
    """
    raised, normal = [], []
    for i in range(len(derive.above_upper_limit)):
        own_measured = (t[f"{name}__own{i}"] == 1).fill_null(False)
        own_high = (t[f"{name}__ownhigh{i}"] == 1).fill_null(False)
        own_open = (t[f"{name}__ownopen{i}"] == 1).fill_null(False)
        default_measured = (t[f"{name}__defn{i}"] == 1).fill_null(False)
        default_high = (t[f"{name}__defhigh{i}"] == 1).fill_null(False)
        default_open = (t[f"{name}__defopen{i}"] == 1).fill_null(False)
        raised.append(own_high | default_high)
        default_normal = (default_measured & ~default_open) | (~default_measured & own_measured)
        normal.append(~own_open & default_normal)
    return any_of(raised), all_of(normal)


def _completed_years(day: ir.DateValue, birth: ir.DateValue) -> ir.IntegerValue:
    """Return the whole years completed at ``day``: one more on the birthday itself."""
    before_birthday = (day.month() * 100 + day.day()) < (birth.month() * 100 + birth.day())
    return day.year() - birth.year() - ibis.cases((before_birthday, 1), else_=0)


def _age_bounds(j: ir.Table) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """Return the lowest and highest age (whole years) at each fact's date; null when unknown.

    Exact with a birth date; with a birth year only, from born 31 December (the youngest) to
    born 1 January (the oldest): two ages, one on 31 December itself, when every birthday of
    the year is past (edge13: a man born in 1969 is 50 on 2019-12-31, so his CK limit is 280).
    """
    day, birth = j.effective_date, j.p_birth_date
    exact = _completed_years(day, birth)
    by_year = day.year() - j.p_birth_year.cast("int64")
    new_years_eve = (day.month() == 12) & (day.day() == 31)
    low = ibis.cases((birth.notnull(), exact), (new_years_eve, by_year), else_=by_year - 1)
    high = ibis.cases((birth.notnull(), exact), else_=by_year)
    return low, high


def _row_limits(
    limit: UpperLimit, sex: ir.StringValue, low: ir.IntegerValue, high: ir.IntegerValue
) -> tuple[ir.FloatingValue, ir.FloatingValue]:
    """Return (the highest, the lowest) default limit a measurement could have.

    Over the sexes the patient could be (female, male, or both when neither is recorded) and
    the age bands the age at the measurement could fall in (every band when it is unknown).
    """
    highs, lows = [], []
    for start, end, female, male in limit.periods():
        possible = high >= start if end is None else (high >= start) & (low < end)
        possible = possible.fill_null(True)
        by_sex_high, by_sex_low = (
            ibis.cases((sex == "female", female), (sex == "male", male), else_=pick(female, male))
            for pick in (max, min)
        )
        highs.append(ibis.cases((possible, by_sex_high), else_=-1.0))
        lows.append(ibis.cases((possible, by_sex_low), else_=float("inf")))
    if len(highs) == 1:
        return highs[0], lows[0]
    return ibis.greatest(*highs), ibis.least(*lows)


def _default_limits(
    f: ir.Table, patients: ir.Table, catalogue: FeatureCatalogue, features: list[Feature]
) -> ir.Table:
    """Return, per patient, each limit's comparison of the values without their own range.

    Columns ``<feature>__defn<i>`` (1: a value in one of the default table's units was
    measured; a value without a unit counts as in them), ``__defhigh<i>`` (1: one is above the
    highest limit it could have) and ``__defopen<i>`` (1: one is not at or below the lowest
    limit it could have). The limit is by sex and by age at the measurement (the table's age
    bands): with sex neither female nor male, or the age unknown, a value is raised only above
    every limit it could have and normal only at or below every one (never null).
    """
    limits = [
        (x.name, i, lim) for x in features for i, lim in enumerate(x.derive.above_upper_limit)
    ]
    concepts = sorted({lim.concept for _, _, lim in limits})
    lab = concept_facts(f, catalogue, concepts)
    lab = lab.filter(lab.reference_high.isnull())
    people = patients.select(
        "patient_id", p_sex="sex", p_birth_date="birth_date", p_birth_year="birth_year"
    )
    j = lab.inner_join(people, "patient_id")
    low, high = _age_bounds(j)
    aggs: dict[str, ir.Scalar] = {}
    for name, i, limit in limits:
        top, bottom = _row_limits(limit, j.p_sex, low, high)
        valued, above_top, _ = limit_comparison(j, top)
        _, _, at_or_below_bottom = limit_comparison(j, bottom)
        measured = (
            j[concept_column(limit.concept)]
            & (j.status == Status.PRESENT.value)
            & valued
            & (j.unit.isnull() | j.unit.isin(sorted(limit.unit_spellings)))
        )
        aggs[f"{name}__defn{i}"] = flag(measured)
        aggs[f"{name}__defhigh{i}"] = flag(measured & above_top)
        aggs[f"{name}__defopen{i}"] = flag(measured & ~at_or_below_bottom)
    return j.group_by("patient_id").aggregate(**aggs)


def _finish_status(t: ir.Table, name: str, derive: Derivation) -> ir.Value:
    pos, neg = t[f"{name}__pos"] == 1, t[f"{name}__neg"]
    if derive.both_sides:  # "of both hands": one side counts with the other one
        pos = pos | ((t[f"{name}__left"] == 1) & (t[f"{name}__right"] == 1))
    if derive.latest:
        # withdrawn: an absent record dated after every dated present one, and no undated
        # present one (an undated record cannot be ordered: present stands); the same day: stands
        plast, nlast = t[f"{name}__plast"], t[f"{name}__nlast"]
        withdrawn = (nlast > plast).fill_null(False) & (t[f"{name}__pund"] == 0)
        pos = pos & ~withdrawn
    raised, normal = ibis.literal(False), ibis.literal(False)
    if derive.above_upper_limit:
        raised, normal = _limit_flags(t, name, derive)
    cases: list[tuple[ir.BooleanValue, ir.Value]] = [
        (pos | raised, ibis.literal(True)),
        ((neg == 1) | normal, ibis.literal(False)),
    ]
    if derive.morphology:
        cases.append(((t[f"{name}__any"] == 1) & (t[f"{name}__unk"] == 0), ibis.literal(False)))
    return ibis.cases(*cases, else_=ibis.null("boolean"))


def _finish_all_match(t: ir.Table, name: str) -> ir.Value:
    any_, bad, unk, neg = (t[f"{name}__{part}"] for part in ("any", "bad", "unk", "neg"))
    return ibis.cases(
        (bad == 1, ibis.literal(False)),
        ((any_ == 1) & (unk == 0), ibis.literal(True)),
        ((any_ == 0) & (neg == 1), ibis.literal(False)),
        else_=ibis.null("boolean"),
    )


def _finish_count(t: ir.Table, name: str, derive: Derivation) -> ir.Value:
    """Count distinct regions known (a lower bound; ``exact``: unknown unless complete).

    Unknown when none is known but a lesion lacks its site or morphology; 0 when calcinosis is
    recorded absent or every lesion is known not to match. An ``exact`` count is unknown as soon
    as one matching lesion lacks its site (or side, when sides count) or morphology.
    """
    n, open_, any_, neg = (t[f"{name}__{part}"] for part in ("n", "open", "any", "neg"))
    first = (open_ == 1, ibis.null("int64")) if derive.exact else (n > 0, n.cast("int64"))
    return ibis.cases(
        first,
        (n > 0, n.cast("int64")),
        (open_ == 1, ibis.null("int64")),
        ((neg == 1) | (any_ == 1), ibis.literal(0, "int64")),
        else_=ibis.null("int64"),
    )


def _years(onset: ir.DateValue, birth: ir.DateValue) -> ir.FloatingValue:
    """Return the age in years at ``onset`` of a person born on ``birth``."""
    # Age as a person counts it: completed years change on the birthday itself. Days / 365.25
    # alone is off by up to ~2 days at a birthday (born 2001-01-01: 17.9986 on the 18th
    # birthday, 17.996 -> 18.00 rounded the day before), which moved the 2017 IIM age items
    # (>= 18, >= 40; Lundberg 2017, clinical-reference §3.1) and the juvenile branch of the
    # subgroup tree (< 18, §3.3) by a day (edge10). The fraction is kept within the completed
    # year: [completed, completed + 0.99].
    completed = _completed_years(onset, birth).cast("float64")
    years = onset.delta(birth, unit="day").cast("float64") / DAYS_PER_YEAR
    return ibis.greatest(completed, ibis.least(years.round(2), completed + 0.99))


def _birth_in_year(t: ir.Table, month: int, day: int) -> ir.DateValue:
    """Return the birth date, or (a birth year only) that day of the birth year."""
    # Guarded: SQLite's date function raises on a null year (no birth date and no birth year).
    in_year = ibis.cases(
        (t.birth_year.notnull(), ibis.date(t.birth_year.cast("int32"), month, day)),
        else_=ibis.null("date"),
    )
    return t.birth_date.fill_null(in_year)


def _after_birth(t: ir.Table, onset: ir.DateValue, years: ir.FloatingValue) -> ir.Value:
    """Return ``years``, unknown when ``onset`` is before the patient can have been born.

    A fact dated before birth (before the date of birth, or before 1 January of a birth year
    alone) has a wrong date: an age from it is unknown, never negative (edge12; a negative age
    scored as "under 18" in the 2017 IIM criteria and gave the juvenile subgroups). With a birth
    year only, a fact in the birth year itself may follow the birth: its age is at least 0.
    """
    before = (onset < _birth_in_year(t, 1, 1)).fill_null(False)
    # guarded: GREATEST skips a null on DuckDB and PostgreSQL (0 for an unknown age)
    return ibis.cases(
        (before | years.isnull(), ibis.null("float64")), else_=ibis.greatest(years, 0.0)
    )


def _age(t: ir.Table, name: str) -> ir.Value:
    """Age at the first fact: from the birth date, or from 1 July of a birth year only."""
    onset = t[f"{name}__val"]
    return _after_birth(t, onset, _years(onset, _birth_in_year(t, 7, 1)))


def _age_range(t: ir.Table, name: str) -> dict[str, ir.Value]:
    """Return the youngest and the oldest possible age at the first fact (:data:`AGE_YOUNGEST`).

    A birth year alone does not say whether an 18th or 40th birthday had been reached: the
    criteria compare both ends with a threshold, and one the range straddles is unknown
    (clinical-reference §11.2; edge11).
    """
    onset = t[f"{name}__val"]
    return {
        f"{name}{AGE_YOUNGEST}": _after_birth(t, onset, _years(onset, _birth_in_year(t, 12, 31))),
        f"{name}{AGE_OLDEST}": _after_birth(t, onset, _years(onset, _birth_in_year(t, 1, 1))),
    }


def _finish(t: ir.Table, feature: Feature) -> ir.Value:
    name, kind = feature.name, feature.derive.kind
    if kind is DerivationKind.STATUS:
        return _finish_status(t, name, feature.derive)
    if kind is DerivationKind.ALL_MATCH:
        return _finish_all_match(t, name)
    if kind is DerivationKind.COUNT_SITES:
        return _finish_count(t, name, feature.derive)
    if kind is DerivationKind.AGE_AT:
        return _age(t, name)
    return t[f"{name}__val"].cast(IBIS_TYPES[feature.type])


#: The concepts a dated record that is not a fact stands for (``records`` of
#: :func:`compute_feature_table`): a note or letter, and a stored image, each on its date.
NOTE_RECORD, IMAGE_RECORD = "dated_note", "dated_image"


def dated_records(con: Any) -> ir.Table | None:
    """Return the dated notes and images of a registry database as ``records``.

    Columns ``patient_id``, ``concept`` (:data:`NOTE_RECORD` or :data:`IMAGE_RECORD`) and
    ``record_date``; None when the database holds neither table (a copy of the facts only).
    A letter or a radiograph on a date is a record of contact, as a visit fact is (a study's
    ``population.seen_by: any_record`` reads them through ``last_encounter_date``).
    """
    parts = []
    for table, column, concept in (
        ("notes", "note_date", NOTE_RECORD),
        ("images", "image_date", IMAGE_RECORD),
    ):
        try:  # not list_tables(): Ibis' DuckDB listing fails with some duckdb releases
            t = con.table(table)
        except TableNotFound:
            continue
        t = t.filter(t[column].notnull())
        parts.append(
            t.select(
                patient_id=t.patient_id.cast("string"),
                concept=ibis.literal(concept),
                record_date=t[column].cast("date"),
            )
        )
    return ibis.union(*parts) if parts else None


def _record_facts(records: ir.Table, facts: ir.Table) -> ir.Table:
    """Return one confirmed, present ``calciscope:<concept>`` fact per record, as ``facts``."""
    fixed: dict[str, ir.Value] = {
        "patient_id": records.patient_id,
        "system": ibis.literal("calciscope"),
        "code": records.concept,
        "status": ibis.literal(Status.PRESENT.value),
        "effective_date": records.record_date,
        "review_state": ibis.literal(ReviewState.CONFIRMED.value),
    }
    return records.select(
        **{
            name: (fixed[name] if name in fixed else ibis.null()).cast(typ)
            for name, typ in facts.schema().items()
        }
    )


def _counted(
    facts: ir.Table, index_date: dt.date, review_states: Sequence[ReviewState]
) -> ir.Table:
    """Return the facts that count: in ``review_states``, dated by ``index_date``, current.

    A fact replaced by a correction (``superseded_by`` set) never counts; rejected facts
    count only if ``review_states`` names them (it never does in calciscope). Applied to the
    stored facts themselves, before the dated records are added to them, so that a database
    plans it with the facts table's statistics (over the union, PostgreSQL estimated the
    facts that count at 6 rows of 690,000, and planned the default limits' join to the
    patients as a loop over every patient that scanned all the facts each time).
    """
    if "unit" not in facts.columns:  # fact tables written without units (CSV twins, views)
        facts = facts.mutate(unit=ibis.null("string"))
    if "reference_high" not in facts.columns:  # registries before 0006, views, CSV twins
        facts = facts.mutate(reference_high=ibis.null("float64"))
    kept = facts.filter(
        facts.review_state.isin([s.value for s in review_states]),
        facts.effective_date.isnull() | (facts.effective_date <= index_date),
    )
    if "superseded_by" in facts.columns:  # registries before 0002_review and OMOP views lack it
        kept = kept.filter(kept.superseded_by.isnull())
    return kept


def _prepare_facts(facts: ir.Table) -> ir.Table:
    """Return the columns the aggregates read of the facts that count (:func:`_counted`).

    Not marked with their concepts here: each concept group marks only its own facts
    (:func:`calciscope.engine.aggregates.concept_facts`).
    """
    wanted = (
        "patient_id",
        "system",
        "code",
        "status",
        "effective_date",
        "value_num",
        "value_text",
        "unit",
        "reference_high",
        "body_site",
        "laterality",
        "morphology",
    )
    return facts.select(*wanted, sort_date=facts.effective_date.fill_null(ibis.date(1800, 1, 1)))


#: An engine's staging of the facts the feature table reads (:func:`compute_feature_table`'s
#: ``stage``): given them as an expression (the facts that count, of the chosen features'
#: concepts, with the columns the aggregates read), return a table holding the same rows to read
#: them from instead (on PostgreSQL an analysed temporary table,
#: :class:`calciscope.engine.staging.PostgresFactStage`).
FactStage = Callable[[ir.Table], ir.Table]


def _facts_that_count(
    facts: ir.Table,
    records: ir.Table | None,
    concepts: set[str],
    index_date: dt.date,
    review_states: Sequence[ReviewState],
) -> ir.Table:
    """Return the facts the aggregates read (:func:`_counted`), prepared to aggregate.

    The dated records (notes, images) are read as facts too when a chosen feature reads
    their concepts (``concepts``).
    """
    facts = _counted(facts, index_date, review_states)
    if records is not None and concepts & {NOTE_RECORD, IMAGE_RECORD}:
        # each side filtered before the union: the filters use the stored tables' statistics
        facts = facts.union(_counted(_record_facts(records, facts), index_date, review_states))
    return _prepare_facts(facts)


def _joined_to_patients(patients: ir.Table, tables: list[ir.Table]) -> ir.Table:
    """Return every patient with the row of each aggregate table (keyed ``k__<i>``) joined."""
    base = patients.select("patient_id", "sex", "birth_date", "birth_year", "centre", "synthetic")
    t = base
    for i, table in enumerate(tables):
        right = table.rename({f"k__{i}": "patient_id"})
        t = t.left_join(right, base.patient_id == right[f"k__{i}"])
    return t


def compute_feature_table(
    facts: ir.Table,
    patients: ir.Table,
    *,
    index_date: dt.date,
    catalogue: FeatureCatalogue | None = None,
    review_states: Sequence[ReviewState] = (ReviewState.CONFIRMED,),
    features: Sequence[str] | None = None,
    records: ir.Table | None = None,
    stage: FactStage | None = None,
) -> ir.Table:
    """Return the feature table as an Ibis expression (nothing runs until it is executed).

    Parameters
    ----------
    facts
        A table with the registry's fact columns (``patient_id, system, code, status,
        effective_date, value_num, value_text, body_site, laterality, morphology, review_state``).
    patients
        A table with ``patient_id, sex, birth_date, birth_year, centre, synthetic``.
    index_date
        Facts dated after it are ignored; undated facts count.
    catalogue
        The feature catalogue; the packaged one by default.
    review_states
        Which review states count (confirmed only by default; suggested facts from notes and
        images are added only when asked for).
    features
        Restrict to these feature names (all by default).
    records
        Dated records that are not facts (:func:`dated_records`: notes and images), each read
        as a confirmed fact of its concept on its date; without them the features that list
        those concepts (``last_encounter_date``) see the facts alone.
    stage
        Materialise the facts the aggregates read first (:data:`FactStage`): only the facts of
        the chosen features' concepts are staged, and every aggregate reads the staged table.
        None (the default): the facts are one expression inside the query.

    Returns
    -------
    ibis.Table
        One row per patient: :data:`PATIENT_COLUMNS`, then one column per feature (and an
        ``age_at`` feature's youngest and oldest possible age, :data:`AGE_YOUNGEST`).
    """
    catalogue = catalogue or load_catalogue()
    chosen = [catalogue.feature(n) for n in features or catalogue.features]
    concepts = {name for feature in chosen for name in feature.derive.read_concepts}
    f = _facts_that_count(facts, records, concepts, index_date, review_states)
    if stage is not None:
        f = _staged(f, stage, catalogue, concepts)
    # one grouped aggregate per concept group, each over its concepts' facts only
    # (engine.aggregates), then every group's row joined to its patient
    tables = grouped_aggregates(f, catalogue, chosen)
    limited = [x for x in chosen if x.derive.above_upper_limit]
    if limited:
        tables.append(_default_limits(f, patients, catalogue, limited))
    t = _joined_to_patients(patients, tables)
    return t.select(*PATIENT_COLUMNS, **_feature_columns(t, chosen)).order_by("patient_id")


def _staged(
    facts: ir.Table, stage: FactStage, catalogue: FeatureCatalogue, concepts: set[str]
) -> ir.Table:
    """Return ``stage`` of the facts of the chosen concepts (every aggregate reads those alone)."""
    codes = [pair for name in sorted(concepts) for pair in catalogue.concepts[name].codes]
    return stage(facts.filter(code_match(facts, codes)))


def _feature_columns(t: ir.Table, chosen: Sequence[Feature]) -> dict[str, ir.Value]:
    """Return each chosen feature's column of ``t`` (and an ``age_at`` feature's age range)."""
    columns = {feature.name: _finish(t, feature) for feature in chosen}
    for feature in chosen:
        if feature.derive.kind is DerivationKind.AGE_AT:
            columns |= _age_range(t, feature.name)
    return columns
