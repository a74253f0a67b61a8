"""Round trips on generated patients: model → FHIR / Phenopacket / REDCap → model (Hypothesis).

Patients and facts are drawn from the catalogue: every code of every concept (HPO, MONDO,
LOINC, SNOMED CT, ICD-10, ICD-10-CM and calciscope codes) plus codes the catalogue does not
know (OMIM, Orphanet, an NCIT CURIE kept whole, an HPO term); statuses present / absent /
unknown; confirmed, suggested or rejected; dates or none; body site, laterality, morphology and
method from the model's enums;
CK values with a unit, mRSS site scores and the recorded subset. Each format's writer and reader
run in memory. What must hold:

* FHIR carries every fact field and every patient field: the facts come back the same.
* Phenopackets carry every confirmed fact except unknown-status ones, the value of an absent
  one, and HPO terms the curation rule drops (reported as warnings); a patient whose terms contradict is refused, with only contradictions
  as the reason; the patient loses ``centre``, ``synthetic`` and a birth year without a date.
* REDCap (the calciscope template) keeps every patient field, and the confirmed lesions,
  radiographs and visits of its repeating instruments fact by fact, compared at the catalogue-concept level with
  every field the feature compiler reads; its other fields hold one value each.
* The property that matters: the **feature table** is the same after FHIR and after REDCap, and
  after Phenopackets differs only in those documented columns. It is computed for the source and
  every round trip of a cohort at once, on SQLite, from SQL compiled once for the module.

Bugs these found (each has a regression test beside its format's tests): FHIR export raised on
OMIM codes, lost an Observation's text when ``value[x]`` was taken and an unknown result's
value; Phenopackets dropped a disease's site, side, morphology and method, and read an absent
result with a value back as present; REDCap lost a birth year, facts at a feature's other sites
and absent facts without a site, and read absent or unknown values back as present;
Phenopackets and REDCap turned suggested and rejected facts into confirmed ones; the feature
table raised on SQLite for an age without any birth date or year; this test's REDCap round
trip left out the absence read back for a row absent at every skin site (``Batch.folded``,
fixes16), so skin thickening absent without a site came back unknown at every site (fixes20).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
import uuid
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calciscope.engine import compute_feature_table
from calciscope.engine.predicates import AGE_OLDEST, AGE_YOUNGEST
from calciscope.errors import ValidationError
from calciscope.features import DerivationKind, load_catalogue
from calciscope.interop.fhir import read_fhir_bundle, write_fhir_bundle
from calciscope.interop.phenopackets import read_phenopacket, write_phenopacket
from calciscope.interop.phenopackets.curie import curie_to_code
from calciscope.interop.redcap import read_records
from calciscope.interop.redcap.export import write_records
from calciscope.interop.redcap.template import redcap_template
from calciscope.model import (
    BodyRegion,
    Fact,
    Laterality,
    Method,
    Morphology,
    Patient,
    ReviewState,
    Sex,
    Status,
)

CATALOGUE = load_catalogue()
INDEX = dt.date(2026, 1, 1)
#: ~10 ms an example (about a second a test); 1,500 examples of each passed when written.
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- generated patients -----------------------------------------------------------------
_VALUED = {"creatine_kinase", "mrss_site", "ssc_subset"}
_FINDING_CODES = sorted(
    {code for c in CATALOGUE.concepts.values() if c.name not in _VALUED for code in c.codes}
)
#: Codes the catalogue does not know: kept by every format, ignored by the feature table.
_FOREIGN_CODES = [
    ("OMIM", "OMIM:613454"),
    ("ORPHA", "ORPHA:90291"),
    ("calciscope", "NCIT:C3262"),
    ("HP", "HP:0001369"),
]
_MRSS_SITES = [
    (region, side)
    for region in ("fingers", "hand", "forearm", "upper_arm", "thigh", "lower_leg", "ankle_foot")
    for side in (Laterality.LEFT, Laterality.RIGHT)
] + [(region, None) for region in ("face", "chest", "abdomen")]
#: Dates before the index date: a REDCap status field carries no date, so a fact after the
#: index date (ignored by the feature table) would count once it came back undated.
_DATES = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2025, 12, 31)))
_WORD = st.text(st.characters(codec="utf-8", categories=["L", "N", "P"]), min_size=1, max_size=8)
_TEXT = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


_FINDING = st.fixed_dictionaries(
    {
        "code": st.sampled_from(_FINDING_CODES + _FOREIGN_CODES),
        "status": st.sampled_from(list(Status)),
        "effective_date": _DATES,
        "body_site": _maybe(st.sampled_from(list(BodyRegion))),
        "laterality": _maybe(st.sampled_from(list(Laterality))),
        "morphology": _maybe(st.sampled_from(list(Morphology))),
        "method": _maybe(st.sampled_from(list(Method))),
        "value_text": _maybe(_TEXT),
        "review_state": st.sampled_from(list(ReviewState)),
    }
)
_LAB = st.fixed_dictionaries(
    {
        "code": st.sampled_from([("LOINC", "2157-6"), ("calciscope", "creatine_kinase")]),
        "status": st.sampled_from(list(Status)),
        "effective_date": _DATES,
        "value_num": st.floats(0, 1e5, allow_nan=False, allow_infinity=False),
        "unit": st.just("U/L"),
        "method": _maybe(st.just(Method.LABORATORY)),
    }
)
_MRSS = st.builds(
    lambda site, score, when: {
        "code": ("calciscope", "mrss_site"),
        "body_site": BodyRegion(site[0]),
        "laterality": site[1],
        "value_num": float(score),
        "effective_date": when,
    },
    st.sampled_from(_MRSS_SITES),
    st.integers(0, 3),
    _DATES,
)
_SUBSET = st.fixed_dictionaries(
    {
        "code": st.just(("calciscope", "ssc_subset")),
        # the concept's declared values (concepts.yaml): the only texts an import takes
        "value_text": st.sampled_from(CATALOGUE.concepts["ssc_subset"].values),
        "effective_date": _DATES,
    }
)
_PATIENT = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,11}", fullmatch=True),
        "sex": st.sampled_from(list(Sex)),
        "birth": st.one_of(
            st.none(),
            st.dates(dt.date(1930, 1, 1), dt.date(2005, 12, 31)),
            st.integers(1930, 2005),
        ),
        "centre": _maybe(st.sampled_from(["Leeds", "Hôpital Cochin", "centre 2"])),
        "synthetic": st.booleans(),
        "facts": st.lists(st.one_of(_FINDING, _FINDING, _LAB, _MRSS, _SUBSET), max_size=10),
    }
)
COHORT = st.lists(_PATIENT, min_size=1, max_size=5, unique_by=lambda p: p["id"])


def _build(drawn: list[dict[str, Any]]) -> tuple[list[Patient], list[Fact]]:
    patients, facts = [], {}
    for raw in drawn:
        pid = raw["id"]
        birth = raw["birth"]
        patients.append(
            Patient(
                patient_id=pid,
                sex=raw["sex"],
                birth_date=birth if isinstance(birth, dt.date) else None,
                birth_year=birth if isinstance(birth, int) else None,
                centre=raw["centre"],
                synthetic=raw["synthetic"],
            )
        )
        for item in raw["facts"]:
            system, code = item["code"]
            fields = {k: v for k, v in item.items() if k != "code"}
            fact = Fact(patient_id=pid, system=system, code=code, **fields)
            facts[fact.fact_id] = fact  # the registry keeps one fact per content
    return patients, list(facts.values())


# --- comparisons ------------------------------------------------------------------------
_CONTENT = (
    "patient_id", "system", "code", "status", "effective_date", "value_num", "value_text", "unit",
    "body_site", "laterality", "morphology", "method", "review_state",
)  # fmt: skip
_DATED = {DerivationKind.FIRST_DATE, DerivationKind.LAST_DATE, DerivationKind.AGE_AT}
_LATEST = {DerivationKind.LATEST_VALUE, DerivationKind.LATEST_TEXT}


def _content(fact: Fact) -> tuple[Any, ...]:
    return tuple(getattr(fact, name) for name in _CONTENT)


def _bag(facts: list[Fact]) -> Counter[tuple[Any, ...]]:
    return Counter(map(_content, facts))


def _read_fields(concept: str) -> tuple[str, ...]:
    """Return the fact fields the feature compiler reads for a concept (besides its codes)."""
    read = {"status"}
    for derive in (f.derive for f in CATALOGUE.features.values()):
        if concept in derive.concepts:
            read |= {"effective_date"} if derive.kind in _DATED | _LATEST else set()
            read |= {"value_num"} if derive.kind in {DerivationKind.MAX_VALUE, *_LATEST} else set()
            read |= {"value_text"} if derive.kind is DerivationKind.LATEST_TEXT else set()
            read |= (
                {"body_site"}
                if derive.sites or derive.kind is DerivationKind.COUNT_SITES
                else set()
            )
            read |= {"laterality"} if derive.laterality else set()
            read |= {"morphology"} if derive.morphology else set()
    return tuple(sorted(read))


def _by_concept(facts: list[Fact], concepts: set[str]) -> Counter[tuple[Any, ...]]:
    """Facts at the catalogue-concept level, with every field the feature compiler reads."""
    out: Counter[tuple[Any, ...]] = Counter()
    for fact in facts:
        for concept in set(CATALOGUE.concepts_for_code(fact.system, fact.code)) & concepts:
            read = tuple(getattr(fact, name) for name in _read_fields(concept))
            out[(fact.patient_id, concept, *read)] += 1
    return out


# --- round trips in memory --------------------------------------------------------------
_REDCAP = redcap_template()


def _via_fhir(patients: list[Patient], facts: list[Fact]) -> tuple[list[Patient], list[Fact]]:
    bundle = json.loads(json.dumps(write_fhir_bundle(patients, facts)))
    back = read_fhir_bundle(bundle, source="rt")
    assert {kind for kind, _ in back.skipped} <= {"Provenance"}  # applied as review states
    return back.batch.patients, back.batch.facts


def _via_redcap(patients: list[Patient], facts: list[Fact]) -> tuple[list[Patient], list[Fact]]:
    fields, mapping = _REDCAP
    text, _ = write_records(patients, facts, fields, mapping)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_text(text, encoding="utf-8")
        back = read_records(path, fields, mapping).batch
    # a row whose every site field of a concept says absent is read as one absence without a
    # site, in ``Batch.folded`` beside the facts (fixes16): a new registry writes it like them
    return back.patients, [*back.facts, *(one for one, _parts in back.folded)]


def _phenopacket_round_trip(
    patient: Patient, facts: list[Fact]
) -> tuple[list[Fact], set[str], set[str]]:
    """Return the facts read back, and the redundant CURIEs not written and written as results."""
    packet, warnings = write_phenopacket(patient, facts)
    back = read_phenopacket(json.loads(json.dumps(packet)), source="rt")
    assert back.batch.patients == [_as_carried(patient)]
    assert all(w.message.startswith("redundant_") for w in warnings)
    curies = {
        suffix: {
            w.message.split(": ")[1].split(" ")[0] for w in warnings if w.message.endswith(suffix)
        }
        for suffix in ("not written", "written as a measurement")
    }
    return back.batch.facts, curies["not written"], curies["written as a measurement"]


def _as_carried(patient: Patient) -> Patient:
    """The patient as a phenopacket carries it: a birth year only with the date of birth."""
    return Patient(**{**patient.model_dump(), "birth_year": None})


def _via_phenopackets(
    patients: list[Patient], facts: list[Fact]
) -> tuple[list[Patient], list[Fact], dict[str, set[str]]]:
    """Round-trip each patient; return what came back and the concepts dropped per patient."""
    kept, back, dropped = [], [], {}
    for patient in patients:
        try:
            facts_back, curies, _ = _phenopacket_round_trip(
                patient, [f for f in facts if f.patient_id == patient.patient_id]
            )
        except ValidationError:
            continue  # refused: a contradiction (test_phenopackets_differ_only_where_documented)
        kept.append(_as_carried(patient))  # as read back (asserted in the round trip)
        back += facts_back
        dropped[patient.patient_id] = {
            c for curie in curies for c in CATALOGUE.concepts_for_code(*curie_to_code(curie))
        }
    return kept, back, dropped


# --- facts -------------------------------------------------------------------------------
@SETTINGS
@given(COHORT)
def test_fhir_keeps_every_patient_and_fact(drawn):
    patients, facts = _build(drawn)
    patients_back, facts_back = _via_fhir(patients, facts)
    assert patients_back == patients
    assert _bag(facts_back) == _bag(facts)


def _confirmed(fact: Fact) -> bool:
    return fact.review_state is ReviewState.CONFIRMED


def _as_written(fact: Fact) -> tuple[Any, ...]:
    """A fact's content as a phenopacket carries it: an absent fact's value is not written."""
    if fact.status is Status.ABSENT and fact.value_num is not None:
        fact = fact.model_copy(update={"value_num": None, "unit": None})
    return _content(fact)


@SETTINGS
@given(COHORT)
def test_phenopackets_differ_only_where_documented(drawn):
    patients, facts = _build(drawn)
    for patient in patients:
        own = [f for f in facts if f.patient_id == patient.patient_id]
        try:
            back, dropped, as_results = _phenopacket_round_trip(patient, own)
        except ValidationError as exc:  # observed and excluded HPO terms contradict: refused
            assert all(p.message.startswith("contradiction") for p in exc.problems)
            continue
        written = {_as_written(f) for f in own if f.status is not Status.UNKNOWN and _confirmed(f)}
        results = [f for f in back if _content(f) not in written]  # redundant terms as results
        lost = written - set(map(_content, back))
        converted = {curie_to_code(c) for c in as_results}
        assert {(system, code) for _, system, code, *_ in lost} <= (
            {curie_to_code(c) for c in dropped} | converted
        )
        assert _as_results(results) == _as_results(
            [f for f in own if (f.system, f.code) in converted and _as_written(f) in lost]
        )


def _as_results(facts: list[Fact]) -> set[tuple[Any, ...]]:
    """Facts as (concept, patient, status, date): what a Positive/Negative result carries."""
    return {
        (c, f.patient_id, f.status, f.effective_date)
        for f in facts
        for c in CATALOGUE.concepts_for_code(f.system, f.code)
    }


#: Concepts the REDCap template keeps fact by fact (repeating instruments: lesions, radiographs,
#: visits); its other fields hold one value each, so for those the feature table is compared.
_REPEATING = {"calcinosis", "radiograph", "visit"}


@SETTINGS
@given(COHORT)
def test_redcap_keeps_patients_and_repeating_facts(drawn):
    patients, facts = _build(drawn)
    patients_back, facts_back = _via_redcap(patients, facts)
    assert patients_back == patients
    confirmed = [f for f in facts if _confirmed(f)]  # a REDCap record cannot say "suggested"
    assert _by_concept(facts_back, _REPEATING) == _by_concept(confirmed, _REPEATING)


# --- the feature table -------------------------------------------------------------------
_PATIENT_SCHEMA = pa.schema(
    [
        ("patient_id", pa.string()), ("sex", pa.string()), ("birth_date", pa.date32()),
        ("birth_year", pa.int64()), ("centre", pa.string()), ("synthetic", pa.bool_()),
    ]
)  # fmt: skip
_FACT_SCHEMA = pa.schema(
    [
        ("patient_id", pa.string()), ("system", pa.string()), ("code", pa.string()),
        ("status", pa.string()), ("effective_date", pa.date32()), ("value_num", pa.float64()),
        ("value_text", pa.string()), ("body_site", pa.string()), ("laterality", pa.string()),
        ("morphology", pa.string()), ("review_state", pa.string()),
    ]
)  # fmt: skip


def _arrow(items: list[Any], schema: pa.Schema, tag: str) -> pa.Table:
    rows = []
    for item in items:
        row = {name: getattr(item, name) for name in schema.names}
        row = {k: v.value if isinstance(v, Enum) else v for k, v in row.items()}
        rows.append(row | {"patient_id": f"{tag}.{item.patient_id}"})
    return pa.Table.from_pylist(rows, schema=schema)


class CompiledFeatureTable:
    """The feature table's SQL, compiled once (about a second) and run on each generated cohort."""

    def __init__(self) -> None:
        self.con = ibis.sqlite.connect()  # plans this query in ~10 ms (DuckDB: ~80 ms)
        self.names = {"facts": f"f_{uuid.uuid4().hex[:8]}", "patients": f"p_{uuid.uuid4().hex[:8]}"}
        self.con.create_table(self.names["facts"], schema=ibis.schema(_FACT_SCHEMA))
        self.con.create_table(self.names["patients"], schema=ibis.schema(_PATIENT_SCHEMA))
        expr = compute_feature_table(
            self.con.table(self.names["facts"]),
            self.con.table(self.names["patients"]),
            index_date=INDEX,
        )
        self.sql = str(self.con.compile(expr))

    def run(self, versions: dict[str, tuple[list[Patient], list[Fact]]]) -> dict[str, dict]:
        """Return the feature rows by ``<version>.<patient_id>`` for every version at once."""
        for kind, schema, index in (("patients", _PATIENT_SCHEMA, 0), ("facts", _FACT_SCHEMA, 1)):
            tables = [_arrow(v[index], schema, tag) for tag, v in versions.items()]
            self.con.create_table(self.names[kind], pa.concat_tables(tables), overwrite=True)
        cursor = self.con.raw_sql(self.sql)
        names = [d[0] for d in cursor.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}


