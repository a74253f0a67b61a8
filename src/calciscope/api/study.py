"""Verbs for studies: run a study file on a registry, the template, and the demo end to end.

A study runs where the data is (:mod:`calciscope.engine.study`): the feature table, criteria,
phenotypes, source population, groups and cases are computed in the registry's database and
materialised there once; counts, the source population's analysis columns and the few case
facts are read back, and every number of the report is computed from them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import platform
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import calciscope
from calciscope.criteria import load_criteria_sets
from calciscope.engine import connect
from calciscope.engine.classified import classified_table
from calciscope.engine.readback import has_suggested, images, input_hashes, report_facts
from calciscope.engine.release import release_cached, release_file_buffers
from calciscope.engine.stored import StoredResults
from calciscope.engine.study import StudyQuery
from calciscope.errors import RegistryError
from calciscope.features import load_catalogue
from calciscope.model import ReviewState
from calciscope.phenotype import PhenotypeSet, load_phenotypes
from calciscope.storage import Registry
from calciscope.storage.classification import definitions_version
from calciscope.storage.database_url import display_url
from calciscope.storage.images import StoredReading, stored_roi
from calciscope.study.headline import Headline

if TYPE_CHECKING:
    # study and report pull in scipy, lifelines and matplotlib: they are imported
    # when a study runs, so that every other command starts quickly
    from ibis.backends import BaseBackend

    from calciscope.report import ReportBundle
    from calciscope.study import StudyAnalysis, StudyDefinition
    from calciscope.study.cohort import RegistryCounts
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


def init_study_text() -> str:
    """Return the commented study template that reproduces the anchor design."""
    from calciscope.study import study_template

    return study_template()


def study_columns() -> frozenset[str]:
    """Return every feature and phenotype column a study file may name."""
    features = set(load_catalogue().features)
    phenotypes = {p.id for p in load_phenotypes().phenotypes}
    return frozenset(features | phenotypes)


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


def _with_readings(
    registry: Registry | str | BaseBackend, images: pd.DataFrame | None
) -> pd.DataFrame | None:
    """Add each image's thumbnail and readings (for the report's radiograph panel and methods).

    On a database URL that is not a registry (a DuckDB file of its tables) the images are
    listed without thumbnails or readings.

    The between-reader agreement (:func:`calciscope.api.reader_agreement`) is kept in
    ``images.attrs["agreement"]`` when two readers read the same films.
    """
    from calciscope.api.imaging import reader_agreement
    from calciscope.storage.images import ImageRepository

    if images is None:
        return None
    repo = ImageRepository(registry) if isinstance(registry, Registry) else None
    indexed = repo.indexed(list(images["image_id"])) if repo is not None and len(images) else set()
    thumbs, texts, readers, counts, blinded = [], [], [], [], []
    sizes, overlays = [], []
    for image_id in images["image_id"]:
        row = repo.file(image_id) if repo is not None and image_id in indexed else None
        readings = repo.readings_of(image_id) if repo is not None and image_id in indexed else []
        thumbs.append(bytes(row["thumbnail_png"]) if row and row["thumbnail_png"] else None)
        sizes.append((row["columns"], row["rows"]) if row and row["rows"] else None)
        overlays.append(tuple(_measured_regions(readings)))
        texts.append("\n".join(_reading_text(r) for r in readings) or None)
        readers.append(tuple(sorted({f"{r.reader} ({r.reader_role})" for r in readings})))
        counts.append(len(readings))
        blinded.append(sum(r.blinded for r in readings))
    columns = {
        "thumbnail_png": thumbs,
        "reading": texts,
        "readers": readers,
        "readings": counts,
        "blinded_readings": blinded,
        "image_size": sizes,
        "overlays": overlays,
    }
    images = images.assign(
        **{k: pd.Series(v, index=images.index, dtype=object) for k, v in columns.items()}
    )
    report = reader_agreement(registry) if indexed and isinstance(registry, Registry) else None
    if report is not None and report.readers is not None and report.results:
        images.attrs["agreement"] = {
            "readers": report.readers,
            "pairs": report.pairs,
            "results": {
                name: {
                    "method": r.method,
                    "estimate": r.estimate,
                    "lower": r.lower,
                    "upper": r.upper,
                    "n": r.n,
                }
                for name, r in report.results.items()
                if r.estimate is not None
            },
        }
    return images


def _measured_regions(readings: Sequence[StoredReading]) -> Iterator[dict[str, Any]]:
    """Yield the measured regions of the readings (ROI, deposits) for the report's overlay."""
    for reading in readings:
        for region in reading.regions:
            roi = stored_roi(region)
            if roi is None:
                continue
            side = "" if region["laterality"] == "unspecified" else f" {region['laterality']}"
            mask = region.get("deposit_mask_png")
            yield {
                "roi": roi,
                "deposit_mask_png": bytes(mask) if mask is not None else None,
                "label": f"{reading.reader}, {region['body_site']}{side}",
            }


