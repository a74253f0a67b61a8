import csv
import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from calciscope.cli.app import app
from calciscope.model import Note, NoteType, Patient, ReviewState
from calciscope.storage import Batch, Registry

runner = CliRunner()

LETTER = (
    "Diagnosis:\n- Diffuse cutaneous SSc\n- SSc–myositis overlap\n\n"
    "Examination:\n- Calcinosis: extensive sheet-like calcinosis over both forearms\n\n"
    "Results:\n- Anti-PM/Scl positive\n- CK 2,400 U/L\n"
)
REPORT = "XR HANDS BOTH\nFindings: Bones are normal. No soft tissue calcification.\nConclusion: No calcinosis."


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def registry_url(sqlite_url):
    registry = Registry(sqlite_url)
    batch = Batch(
        patients=[Patient(patient_id="P1"), Patient(patient_id="P2")],
        notes=[
            Note(note_id="N1", patient_id="P1", note_date=dt.date(2021, 3, 1), text=LETTER),
            Note(note_id="N2", patient_id="P2", note_type=NoteType.RADIOLOGY_REPORT,
                 note_date=dt.date(2019, 1, 1), text=REPORT),
        ],
    )  # fmt: skip
    registry.import_batch(batch, source="test", source_hash="x")
    registry.close()
    return sqlite_url


def calcinosis_facts(url, patient):
    registry = Registry(url)
    try:
        return [f for f in registry.facts_for(patient) if f.code == "HP:0003761"]
    finally:
        registry.close()


def test_extract_writes_suggested_facts_idempotently(registry_url):
    first = invoke("notes", "extract", "--db", registry_url)
    assert "2 notes read" in first.output
    facts = calcinosis_facts(registry_url, "P1")
    assert {f.body_site.value for f in facts} == {"forearm"}
    assert all(f.review_state is ReviewState.SUGGESTED for f in facts)
    assert [f.status.value for f in calcinosis_facts(registry_url, "P2")] == ["absent", "absent"]
    second = invoke("notes", "extract", "--db", registry_url)
    assert ", 0 new" in second.output


def test_extract_never_overwrites_reviewed_facts(registry_url):
    invoke("notes", "extract", "--db", registry_url)
    registry = Registry(registry_url)
    target = calcinosis_facts(registry_url, "P1")[0]
    registry.set_review_state(target.fact_id, ReviewState.REJECTED.value)
    registry.close()
    invoke("notes", "extract", "--db", registry_url)
    again = {f.fact_id: f.review_state for f in calcinosis_facts(registry_url, "P1")}
    assert again[target.fact_id] is ReviewState.REJECTED


def test_extract_since_and_env_db(registry_url, monkeypatch):
    monkeypatch.setenv("CALCISCOPE_DB", registry_url)
    result = invoke("notes", "extract", "--since", "2020-01-01")
    assert "1 notes read" in result.output
    assert calcinosis_facts(registry_url, "P2") == []


def test_extract_rejects_bad_date(registry_url):
    result = runner.invoke(app, ["notes", "extract", "--db", registry_url, "--since", "yesterday"])
    assert result.exit_code != 0


