"""A study where the data is: case finding, counts and the few rows a report needs, in the database.

The registry's facts and patients never leave the database. :class:`StudyQuery` builds one Ibis
expression per study (the feature table of :func:`~calciscope.engine.compute_feature_table`,
classified by :func:`~calciscope.engine.classified.classified_table`, with the study's source
population, groups and cases added as columns), materialises it once as a temporary table of
the engine (``Table.cache``: a temporary table on SQLite, PostgreSQL and DuckDB, a cached
DataFrame on Spark), and then asks that table for:

* counts over the whole registry (patients, SSc, all synthetic) for the attrition flow;
* the source population's rows, restricted to the columns the analysis reads (the survival and
  cumulative incidence estimates, Table 1 medians and rank tests need individual values);
* the body map's counts by site and group (a few rows), counted in the database;
* the report's facts (evidence, timelines) of the few patients shown, and their images.

Everything is engine-agnostic Ibis; nothing here names a backend. The temporary tables are
dropped, and DuckDB's file blocks given back, by :mod:`calciscope.engine.release`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from calciscope.engine.classified import classified_table
from calciscope.engine.phenotype import add_phenotype_columns, changed_phenotypes
from calciscope.engine.readback import (
    calcinosis_regions,
    compact_frame,
    has_suggested,
    images,
    input_hashes,
    read_arrow,
    read_frame,
    report_facts,
)
from calciscope.engine.stored import StoredCriteria, StoredResults
from calciscope.model import ReviewState
from calciscope.phenotype import PhenotypeSet, load_phenotypes
from calciscope.study.analysis import TABLE_ONE_VARIABLES, table_one_columns
from calciscope.study.cohort import RegistryCounts, not_seen_reasons
from calciscope.study.definition import (
    STUDY_COLUMNS,
    Condition,
    SensitivitySpec,
    SscBasis,
    StudyDefinition,
    SubsetBasis,
    subgroup_column,
)

__all__ = ["StudyQuery", "matches", "unknown_in", "upload"]


def _true(value: ir.Value) -> ir.BooleanValue:
    """Return true where a three-valued column is true; unknown counts as not true."""
    return value.cast("boolean").fill_null(False)


def _column_test(t: ir.Table, column: str, wanted: Any) -> ir.BooleanValue:
    """Return where one column of a ``when`` holds: null where the value is null."""
    value, values = t[column], wanted if isinstance(wanted, list) else [wanted]
    if isinstance(values[0], bool):
        return value.cast("boolean").isin(values)
    if isinstance(values[0], str):
        return value.cast("string").isin(values)
    return value.isin(values)


def matches(t: ir.Table, when: Condition) -> ir.BooleanValue:
    """Return where every condition of a study file's ``when`` holds (unknown never matches)."""
    hit = ibis.literal(True)
    for column, wanted in when.items():
        hit &= _column_test(t, column, wanted).fill_null(False)
    return hit


def unknown_in(t: ir.Table, when: Condition) -> ir.BooleanValue:
    """Return where a ``when`` is unknown: no column rules the patient out, one is unknown.

    A column is unknown when its value is null or the text ``"unknown"`` (and that is not a
    value the ``when`` asks for); ``overlap`` (known true) reads its unknown from
    ``overlap_status``, which keeps it. The columns are and-ed in three-valued logic: a known
    value that does not match makes the whole ``when`` false whatever the others are (false
    and unknown is false), so such a patient is not counted unknown (hardening23; before, an
    unknown in any column counted).
    """
    unknown, ruled_out = ibis.literal(False), ibis.literal(False)
    for column, wanted in when.items():
        value = t["overlap_status" if column == "overlap" else column]
        missing = value.isnull()
        if value.type().is_string():
            missing |= (value == "unknown").fill_null(False)
        matched = _column_test(t, column, wanted).fill_null(False)
        unknown |= missing & ~matched
        ruled_out |= ~missing & ~matched
    return unknown & ~ruled_out