def _reading_text(reading: Any) -> str:
    regions = "; ".join(
        f"{g['body_site']} {'' if g['laterality'] == 'unspecified' else g['laterality']} "
        f"{g['presence']}"
        + (f", Florence {g['florence']}" if g["florence"] else "")
        + (f", {g['morphology']}" if g["morphology"] else "")
        + (f", {g['area_mm2']:g} mm²" if g["area_mm2"] is not None else "")
        for g in reading.regions
    )
    grade = f", SCTC {reading.sctc_global_grade}" if reading.sctc_global_grade else ""
    blind = "blinded" if reading.blinded else "not blinded"
    return f"{reading.reader} ({reading.reader_role}, {reading.reading_date}, {blind}{grade}): {regions}"


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


def _manifest(
    study: StudyDefinition,
    input_hashes: dict[str, str],
    synthetic: bool,
    source: str,
    classification: str = "computed",
) -> dict[str, Any]:
    from calciscope.report.bundle import dependency_versions

    return {
        "calciscope_version": calciscope.__version__,
        "python": platform.python_version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "study_title": study.title,
        "study_sha256": hashlib.sha256(study.model_dump_json().encode()).hexdigest(),
        "registry": source,
        "input_hashes": input_hashes,
        "feature_catalogue_version": load_catalogue().version,
        "criteria_sets": {s.id: s.version for s in load_criteria_sets()},
        "phenotypes_version": load_phenotypes().version,
        # the criteria results: computed by this run, or stored ones still current (classify)
        "classification": classification,
        "synthetic": synthetic,
        "dependencies": dependency_versions(),
    }


def study_phenotypes(study: StudyDefinition) -> PhenotypeSet:
    """Return the phenotypes with the study's parameters: the at-risk prompt's look-back and overlap.

    The study lists the patients the ``at_risk_prompt`` phenotype is shown for, so the prompt
    is defined once (``phenotypes.yaml``) and the study only sets its parameters.
    """
    return load_phenotypes(
        **study.phenotype_parameters,
        assessment_months=study.at_risk.assessment_months,
        overlap_definition=study.groups.overlap_by.value,
        antibodies=tuple(study.groups.antibodies),
    )


def variant_phenotypes(study: StudyDefinition) -> dict[str, PhenotypeSet]:
    """Return the phenotypes of each sensitivity analysis that changes phenotype parameters."""
    return {
        spec.label: study_phenotypes(study.variant(spec))
        for spec in study.sensitivity
        if spec.phenotype_parameters
    }


def target_label(study: StudyDefinition) -> str:
    """Return the study's target phenotype as a lower-case label (for the attrition flow)."""
    labels = {p.id: p.label for p in load_phenotypes().phenotypes}
    text = labels.get(study.target_phenotype, study.target_phenotype)
    return text.split(" (")[0].lower()


def as_study(study: StudyDefinition | Path | str) -> StudyDefinition:
    """Return a study definition, loading it from its file when given a path."""
    from calciscope.study import StudyDefinition, load_study

    if isinstance(study, StudyDefinition):
        return study
    return load_study(Path(study), known_columns=study_columns())


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


@dataclass(frozen=True)
class _ReadBack:
    """Everything a study reads back from the database, read before any of it is analysed."""

    population: pd.DataFrame
    counts: RegistryCounts
    #: each sensitivity analysis's case finding (:meth:`StudyQuery.variant_cases`), by label
    variants: dict[str, pd.DataFrame]
    #: the patients shown as cases (confirmed, and found only with suggested facts)
    shown: list[str]
    #: the body map's counts, made in the database (:meth:`StudyQuery.bodymap_counts`)
    bodymap: pd.DataFrame
    #: the report concepts' facts of the shown patients (evidence, timelines)
    facts: pd.DataFrame
    images: pd.DataFrame | None
    input_hashes: dict[str, str]
    classification: str
    #: whether any fact awaits review (a variant counting suggested facts says so when none do)
    suggested: bool
    seconds: float

    def write_report(
        self,
        analysis: StudyAnalysis,
        registry: Registry | str | BaseBackend,
        source: str,
        out: Path,
        pseudonymise: bool,
    ) -> ReportBundle:
        """Write the report bundle of ``analysis`` with what was read back (facts, images)."""
        from calciscope.report import write_report_bundle
        from calciscope.report.bodymap import counted_regions
        from calciscope.study import case_evidence

        spec, synthetic = analysis.study, analysis.headline.synthetic
        return write_report_bundle(
            analysis,
            facts=self.facts,
            evidence=case_evidence(self.facts, self.shown),
            images=_with_readings(registry, self.images),
            bodymap=counted_regions(self.bodymap),
            manifest=_manifest(spec, self.input_hashes, synthetic, source, self.classification),
            out_dir=out,
            pseudonymise=pseudonymise,
        )


