"""Verbs for classification: the spreadsheet calculator, classifying a registry, explaining a patient."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from calciscope.api._rows import RowFiles, versions_by_patient
from calciscope.api.as_of import registry_as_of
from calciscope.api.cohort import feature_expression
from calciscope.criteria import (
    CriteriaResult,
    clean_value,
    load_criteria_set,
    load_criteria_sets,
)
from calciscope.criteria.results import html_table
from calciscope.criteria.spreadsheet import SPREADSHEET_FIELDS, parse_rows
from calciscope.engine import compute_feature_table
from calciscope.engine.criteria import compute_criteria, output_columns
from calciscope.engine.explanation import CriteriaReader, read_phenotype_results
from calciscope.engine.phenotype import classify_table
from calciscope.engine.rows import RowEvaluator, TablesEvaluator
from calciscope.errors import NotFoundError, Problem, ValidationError
from calciscope.interop.csvtext import ANY_COLUMN, StrictDictReader
from calciscope.phenotype import PhenotypeResult, load_phenotypes
from calciscope.phenotype import output_columns as phenotype_columns
from calciscope.storage import Registry
from calciscope.storage.classification import (
    StoredResult,
    data_version,
    data_versions,
    definitions_version,
    read_classification_results,
    write_classification_results,
)
from calciscope.textfile import open_text

__all__ = [
    "ClassifySummary",
    "PatientExplanation",
    "ResultSource",
    "ScoreFormat",
    "classify_registry",
    "default_index_date",
    "explain_patient",
    "patient_features",
    "score_spreadsheet",
    "write_scores",
]

_log = logging.getLogger(__name__)


class ScoreFormat(StrEnum):
    """Output format of the spreadsheet calculator."""

    CSV = "csv"
    JSON = "json"


def _chosen_sets(source: str, sets: Sequence[str]) -> tuple[str, ...]:
    unknown = [s for s in sets if s not in SPREADSHEET_FIELDS]
    if unknown:
        problems = [
            Problem(
                source, "--sets", s, f"unknown criteria set; known: {', '.join(SPREADSHEET_FIELDS)}"
            )
            for s in unknown
        ]
        raise ValidationError(problems, summary="unknown criteria set(s)")
    return tuple(sets)


def score_spreadsheet(
    path: Path,
    *,
    sets: Sequence[str] = tuple(SPREADSHEET_FIELDS),
    min_probability: float | None = None,
) -> pa.Table:
    """Score every patient of a CSV spreadsheet by the chosen criteria sets.

    Parameters
    ----------
    path
        CSV file: a ``patient_id`` column and feature columns (see :mod:`calciscope.criteria.spreadsheet`).
    sets
        Criteria set ids, in output order: ``ssc2013``, ``leroy``, ``mrss``, ``iim2017``.
    min_probability
        Minimum probability for classified IIM (default 0.55).

    Returns
    -------
    pyarrow.Table
        One row per patient, in the spreadsheet's order: ``patient_id`` then the fields of each
        set (``.to_pandas()``, ``.to_pylist()``, ``polars.from_arrow``).

    Raises
    ------
    ValidationError
        For an unknown set, unknown column or bad cell (every problem listed).
    """
    chosen = _chosen_sets(str(path), sets)
    with open_text(path) as handle:
        # strict: not UTF-8, a quote left open, stray quotes paired over rows (no cell of
        # the spreadsheet holds a line break) or a column named twice in the header is a
        # problem naming the file and rows (or the column)
        reader = StrictDictReader(
            handle, str(path), single_line=ANY_COLUMN, summary=f"cannot score {Path(path).name}"
        )
        header = [name.strip() for name in reader.fieldnames or []]
        rows = ({k.strip() if k else k: v for k, v in r.items()} for r in reader)
        parsed = parse_rows(str(path), header, rows)
    csets = [load_criteria_set(s) for s in chosen]
    evaluator = RowEvaluator(
        lambda t: compute_criteria(t, csets, min_probability=min_probability),
        cache_key=f"criteria {chosen} {min_probability!r}",
    )
    scored = evaluator.run_table([{"patient_id": pid} | values for pid, values in parsed])
    return scored.select(["patient_id", *(f for s in chosen for f in SPREADSHEET_FIELDS[s])])


def write_scores(scores: pa.Table, out: Path | None, fmt: ScoreFormat) -> str:
    """Render scored rows as CSV or JSON (keyed by ``patient_id``); write to ``out`` when given."""
    rows = scores.to_pylist()
    if fmt is ScoreFormat.JSON:
        keyed = {r["patient_id"]: {k: v for k, v in r.items() if k != "patient_id"} for r in rows}
        text = json.dumps(keyed, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        fields = scores.column_names
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
        text = buffer.getvalue()
    if out is not None:
        Path(out).write_text(text, encoding="utf-8")
    return text


@dataclass(frozen=True)
class ClassifySummary:
    """What ``classify`` stored: patients, rows, index date and the count of each status."""

    patients: int
    rows: int
    index_date: dt.date
    counts: dict[str, dict[str, int]]


def _native(value: Any) -> Any:
    value = clean_value(value)
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class _Versions:
    """What a classification was computed from: definitions, the patient's data, the registry."""

    definitions: str
    data: str | None
    generation: int | None