@dataclass
class StudyQuery:
    """One study on one connection: the annotated table, materialised once, and what is read of it.

    Parameters
    ----------
    con
        An Ibis backend holding the registry's ``facts`` and ``patients`` tables (and, when
        present, ``images`` and ``import_batches``).
    study
        The study definition.
    phenotypes
        The phenotypes with the study's parameters (``api.study.study_phenotypes``).
    include_suggested
        Also classify with suggested facts counted, to mark cases found only with them.
    given
        Tables already classified, in ``con`` (confirmed facts; with suggested facts counted,
        or None), read instead of classifying ``con``'s facts: a hand-made table of a golden
        test, or a notebook's classified table (:meth:`on_frames`).
    stored
        The criteria results stored in ``con`` that may be read instead of computing them
        (confirmed facts only; read only while current: :mod:`calciscope.engine.stored`).
    """

    con: Any
    study: StudyDefinition
    phenotypes: PhenotypeSet | None = None
    include_suggested: bool = False
    given: tuple[ir.Table, ir.Table | None] | None = None
    stored: StoredResults | None = None

    def __post_init__(self) -> None:
        self._table: ir.Table | None = None
        self._classified: dict[tuple[ReviewState, ...], ir.Table] = {}

    @classmethod
    def on_frames(
        cls, study: StudyDefinition, table: pd.DataFrame, suggested: pd.DataFrame | None = None
    ) -> StudyQuery:
        """Return the study of classified tables held in pandas, run in an in-memory DuckDB."""
        con = ibis.duckdb.connect()
        given = (upload(con, "classified", table), upload(con, "suggested", suggested))
        return cls(con, study, include_suggested=suggested is not None, given=given)

    def variant(self, spec: SensitivitySpec, phenotypes: PhenotypeSet | None) -> StudyQuery:
        """Return the query of a sensitivity analysis: the study with the variant's changes.

        ``phenotypes`` are the variant's phenotypes (classified again unless the tables are given).
        """
        study, both = self.study.variant(spec), spec.count_suggested
        return StudyQuery(
            self.con,
            study,
            phenotypes,
            include_suggested=both,
            given=self.given,
            stored=self.stored,
        )

    def variant_columns(self) -> tuple[str, ...]:
        """Return the case-finding columns a sensitivity analysis is counted from.

        The source population, the cases (confirmed, and found only with suggested facts) and
        the study file's focus subgroup (``headline.focus``; ``calciscope.study.sensitivity``).
        """
        focus = subgroup_column(self.study.headline.focus)
        return ("in_population", "case", "case_suggested_only", focus)

    def variant_cases(
        self, variants: Sequence[tuple[SensitivitySpec, PhenotypeSet | None]]
    ) -> list[pd.DataFrame]:
        """Return each sensitivity analysis's case finding, all from one query.

        ``variants`` are the analyses with their phenotypes. Each returned frame holds
        :meth:`variant_columns` for the variant's own source population. No variant classifies
        the facts again: all read the classified tables the main analysis reads (made once, see
        :meth:`_classified_once`); a variant recomputes only the phenotypes its parameters change
        (and those reading them, :func:`~calciscope.engine.phenotype.changed_phenotypes`), then
        adds its own source population, groups and cases (:meth:`annotate`). The variants'
        source populations are stacked into one query (a ``UNION ALL``, each row with its
        variant's number), so the engine plans and scans them together and joins none of them.
        """
        if not variants:
            return []
        confirmed = self._classified_once((ReviewState.CONFIRMED,))
        counted = any(spec.count_suggested for spec, _ in variants) and self.has_suggested()
        both = (ReviewState.CONFIRMED, ReviewState.SUGGESTED)
        suggested = self._classified_once(both) if counted else None
        base = self.phenotypes or load_phenotypes()
        columns = self.variant_columns()
        parts = []
        for i, (spec, phenotypes) in enumerate(variants):
            changed = changed_phenotypes(base, phenotypes or load_phenotypes())

            def redo(t: ir.Table, changed: PhenotypeSet = changed) -> ir.Table:
                # given tables are used as given (a golden test's or a notebook's classification)
                if self.given is not None or not changed.phenotypes:
                    return t
                when = self.study.population.index_date
                return add_phenotype_columns(t, index_date=when, phenotypes=changed)

            extra = redo(suggested) if spec.count_suggested and suggested is not None else None
            cases = self.variant(spec, phenotypes).annotate(redo(confirmed), extra)
            mine = cases.filter(cases.in_population)
            parts.append(mine.select(*columns, _variant=ibis.literal(i, "int16")))
        # the variants' rows stacked (a variant number each), not joined by patient: each
        # variant is a scan of the classified table, and no engine holds a join of them (on
        # Spark local at a million patients a chain of sort-merge joins in one task, which
        # ran out of the JVM's heap: docs/scale.md, branch spark20)
        frame = read_frame(ibis.union(*parts, distinct=False))
        number = frame.pop("_variant")
        return [
            frame.loc[(number == i).to_numpy(), list(columns)].reset_index(drop=True)
            for i in range(len(variants))
        ]

    def _classified_once(self, states: tuple[ReviewState, ...]) -> ir.Table:
        """Return :meth:`classified`, made once per review states (the variants read it again)."""
        if states not in self._classified:
            self._classified[states] = self.classified(states)
        return self._classified[states]

    # --- the annotated table ---------------------------------------------------------------
    def classified(self, states: tuple[ReviewState, ...]) -> ir.Table:
        """Return the feature table with every criteria result and phenotype (one row per patient)."""
        if self.given is not None:
            return self.given[0] if ReviewState.SUGGESTED not in states else self.given[1]
        index_date = self.study.population.index_date
        return classified_table(self.con, index_date, states, self.phenotypes, self._stored(states))

    def _stored(self, states: tuple[ReviewState, ...]) -> StoredCriteria | None:
        """Return the current stored criteria results to read for ``states`` (None: compute)."""
        if self.stored is None or states != (ReviewState.CONFIRMED,):
            return None  # what is stored is classified from confirmed facts
        return self.stored.at(self.study.population.index_date)

    @property
    def classification(self) -> str:
        """Say where the criteria results come from: ``computed``, or which stored results."""
        if self.given is not None:
            return "given"
        found = self._stored((ReviewState.CONFIRMED,))
        return "computed" if found is None else found.describe()

    def annotate(self, table: ir.Table, suggested: ir.Table | None = None) -> ir.Table:
        """Add the study's columns: ``ssc``, ``seen``, ``in_population``, groups and cases.

        The one definition of the source population, the groups and the cases.
        """
        s = self.study
        clinician = _true(table.ssc_diagnosis)
        criteria = (table.ssc2013_status == "classified").fill_null(False)
        ssc = {
            SscBasis.CLINICIAN: clinician,
            SscBasis.CRITERIA: criteria,
            SscBasis.EITHER: clinician | criteria,
        }[s.population.ssc_by]
        last = table[s.population.seen_by.column]
        seen = ((last >= s.window_start) & (last <= s.population.index_date)).fill_null(False)
        column = (
            "subset_recorded" if s.groups.subset_by is SubsetBasis.RECORDED else "cutaneous_subset"
        )
        raw = table[column].cast("string").fill_null("unknown")
        subset = ibis.cases((raw == "undetermined", ibis.literal("unknown")), else_=raw)
        # the overlap phenotypes are named after their basis (phenotypes.yaml)
        # ``overlap`` is the group (known true); ``overlap_status`` keeps unknown as unknown
        status = table[f"ssc_myositis_overlap_{s.groups.overlap_by.value}"].cast("boolean")
        out = table.mutate(
            ssc=ssc,
            seen=seen,
            subset=subset,
            overlap=status.fill_null(False),
            overlap_status=status,
        )
        out = out.mutate(in_population=out.ssc & out.seen)
        out = out.mutate(case=out.in_population & _true(out[s.target_phenotype]))
        # the study file's subgroups (flow.subgroups), each a column: in the source population
        # and matching its conditions
        out = out.mutate(
            **{
                subgroup_column(g.id): out.in_population & matches(out, g.when)
                for g in s.flow.subgroups
            }
        )
        if suggested is None:
            return out.mutate(case_suggested_only=ibis.literal(False))
        extra = suggested.select("patient_id", with_suggested=_true(suggested[s.target_phenotype]))
        joined = out.left_join(extra, "patient_id").drop("patient_id_right")
        only = joined.in_population & joined.with_suggested.fill_null(False) & ~joined.case
        return joined.mutate(case_suggested_only=only).drop("with_suggested")

    def has_suggested(self) -> bool:
        """Return whether any fact awaits review (is suggested)."""
        if self.given is not None:
            return self.given[1] is not None
        return has_suggested(self.con)

    @property
    def table(self) -> ir.Table:
        """Return the annotated table, materialised on first use."""
        if self._table is None:
            confirmed = self._classified_once((ReviewState.CONFIRMED,))
            suggested = None
            if self.include_suggested and self.has_suggested():
                states = (ReviewState.CONFIRMED, ReviewState.SUGGESTED)
                suggested = self._classified_once(states)
            self._table = self.annotate(confirmed, suggested).cache()
        return self._table

    # --- what comes back -------------------------------------------------------------------
    def counts(self) -> RegistryCounts:
        """Count over the whole registry: the flow's boxes, the proportions, the manifest."""
        t, s = self.table, self.study
        out = t.ssc & ~t.in_population
        # why SSc patients are not in the source population (cohort.not_seen_reasons labels them)
        died = out & (t.death_date < s.window_start).fill_null(False)
        last = t[s.population.seen_by.column]
        pop = t.in_population
        counted = {
            "ssc": t.ssc,
            "not_synthetic": ~_true(t.synthetic),
            "synthetic_patients": _true(t.synthetic),
            "died": died,
            "before": out & ~died & (last < s.window_start).fill_null(False),
            "never": out & ~died & last.isnull(),
            "source_population": pop,
            "cases": t.case,
            "cases_suggested_only": t.case_suggested_only,
        }
        # the study file's design: each subgroup, each proportion's numerator and denominator
        design = {f"g{i}": t[subgroup_column(g.id)] for i, g in enumerate(s.flow.subgroups)}
        for i, p in enumerate(s.proportions):
            within = pop if p.within is None else t[subgroup_column(p.within)]
            known = within if p.of_known is None else within & t[p.of_known].notnull()
            design |= {
                f"p{i}": within & matches(t, p.when),
                f"p{i}_of": known,
                f"p{i}_unknown": known & unknown_in(t, p.when),
            }
        expr = t.aggregate(
            patients=t.count(),
            **{k: ibis.cases((v, 1), else_=0).sum() for k, v in (counted | design).items()},
        )
        row = self.con.execute(expr).iloc[0]
        # a sum over no rows is null
        n = {k: 0 if pd.isna(row[k]) else int(row[k]) for k in ("patients", *counted, *design)}
        return RegistryCounts(
            levels=self._levels(table_one_columns(s)),
            patients=n["patients"],
            ssc=n["ssc"],
            synthetic=n["patients"] == 0 or n["not_synthetic"] == 0,
            synthetic_patients=n["synthetic_patients"],
            not_seen=not_seen_reasons(s, n["died"], n["before"], n["never"]),
            source_population=n["source_population"],
            cases=n["cases"],
            cases_suggested_only=n["cases_suggested_only"],
            subgroups={g.id: n[f"g{i}"] for i, g in enumerate(s.flow.subgroups)},
            proportions={p.id: (n[f"p{i}"], n[f"p{i}_of"]) for i, p in enumerate(s.proportions)},
            proportions_unknown={p.id: n[f"p{i}_unknown"] for i, p in enumerate(s.proportions)},
        )

    def _levels(self, columns: Iterable[str]) -> dict[tuple[str, bool], dict[Any, int]]:
        """Count the source population by (column, case) and value: Table 1's n (%) and missing."""
        t = self.table.filter(self.table.in_population)
        out: dict[tuple[str, bool], dict[Any, int]] = {}
        for column in columns:
            frame = read_frame(t.group_by(case=t.case, value=t[column]).aggregate(n=t.count()))
            for case, value, n in frame.itertuples(index=False):
                key = None if pd.isna(value) else value.item() if hasattr(value, "item") else value
                out.setdefault((column, bool(case)), {})[key] = int(n)
        return out

    def value_counts(self, column: str) -> pd.DataFrame:
        """Return the source population's patients by value of ``column`` (``value``, ``n``)."""
        t = self.table.filter(self.table.in_population)
        return read_frame(t.group_by(value=t[column]).aggregate(n=t.count()))

    def analysis_columns(self) -> list[str]:
        """Return the columns the analysis and the report read of the source population's rows."""
        s = self.study
        prompt = next(p for p in load_phenotypes().phenotypes if p.id == "at_risk_prompt")
        tte = s.time_to_event
        wanted = [
            "patient_id",
            "sex",
            *STUDY_COLUMNS,
            "case_suggested_only",
            *(subgroup_column(g.id) for g in s.flow.subgroups),
            *(
                v.column
                for v in TABLE_ONE_VARIABLES
                if v.column not in ("subset_label", "disease_years")
            ),
            "ssc_onset_date",
            "death_date",
            "calcinosis_onset_years",
            s.population.seen_by.column,
            "calcinosis_sheet_like_regions",
            "ssc_myositis_overlap_criteria",
            "ssc_myositis_overlap_clinician",
            *s.groups.antibodies,
            tte.origin,
            tte.event,
            tte.censor_at,
            *([tte.entry] if tte.entry else []),
            prompt.id,
            f"{prompt.id}_text",
            *(f"{prompt.id}_{ab}" for ab in s.groups.antibodies),
            *prompt.sources,
            "last_visit_date",
            "first_visit_date",
            "raynaud_onset_date",
            "myositis_onset_date",
        ]
        # never read: ``ssc`` and ``seen`` are true throughout the source population
        # (``in_population`` is both), ``synthetic`` is counted in the database (counts())
        unread = {"ssc", "seen"}
        have = set(self.table.columns) - unread
        return [c for c in dict.fromkeys(wanted) if c in have]

    def population(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Return the source population's rows (only ``columns``), ordered by patient id."""
        t = self.table
        chosen = list(columns) if columns is not None else self.analysis_columns()
        # ordered in Arrow, before pandas: sorting the frame copied every row (at 1 M patients,
        # hundreds of MB beside the frame). Python's string order (DuckDB's), not the engine's
        # collation: Arrow compares UTF-8 bytes, which orders as code points, as Python's str
        rows = read_arrow(t.filter(t.in_population).select(*chosen))
        rows = rows.sort_by("patient_id")  # the unsorted rows freed before pandas' copy
        frame = compact_frame(rows)
        del rows
        if "overlap_status" in frame:  # true / false / NA, with or without an unknown
            frame["overlap_status"] = frame["overlap_status"].astype("boolean")
        return frame

    def report_facts(self, patient_ids: Iterable[str]) -> pd.DataFrame:
        """Return the report concepts' facts of the patients the report shows (evidence, timelines).

        ``patient_ids`` are the shown patients (the cases, confirmed and suggested-only: a few
        rows), sent as a list as :meth:`images` sends them, so this reads only the registry's
        ``facts``, and runs after the study's tables are released (:func:`release_cached`).
        """
        return report_facts(self.con, sorted(set(patient_ids)))

    def bodymap_counts(self) -> pd.DataFrame:
        """Count the body map in the database: patients with calcinosis in each body site.

        The two groups of the report's body map: the cases (``case`` true) and the other
        patients of the source population with calcinosis (``case`` false). Returns ``case``,
        ``body_site`` and ``n``, a row per group and site (:func:`calcinosis_regions`): their
        facts never leave the database (at a million patients, the facts of a large share of
        the source population, where the report draws a count per site).
        """
        t = self.table
        others = t.in_population & _true(t.calcinosis_any) & ~t.case
        groups = t.filter((t.in_population & t.case) | others).select("patient_id", "case")
        return calcinosis_regions(self.con, groups)

    def images(self, patient_ids: Iterable[str]) -> pd.DataFrame | None:
        """Return the image records of the given patients (None when the database has no images table)."""
        return images(self.con, patient_ids)

    def input_hashes(self) -> dict[str, str]:
        """Return the source file hashes of the import batches."""
        return input_hashes(self.con)


@overload
def upload(con: Any, name: str, frame: pd.DataFrame) -> ir.Table: ...
@overload
def upload(con: Any, name: str, frame: None) -> None: ...
def upload(con: Any, name: str, frame: pd.DataFrame | None) -> ir.Table | None:
    """Create table ``name`` in ``con`` from a pandas frame (None: none).

    A column with no value at all (every patient unknown) has no type in pandas: it is
    created as a string column, which every expression of the study casts as it needs.
    """
    if frame is None:
        return None
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    typed = [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in arrow.schema]
    return con.create_table(name, arrow.cast(pa.schema(typed)))
