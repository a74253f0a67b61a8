"""A laboratory value known only as a bound ("<5", ">1000") against an upper limit (hardening35).

OMOP ``operator_concept_id`` and FHIR ``valueQuantity.comparator`` keep such a value as text
(``value_text``); before, the enzyme feature never read it, so ">1000" with a limit of 210 left
the feature unknown. :mod:`calciscope.model.bounds` decides once when a bound settles the
comparison, for the feature table (own range and default table) and for ``api.lab_limit``.
SYNTHETIC patients, hand-made.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

from calciscope import api
from calciscope.engine import compute_feature_table, connect
from calciscope.model import Fact, Patient
from calciscope.model.bounds import Bound, read_bound, settled_above
from calciscope.storage import Batch, Registry
from calciscope.storage.registry import model_rows
from engine.test_features import _FACT_SCHEMA, _PATIENT_SCHEMA

INDEX = dt.date(2021, 1, 1)
CK, LDH, AST, ALT = "2157-6", "2532-0", "1920-8", "1742-6"
FEATURE = "muscle_enzymes_elevated"
WOMAN = {"sex": "female", "birth_date": dt.date(1970, 1, 1), "synthetic": True}


def _lab(pid: str, code: str, value: float | str, own: float | None = None) -> Fact:
    number, text = (value, None) if isinstance(value, float) else (None, value)
    return Fact(
        patient_id=pid, system="LOINC", code=code, value_num=number, value_text=text,
        unit="U/L", reference_high=own, effective_date=dt.date(2020, 1, 1),
    )  # fmt: skip


def _normal_others(pid: str) -> list[Fact]:
    """LDH, AST and ALT at normal values: the item is false only when every enzyme is known."""
    return [_lab(pid, code, 20.0) for code in (LDH, AST, ALT)]


#: (CK value, its own upper limit or None for the default table (woman aged 50: 210)) ->
#: the feature. A bound settles the comparison only when every value it allows falls one side.
CASES = [
    (">1000", None, True),
    (">210", None, True),  # above 210 is above the limit
    (">=210", None, None),  # 210 itself is at the limit: not settled
    (">=211", None, True),
    (">100", None, None),  # a lower bound below the limit: 150 or 5000
    ("<5", None, False),  # below the limit, whatever it is
    ("<=210", None, False),
    ("<250", None, None),
    (">1000", 500.0, True),  # the laboratory's own limit
    ("<5", 3.0, None),  # "<5" against 3: 2 or 4
    ("<5", 10.0, False),
    (" > 1000 ", 500.0, True),  # spaces as the readers may keep them
    ("1000", None, None),  # text that is no bound is no value
    (1450.0, None, True),  # a plain number as before
    (150.0, None, False),
]


def _rows(engine: str, tmp_path, facts: list[Fact], patients: list[Patient]) -> dict:
    if engine == "sqlite":
        registry = Registry(f"sqlite:///{tmp_path}/r.db")
        registry.import_batch(Batch(patients=patients, facts=facts), source="t", source_hash="t")
        con = connect(registry.url)
        f, p = con.table("facts"), con.table("patients")
    else:
        registry, con = None, ibis.duckdb.connect()
        p = con.create_table(
            "patients", pa.Table.from_pylist(model_rows(patients), schema=_PATIENT_SCHEMA)
        )
        f = con.create_table("facts", pa.Table.from_pylist(model_rows(facts), schema=_FACT_SCHEMA))
    try:
        table = compute_feature_table(f, p, index_date=INDEX, features=[FEATURE])
        return {r["patient_id"]: r[FEATURE] for r in table.to_pyarrow().to_pylist()}
    finally:
        con.disconnect()
        if registry is not None:
            registry.close()


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_a_bound_settles_the_enzyme_item_only_when_it_decides(engine, tmp_path):
    patients, facts, expected = [], [], {}
    for i, (value, own, feature) in enumerate(CASES):
        pid = f"B{i}"
        patients.append(Patient(patient_id=pid, **WOMAN))
        facts += [_lab(pid, CK, value, own), *_normal_others(pid)]
        expected[pid] = feature
    assert _rows(engine, tmp_path, facts, patients) == expected


@pytest.mark.parametrize(
    ("text", "limit", "settled"),
    [(">1000", 500, True), ("<5", 3, None), ("<5", 5, False), (">=500", 500, None),
     (">500", 500, True), ("<=3", 3, False), ("<3.5", 3, None)],
)  # fmt: skip
def test_settled_above_follows_the_comparator(text, limit, settled):
    bound = read_bound(text)
    assert bound is not None and settled_above(bound, limit) is settled


@pytest.mark.parametrize("text", ["5", "<", "<5 U/L", "≤5", "<5e3", "", None, "about 5"])
def test_text_that_is_no_bound_is_read_as_none(text):
    assert read_bound(text) is None


def test_read_bound_reads_the_readers_texts():
    assert read_bound("<5") == Bound("<", 5.0) and read_bound(">=5.5") == Bound(">=", 5.5)


@pytest.mark.parametrize(
    ("value", "own", "words"),
    [(">1000", None, "ULN 210 U/L (default table for female, aged 50; none recorded); >1000 is above it"),
     ("<5", None, "; <5 is at or below it"),
     (">100", None, "; >100 is not settled by the bound: unknown"),
     ("<5", 3.0, "ULN 3 U/L (the laboratory's, recorded with the value); <5 is not settled")],
)  # fmt: skip
def test_lab_limit_says_what_a_bound_settles(value, own, words):
    limit = api.lab_limit(_lab("B1", CK, value, own), Patient(patient_id="B1", **WOMAN))
    assert limit is not None and words in limit.text, limit.text


def test_lab_limit_of_text_that_is_no_bound_is_none():
    assert api.lab_limit(_lab("B1", CK, "haemolysed"), Patient(patient_id="B1", **WOMAN)) is None