def _stored(row: dict[str, Any], index_date: dt.date, of: _Versions) -> Iterator[StoredResult]:
    """Split one classified row (with its explanation columns) into a stored result per set."""
    pid = row["patient_id"]
    versions = (of.definitions, of.data, of.generation)
    for cset in load_criteria_sets():
        explanation = [c for c in row if c.startswith(f"{cset.id}__")]
        result = {c: _native(row[c]) for c in [*output_columns(cset), *explanation]}
        status = str(result[f"{cset.id}__status"])  # the explanation's status column
        yield StoredResult(pid, cset.id, index_date, cset.version, status, result, *versions)
    ph = load_phenotypes()
    result = {c: _native(row[c]) for p in ph.phenotypes for c in phenotype_columns(p)}
    status = "prompt" if result["at_risk_prompt"] else "no_prompt"
    yield StoredResult(pid, "phenotypes", index_date, ph.version, status, result, *versions)


def _classify_rows(
    features: ir.Table, when: dt.date, min_probability: float | None
) -> list[dict[str, Any]]:
    """Materialise the feature table as a temporary table in its own database, then classify there.

    Compiling features and criteria as one query costs far more than the two apart.
    """
    backend = ibis.get_backend(features)
    name = f"calciscope_features_{uuid.uuid4().hex[:10]}"
    try:
        backend.create_table(name, features, temp=True)
        # with the explanation columns, so that explain_patient can reuse what is stored
        table = classify_table(
            backend.table(name), index_date=when, min_probability=min_probability, explain=True
        )
        return table.to_pyarrow().to_pylist()
    finally:
        backend.drop_table(name, force=True)
        backend.disconnect()


def classify_registry(
    registry: Registry, *, index_date: dt.date | None = None, min_probability: float | None = None
) -> ClassifySummary:
    """Classify every patient of the registry inside its database and store every result.

    Each criteria set (and the phenotypes, as set ``phenotypes``) gives one row in
    ``classification_results`` per patient, with the criteria version, the index date, its
    explanation, and what it was computed from (the definitions' and the patient's data
    version, and the registry's generation), so that :func:`explain_patient` reuses it while
    neither has changed, and ``run_study`` and the web app while the generation is the same.
    """
    when = index_date or dt.date.today()
    definitions = definitions_version(min_probability)
    # read before classifying: a change made meanwhile then reads as stale, never as fresh;
    # a Spark registry records no data version (its results are stored, never reused)
    # (nor a generation); the generation read first, too, dates the results no later than
    # the data they were computed from
    generation = registry.generation()
    versions = data_versions(registry) if registry.dialect != "spark" else {}
    frame = _classify_rows(feature_expression(registry, index_date=when), when, min_probability)
    stored = [
        s
        for row in frame
        for s in _stored(
            row, when, _Versions(definitions, versions.get(row["patient_id"]), generation)
        )
    ]
    written = write_classification_results(registry, stored)
    counts: dict[str, dict[str, int]] = {}
    for s in stored:
        counts.setdefault(s.criteria_set, {}).setdefault(s.status, 0)
        counts[s.criteria_set][s.status] += 1
    return ClassifySummary(patients=len(frame), rows=written, index_date=when, counts=counts)


class ResultSource(StrEnum):
    """Where an explanation's results come from."""

    #: ``classification_results``, stored from the same definitions and patient data
    STORED = "stored"
    #: computed now (nothing stored, or stored before a change to the definitions or data)
    COMPUTED = "computed"


@dataclass(frozen=True)
class PatientExplanation:
    """Every criteria result and phenotype of one patient, with why (iterates over the criteria)."""

    patient_id: str
    index_date: dt.date
    criteria: tuple[CriteriaResult, ...]
    phenotypes: tuple[PhenotypeResult, ...]
    source: ResultSource = ResultSource.COMPUTED

    def __iter__(self) -> Iterator[CriteriaResult]:
        return iter(self.criteria)

    def _repr_html_(self) -> str:
        """Return every result and phenotype as HTML tables, for notebooks."""
        title = f"<h4>{self.patient_id} at {self.index_date} ({self.source.value})</h4>"
        criteria = "".join(result._repr_html_() for result in self.criteria)
        rows = [
            (p.id, "unknown" if p.value is None else p.value, p.note, p.rule)
            for p in self.phenotypes
        ]
        return title + criteria + html_table(("phenotype", "value", "note", "rule"), rows)


