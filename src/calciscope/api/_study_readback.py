"""What a study reads back from the database, and its analysis and report from what came back.

The study's query (:class:`~calciscope.engine.study.StudyQuery`) runs in the registry's
database; :func:`_read_back` reads the source population's rows, the counts, the sensitivity
analyses' cases, the body map's counts and the shown patients' facts, releasing the database's
tables and memory between; :func:`_analyse` and :meth:`_ReadBack.write_report` need no database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import calciscope
from calciscope.api._study_images import _with_readings
from calciscope.api.study_definition import study_phenotypes, target_label
from calciscope.criteria import load_criteria_sets
from calciscope.engine.release import release_cached, release_file_buffers
from calciscope.engine.study import StudyQuery
from calciscope.features import load_catalogue
from calciscope.phenotype import load_phenotypes
from calciscope.storage import Registry

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

    from calciscope.report import ReportBundle
    from calciscope.study import StudyAnalysis, StudyDefinition
    from calciscope.study.cohort import RegistryCounts


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
