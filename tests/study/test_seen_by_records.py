"""``population.seen_by: any_record`` counts dated letters and images, not only facts (issue 12).

Hand-made SYNTHETIC patients: each has SSc and a last clinic visit before the study window; one
was seen in the window only by a letter, one only by a radiograph (an image record with no
reading), one only by a laboratory test, one by nothing. A letter or an image after the index date does not count.
"""

from __future__ import annotations

import datetime as dt

from calciscope import api
from calciscope.engine import connect
from calciscope.engine.release import release_cached
from calciscope.engine.study import StudyQuery
from calciscope.model import Fact, Image, Note, Patient
from calciscope.storage import Batch
from calciscope.study import default_study
from calciscope.study.definition import SeenBy

D = dt.date


def _patient(pid: str) -> tuple[Patient, list[Fact]]:
    facts = [
        Fact(
            patient_id=pid, system="calciscope", code="ssc_diagnosis", effective_date=D(2012, 1, 1)
        ),
        Fact(patient_id=pid, system="calciscope", code="visit", effective_date=D(2015, 5, 1)),
    ]
    return Patient(patient_id=pid, sex="female", birth_year=1960, synthetic=True), facts


def _registry(url: str) -> None:
    people = [_patient(pid) for pid in ("LETTER", "IMAGE", "NOTHING", "LATE", "LAB")]
    # a laboratory result (creatine kinase) dated in the window is a record of contact too
    lab = {"system": "LOINC", "code": "2157-6", "value_num": 120.0, "unit": "U/L"}
    people[-1][1].append(Fact(patient_id="LAB", effective_date=D(2023, 2, 1), **lab))
    with api.open_registry(url) as registry:
        registry.import_batch(
            Batch(
                patients=[p for p, _ in people],
                facts=[f for _, facts in people for f in facts],
                notes=[
                    Note(
                        note_id="L1",
                        patient_id="LETTER",
                        note_date=D(2022, 6, 1),
                        text="Seen.",
                        synthetic=True,
                    ),
                    Note(
                        note_id="L2",
                        patient_id="LATE",
                        note_date=D(2024, 2, 1),
                        text="Seen.",
                        synthetic=True,
                    ),
                    Note(
                        note_id="L3",
                        patient_id="NOTHING",
                        note_date=None,
                        text="Undated.",
                        synthetic=True,
                    ),
                ],
                images=[Image(image_id="I1", patient_id="IMAGE", image_date=D(2021, 3, 1))],
            ),
            source="test",
            source_hash="seen-by-records",
        )


def _seen(url: str, seen_by: str) -> dict[str, bool]:
    base = default_study()
    study = base.model_copy(
        update={"population": base.population.model_copy(update={"seen_by": SeenBy(seen_by)})}
    )
    con = connect(url)
    try:
        t = StudyQuery(con, study).table
        frame = t.select("patient_id", "seen", "last_encounter_date").to_pandas()
    finally:
        release_cached(con)
        con.disconnect()
    return dict(zip(frame["patient_id"], frame["seen"].astype(bool), strict=True))


def test_a_letter_or_an_image_in_the_window_counts_as_a_record(sqlite_url):
    _registry(sqlite_url)
    assert _seen(sqlite_url, "any_record") == {
        "IMAGE": True,
        "LAB": True,
        "LATE": False,  # its letter is after the index date
        "LETTER": True,
        "NOTHING": False,  # an undated note is no record of contact in the window
    }
    assert not any(_seen(sqlite_url, "visit").values())  # the last visits are before the window


def test_the_feature_table_reads_the_letters_too(sqlite_url):
    _registry(sqlite_url)
    with api.open_registry(sqlite_url) as registry:
        table = api.feature_table(
            registry, index_date=D(2023, 12, 31), features=["last_encounter_date"]
        )
        rows = {r["patient_id"]: r["last_encounter_date"] for r in table.to_pylist()}
    assert rows == {
        "IMAGE": D(2021, 3, 1),
        "LAB": D(2023, 2, 1),
        "LATE": D(2015, 5, 1),
        "LETTER": D(2022, 6, 1),
        "NOTHING": D(2015, 5, 1),
    }
