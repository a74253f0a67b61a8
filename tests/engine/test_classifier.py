"""The compiled-once classifier gives the study's classification, run after run."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa

from calciscope import api
from calciscope.engine import connect
from calciscope.engine.classifier import CohortClassifier
from calciscope.model import ReviewState

INDEX = dt.date(2023, 12, 31)
COLUMNS = (
    "extensive_sheet_like_calcinosis", "at_risk_prompt", "subset_mismatch", "calcinosis_any",
    "calcinosis_onset_years", "ssc2013_status", "cutaneous_subset", "calcinosis_sheet_like_regions",
)  # fmt: skip


def _plain(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def test_same_rows_as_the_study_and_reruns_on_new_data(demo_registry_url):
    con = connect(demo_registry_url)
    facts, patients = con.table("facts").to_pyarrow(), con.table("patients").to_pyarrow()
    con.disconnect()
    classifier = CohortClassifier(
        facts, patients, index_date=INDEX, states=[(ReviewState.CONFIRMED,)]
    )
    [table] = classifier.run(facts, patients)
    with api.open_registry(demo_registry_url) as registry:
        study = api.load_study_data(registry, index_date=INDEX).table.set_index("patient_id")
    rows = table.to_pylist()
    assert len(rows) == len(study) == 600
    for row in rows:
        for column in COLUMNS:
            assert row[column] == _plain(study.loc[row["patient_id"], column]), column
    # the same compiled SQL on other data: only the first 10 patients
    few = patients.slice(0, 10)
    keep = pa.compute.is_in(facts["patient_id"], value_set=few["patient_id"])
    [again] = classifier.run(facts.filter(keep), few)
    assert again.num_rows == 10
    before = {r["patient_id"]: r for r in rows}
    assert all(r == before[r["patient_id"]] for r in again.to_pylist())
    classifier.close()
