"""Builders of fully specified patients for the criteria tests (imported by the test modules)."""

from __future__ import annotations

from typing import Any

from calciscope.criteria import load_criteria_set

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