@pytest.fixture(scope="module")
def feature_sql() -> CompiledFeatureTable:
    return CompiledFeatureTable()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12)
    return a == b


def _differing(rows: dict[str, dict], tag: str, pid: str) -> set[str]:
    source, other = rows[f"source.{pid}"], rows[f"{tag}.{pid}"]
    return {k for k in source if k != "patient_id" and not _same(source[k], other[k])}


#: A REDCap record is one row per patient: the latest mRSS per site and the highest CK, without
#: their dates (docs/interop.md; the export counts both). So the highest mRSS ever (when a site
#: has several exams) and the date of the last encounter-like record (a CK test) are not
#: carried (issue 12 features).
_REDCAP_HISTORY = {
    f.name
    for f in CATALOGUE.features.values()
    if f.name.startswith("mrss_max_") or f.name == "last_encounter_date"
}
#: ... and a feature that reads a laboratory value's age at the test (the age band of the
#: upper limit of normal) can change when a value had a date: the export counts that date as
#: not kept (``date not kept: ck_max ...``). Undated values come back as they were.
_REDCAP_LAB_AGE = {
    f.name
    for f in CATALOGUE.features.values()
    if any(limit.bands for limit in f.derive.above_upper_limit)
}
NOT_KEPT = "not kept: ck_max holds one value per record"


