"""A clinician-recorded SSc-myositis overlap: an overlap code, or SSc and myositis both coded.

Hand-made patients go through the registry and the compiled phenotypes (the one evaluator), as
a study reads them. WHO ICD-10 (UK) has no overlap code (M34.82 is ICD-10-CM only), so UK
records code SSc and the myositis separately (issue 12).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from calciscope import api

PATIENTS = {
    # patient: facts as (system, code, status)
    "UK-DM": [("ICD10", "M34.0", "present"), ("ICD10", "M33.1", "present")],
    "UK-NOS": [("ICD10", "M34.9", "present"), ("ICD10", "M60.9", "present")],
    "SNOMED": [("SNOMEDCT", "89155008", "present"), ("SNOMEDCT", "396230008", "present")],
    "US-CODE": [("ICD10CM", "M34.82", "present")],
    "SSC-ONLY": [("ICD10", "M34.0", "present")],
    "NO-MYOSITIS": [("ICD10", "M34.0", "present"), ("ICD10", "M33.1", "absent")],
    "INFECTIVE": [("ICD10", "M34.0", "present"), ("ICD10", "M60.0", "present")],
    "DM-ONLY": [("ICD10", "M33.1", "present")],
    "SAID-NO": [("ICD10CM", "M34.82", "absent")],
    "SSC-NO-DM": [
        ("ICD10", "M34.0", "present"),
        ("ICD10", "M33.1", "absent"),
        ("ICD10", "M60.9", "absent"),
    ],
}
EXPECTED = {
    "UK-DM": True,
    "UK-NOS": True,
    "SNOMED": True,
    "US-CODE": True,
    "SSC-ONLY": None,  # nothing says whether there is a myositis: unknown, not "no"
    # SSc, and only dermatomyositis (M33.1, an IIM subtype) recorded absent: unknown, since
    # polymyositis or another IIM could still be there (fixes19, docs/criteria.md; fixes17 had
    # read any IIM code recorded absent as "no IIM"). A whole-IIM "no" is in tests/criteria/
    # test_edge19_patients.py.
    "NO-MYOSITIS": None,
    "INFECTIVE": None,  # infective myositis (M60.0) is not an inflammatory myopathy
    "DM-ONLY": None,  # no SSc diagnosis coded: the overlap code alone could still say
    "SAID-NO": False,  # a clinician recorded no overlap
    # SSc, dermatomyositis and "myositis, unspecified" (M60.9) recorded absent: still unknown,
    # as no code for the whole IIM class (MONDO:0020122) is recorded absent (fixes19).
    "SSC-NO-DM": None,
}


def _write(folder: Path) -> None:
    with (folder / "patients.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_id", "sex", "birth_date", "birth_year", "centre", "synthetic"])
        for pid in PATIENTS:
            w.writerow([pid, "female", "1970-01-01", "1970", "test", "true"])
    header = "fact_id,patient_id,system,code,status,effective_date,value_num,value_text,unit,"
    header += "body_site,laterality,morphology,method,source_kind,provenance,review_state"
    with (folder / "facts.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header.split(","))
        for pid, facts in PATIENTS.items():
            for system, code, status in facts:
                row = ["", pid, system, code, status, "2020-01-01", "", "", "", "", "", "", ""]
                w.writerow([*row, "structured", "hand-made", "confirmed"])


@pytest.fixture(scope="module")
def overlap(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bool | None]:
    folder = tmp_path_factory.mktemp("overlap")
    _write(folder)
    with api.open_registry(f"sqlite:///{folder / 'registry.db'}") as registry:
        api.import_directory(registry, folder)
        table = api.load_study_data(registry, index_date=dt.date(2023, 12, 31)).table
    column = table.set_index("patient_id")["ssc_myositis_overlap_clinician"].astype(object)
    return {
        pid: None if value is None or value != value else bool(value)
        for pid, value in column.items()
    }


@pytest.mark.parametrize(("patient", "expected"), EXPECTED.items())
def test_overlap_recorded_by_a_clinician(overlap, patient, expected):
    assert overlap[patient] is expected


def test_an_overlap_stated_in_a_note_counts_once_its_fact_is_confirmed(tmp_path):
    """Issue 12: an overlap stated in a letter is a suggested fact; the clinician overlap stays
    unknown until a person confirms it, then it is true (hand-made SYNTHETIC patient)."""
    from calciscope.model import Note, Patient
    from calciscope.storage import Batch

    letter = (
        "SYNTHETIC letter. Diagnosis: diffuse cutaneous systemic sclerosis with "
        "SSc-myositis overlap. Plan: review in clinic."
    )
    with api.open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        registry.import_batch(
            Batch(
                patients=[Patient(patient_id="N1", sex="female", birth_year=1970, synthetic=True)],
                notes=[
                    Note(
                        note_id="N1-L1",
                        patient_id="N1",
                        note_date=dt.date(2022, 3, 1),
                        text=letter,
                        synthetic=True,
                    )
                ],
            ),
            source="test",
            source_hash="overlap-letter",
        )
        api.extract_notes(registry)

        def clinician() -> object:
            table = api.load_study_data(registry, index_date=dt.date(2023, 12, 31)).table
            value = table.set_index("patient_id").loc["N1", "ssc_myositis_overlap_clinician"]
            return None if value is None or value != value else bool(value)

        assert clinician() is None  # suggested only: not yet known
        [item] = [
            i
            for i in api.review_queue(registry, kinds=["suggested_fact"], patient="N1")
            if "overlap" in i.reason.lower()
        ]
        api.review(registry, item.item_id, "confirm", reviewer="drsmith", reason="letter")
        assert clinician() is True


@pytest.mark.parametrize(
    ("letter", "expected"),
    [
        # fixes21: the letter's negated subtype is DM absent (its own code), so polymyositis,
        # IBM or IMNM stay open and the overlap stays unknown (fixes19); before, the note
        # suggested the whole class's MONDO:0020122 absent, and confirmed it read "no IIM"
        ("SYNTHETIC letter. Systemic sclerosis. No dermatomyositis.", None),
        ("SYNTHETIC letter. Systemic sclerosis. No polymyositis.", None),
        # the whole class in the letter still rules the IIM, and so the overlap, out
        ("SYNTHETIC letter. Systemic sclerosis. No inflammatory myopathy.", False),
    ],
)
def test_a_notes_negated_iim_subtype_leaves_the_overlap_unknown(tmp_path, letter, expected):
    from calciscope.model import Fact, Note, Patient, ReviewState, SourceKind, Status
    from calciscope.storage import Batch

    ssc = Fact(
        patient_id="N2",
        system="ICD10",
        code="M34.0",
        status=Status.PRESENT,
        effective_date=dt.date(2020, 1, 1),
        source_kind=SourceKind.STRUCTURED,
        provenance="hand-made",
        review_state=ReviewState.CONFIRMED,
    )
    with api.open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        registry.import_batch(
            Batch(
                patients=[Patient(patient_id="N2", sex="female", birth_year=1970, synthetic=True)],
                facts=[ssc],
                notes=[
                    Note(
                        note_id="N2-L1",
                        patient_id="N2",
                        note_date=dt.date(2022, 3, 1),
                        text=letter,
                        synthetic=True,
                    )
                ],
            ),
            source="test",
            source_hash="subtype-letter",
        )
        api.extract_notes(registry)
        items = api.review_queue(registry, kinds=["suggested_fact"], patient="N2")
        assert items  # the letter's myositis statement is suggested
        for item in items:
            api.review(registry, item.item_id, "confirm", reviewer="drsmith", reason="letter")
        table = api.load_study_data(registry, index_date=dt.date(2023, 12, 31)).table
        row = table.set_index("patient_id").loc["N2"]
        values = [row["ssc_myositis_overlap_clinician"], row["myositis_diagnosis"]]
        found = [None if v is None or v != v else bool(v) for v in values]
        assert found == [expected, expected]
