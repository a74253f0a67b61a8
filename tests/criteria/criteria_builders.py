"""Builders of fully specified patients for the criteria tests, and the one evaluator run on them.

:func:`evaluate_set` runs the compiled expression the registry uses (with its explanation
columns) on an in-memory table, so every golden case tests the one path.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from calciscope.criteria import CriteriaResult, CriteriaSet, load_criteria_set
from calciscope.engine.explanation import CriteriaReader, add_explanation_columns
from calciscope.engine.rows import RowEvaluator

SSC_FEATURES = (
    "skin_thickening_proximal_to_mcp",
    "puffy_fingers",
    "sclerodactyly",
    "digital_tip_ulcers",
    "fingertip_pitting_scars",
    "telangiectasia",
    "abnormal_nailfold_capillaries",
    "pulmonary_arterial_hypertension",
    "interstitial_lung_disease",
    "raynaud_phenomenon",
    "anti_centromere",
    "anti_scl70",
    "anti_rna_polymerase_iii",
    "skin_thickening_sparing_fingers",
    "ssc_like_disorder",
)
IIM_BOOLEANS = (
    "weakness_proximal_upper",
    "weakness_proximal_lower",
    "neck_flexor_weaker_than_extensor",
    "legs_proximal_weaker_than_distal",
    "heliotrope_rash",
    "gottron_papules",
    "gottron_sign",
    "dysphagia_or_oesophageal_dysmotility",
    "anti_jo1",
    "muscle_enzymes_elevated",
    "muscle_biopsy_done",
    "biopsy_endomysial_infiltrate",
    "biopsy_perimysial_perivascular_infiltrate",
    "biopsy_perifascicular_atrophy",
    "biopsy_rimmed_vacuoles",
    "finger_flexor_weakness_unresponsive",
)
REGIONS = (
    "fingers",
    "hands",
    "forearms",
    "upper_arms",
    "face",
    "neck",
    "chest",
    "abdomen",
    "back",
    "thighs",
    "lower_legs",
    "feet",
)
MRSS_SITES = load_criteria_set("mrss").sites  # type: ignore[union-attr]


def ssc_patient(*present: str, **values: Any) -> dict[str, Any]:
    """Every SSc item recorded: ``present`` true, the rest false."""
    row: dict[str, Any] = dict.fromkeys(SSC_FEATURES, False)
    row.update(dict.fromkeys(present, True))
    return row | values


def iim_patient(age: float | None, *present: str, **values: Any) -> dict[str, Any]:
    """Every IIM item recorded: ``present`` true, the rest false, onset at ``age``."""
    row: dict[str, Any] = dict.fromkeys(IIM_BOOLEANS, False)
    row.update(dict.fromkeys(present, True))
    row["age_at_myositis_onset"] = age
    return row | values


@cache
def _evaluator(cset_id: str, min_probability: float | None) -> RowEvaluator:
    cset = load_criteria_set(cset_id)
    return RowEvaluator(
        lambda t: add_explanation_columns(t, [cset], min_probability=min_probability)
    )


def evaluate_rows(
    cset: CriteriaSet, rows: Sequence[dict[str, Any]], *, min_probability: float | None = None
) -> list[CriteriaResult]:
    """Score and explain ``rows`` through the one compiled evaluator (in-memory DuckDB)."""
    scored, read = _evaluator(cset.id, min_probability).run(rows), CriteriaReader(cset)
    return [read(row) for row in scored]


def evaluate_set(
    cset: CriteriaSet, row: dict[str, Any], *, min_probability: float | None = None
) -> CriteriaResult:
    """Score and explain one patient through the one compiled evaluator."""
    return evaluate_rows(cset, [row], min_probability=min_probability)[0]
