"""Verbs for studies: run a study file on a registry, the template, and the demo end to end.

A study runs where the data is (:mod:`calciscope.engine.study`): the feature table, criteria,
phenotypes, source population, groups and cases are computed in the registry's database and
materialised there once; counts, the source population's analysis columns and the few case
facts are read back, and every number of the report is computed from them.

The study file and the phenotypes it sets are read in :mod:`calciscope.api.study_definition`
(its verbs are importable from here too); the reading back, analysis and report in
``_study_readback``, the report's image readings in ``_study_images``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from calciscope.api._study_images import _with_readings
from calciscope.api._study_readback import _analyse, _read_back
from calciscope.api.study_definition import (
    as_study,
    init_study_text,
    study_columns,
    study_phenotypes,
    target_label,
    variant_phenotypes,
)
from calciscope.api.wording import number
from calciscope.engine import connect
from calciscope.engine.classified import classified_table
from calciscope.engine.readback import has_suggested, images, input_hashes, report_facts
from calciscope.engine.release import release_cached
from calciscope.engine.stored import StoredResults
from calciscope.engine.study import StudyQuery
from calciscope.errors import RegistryError
from calciscope.model import ReviewState
from calciscope.phenotype import PhenotypeSet
from calciscope.storage import Registry
from calciscope.storage.classification import definitions_version
from calciscope.storage.database_url import display_url
from calciscope.study.headline import Headline

if TYPE_CHECKING:
    # study and report pull in scipy, lifelines and matplotlib: they are imported
    # when a study runs, so that every other command starts quickly
    from ibis.backends import BaseBackend

    from calciscope.report import ReportBundle
    from calciscope.study import StudyAnalysis, StudyDefinition
    from calciscope.study.definition import SensitivitySpec

__all__ = [
    "DEFAULT_REPORT_DIR",
    "Headline",
    "StudyData",
    "StudyRun",
    "as_study",
    "headline_lines",
    "init_study_text",
    "load_study_data",
    "run_demo",
    "run_study",
    "sensitivity_table",
    "study_columns",
    "study_connection",
    "study_phenotypes",
    "target_label",
    "variant_phenotypes",
]

#: Where ``calciscope demo`` and ``study run`` write the report bundle by default.
DEFAULT_REPORT_DIR = Path("calciscope-report")


@dataclass(frozen=True)
class StudyData:
    """The classified table (confirmed facts), the same with suggested facts, and the facts.

    ``facts`` holds only the facts of the concepts the report shows (calcinosis, radiographs,
    antibodies, subset), with a ``concept`` column.
    """

    table: pd.DataFrame = field(repr=False)
    suggested: pd.DataFrame | None = field(repr=False)
    facts: pd.DataFrame = field(repr=False)
    input_hashes: dict[str, str] = field(default_factory=dict)
    images: pd.DataFrame | None = field(default=None, repr=False)


@dataclass(frozen=True)
class StudyRun:
    """A finished study: the analysis and the report bundle written."""

    analysis: StudyAnalysis
    bundle: ReportBundle
    seconds: dict[str, float] = field(default_factory=dict)
    exports: tuple[Path, ...] = ()

    @property
    def headline(self) -> Headline:
        """The headline numbers (``to_dict()``: the bundle's ``results.json``)."""
        return self.analysis.headline


def _classified_frames(
    con: Any,
    index_date: dt.date,
    include_suggested: bool,
    phenotypes: PhenotypeSet | None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    confirmed = (ReviewState.CONFIRMED,)
    table = classified_table(con, index_date, confirmed, phenotypes).to_pyarrow().to_pandas()
    suggested = None
    if include_suggested and has_suggested(con):
        both = (ReviewState.CONFIRMED, ReviewState.SUGGESTED)
        suggested = classified_table(con, index_date, both, phenotypes).to_pyarrow().to_pandas()
    return table, suggested


def load_study_data(
    registry: Registry | str,
    *,
    index_date: dt.date,
    include_suggested: bool = False,
    phenotypes: PhenotypeSet | None = None,
) -> StudyData:
    """Return every patient's classified feature table(s) and the report's facts.

    Classified in the registry's database and read back whole: for a notebook or a small
    registry. :func:`run_study` reads only what the report needs.
    """
    with study_connection(registry) as con:
        table, suggested = _classified_frames(con, index_date, include_suggested, phenotypes)
        return StudyData(
            table,
            suggested,
            report_facts(con),
            input_hashes(con),
            _with_readings(registry, images(con)),
        )


@contextmanager
def study_connection(registry: Registry | str | BaseBackend) -> Iterator[Any]:
    """Open an Ibis connection to the registry's database, closed after.

    ``registry`` is a Registry (:meth:`Registry.ibis_connection`), a database URL, or an Ibis
    connection already open (holding the registry's tables, e.g. Arrow tables in an in-memory
    DuckDB), which stays open; the temporary tables the block cached are dropped either way.
    """
    if isinstance(registry, Registry):
        with registry.ibis_connection() as con:
            yield con
        return
    con = connect(registry) if isinstance(registry, str) else registry
    try:
        yield con
    finally:
        release_cached(con)
        if isinstance(registry, str):
            con.disconnect()


def run_study(
    study: StudyDefinition | Path | str,
    registry: Registry | str | BaseBackend,
    *,
    out: Path = DEFAULT_REPORT_DIR,
    pseudonymise: bool | None = None,
    reuse: bool = True,
) -> StudyRun:
    """Run a study in the registry's database and write the report bundle to ``out``.

    The feature table, criteria, phenotypes, source population, groups and cases are computed
    in the database (one temporary table); the registry-wide counts, the source population's
    rows (only the columns the analysis reads) and the report's facts of the patients shown are
    all that is read back.

    Parameters
    ----------
    study
        A study definition or the path of a study YAML file (validated; every problem listed).
    registry
        The registry (SQLite, PostgreSQL), the URL of a database holding the registry's
        tables (``duckdb:///registry.duckdb``, an SQLite file, PostgreSQL, Spark), or an open
        Ibis connection holding them (``facts`` and ``patients``; left open).
    out
        Folder of the report bundle (``index.html``, tables, figures, manifest).
    pseudonymise
        Also write the pseudonymised export (default: the study's ``outputs.pseudonymise``).
    reuse
        Read the criteria results :func:`~calciscope.api.classify_registry` stored at the
        study's index date while they are current (same definitions, and the registry's
        generation unchanged since: :mod:`calciscope.engine.stored`) instead of computing them;
        the manifest's ``classification`` says which. False: always compute.
    """
    from calciscope.study import ReviewStates

    start = time.perf_counter()
    spec = as_study(study)
    both = spec.review.states is ReviewStates.CONFIRMED_AND_SUGGESTED
    with study_connection(registry) as con:
        query = StudyQuery(
            con,
            spec,
            study_phenotypes(spec),
            include_suggested=both,
            stored=StoredResults(con, definitions_version(None)) if reuse else None,
        )
        read = _read_back(query)
        analysis, seconds = _analyse(query, read)
        private = spec.outputs.pseudonymise if pseudonymise is None else pseudonymise
        bundle = read.write_report(analysis, registry, _source_name(registry), Path(out), private)
    run = StudyRun(analysis, bundle)
    exported = _standard_exports(spec, registry, run, Path(out))
    seconds["report"] = time.perf_counter() - start - seconds["load"] - seconds["analyse"]
    return StudyRun(analysis, bundle, seconds, exported)


def _source_name(registry: Registry | str | BaseBackend) -> str:
    """Return how the manifest names what the study ran on (a URL without its password)."""
    if isinstance(registry, Registry):
        return registry.url
    return display_url(registry) if isinstance(registry, str) else f"{registry.name} connection"


def sensitivity_table(query: StudyQuery, population: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the main analysis and each sensitivity analysis side by side.

    A sensitivity analysis is the study with its changes (:meth:`StudyQuery.variant`); every
    variant's case finding is one query over the main analysis's classified tables, which
    recomputes only the phenotypes a variant's parameters change
    (:meth:`StudyQuery.variant_cases`); only the source populations' case columns come back.
    ``population`` is the main analysis's source population when already read.
    """
    from calciscope.study import sensitivity_rows, subgroup_column

    spec = query.study
    focus = subgroup_column(spec.headline.focus)
    wanted = ["patient_id", "in_population", "case", "case_suggested_only", focus]
    suggested = query.has_suggested()
    variants = [(v, study_phenotypes(spec.variant(v))) for v in spec.sensitivity]
    found = dict(
        zip((v.label for v in spec.sensitivity), query.variant_cases(variants), strict=True)
    )

    def cases_of(variant: SensitivitySpec | None) -> tuple[pd.DataFrame, bool]:
        if variant is None:
            return (query.population(wanted) if population is None else population), suggested
        return found[variant.label], suggested

    return sensitivity_rows(spec, cases_of)


def _standard_exports(
    spec: StudyDefinition, registry: Registry | str | BaseBackend, run: StudyRun, out: Path
) -> tuple[Path, ...]:
    """Export the cases as phenopackets and/or a FHIR bundle (``outputs.standard_exports``)."""
    from calciscope.api.interop import export_fhir, export_phenopackets
    from calciscope.study import StandardExport

    if not spec.outputs.standard_exports:
        return ()
    if not isinstance(registry, Registry):
        raise RegistryError(
            "outputs.standard_exports reads the cases' records through a registry: run the "
            "study on the registry (sqlite:/// or postgresql+psycopg://), not on a database URL"
        )

    table = run.analysis.table
    ids = list(table.loc[table["case"], "patient_id"])
    files: list[Path] = []
    for kind in spec.outputs.standard_exports:
        if kind is StandardExport.PHENOPACKETS:
            files += export_phenopackets(
                registry, out / "exports" / "phenopackets", patient_ids=ids
            ).files
        else:
            target = out / "exports" / "cases.fhir.json"
            files += export_fhir(registry, target, patient_ids=ids, group_name=spec.title).files
    return tuple(files)


def run_demo(registry: Registry, *, out: Path = DEFAULT_REPORT_DIR) -> StudyRun:
    """Run the default (anchor) study on a registry holding the demo cohort; write the report.

    A registry with no as-of date is given the study's index date (2023-12-31): the SYNTHETIC
    cohort is drawn as of it and the report counts at it, so the web app's patient pages and
    review queue then show what the report counts (:func:`calciscope.api.registry_as_of`). A
    date already set is kept.
    """
    from calciscope.api.as_of import set_registry_as_of
    from calciscope.study import default_study

    study = default_study()
    if registry.dialect != "spark" and registry.as_of() is None:
        set_registry_as_of(registry, study.population.index_date)
    return run_study(study, registry, out=out)


def _cases_line(h: Headline, focus: str) -> str:
    """Return the case count line; cases found only with suggested facts are counted apart."""
    head, cases = f"cases ({h.target_phenotype}): ", number(h.cases)
    if not h.cases_suggested_only:
        return f"{head}{cases}; {focus}: {number(h.cases_in_focus)} of {cases}"
    total = number(h.cases_with_suggested)
    return (
        f"{head}{total}: {cases} from confirmed facts, {number(h.cases_suggested_only)} awaiting "
        f"review; {focus}: {number(h.cases_with_suggested_in_focus)} of {total} "
        f"({number(h.cases_in_focus)} of {cases} confirmed)"
    )


#: The line of a registry mixing SYNTHETIC demo patients with its own (``Headline.synthetic_mixed``).
_MIXED = (
    "the registry {}: demo data, counted like the others wherever they meet the study's definitions"
)


def headline_lines(run: StudyRun) -> list[str]:
    """Return the headline numbers as short lines for a terminal (plain hyphens).

    Counts are written with thousands separators (:func:`~calciscope.api.wording.number`);
    the proportion keeps the report's own text.
    """
    from calciscope.report.text import value_range

    h, study = run.headline, run.analysis.study
    mixed = [f"{_MIXED.format(h.synthetic_mixed)}"] if h.synthetic_mixed else []
    lines = [
        *mixed,
        f"source population: {number(h.source_population)} SSc patients ({h.ssc_by} diagnosis, "
        f"seen {h.window_start} to {h.index_date})",
        f"{study.headline_label}: {h.proportion_text()}",
        _cases_line(h, study.focus_label.replace("–", "-")),
    ]
    if h.cases:
        abs_ = ", ".join(f"{k} {number(n)}" for k, n in h.antibodies_positive.items() if n)
        which = "confirmed cases" if h.cases_suggested_only else "cases"
        age, onset = h.age_at_ssc_diagnosis, h.calcinosis_onset_years
        lines.append(
            f"{which}: age at diagnosis {value_range(age, '.0f', '-')}, {number(h.women)} women, "
            f"{abs_}; calcinosis {value_range(onset, 'g', '-')} years after SSc onset"
        )
    prompts = number(h.at_risk_prompts)
    lines.append(f"prompts to look (dcSSc + overlap, no recent assessment): {prompts}")
    return lines
