import csv
import json

import pytest

from calciscope import api
from calciscope.errors import ValidationError
from calciscope.interop.native import read_directory

PATIENTS = "patient_id,sex,birth_date,birth_year,centre,synthetic\nP1,female,1970-01-01,,C1,true\nP2,male,,1965,C1,true\n"
FACTS_HEADER = "fact_id,patient_id,system,code,status,effective_date,value_num,value_text,unit,body_site,laterality,morphology,method,source_kind,provenance,review_state\n"


def _write(folder, facts_rows, notes=None):
    folder.mkdir(exist_ok=True)
    (folder / "patients.csv").write_text(PATIENTS)
    (folder / "facts.csv").write_text(FACTS_HEADER + "".join(r + "\n" for r in facts_rows))
    if notes is not None:
        (folder / "notes.jsonl").write_text("\n".join(notes) + "\n")
    return folder


GOOD = [
    ",P1,HP,HP:0003761,present,2020-05-01,,,,hand,left,nodular,radiograph,structured,demo,confirmed",
    ",P2,calciscope,visit,present,2021-01-01,,,,,,,,structured,demo,confirmed",
]


def test_reads_a_good_directory(tmp_path):
    note = json.dumps({"note_id": "N1", "patient_id": "P1", "text": "SYNTHETIC. No calcinosis."})
    batch = read_directory(_write(tmp_path / "d", GOOD, [note]))
    assert batch.counts() == {"patients": 2, "facts": 2, "notes": 1, "images": 0}


def test_every_bad_row_and_field_is_reported_and_nothing_written(tmp_path, sqlite_url):
    bad = [
        ",P1,HP,HP:0003761,present,2020-13-01,,,,,,,,structured,demo,confirmed",  # wrong date
        ",P1,FOO,X1,present,2020-01-01,,,,,,,,structured,demo,confirmed",  # unknown code system
        ",P2,HP,HP:0030880,maybe,2020-01-01,,,,,,,,structured,demo,confirmed",  # status maybe
        ",P7,HP,HP:0030880,present,2020-01-01,,,,,,,,structured,demo,confirmed",  # unknown patient
    ]
    folder = _write(tmp_path / "d", GOOD + bad, ["{not json"])
    registry = api.open_registry(sqlite_url)
    with pytest.raises(ValidationError) as info:
        api.import_directory(registry, folder)
    problems = info.value.problems
    where = {(p.location, p.field) for p in problems}
    assert ("row 4", "effective_date") in where
    assert ("row 5", "system") in where
    assert ("row 6", "status") in where
    assert ("line 1", "(line)") in where
    assert any(p.field == "patient_id" and "P7" in p.message for p in problems)
    assert all(str(folder) in p.source for p in problems)
    assert "nothing was written" in str(info.value)
    assert registry.counts()["facts"] == 0 and registry.counts()["patients"] == 0


def test_unknown_column_is_named(tmp_path):
    folder = _write(tmp_path / "d", GOOD)
    with (folder / "images.csv").open("w", newline="") as handle:
        csv.writer(handle).writerow(["image_id", "patient_id", "colour"])
    with pytest.raises(ValidationError, match="colour"):
        read_directory(folder)


def test_missing_patients_file(tmp_path):
    with pytest.raises(ValidationError, match=r"patients\.csv"):
        read_directory(tmp_path)


def test_facts_may_refer_to_patients_already_in_the_registry(tmp_path, sqlite_url):
    registry = api.open_registry(sqlite_url)
    api.import_directory(registry, _write(tmp_path / "a", GOOD))
    second = tmp_path / "b"
    second.mkdir()
    (second / "patients.csv").write_text("patient_id,sex\n")
    (second / "facts.csv").write_text(
        FACTS_HEADER + GOOD[1].replace("2021-01-01", "2022-01-01") + "\n"
    )
    summary = api.import_directory(registry, second)
    assert summary.counts["facts"] == 1
    assert registry.counts()["facts"] == 3


def test_streamed_import_rolls_back_chunks_already_written(tmp_path, sqlite_url, monkeypatch):
    from calciscope.interop import native

    monkeypatch.setattr(native, "_CHUNK", 1)  # every record is its own chunk, written at once
    late_bad = ",P2,HP,HP:0030880,present,2020-99-01,,,,,,,,structured,demo,confirmed"
    folder = _write(tmp_path / "d", [*GOOD, late_bad])
    registry = api.open_registry(sqlite_url)
    with pytest.raises(ValidationError) as info:
        api.import_directory(registry, folder)
    assert [(p.location, p.field) for p in info.value.problems] == [("row 4", "effective_date")]
    assert registry.counts()["patients"] == 0 and registry.counts()["facts"] == 0


def test_problem_list_is_capped(tmp_path, monkeypatch):
    from calciscope.interop import native

    monkeypatch.setattr(native, "_MAX_PROBLEMS", 3)
    bad = [
        f",P1,HP,HP:0030880,maybe,2020-01-0{i},,,,,,,,structured,demo,confirmed"
        for i in range(1, 8)
    ]
    with pytest.raises(ValidationError, match="and 4 more not listed") as info:
        read_directory(_write(tmp_path / "d", bad))
    assert len(info.value.problems) == 3
