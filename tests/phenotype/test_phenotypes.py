"""Phenotypes (clinical-reference §11.3, §11.4, §11.6, §11.7) on hand-built patients.

Every case runs through the one evaluator (:func:`calciscope.engine.phenotype.add_phenotype_columns`)
on an in-memory table, with the criteria results given as columns.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from calciscope.engine.explanation import read_phenotype_results
from calciscope.engine.phenotype import add_phenotype_columns
from calciscope.engine.rows import RowEvaluator
from calciscope.errors import CatalogueError
from calciscope.phenotype import PhenotypeResult, assessment_cutoff, load_phenotypes

INDEX = dt.date(2024, 6, 30)
# §11.7, verbatim
PROMPT = (
    "consider radiographic assessment for calcinosis; extensive sheet-like calcinosis has been "
    "reported in this subgroup (4 cases, Achieng et al. 2024)"
)
OVERLAP = {"ssc2013_status": "classified", "iim2017_category": "probable"}


CRITERIA = ("ssc2013_status", "iim2017_category", "leroy_subset")


@cache
def _evaluator(params: tuple[tuple[str, Any], ...]) -> RowEvaluator:
    phenotypes = load_phenotypes(**dict(params))
    return RowEvaluator(lambda t: add_phenotype_columns(t, index_date=INDEX, phenotypes=phenotypes))


def evaluate(
    row: dict[str, Any], **params: Any
) -> tuple[dict[str, Any], tuple[PhenotypeResult, ...]]:
    """The phenotype columns and results of one patient (criteria results given as text columns)."""
    full = dict.fromkeys(CRITERIA) | row  # text columns even when a case leaves them out
    out = _evaluator(tuple(sorted(params.items()))).run([full])[0]
    return out, read_phenotype_results(load_phenotypes(**params), out)


def outputs(row: dict[str, Any], **params: Any) -> dict[str, Any]:
    return evaluate(row, **params)[0]


@pytest.mark.parametrize(
    ("ssc", "iim", "expected"),
    [
        ("classified", "probable", True),
        ("classified", "definite", True),
        ("classified", "possible", False),  # below the minimum probability (§11.3)
        ("not_applicable", "definite", False),
        ("undetermined", "definite", None),
        ("classified", "undetermined", None),
        ("classified", "not_classifiable", False),
    ],
)
def test_overlap_by_criteria(ssc: str, iim: str, expected: bool | None) -> None:
    assert (
        outputs({"ssc2013_status": ssc, "iim2017_category": iim})["ssc_myositis_overlap_criteria"]
        is expected
    )


def test_overlap_clinician_and_either_are_kept_apart() -> None:
    out = outputs(
        {
            "ssc2013_status": "not_classified",
            "iim2017_category": "not_iim",
            "overlap_recorded": True,
        }
    )
    assert out["ssc_myositis_overlap_criteria"] is False
    assert out["ssc_myositis_overlap_clinician"] is True
    assert out["ssc_myositis_overlap_either"] is True


@pytest.mark.parametrize(
    ("recorded", "leroy", "subset", "mismatch"),
    [
        ("dcssc", "lcssc", "dcssc", True),  # the clinician's subset wins, the mismatch is flagged
        (None, "lcssc", "lcssc", None),
        ("lcssc", "lcssc", "lcssc", False),
        (None, "undetermined", "undetermined", None),
    ],
)
def test_cutaneous_subset(
    recorded: str | None, leroy: str, subset: str, mismatch: bool | None
) -> None:
    out = outputs({"subset_recorded": recorded, "leroy_subset": leroy})
    assert (out["cutaneous_subset"], out["subset_mismatch"]) == (subset, mismatch)


@pytest.mark.parametrize(
    ("row", "nodular", "sheet", "extensive"),
    [
        (
            {
                "calcinosis_any": True,
                "calcinosis_nodular_only": True,
                "calcinosis_sheet_like": False,
            },
            True,
            False,
            False,
        ),
        (
            {
                "calcinosis_any": True,
                "calcinosis_sheet_like": True,
                "calcinosis_sheet_like_regions": 2,
            },
            None,
            True,
            True,
        ),
        (
            {
                "calcinosis_any": True,
                "calcinosis_sheet_like": True,
                "calcinosis_sheet_like_regions": 1,
                # every lesion has its site: the count is exact, so 1 < 2 is false
                "calcinosis_sheet_like_regions_exact": 1,
            },
            None,
            True,
            False,
        ),
        ({"calcinosis_any": False}, False, None, None),
    ],
)
def test_calcinosis_phenotypes(
    row: dict[str, Any], nodular: bool | None, sheet: bool | None, extensive: bool | None
) -> None:
    out = outputs(row)
    assert (
        out["calcinosis_nodular"],
        out["calcinosis_sheet_like"],
        out["extensive_sheet_like_calcinosis"],
    ) == (
        nodular,
        sheet,
        extensive,
    )


def test_extensive_sheet_like_threshold_is_configurable() -> None:
    row = {
        "calcinosis_sheet_like": True,
        "calcinosis_sheet_like_regions": 2,
        "calcinosis_sheet_like_regions_exact": 2,
    }
    assert outputs(row, min_sheet_like_regions=3)["extensive_sheet_like_calcinosis"] is False
    # only the lower bound known (a lesion without its site): 2 known sites of 3 needed is
    # unknown, not false
    lower = {"calcinosis_sheet_like": True, "calcinosis_sheet_like_regions": 2}
    assert outputs(lower, min_sheet_like_regions=3)["extensive_sheet_like_calcinosis"] is None


def test_extent_and_onset_interval_name_their_anchor() -> None:
    row = {
        "calcinosis_regions": 3,
        "ssc_onset_date": dt.date(2018, 1, 1),
        "calcinosis_first_date": dt.date(2021, 1, 1),
    }
    out, results = evaluate(row)
    assert out["calcinosis_extent_regions"] == 3
    assert out["calcinosis_onset_years"] == pytest.approx(1096 / 365.25)
    note = next(r.note for r in results if r.id == "calcinosis_onset_years")
    assert "ssc_onset_date" in note and "non-Raynaud" in note


def _at_risk(**extra: Any) -> dict[str, Any]:
    return {"leroy_subset": "dcssc", **OVERLAP, "anti_pm_scl": True, "anti_scl70": None} | extra


@pytest.mark.parametrize(
    ("row", "shown"),
    [
        (_at_risk(), True),  # never assessed
        (_at_risk(radiograph_last_date=dt.date(2023, 5, 30)), True),  # 13 months before
        (_at_risk(radiograph_last_date=dt.date(2023, 7, 1)), False),  # within 12 months
        (_at_risk(calcinosis_assessment_last_date=dt.date(2024, 6, 1)), False),
        (_at_risk(leroy_subset="lcssc"), False),
        (_at_risk(leroy_subset="undetermined"), None),
        (
            _at_risk(
                ssc2013_status="not_classified", iim2017_category="not_iim", overlap_recorded=False
            ),
            False,
        ),
        (
            _at_risk(ssc2013_status="not_classified", iim2017_category="not_iim"),
            None,
        ),  # clinician unknown
        (_at_risk(calcinosis_any=True), False),  # calcinosis already known: nothing to look for
        (_at_risk(calcinosis_any=False), True),  # recorded absent long ago: look again
        (_at_risk(calcinosis_any=None), True),
    ],
)
def test_at_risk_prompt(row: dict[str, Any], shown: bool | None) -> None:
    out = outputs(row)
    assert out["at_risk_prompt"] is shown
    assert out["at_risk_prompt_text"] == (PROMPT if shown else None)
    assert out["at_risk_prompt_anti_pm_scl"] is True  # shown beside, not scored


def test_at_risk_look_back_and_overlap_definition_are_configurable() -> None:
    row = _at_risk(radiograph_last_date=dt.date(2023, 5, 30))
    assert outputs(row, assessment_months=24)["at_risk_prompt"] is False
    clinician_only = _at_risk(ssc2013_status="not_classified", overlap_recorded=True)
    assert outputs(clinician_only, overlap_definition="clinician")["at_risk_prompt"] is True
    assert outputs(clinician_only, overlap_definition="criteria")["at_risk_prompt"] is False


def test_at_risk_prompt_shows_the_study_antibodies_beside_it() -> None:
    row = _at_risk(anti_centromere=False, anti_rna_polymerase_iii=True)
    out = outputs(row, antibodies=("anti_centromere", "anti_rna_polymerase_iii"))
    assert out["at_risk_prompt"] is True
    assert out["at_risk_prompt_anti_rna_polymerase_iii"] is True
    assert "at_risk_prompt_anti_pm_scl" not in out


def test_prompt_is_never_worded_as_a_diagnosis_or_prediction() -> None:
    prompt = next(p for p in load_phenotypes().phenotypes if p.id == "at_risk_prompt")
    assert prompt.text == PROMPT
    assert "not a diagnosis" in prompt.label and "not a prediction" in prompt.label


def test_assessment_cutoff_clips_to_month_end() -> None:
    assert assessment_cutoff(dt.date(2024, 2, 29), 12) == dt.date(2023, 2, 28)
    assert assessment_cutoff(dt.date(2024, 6, 30), 12) == dt.date(2023, 6, 30)


def test_unknown_parameter_is_an_error() -> None:
    with pytest.raises(CatalogueError, match="min_regions"):
        load_phenotypes(min_regions=3)