@pytest.mark.slow
def test_extract_with_two_jobs_gives_the_same_facts(registry_url, tmp_path, sqlite_url):
    invoke("notes", "extract", "--db", registry_url, "--jobs", "2", "--chunk", "1")
    two = sorted(f.fact_id for p in ("P1", "P2") for f in calcinosis_facts(registry_url, p))
    assert two and ", 0 new" in invoke("notes", "extract", "--db", registry_url).output
    assert two == sorted(f.fact_id for p in ("P1", "P2") for f in calcinosis_facts(registry_url, p))


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_extract_file_text_and_folder(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(LETTER)
    (tmp_path / "docs" / "b.txt").write_text(REPORT)
    out = tmp_path / "m.jsonl"
    invoke("notes", "extract-file", tmp_path / "docs", "--out", out)
    records = read_jsonl(out)
    assert {r["doc_id"] for r in records} == {"a.txt", "b.txt"}
    sheet = next(
        r
        for r in records
        if r["links"].get("morphology") == ["extent"] or r["links"].get("morphology")
    )
    assert sheet["doc_id"] == "a.txt" and sheet["links"]["morphology"] == ["sheet_like"]
    for key in (
        "start",
        "end",
        "text",
        "category",
        "rule_id",
        "modifiers",
        "is_negated",
        "is_uncertain",
        "is_historical",
        "is_hypothetical",
        "is_family",
        "links",
    ):
        assert key in sheet
    invoke("notes", "extract-file", tmp_path / "docs" / "b.txt", "--out", out)
    assert {r["doc_id"] for r in read_jsonl(out)} == {"b"} and all(
        r["is_negated"] for r in read_jsonl(out) if r["category"] != "MODALITY"
    )


def test_extract_file_csv_with_two_text_columns(tmp_path):
    table = tmp_path / "notes.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["mrn", "letter", "xray"])
        writer.writerow(["R1", "No calcinosis.", "Nodular calcinosis at the thumb."])
    out = tmp_path / "m.jsonl"
    invoke("notes", "extract-file", table, "--id-column", "mrn", "--text-column", "letter",
           "--text-column", "xray", "--out", out)  # fmt: skip
    records = [
        (r["doc_id"], r["column"], r["is_negated"])
        for r in read_jsonl(out)
        if r["category"] == "CALCINOSIS"
    ]
    assert records == [("R1", "letter", True), ("R1", "xray", False)]


def test_extract_file_jsonl_and_missing_column(tmp_path):
    source = tmp_path / "notes.jsonl"
    source.write_text(json.dumps({"note_id": "X9", "text": "Sheet-like calcinosis."}) + "\n")
    result = invoke("notes", "extract-file", source)
    assert '"doc_id": "X9"' in result.output
    bad = runner.invoke(app, ["notes", "extract-file", str(source), "--text-column", "body"])
    assert bad.exit_code == 1 and "column not found" in bad.output


def test_assess_adds_three_columns_and_keeps_the_rest(tmp_path):
    source = tmp_path / "in.tsv"
    source.write_text(
        "id\tCondition\tsentence\tnote\n"
        "1\tcalcinosis\tNo evidence of calcinosis.\tx\n"
        "2\tpneumonia\tHistory of pneumonia in 2010.\ty\n"
        "3\tlupus\tHer mother has lupus.\tz\n"
        "4\tfever\tReturn if fever develops.\tw\n"
        "5\tcough\tPossible cough.\tv\n"
        "6\tnot in text\tAll well.\tu\n"
    )
    out = tmp_path / "out.tsv"
    invoke("notes", "assess", source, "--out", out)
    rows = list(csv.DictReader(out.read_text().splitlines(), delimiter="\t"))
    assert list(rows[0]) == [
        "id",
        "Condition",
        "sentence",
        "note",
        "calciscope_negation",
        "calciscope_temporality",
        "calciscope_experiencer",
    ]
    got = [
        (r["calciscope_negation"], r["calciscope_temporality"], r["calciscope_experiencer"])
        for r in rows
    ]
    assert got == [
        ("Negated", "Recent", "Patient"),
        ("Affirmed", "Historical", "Patient"),
        ("Affirmed", "Recent", "Family member"),
        ("Affirmed", "Not particular", "Patient"),
        ("Possible", "Recent", "Patient"),
        ("Affirmed", "Recent", "Patient"),
    ]
    assert [r["note"] for r in rows] == ["x", "y", "z", "w", "v", "u"]


def test_assess_requires_condition_and_sentence(tmp_path):
    source = tmp_path / "in.tsv"
    source.write_text("a\tb\n1\t2\n")
    result = runner.invoke(app, ["notes", "assess", str(source)])
    assert result.exit_code == 1 and "column not found" in result.output


@pytest.mark.postgres
def test_extract_on_postgresql(postgres_database):
    url = postgres_database()
    registry = Registry(url)
    registry.import_batch(
        Batch(patients=[Patient(patient_id="P1")],
              notes=[Note(note_id="N1", patient_id="P1", note_date=dt.date(2021, 3, 1), text=LETTER)]),
        source="test", source_hash="x",
    )  # fmt: skip
    registry.close()
    first = invoke("notes", "extract", "--db", url)
    assert "1 notes read" in first.output and ", 0 new" not in first.output
    assert ", 0 new" in invoke("notes", "extract", "--db", url).output
    assert {f.body_site.value for f in calcinosis_facts(url, "P1")} == {"forearm"}


def test_extract_file_out_is_whole_or_not_written(tmp_path):
    """review 27: a bad row after good ones left their mentions in --out, while the error said
    "nothing was written"; now the file is written whole or not at all (an old one kept)."""
    notes = tmp_path / "notes.csv"
    notes.write_text(
        "note_id,patient_id,note_date,text\n"
        "N1,P001,2024-01-02,Calcinosis at the left elbow.\n"
        'N2,P001,2024-01-03,"calcinosis of the knee\n'
        "N3,P001,2024-01-04,calcinosis of the finger\n"
        'N4,P001,2024-01-05,ok"\n',
        encoding="utf-8",
    )
    out = tmp_path / "mentions.jsonl"
    out.write_text("earlier\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["notes", "extract-file", str(notes), "--out", str(out)])
    assert result.exit_code == 1 and "nothing was written" in " ".join(result.output.split())
    assert out.read_text(encoding="utf-8") == "earlier\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    notes.write_text("note_id,text\nN1,Calcinosis at the left elbow.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["notes", "extract-file", str(notes), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert '"doc_id": "N1"' in out.read_text(encoding="utf-8")
