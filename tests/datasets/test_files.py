"""The demo cohort's files: format, determinism, synthetic marks, codes and note consistency."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import calciscope.datasets
from calciscope.datasets import (
    DEFAULT_INDEX_DATE,
    DEFAULT_PATIENTS,
    DemoManifest,
    generate_demo_cohort,
)
from calciscope.datasets import writer as writer_module
from calciscope.features import load_catalogue
from calciscope.model import Fact, Image, Note, Patient

HEADER = "SYNTHETIC DEMO RECORD - not a real patient"
FILES = (
    "patients.csv",
    "facts.csv",
    "notes.jsonl",
    "images.csv",
    "answer_key.csv",
    "image_key.csv",
)
ANSWER_HEADER = (
    "patient_id,ssc,seen_in_window,subset,overlap,calcinosis,calcinosis_morphology,"
    "calcinosis_regions,extensive_sheet_like,at_risk,notes_calcinosis,notes_morphology,sex,"
    "age_at_ssc_diagnosis,anti_scl70,anti_pm_scl,calcinosis_onset_years,ssc2013,"
    "overlap_recorded,calcinosis_recorded"
)


def _digest(folder: Path) -> dict[str, str]:
    names = (*FILES, "manifest.json", "README.txt")
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names}


def test_public_api() -> None:
    assert calciscope.datasets.__all__ == sorted(calciscope.datasets.__all__)
    assert DEFAULT_INDEX_DATE.isoformat() == "2023-12-31"
    assert DEFAULT_PATIENTS == 600


def test_manifest_counts(default_cohort: DemoManifest, tables: dict[str, Any]) -> None:
    assert default_cohort.synthetic and default_cohort.seed == 0
    assert default_cohort.patients == DEFAULT_PATIENTS == len(tables["patients"])
    assert default_cohort.facts == len(tables["facts"])
    assert default_cohort.notes == len(tables["notes"])
    assert default_cohort.images == len(tables["images"])
    manifest = json.loads((default_cohort.out_dir / "manifest.json").read_text())
    assert manifest["synthetic"] is True and manifest["counts"]["facts"] == default_cohort.facts
    assert all(rate["source"] for rate in manifest["rates"].values())


def test_same_seed_gives_identical_bytes(default_cohort: DemoManifest, tmp_path: Path) -> None:
    again = generate_demo_cohort(tmp_path / "again")
    assert _digest(again.out_dir) == _digest(default_cohort.out_dir)


def test_other_seed_differs(default_cohort: DemoManifest, tmp_path: Path) -> None:
    other = generate_demo_cohort(tmp_path / "other", seed=1)
    assert _digest(other.out_dir)["facts.csv"] != _digest(default_cohort.out_dir)["facts.csv"]


def test_worker_processes_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    single = generate_demo_cohort(tmp_path / "single", patients=2500, seed=3)
    monkeypatch.setattr(writer_module, "_PARALLEL_FROM", 0)
    seen: list[int] = []
    parallel = generate_demo_cohort(
        tmp_path / "parallel", patients=2500, seed=3, progress=seen.append
    )
    assert _digest(single.out_dir) == _digest(parallel.out_dir)
    assert seen[-1] == 2500 and seen == sorted(seen)


def test_without_notes_what_notes_alone_record_becomes_facts(
    default_cohort: DemoManifest, tables: dict[str, Any], tmp_path: Path
) -> None:
    bare = generate_demo_cohort(tmp_path / "bare", notes=False)
    assert bare.notes == 0
    assert (bare.out_dir / "notes.jsonl").read_text() == ""
    facts = pd.read_csv(bare.out_dir / "facts.csv", dtype=str, keep_default_na=False)
    answer = pd.read_csv(bare.out_dir / "answer_key.csv", dtype=str, keep_default_na=False)
    # with notes, the facts are those without notes less what only the notes record
    with_notes = set(tables["facts"].itertuples(index=False))
    without = set(facts.itertuples(index=False))
    key = tables["answer"].set_index("patient_id")
    extra = pd.DataFrame(sorted(without - with_notes), columns=facts.columns)
    recorded = key.loc[extra.patient_id]
    in_notes = recorded.calcinosis_recorded.isin(["site_only", "notes", "film"])
    in_notes |= recorded.overlap_recorded.isin(["letters", "two_diagnoses"])
    assert len(extra) > 50 and in_notes.all()
    # the only facts not written without notes: calcinosis coded at a site, its morphology
    # left to the notes (or, for the film-only anchor, to its radiographs)
    site_only = pd.DataFrame(sorted(with_notes - without), columns=facts.columns)
    assert len(site_only) > 10 and set(site_only.morphology) == {""}
    assert set(key.loc[site_only.patient_id, "calcinosis_recorded"]) == {"site_only", "film"}
    # and the key says everything is recorded as facts
    assert set(answer.calcinosis_recorded) == {"", "structured"}
    assert set(answer.overlap_recorded) == {"", "code"}


def test_every_file_says_synthetic(default_cohort: DemoManifest, tables: dict[str, Any]) -> None:
    folder = default_cohort.out_dir
    assert "SYNTHETIC" in (folder / "README.txt").read_text().splitlines()[0]
    assert "not real patients" in (folder / "README.txt").read_text().splitlines()[0].lower()
    assert set(tables["patients"].synthetic) == {"true"}
    assert all(note["synthetic"] is True for note in tables["notes"])
    assert all(note["text"].startswith(HEADER + "\n") for note in tables["notes"])
    assert set(tables["images"].file_ref.str[:12]) == {"synthetic://"}


def test_headers_are_the_contract(default_cohort: DemoManifest) -> None:
    first = {
        name: (default_cohort.out_dir / name).read_text().splitlines()[0]
        for name in ("patients.csv", "facts.csv", "images.csv", "answer_key.csv")
    }
    assert first["patients.csv"] == "patient_id,sex,birth_date,birth_year,centre,synthetic"
    assert first["facts.csv"].startswith("fact_id,patient_id,system,code,status,effective_date,")
    assert sorted(first["facts.csv"].split(",")) == sorted(Fact.model_fields)
    assert first["images.csv"].split(",") == list(Image.model_fields)
    assert first["answer_key.csv"] == ANSWER_HEADER


def test_every_row_validates_as_a_model(default_cohort: DemoManifest) -> None:
    folder = default_cohort.out_dir
    for name, model in (("patients.csv", Patient), ("facts.csv", Fact), ("images.csv", Image)):
        with (folder / name).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                model.model_validate({k: (v or None) for k, v in row.items() if k != "fact_id"})
    for line in (folder / "notes.jsonl").read_text(encoding="utf-8").splitlines():
        Note.model_validate_json(line)


def test_fact_values_follow_the_contract(tables: dict[str, Any]) -> None:
    facts = tables["facts"]
    assert set(facts.fact_id) == {""}
    assert set(facts.status) <= {"present", "absent", "unknown"}
    assert set(facts.source_kind) == {"structured"} and set(facts.review_state) == {"confirmed"}
    assert facts.provenance.str.startswith("demo:").all()
    assert not facts.drop(columns=["fact_id"]).duplicated().any()
    assert (facts.effective_date <= DEFAULT_INDEX_DATE.isoformat()).all()


def test_every_code_is_in_the_catalogue(tables: dict[str, Any]) -> None:
    catalogue = load_catalogue()
    pairs = set(zip(tables["facts"].system, tables["facts"].code, strict=True))
    unknown = {pair for pair in pairs if not catalogue.concepts_for_code(*pair)}
    assert not unknown
    systems = {system for system, _ in pairs}
    assert {"HP", "MONDO", "ICD10", "LOINC", "calciscope"} <= systems


def test_radiographs_have_images_on_the_same_date(tables: dict[str, Any]) -> None:
    facts = tables["facts"]
    films = facts[facts.code == "radiograph"]
    images = tables["images"]
    assert sorted(
        zip(films.patient_id, films.effective_date, films.body_site, strict=True)
    ) == sorted(zip(images.patient_id, images.image_date, images.body_site, strict=True))


def test_mrss_agrees_with_skin_thickening(tables: dict[str, Any]) -> None:
    facts = tables["facts"]
    skin = facts[facts.code.isin(["HP:0001072", "HP:0100324"])]
    thick = set(zip(skin.patient_id, skin.body_site, skin.status == "present", strict=True))
    mrss = facts[facts.code == "mrss_site"]
    assert len(mrss) > 1000
    for pid, site, value in zip(mrss.patient_id, mrss.body_site, mrss.value_num, strict=True):
        assert (pid, site, float(value) > 0) in thick


def test_notes_agree_with_the_answer_key(tables: dict[str, Any]) -> None:
    answer = tables["answer"].set_index("patient_id")
    texts: dict[str, str] = {}
    for note in tables["notes"]:
        texts[note["patient_id"]] = texts.get(note["patient_id"], "") + note["text"].lower()
    present = answer.index[answer.notes_calcinosis == "present"]
    assert len(present) > 50
    assert all("calcin" in texts[p] or "calcif" in texts[p] for p in present)
    for pid in answer.index[answer.notes_calcinosis == "absent"]:
        assert "no calcinosis" in texts[pid] or ("no " in texts[pid] and "calci" in texts[pid])
    sheet = answer.index[answer.notes_morphology == "sheet_like"]
    assert all("sheet-like" in texts[p] or "plate-like" in texts[p] for p in sheet)
    assert (answer.notes_morphology[answer.notes_calcinosis != "present"] == "none").all()


def test_notes_hold_the_tricky_mentions(tables: dict[str, Any]) -> None:
    corpus = "\n".join(note["text"] for note in tables["notes"])
    for phrase in (
        "?early calcinosis",
        "scleroderma with calcinosis",
        "calcinosis excised from",
        "Anti-Scl-70",
        "PM/Scl",
        "CK ",
        "SSc–myositis overlap",
        "XR HANDS BOTH",
        "Clinical details:",
        "Findings:",
        "Dear Dr",
        "dcSSc",
        "lcSSc",
    ):
        assert phrase in corpus, phrase
