"""Verbs for studies: run a study file on a registry, the template, and the demo end to end.

The registry's facts and patients are read once into an in-memory DuckDB database; the feature
table is computed and materialised there, classified once, and every number of the report is
computed from that one table (no recompilation per figure).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import calciscope
from calciscope.criteria import load_criteria_sets
from calciscope.engine import compute_feature_table, connect
from calciscope.engine.phenotype import classify_table
from calciscope.features import load_catalogue
from calciscope.model import ReviewState
from calciscope.phenotype import PhenotypeSet, load_phenotypes
from calciscope.phenotype import output_columns as phenotype_columns
from calciscope.storage import Registry

if TYPE_CHECKING:
    # study and report pull in scipy, lifelines and matplotlib: they are imported
    # when a study runs, so that every other command starts quickly
    from calciscope.report import ReportBundle
    from calciscope.study import StudyAnalysis, StudyDefinition

__all__ = [
    "DEFAULT_REPORT_DIR",
    "StudyData",
    "StudyRun",
    "headline_lines",
    "init_study_text",
    "load_study_data",
    "run_demo",
    "run_study",
    "run_study_on_data",
    "study_columns",
    "study_data_from_tables",
    "study_phenotypes",
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
    #: sensitivity analyses that change phenotype parameters: label → (table, suggested),
    #: the main tables with the phenotype columns classified with the variant's parameters
    variants: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]] = field(
        default_factory=dict, repr=False
    )


@dataclass(frozen=True)
class StudyRun:
    """A finished study: the analysis and the report bundle written."""

    analysis: StudyAnalysis
    bundle: ReportBundle
    seconds: dict[str, float] = field(default_factory=dict)
    exports: tuple[Path, ...] = ()

    @property
    def headline(self) -> dict[str, Any]:
        """The headline numbers (also in the bundle's ``results.json``)."""
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


def _classified(
    con: Any,
    states: tuple[ReviewState, ...],
    index_date: dt.date,
    phenotypes: PhenotypeSet | None,
    variants: dict[str, PhenotypeSet] | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Return the classified table, and one per phenotype variant (its phenotype columns)."""
    features = compute_feature_table(
        con.table("facts"), con.table("patients"), index_date=index_date, review_states=states
    )
    name = f"features_{'_'.join(s.value for s in states)}"
    table = con.create_table(name, features.to_pyarrow(), overwrite=True)
    classified = classify_table(table, index_date=index_date, phenotypes=phenotypes)
    frame = table.join(classified, "patient_id").to_pyarrow().to_pandas()
    out = {}
    for label, chosen in (variants or {}).items():
        columns = [c for p in chosen.phenotypes for c in phenotype_columns(p)]
        redone = classify_table(table, index_date=index_date, phenotypes=chosen)
        alt = redone.select("patient_id", *columns).to_pyarrow().to_pandas()
        merged = frame.drop(columns=[c for c in columns if c in frame.columns])
        out[label] = merged.merge(alt, on="patient_id", how="left")
    return frame, out


_IMAGE_COLUMNS = ("image_id", "patient_id", "modality", "body_site", "laterality", "image_date")


def _read_inputs(registry: Registry) -> tuple[pa.Table, pa.Table, dict[str, str], pd.DataFrame]:
    source = connect(registry.connection_url)
    try:
        facts = source.table("facts")
        facts = facts.filter(facts.superseded_by.isnull()).to_pyarrow()  # corrected facts
        patients = source.table("patients").to_pyarrow()
        images = source.table("images").select(*_IMAGE_COLUMNS).to_pyarrow().to_pandas()
        batches = source.table("import_batches").select("source", "source_hash").to_pyarrow()
        batches = batches.to_pylist()
    finally:
        source.disconnect()
    hashes = {str(b["source"]): str(b["source_hash"]) for b in batches}
    return facts, patients, hashes, images


def _report_facts(facts: pa.Table) -> pd.DataFrame:
    """Return the facts of the concepts the report shows, with their ``concept``."""
    catalogue = load_catalogue()
    pairs = facts.select(["system", "code"]).group_by(["system", "code"]).aggregate([]).to_pandas()
    pairs["concept"] = [
        (catalogue.concepts_for_code(s, c) or ("",))[0]
        for s, c in zip(pairs["system"], pairs["code"], strict=True)
    ]
    from calciscope.study.evidence import EVIDENCE_CONCEPTS

    pairs = pairs[pairs["concept"].isin(EVIDENCE_CONCEPTS)]
    # an explicit schema: with no matching pair the columns would be Arrow's null type, which
    # cannot be a join key (a registry holding none of the report's concepts)
    schema = pa.schema([("system", pa.string()), ("code", pa.string()), ("concept", pa.string())])
    wanted = pa.Table.from_pandas(pairs, schema=schema, preserve_index=False)
    kept = facts.join(wanted, keys=["system", "code"])
    return kept.to_pandas()


def study_data_from_tables(
    facts: pa.Table,
    patients: pa.Table,
    *,
    index_date: dt.date,
    include_suggested: bool = False,
    input_hashes: dict[str, str] | None = None,
    phenotypes: PhenotypeSet | None = None,
    variants: dict[str, PhenotypeSet] | None = None,
) -> StudyData:
    """Classify facts and patients (Arrow tables in the registry's layout) in in-memory DuckDB.

    ``phenotypes`` are the phenotypes with the study's parameters (see :func:`study_phenotypes`);
    the packaged defaults when not given. ``variants`` are the phenotypes of the sensitivity
    analyses that change phenotype parameters, by label (:func:`variant_phenotypes`).
    """
    con = ibis.duckdb.connect()
    try:
        con.create_table("facts", facts)
        con.create_table("patients", patients)
        table, alt = _classified(con, (ReviewState.CONFIRMED,), index_date, phenotypes, variants)
        suggested, alt_suggested = None, dict[str, pd.DataFrame]()
        has_suggested = pc.any(pc.equal(facts["review_state"], ReviewState.SUGGESTED.value)).as_py()
        if include_suggested and has_suggested:
            both = (ReviewState.CONFIRMED, ReviewState.SUGGESTED)
            suggested, alt_suggested = _classified(con, both, index_date, phenotypes, variants)
    finally:
        con.disconnect()
    tables = {label: (alt[label], alt_suggested.get(label)) for label in alt}
    return StudyData(
        table, suggested, _report_facts(facts), dict(input_hashes or {}), variants=tables
    )


def load_study_data(
    registry: Registry,
    *,
    index_date: dt.date,
    include_suggested: bool = False,
    phenotypes: PhenotypeSet | None = None,
    variants: dict[str, PhenotypeSet] | None = None,
) -> StudyData:
    """Read the registry once and return the classified feature table(s) and the facts."""
    facts, patients, hashes, images = _read_inputs(registry)
    data = study_data_from_tables(
        facts,
        patients,
        index_date=index_date,
        include_suggested=include_suggested,
        input_hashes=hashes,
        phenotypes=phenotypes,
        variants=variants,
    )
    return dataclasses.replace(data, images=images)


def _manifest(study: StudyDefinition, data: StudyData, source: str) -> dict[str, Any]:
    from calciscope.report.bundle import dependency_versions

    return {
        "calciscope_version": calciscope.__version__,
        "python": platform.python_version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "study_title": study.title,
        "study_sha256": hashlib.sha256(study.model_dump_json().encode()).hexdigest(),
        "registry": source,
        "input_hashes": data.input_hashes,
        "feature_catalogue_version": load_catalogue().version,
        "criteria_sets": {s.id: s.version for s in load_criteria_sets()},
        "phenotypes_version": load_phenotypes().version,
        "synthetic": bool(data.table["synthetic"].fillna(False).all()),
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


def _target_label(study: StudyDefinition) -> str:
    labels = {p.id: p.label for p in load_phenotypes().phenotypes}
    text = labels.get(study.target_phenotype, study.target_phenotype)
    return text.split(" (")[0].lower()


def _as_study(study: StudyDefinition | Path | str) -> StudyDefinition:
    from calciscope.study import StudyDefinition, load_study

    if isinstance(study, StudyDefinition):
        return study
    return load_study(Path(study), known_columns=study_columns())


def run_study(
    study: StudyDefinition | Path | str,
    registry: Registry,
    *,
    out: Path = DEFAULT_REPORT_DIR,
    pseudonymise: bool | None = None,
) -> StudyRun:
    """Run a study on a registry and write the report bundle to ``out``.

    Parameters
    ----------
    study
        A study definition or the path of a study YAML file (validated; every problem listed).
    registry
        The registry (SQLite, PostgreSQL, ...); it is read once.
    out
        Folder of the report bundle (``index.html``, tables, figures, manifest).
    pseudonymise
        Also write the pseudonymised export (default: the study's ``outputs.pseudonymise``).
    """
    from calciscope.study import ReviewStates

    start = time.perf_counter()
    spec = _as_study(study)
    both = spec.review.states is ReviewStates.CONFIRMED_AND_SUGGESTED
    both = both or any(v.count_suggested for v in spec.sensitivity)
    data = load_study_data(
        registry,
        index_date=spec.population.index_date,
        include_suggested=both,
        phenotypes=study_phenotypes(spec),
        variants=variant_phenotypes(spec),
    )
    loaded = time.perf_counter() - start
    run = run_study_on_data(spec, data, out=out, pseudonymise=pseudonymise, source=registry.url)
    exported = _standard_exports(spec, registry, run, Path(out))
    return StudyRun(run.analysis, run.bundle, {"load": loaded} | run.seconds, exported)


def _standard_exports(
    spec: StudyDefinition, registry: Registry, run: StudyRun, out: Path
) -> tuple[Path, ...]:
    """Export the cases as phenopackets and/or a FHIR bundle (``outputs.standard_exports``)."""
    from calciscope.api.interop import export_fhir, export_phenopackets
    from calciscope.study import StandardExport

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


def run_study_on_data(
    spec: StudyDefinition,
    data: StudyData,
    *,
    out: Path = DEFAULT_REPORT_DIR,
    pseudonymise: bool | None = None,
    source: str = "",
) -> StudyRun:
    """Find cases, analyse and write the report from already classified data (see :class:`StudyData`)."""
    start = time.perf_counter()
    from calciscope.report import write_report_bundle
    from calciscope.study import (
        analyse,
        case_evidence,
        find_cases,
        sensitivity_table,
        source_population,
    )

    cases = find_cases(source_population(data.table, spec), spec, data.suggested)
    analysis = analyse(cases, spec, target_label=_target_label(spec))
    sensitivity = sensitivity_table(spec, (data.table, data.suggested), data.variants)
    analysis = dataclasses.replace(analysis, sensitivity=sensitivity)
    analysed = time.perf_counter() - start
    ids = list(analysis.table.loc[cases["case"] | cases["case_suggested_only"], "patient_id"])
    private = spec.outputs.pseudonymise if pseudonymise is None else pseudonymise
    bundle = write_report_bundle(
        analysis,
        facts=data.facts,
        evidence=case_evidence(data.facts, ids),
        images=None if data.images is None else data.images[data.images["patient_id"].isin(ids)],
        manifest=_manifest(spec, data, source),
        out_dir=Path(out),
        pseudonymise=private,
    )
    seconds = {"analyse": analysed, "report": time.perf_counter() - start - analysed}
    return StudyRun(analysis, bundle, seconds)


def run_demo(registry: Registry, *, out: Path = DEFAULT_REPORT_DIR) -> StudyRun:
    """Run the default (anchor) study on a registry holding the demo cohort; write the report."""
    from calciscope.study import default_study

    return run_study(default_study(), registry, out=out)


def headline_lines(run: StudyRun) -> list[str]:
    """Return the headline numbers as short lines for a terminal."""
    h = run.headline
    age, onset = h["age_at_ssc_diagnosis"], h["calcinosis_onset_years"]
    lines = [
        f"source population: {h['source_population']} SSc patients ({h['ssc_by']} diagnosis, "
        f"seen {h['window_start']} to {h['index_date']})",
        f"dcSSc: {h['dcssc_proportion']['text']}",
        f"cases ({h['target_phenotype']}): {h['cases']}; dcSSc with SSc-myositis overlap: "
        f"{h['cases_dcssc_with_overlap']} of {h['cases']}",
    ]
    if h["cases"]:
        abs_ = ", ".join(f"{k} {n}" for k, n in h["antibodies_positive"].items() if n)
        lines.append(
            f"cases: age at diagnosis {age['min']:.0f}-{age['max']:.0f}, {h['women']} women, "
            f"{abs_}; calcinosis {onset['min']:g}-{onset['max']:g} years after SSc onset"
        )
    lines.append(f"prompts to look (dcSSc + overlap, no recent assessment): {h['at_risk_prompts']}")
    return lines
