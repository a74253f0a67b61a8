"""The spreadsheet calculator: ``calciscope criteria score`` (in-process) and its API."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.criteria.spreadsheet import SPREADSHEET_FIELDS
from calciscope.errors import ValidationError

FIELDS = [f for fields in SPREADSHEET_FIELDS.values() for f in fields]
SHEET = """patient_id,skin_thickening_proximal_to_mcp,raynaud_phenomenon,abnormal_nailfold_capillaries,anti_centromere,telangiectasia,skin_thickening_sparing_fingers,ssc_like_disorder,age_at_myositis_onset,heliotrope_rash,gottron_papules,weakness_proximal_upper,weakness_proximal_lower,muscle_enzymes_elevated,muscle_biopsy_done,skin_thickening_forearms,skin_thickening_face
ssc-9,TRUE,,,,,no,No,,,,,,,,,
ssc-8,false,yes,Yes,1,0,0,0,,,,,,,,,
dm-a,,,,,,,,52,true,true,true,true,true,false,yes,
lim,,,,,,,,,,,,,,,1,1
"""


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    path = tmp_path / "patients.csv"
    path.write_text(SHEET, encoding="utf-8")
    return path


def test_output_fields_are_exactly_the_issue_list_in_order(sheet: Path) -> None:
    scores = api.score_spreadsheet(sheet)
    assert scores.column_names == ["patient_id", *FIELDS]
    assert scores.num_rows == 4


def test_values_are_parsed_and_scored(sheet: Path) -> None:
    rows = {r["patient_id"]: r for r in api.score_spreadsheet(sheet).to_pylist()}
    assert rows["ssc-9"]["ssc2013_status"] == "classified"  # §1.4 row 1, the rest unknown
    assert (rows["ssc-9"]["ssc2013_score_min"], rows["ssc-9"]["ssc2013_score_max"]) == (9, 28)
    assert rows["ssc-8"]["ssc2013_status"] == "undetermined"  # 8 known, 6 unknown points remain
    # §3.4 case A with the other items unknown: the lowest score is already definite
    assert (rows["dm-a"]["iim2017_category"], rows["dm-a"]["iim2017_subgroup"]) == (
        "definite",
        "dm",
    )
    assert rows["dm-a"]["iim2017_score_min"] == pytest.approx(10.1)
    assert rows["dm-a"]["iim2017_variant"] == "without_biopsy"
    assert rows["lim"]["leroy_subset"] == "undetermined" and rows["lim"]["mrss_total"] is None


def test_cli_writes_csv_with_exactly_the_fields(sheet: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(app, ["criteria", "score", str(sheet), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["patient_id", *FIELDS]
        assert [r["ssc2013_status"] for r in reader] == [
            "classified",
            "undetermined",
            "undetermined",
            "undetermined",
        ]


def test_cli_json_keyed_by_patient_with_chosen_sets(sheet: Path) -> None:
    result = CliRunner().invoke(
        app, ["criteria", "score", str(sheet), "--format", "json", "--sets", "leroy,ssc2013"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["ssc-9", "ssc-8", "dm-a", "lim"]
    assert list(data["ssc-9"]) == [
        "leroy_subset",
        "ssc2013_status",
        "ssc2013_score_min",
        "ssc2013_score_max",
    ]


def test_unknown_column_is_named_exit_nonzero_nothing_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,raynaud,anti_scl70\np1,yes,no\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["criteria", "score", str(bad), "--out", str(out)])
    assert result.exit_code != 0
    assert "'raynaud'" in result.output and "not a feature column" in result.output
    assert not out.exists()


def test_every_bad_cell_is_listed_with_row_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "patient_id,raynaud_phenomenon,mrss_face\np1,maybe,2\np2,yes,7\n,no,1\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError) as caught:
        api.score_spreadsheet(bad)
    found = {(p.location, p.field) for p in caught.value.problems}
    assert found == {
        ("row 2", "raynaud_phenomenon"),
        ("row 3", "mrss_face"),
        ("row 4", "patient_id"),
    }
    assert all(p.source == str(bad) for p in caught.value.problems)


def test_unknown_set_is_an_error(sheet: Path) -> None:
    result = CliRunner().invoke(app, ["criteria", "score", str(sheet), "--sets", "ssc2013,acr1980"])
    assert result.exit_code != 0 and "acr1980" in result.output