assert {"muscle_enzymes_elevated"} == _REDCAP_LAB_AGE


def _redcap_may_differ(patient: Patient, facts: list[Fact], skipped: Counter[str]) -> set[str]:
    """Return the features a REDCap round trip may change for a patient, and check the counts."""
    dated = [
        f
        for f in facts
        if f.patient_id == patient.patient_id
        and _confirmed(f)
        and f.status is Status.PRESENT
        and f.value_num is not None
        and f.effective_date is not None
        and "creatine_kinase" in CATALOGUE.concepts_for_code(f.system, f.code)
    ]
    if not dated:
        return _REDCAP_HISTORY
    # the date was counted as lost, or the dated value as not kept (a higher one was)
    lost = ("date not kept: ck_max holds its value without a date", NOT_KEPT)
    assert any(skipped[reason] for reason in lost)
    return _REDCAP_HISTORY | _REDCAP_LAB_AGE


#: Features of an age, which Phenopackets lose with a birth year known without the date.
_AGES = {f.name for f in CATALOGUE.features.values() if f.derive.kind is DerivationKind.AGE_AT}
# an age's range for a birth year alone (born 31 December / 1 January: engine.predicates)
_AGES |= {f"{name}{end}" for name in _AGES for end in (AGE_YOUNGEST, AGE_OLDEST)}