def _read_back(query: StudyQuery) -> _ReadBack:
    """Run the study's query, read back what the analysis and the report need, release its tables.

    From the study's temporary tables: the source population's rows, the registry-wide counts,
    the sensitivity analyses' case finding and the body map's counts (a few rows). Then the
    tables are dropped, and only then are the shown patients' facts and images read (they
    read the registry's tables alone): the database's memory (at a million patients, DuckDB's
    whole memory limit) is given back before any of it is read, and the analysis and the
    report run without it.
    """
    start = time.perf_counter()
    spec = query.study
    counts = query.counts()
    variants = [(v, study_phenotypes(spec.variant(v))) for v in spec.sensitivity]
    found = query.variant_cases(variants)
    bodymap = query.bodymap_counts()
    classification, suggested = query.classification, query.has_suggested()
    # the source population's rows last, once DuckDB has given back the registry file's blocks
    # its queries read (about its whole memory limit at a million patients): the rows and
    # those blocks are never in memory together
    release_file_buffers(query.con)
    population = query.population()
    release_cached(query.con)
    picked = population["case"] | population["case_suggested_only"]
    shown = list(population.loc[picked, "patient_id"])
    facts, images, hashes = query.report_facts(shown), query.images(shown), query.input_hashes()
    # the last query: DuckDB gives back the registry file's blocks it held (about its memory
    # limit at a million patients) before the analysis and the report
    release_file_buffers(query.con)
    return _ReadBack(
        population,
        counts,
        dict(zip((v.label for v in spec.sensitivity), found, strict=True)),
        shown,
        bodymap,
        facts,
        images,
        hashes,
        classification,
        suggested,
        time.perf_counter() - start,
    )


def _analyse(query: StudyQuery, read: _ReadBack) -> tuple[StudyAnalysis, dict[str, float]]:
    """Analyse what came back and add the sensitivity analyses (no database work).

    Returns the analysis and the seconds spent in the database with the reading back
    (``load``) and analysing.
    """
    from calciscope.study import analyse, sensitivity_rows

    start = time.perf_counter()
    spec = query.study
    analysis = analyse(read.population, spec, target_label=target_label(spec), counts=read.counts)
    if spec.sensitivity:
        table = sensitivity_rows(
            spec,
            lambda v: (read.population if v is None else read.variants[v.label], read.suggested),
        )
        analysis = dataclasses.replace(analysis, sensitivity=table)
    return analysis, {"load": read.seconds, "analyse": time.perf_counter() - start}


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
    head = f"cases ({h.target_phenotype}): "
    if not h.cases_suggested_only:
        return f"{head}{h.cases}; {focus}: {h.cases_in_focus} of {h.cases}"
    total = h.cases_with_suggested
    return (
        f"{head}{total}: {h.cases} from confirmed facts, {h.cases_suggested_only} awaiting "
        f"review; {focus}: {h.cases_with_suggested_in_focus} of {total} ({h.cases_in_focus} of "
        f"{h.cases} confirmed)"
    )


def headline_lines(run: StudyRun) -> list[str]:
    """Return the headline numbers as short lines for a terminal (plain hyphens)."""
    from calciscope.report.text import value_range

    h, study = run.headline, run.analysis.study
    lines = [
        f"source population: {h.source_population} SSc patients ({h.ssc_by} diagnosis, "
        f"seen {h.window_start} to {h.index_date})",
        f"{study.headline_label}: {h.proportion.text()}",
        _cases_line(h, study.focus_label.replace("–", "-")),
    ]
    if h.cases:
        abs_ = ", ".join(f"{k} {n}" for k, n in h.antibodies_positive.items() if n)
        which = "confirmed cases" if h.cases_suggested_only else "cases"
        age, onset = h.age_at_ssc_diagnosis, h.calcinosis_onset_years
        lines.append(
            f"{which}: age at diagnosis {value_range(age, '.0f', '-')}, {h.women} women, "
            f"{abs_}; calcinosis {value_range(onset, 'g', '-')} years after SSc onset"
        )
    lines.append(f"prompts to look (dcSSc + overlap, no recent assessment): {h.at_risk_prompts}")
    return lines