def default_index_date(registry: Registry) -> dt.date:
    """Return the date the registry's patients are evaluated at unless one is chosen.

    The registry's as-of date (:func:`calciscope.api.registry_as_of`; set with ``calciscope
    registry set-as-of``), or today when none is set. The web app's patient page, patient list
    and review queue (:func:`calciscope.api.queue_index_date`) and ``calciscope patients show
    --explain`` all take it, so that one patient never shows two answers. Facts dated after it
    are not read. Until fixes17 it was the shipped study's 2023-12-31 for every registry.
    :func:`explain_patient` itself still defaults to today for a caller that names no date.
    """
    return registry_as_of(registry).date


def explain_patient(
    registry: Registry,
    patient_id: str,
    *,
    index_date: dt.date | None = None,
    min_probability: float | None = None,
    kept: Path | None = None,
) -> PatientExplanation:
    """Explain every criteria set and phenotype for one registry patient.

    Only that patient's facts and patient row are read from the registry; the feature table and
    the one classification expression (with its explanation columns) run on them in memory,
    each compiled once per process and options (:class:`~calciscope.engine.rows.TablesEvaluator`,
    :class:`~calciscope.engine.rows.RowEvaluator`), so an explanation takes milliseconds.
    Results stored by :func:`classify_registry` for this index date are used instead while
    they are fresh (same definitions and options, and either the registry's generation they
    were computed at, one read, or the same patient data); the explanation's ``source`` says
    which. ``kept``: a folder where the processes serving one registry share what they
    compute (the web app's workers): the patient's classified and feature rows are kept there
    under the hash of the patient's data, so that a patient decided through one worker is
    computed once, not once per worker (``source`` is still ``computed``). Nothing is
    written to the registry.

    Raises
    ------
    NotFoundError
        When the registry has no such patient (a :class:`ValidationError`).
    """
    when = index_date or dt.date.today()
    definitions = definitions_version(min_probability)
    stored = read_classification_results(registry, patient_id=patient_id, index_date=when)
    stored = [s for s in stored if s.definitions_version == definitions]
    # stored at the registry's generation: nothing was written since, which one read tells;
    # otherwise the patient's rows are read, and hashed only when there is a result to check
    generation = registry.generation() if stored else None
    row = _stored_row(
        patient_id, [s for s in stored if generation is not None and s.generation == generation]
    )
    source = ResultSource.STORED
    if row is None:
        facts, patients = patient_tables(registry, patient_id)
        if not patients.num_rows:
            problem = Problem(registry.url, patient_id, "patient_id", "no such patient")
            raise NotFoundError([problem])
        data = None
        if stored or kept is not None:
            data = data_version(patients.to_pylist()[0], facts.to_pylist())
        row = _stored_row(patient_id, [s for s in stored if s.data_version == data])
        if row is None:
            files = None if kept is None or data is None else (RowFiles(kept, when), data)
            row = _explained_row(facts, patients, when, min_probability, files)
            source = ResultSource.COMPUTED
    criteria = tuple(read(row) for read in _readers())
    phenotypes = read_phenotype_results(load_phenotypes(), row)
    return PatientExplanation(patient_id, when, criteria, phenotypes, source)


def _explained_row(
    facts: pa.Table,
    patients: pa.Table,
    when: dt.date,
    min_probability: float | None,
    files: tuple[RowFiles, str] | None,
) -> dict[str, Any]:
    """Return the patient's classified row: kept in ``files`` (under the data's hash), or computed.

    The feature row is kept too (the patient list asks for it after a decision): computed
    once, whichever of the two asks first.
    """
    if files is None:
        rows = _features(when).run(facts=facts, patients=patients).to_pylist()
        return _explainer(when, min_probability).run(rows)[0]
    kept, data = files
    definitions, feature_definitions = definitions_version(min_probability), _feature_version()
    row = kept.explanation(definitions, data)
    if row is not None:
        return row
    features = kept.features(feature_definitions, data)
    if features is None:
        features = _features(when).run(facts=facts, patients=patients)
        kept.put_features(feature_definitions, data, features)
    row = _explainer(when, min_probability).run(features.to_pylist())[0]
    # the plain values classification_results holds: what every reader of the file gets
    kept.put_explanation(definitions, data, {c: _native(v) for c, v in row.items()})
    return row


def _feature_version() -> str:
    """Return the version of the definitions a feature row depends on (no IIM threshold)."""
    return definitions_version(None)