def _one(sex: Sex, birth: Any, *facts: dict[str, Any]) -> list[dict[str, Any]]:
    """A cohort of one patient, as COHORT draws it (fields a fact leaves out default)."""
    return [
        {"id": "0", "sex": sex, "birth": birth, "centre": None, "synthetic": False,
         "facts": list(facts)}
    ]  # fmt: skip


_FOUND = dict(
    effective_date=None, body_site=None, morphology=None, method=None, value_text=None,
    review_state=ReviewState.CONFIRMED,
)  # fmt: skip
#: Skin thickening absent without a site: absent at every site (the minimal example, fixes20).
_ABSENT_EVERYWHERE = _one(
    Sex.FEMALE, None,
    _FOUND | {"code": ("calciscope", "skin_thickening"), "status": Status.ABSENT, "laterality": None},
)  # fmt: skip
_CK_AT = {"code": ("LOINC", "2157-6"), "status": Status.PRESENT, "unit": "U/L", "method": None}


@settings(SETTINGS, max_examples=60)  # ~40 ms an example: four feature tables at once
@given(COHORT)
# found by Hypothesis: skin thickening proximal to the MCPs of the left hand alone (the item
# means both hands) came back from REDCap as present; now not written, counted
@example(
    drawn=_one(
        Sex.FEMALE, None,
        _FOUND | {"code": ("calciscope", "skin_thickening_proximal_to_mcp"),
                  "status": Status.PRESENT, "laterality": Laterality.LEFT},
    )
)  # fmt: skip
# found by Hypothesis: an undated CK of 0 and a CK of 281 at 60 (a man's limit 280 from 50):
# ck_max holds 281 without its date, so the age band is unknown (counted, documented)
@example(
    drawn=_one(
        Sex.MALE, 1960,
        _CK_AT | {"effective_date": None, "value_num": 0.0},
        _CK_AT | {"effective_date": dt.date(2020, 1, 1), "value_num": 281.0},
    )
)  # fmt: skip
# found by Hypothesis: skin thickening absent without a site (absent at every site) was read
# back from REDCap into ``Batch.folded``, which this test's round trip left out (fixes20)
@example(drawn=_ABSENT_EVERYWHERE)
def test_feature_table_survives_each_format(feature_sql, drawn):
    patients, facts = _build(drawn)
    pp_patients, pp_facts, dropped = _via_phenopackets(patients, facts)
    _, redcap_skipped = write_records(patients, facts, *_REDCAP)
    rows = feature_sql.run(
        {
            "source": (patients, facts),
            "fhir": _via_fhir(patients, facts),
            "redcap": _via_redcap(patients, facts),
            "pp": (pp_patients, pp_facts),
        }
    )
    for patient in patients:
        pid = patient.patient_id
        assert _differing(rows, "fhir", pid) == set()
        # one row holds one subset: two different ones on the latest day (unknown, a conflict
        # in the source) come back as one of them (fix11)
        conflict = rows[f"source.{pid}"]["subset_recorded_conflict"]
        same_day = {"subset_recorded", "subset_recorded_conflict"} if conflict else set()
        may_differ = _redcap_may_differ(patient, facts, redcap_skipped) | same_day
        assert _differing(rows, "redcap", pid) <= may_differ
        if pid not in dropped:
            continue
        # Phenopackets: no birth year (so no age) without the date of birth; features of the
        # concepts whose HPO terms the curation rule left out (not written as results).
        allowed = {
            f.name for f in CATALOGUE.features.values() if set(f.derive.concepts) & dropped[pid]
        }
        if patient.birth_date is None:
            allowed |= {"birth_year"} | _AGES | _REDCAP_LAB_AGE  # an age band of a ULN too
        assert _differing(rows, "pp", pid) <= allowed


def test_an_absence_at_every_site_keeps_the_skin_features(feature_sql):
    """Regression (fixes20): skin thickening absent without a site (every mRSS site absent) is
    written in every skin site field and read back as one absence without a site, in
    ``Batch.folded``; the feature table after REDCap says absent at every site, as the source."""
    patients, facts = _build(_ABSENT_EVERYWHERE)
    rows = feature_sql.run({"source": (patients, facts), "redcap": _via_redcap(patients, facts)})
    skin = {k for k in rows["source.0"] if k.startswith("skin_thickening_") and "mcp" not in k}
    skin -= {"skin_thickening_sparing_fingers"}
    assert len(skin) == 12 and {rows["source.0"][k] for k in skin} == {0}  # absent everywhere
    assert _differing(rows, "redcap", "0") == set()