def _stored_row(patient_id: str, results: Sequence[StoredResult]) -> dict[str, Any] | None:
    """Return stored results as one row, or None unless they hold every set and the phenotypes."""
    wanted = {c.id for c in load_criteria_sets()} | {"phenotypes"}
    if {s.criteria_set for s in results} != wanted:
        return None
    row: dict[str, Any] = {"patient_id": patient_id}
    for s in results:
        row |= s.result
    return row


def patient_features(
    registry: Registry,
    patient_ids: Sequence[str],
    *,
    index_date: dt.date | None = None,
    kept: Path | None = None,
) -> pa.Table:
    """Return the feature-table rows of a few patients, computed from their own rows in memory.

    The same rows as :func:`~calciscope.api.cohort.list_patients` gives for them (the same
    compiled expression), at the cost of the patients' facts rather than the registry's: for
    keeping a list current after a change to one patient. Unknown ids give no row. ``kept``:
    a folder shared by the processes serving the registry (see :func:`explain_patient`): a
    row one of them computed for the same patient data is read there instead of computed.
    """
    when = index_date or dt.date.today()
    ids = list(dict.fromkeys(patient_ids))
    parts = []
    for start in range(0, max(len(ids), 1), _FEATURE_BATCH):  # one run per batch of patients
        facts, patients = registry.patient_tables(ids[start : start + _FEATURE_BATCH])
        if kept is None:
            parts.append(_features(when).run(facts=facts, patients=patients))
        else:
            parts.append(_kept_features(RowFiles(kept, when), facts, patients, when))
    return parts[0] if len(parts) == 1 else pa.concat_tables(parts)


def _kept_features(files: RowFiles, facts: pa.Table, patients: pa.Table, when: dt.date) -> pa.Table:
    """Return the patients' feature rows: those kept in ``files`` read, the others computed (kept)."""
    versions = versions_by_patient(facts, patients)
    definitions = _feature_version()
    found = [files.features(definitions, data) for data in versions.values()]
    missing = [pid for pid, row in zip(versions, found, strict=True) if row is None]
    kept = [row for row in found if row is not None]
    fresh = None
    if not kept:
        fresh = _features(when).run(facts=facts, patients=patients)
    elif missing:
        chosen = pa.array(missing, type=patients.schema.field("patient_id").type)
        fresh = _features(when).run(
            facts=facts.filter(pc.is_in(facts["patient_id"], value_set=chosen)),
            patients=patients.filter(pc.is_in(patients["patient_id"], value_set=chosen)),
        )
    if fresh is not None:
        for at, pid in enumerate(fresh.column("patient_id").to_pylist()):
            files.put_features(definitions, versions[pid], fresh.slice(at, 1))
    if not kept and fresh is not None:
        return fresh
    joined = _joined(kept if fresh is None else [*kept, fresh])
    if joined is None:  # kept rows that do not join the others: every row computed
        return _features(when).run(facts=facts, patients=patients)
    return joined


def _joined(rows: list[pa.Table]) -> pa.Table | None:
    """Return the rows as one table by patient; None when kept rows do not join (damaged)."""
    # a kept row whose column is typed apart is promoted where it can be
    try:
        return pa.concat_tables(rows, promote_options="permissive").sort_by("patient_id")
    except (pa.ArrowException, KeyError) as exc:
        _log.warning("kept feature rows did not join (%s); computed again", type(exc).__name__)
        return None


#: Patients whose rows one run of :func:`patient_features` computes together.
_FEATURE_BATCH = 200


def patient_tables(registry: Registry, patient_id: str) -> tuple[pa.Table, pa.Table]:
    """Return one patient's facts and patient row as Arrow tables in the registry's layout."""
    return registry.patient_tables([patient_id])


@lru_cache(maxsize=8)
def _features(index_date: dt.date) -> TablesEvaluator:
    """Return the feature table over in-memory facts and patients, compiled once per index date."""
    return TablesEvaluator(
        lambda facts, patients: compute_feature_table(facts, patients, index_date=index_date),
        engine="sqlite",
        cache_key=f"features {index_date}",
    )


@cache
def _readers() -> tuple[CriteriaReader, ...]:
    """Return a result reader per packaged criteria set (their items worked out once)."""
    return tuple(CriteriaReader(c) for c in load_criteria_sets())


@lru_cache(maxsize=8)
def _explainer(index_date: dt.date, min_probability: float | None) -> RowEvaluator:
    """Return the classification with its explanation columns, compiled once per options.

    The classification runs on the patient's feature row in a private in-memory SQLite
    database, so a second explanation (the web app, a notebook) skips compiling.
    """
    return RowEvaluator(
        lambda t: classify_table(
            t, index_date=index_date, min_probability=min_probability, explain=True
        ),
        engine="sqlite",
        cache_key=f"explanation {index_date} {min_probability!r}",
    )
