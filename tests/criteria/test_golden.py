"""Golden cases: every worked example of clinical-reference.md §1.4, §3.2, §3.4 and §9.

Values are copied from the section cited beside each case (the IIM probabilities there were
computed with the logistic constants 5.33 / 6.49, clinical-reference §3.2).
"""

from __future__ import annotations

import math

import pytest

from calciscope.criteria import load_criteria_set
from criteria.criteria_builders import MRSS_SITES, REGIONS, evaluate_set, iim_patient, ssc_patient

SSC = load_criteria_set("ssc2013")
IIM = load_criteria_set("iim2017")
LEROY = load_criteria_set("leroy")
MRSS = load_criteria_set("mrss")


# clinical-reference §1.4 (2013 ACR/EULAR SSc test vectors)
@pytest.mark.parametrize(
    ("present", "score", "status"),
    [
        (("skin_thickening_proximal_to_mcp",), 9, "classified"),
        (
            ("raynaud_phenomenon", "abnormal_nailfold_capillaries", "anti_centromere"),
            8,
            "not_classified",
        ),
        (
            (
                "raynaud_phenomenon",
                "abnormal_nailfold_capillaries",
                "anti_centromere",
                "telangiectasia",
            ),
            10,
            "classified",
        ),
        (
            (
                "puffy_fingers",
                "sclerodactyly",
                "digital_tip_ulcers",
                "fingertip_pitting_scars",
                "raynaud_phenomenon",
                "anti_centromere",
                "anti_scl70",
            ),
            13,
            "classified",
        ),
        (
            (
                "pulmonary_arterial_hypertension",
                "interstitial_lung_disease",
                "raynaud_phenomenon",
                "anti_rna_polymerase_iii",
            ),
            8,
            "not_classified",
        ),
    ],
)
def test_ssc2013_test_vectors(present: tuple[str, ...], score: int, status: str) -> None:
    result = evaluate_set(SSC, ssc_patient(*present))
    assert (result.score_min, result.score_max, result.status) == (score, score, status)
    assert result.decided


def test_ssc2013_not_applicable_when_fingers_spared() -> None:
    # §1.4 last row: skin thickening of the forearms only, fingers spared → not applicable
    result = evaluate_set(SSC, ssc_patient("skin_thickening_sparing_fingers"))
    assert result.status == "not_applicable"


def test_ssc2013_unknown_gate_does_not_block() -> None:
    row = ssc_patient(
        "skin_thickening_proximal_to_mcp",
        skin_thickening_sparing_fingers=None,
        ssc_like_disorder=None,
    )
    assert evaluate_set(SSC, row).status == "classified"


def test_ssc2013_anti_pm_scl_does_not_score() -> None:
    # §1.3: anti-PM/Scl is not an SSc-related antibody of the 2013 criteria
    row = ssc_patient("raynaud_phenomenon", anti_pm_scl=True)
    assert evaluate_set(SSC, row).score_max == 3


# clinical-reference §3.2 edge table: (variant, score, P, category by score cut-off, by probability)
EDGE = [
    (
        "without_biopsy",
        (35, "heliotrope_rash", "legs_proximal_weaker_than_distal"),
        5.3,
        0.4925,
        "possible",
        "not_iim",
    ),
    (
        "without_biopsy",
        (35, "gottron_sign", "legs_proximal_weaker_than_distal"),
        5.5,
        0.5424,
        "probable",
        "possible",
    ),
    (
        "without_biopsy",
        (50, "gottron_sign", "muscle_enzymes_elevated", "weakness_proximal_lower"),
        7.5,
        0.8975,
        "definite",
        "probable",
    ),
    (
        "with_biopsy",
        (50, "heliotrope_rash", "weakness_proximal_upper", "dysphagia_or_oesophageal_dysmotility"),
        6.7,
        0.5523,
        "probable",
        "probable",
    ),
    (
        "with_biopsy",
        (50, "heliotrope_rash", "biopsy_endomysial_infiltrate", "neck_flexor_weaker_than_extensor"),
        8.7,
        0.9011,
        "definite",
        "definite",
    ),
]
PUBLISHED_CUTOFFS = {"without_biopsy": (5.3, 5.5, 7.5), "with_biopsy": (6.5, 6.7, 8.7)}  # §3.2


def _by_score(variant: str, score: float) -> str:
    possible, probable, definite = PUBLISHED_CUTOFFS[variant]
    if score >= definite - 1e-9:
        return "definite"
    if score >= probable - 1e-9:
        return "probable"
    return "possible" if score >= possible - 1e-9 else "not_iim"


@pytest.mark.parametrize(("variant", "patient", "score", "p", "by_score", "by_probability"), EDGE)
def test_iim2017_edge_table(
    variant: str, patient: tuple, score: float, p: float, by_score: str, by_probability: str
) -> None:
    age, *present = patient
    row = iim_patient(age, *present, muscle_biopsy_done=variant == "with_biopsy")
    out = evaluate_set(IIM, row).outputs
    assert out["iim2017_variant"] == variant
    assert out["iim2017_score_min"] == out["iim2017_score_max"] == score
    assert out["iim2017_probability_min"] == pytest.approx(p, abs=5e-5)
    assert _by_score(variant, score) == by_score  # the published rounded cut-offs
    assert out["iim2017_category"] == by_probability  # our rule (§11.1)


# clinical-reference §3.4 worked examples A–E and B0
CASES = [
    (
        "A",
        52,
        (
            "weakness_proximal_upper",
            "weakness_proximal_lower",
            "heliotrope_rash",
            "gottron_papules",
            "muscle_enzymes_elevated",
        ),
        False,
        10.1,
        0.9916,
        "definite",
        "dm",
    ),
    (
        "B",
        45,
        (
            "weakness_proximal_upper",
            "weakness_proximal_lower",
            "neck_flexor_weaker_than_extensor",
            "muscle_enzymes_elevated",
            "dysphagia_or_oesophageal_dysmotility",
            "biopsy_endomysial_infiltrate",
            "biopsy_perimysial_perivascular_infiltrate",
        ),
        True,
        9.9,
        0.9680,
        "definite",
        "pm",
    ),
    (
        "B0",
        45,
        (
            "weakness_proximal_upper",
            "weakness_proximal_lower",
            "neck_flexor_weaker_than_extensor",
            "muscle_enzymes_elevated",
            "dysphagia_or_oesophageal_dysmotility",
        ),
        False,
        7.5,
        0.8975,
        "not_classifiable",
        "none",
    ),
    (
        "C",
        9,
        ("heliotrope_rash", "gottron_sign", "weakness_proximal_lower", "muscle_enzymes_elevated"),
        False,
        8.5,
        0.9597,
        "definite",
        "jdm",
    ),
    ("D", 35, ("heliotrope_rash", "gottron_papules"), False, 6.5, 0.7631, "probable", "adm"),
    (
        "E",
        68,
        (
            "weakness_proximal_lower",
            "muscle_enzymes_elevated",
            "dysphagia_or_oesophageal_dysmotility",
            "biopsy_endomysial_infiltrate",
            "biopsy_rimmed_vacuoles",
        ),
        True,
        9.5,
        0.9530,
        "definite",
        "ibm",
    ),
]


@pytest.mark.parametrize(
    ("case", "age", "present", "biopsy", "score", "p", "category", "subgroup"), CASES
)
def test_iim2017_worked_examples(
    case: str,
    age: float,
    present: tuple,
    biopsy: bool,
    score: float,
    p: float,
    category: str,
    subgroup: str,
) -> None:
    out = evaluate_set(IIM, iim_patient(age, *present, muscle_biopsy_done=biopsy)).outputs
    assert out["iim2017_score_min"] == pytest.approx(score) and out[
        "iim2017_score_max"
    ] == pytest.approx(score)
    assert out["iim2017_probability_max"] == pytest.approx(p, abs=5e-5)
    assert (out["iim2017_category"], out["iim2017_subgroup"]) == (category, subgroup)


def test_iim2017_b0_probability_rule_says_probable_before_the_entry_rule() -> None:
    # §3.4 B0: by probability alone 7.5 is probable; it cannot be classified without rash or biopsy
    thresholds = dict(IIM.probability.thresholds("without_biopsy"))  # type: ignore[union-attr]
    # the scores the compiler compares with; the entry rule is tested with B0 in the table above
    assert thresholds["definite"] > 75 >= thresholds["probable"]


def test_iim2017_unknown_age_spans_both_age_items() -> None:
    out = evaluate_set(IIM, iim_patient(None, "heliotrope_rash")).outputs
    assert (out["iim2017_score_min"], out["iim2017_score_max"]) == (3.1, 3.1 + 2.1)


def test_iim2017_min_probability_is_configurable() -> None:
    row = iim_patient(35, "gottron_sign", "legs_proximal_weaker_than_distal")  # 5.5, P 0.5424
    assert evaluate_set(IIM, row).outputs["iim2017_category"] == "possible"
    assert evaluate_set(IIM, row, min_probability=0.5).outputs["iim2017_category"] == "probable"


def _regions(*thick: str) -> dict[str, bool]:
    return {f"skin_thickening_{r}": r in thick for r in REGIONS}


# clinical-reference §9 (subset) and §2.1
@pytest.mark.parametrize(
    ("row", "subset"),
    [
        (_regions("forearms", "face"), "lcssc"),
        (_regions("upper_arms"), "dcssc"),
        (_regions("thighs", "fingers"), "dcssc"),
        (_regions("chest"), "dcssc"),
        (_regions("abdomen"), "dcssc"),
        (_regions("back"), "dcssc"),
        (_regions(), "sine"),
        ({"skin_thickening_upper_arms": True}, "dcssc"),  # decided by one proximal region
        ({"skin_thickening_forearms": True}, "undetermined"),  # proximal regions unknown
        ({}, "undetermined"),  # no skin data
        (
            _regions("fingers") | {"skin_thickening_chest": None, "mrss_anterior_chest": 0.0},
            "lcssc",
        ),
        (_regions() | {"mrss_thighs_left": 1.0}, "dcssc"),
    ],
)
def test_leroy_subsets(row: dict, subset: str) -> None:
    assert evaluate_set(LEROY, row).outputs["leroy_subset"] == subset


# clinical-reference §9 (mRSS)
def test_mrss_all_sites_three_is_51() -> None:
    assert evaluate_set(MRSS, dict.fromkeys(MRSS_SITES, 3.0)).outputs["mrss_total"] == 51


def test_mrss_fingers_two_is_four() -> None:
    row = dict.fromkeys(MRSS_SITES, 0.0) | {"mrss_fingers_right": 2.0, "mrss_fingers_left": 2.0}
    assert evaluate_set(MRSS, row).outputs["mrss_total"] == 4


def test_mrss_missing_site_gives_null_total_and_bounds() -> None:
    row = dict.fromkeys(MRSS_SITES, 1.0) | {"mrss_face": math.nan}
    out = evaluate_set(MRSS, row).outputs
    assert (out["mrss_total"], out["mrss_total_min"], out["mrss_total_max"]) == (None, 16, 19)


def test_explanation_notes_gate_entry_rule_and_multiple_antibodies() -> None:
    gated = evaluate_set(SSC, ssc_patient("ssc_like_disorder"))
    assert any("ssc_like_disorder" in n for n in gated.notes)
    several = evaluate_set(SSC, ssc_patient("anti_centromere", "anti_scl70"))
    assert any("more than one SSc-specific antibody" in n for n in several.notes)  # §11.8
    b0 = evaluate_set(IIM, iim_patient(45, "weakness_proximal_upper"))
    assert any(n.startswith("not classifiable") for n in b0.notes)


# edge5: hand-computed edge patients (boundary scores, highest sub-item per item, unknown items
# and score bounds, §1.1-§1.2 and §11.2). Unlisted items are recorded absent; None is unknown.
_UNKNOWN = dict.fromkeys(ssc_patient(), None)


@pytest.mark.parametrize(
    ("row", "status", "low", "high", "flips"),
    [
        # RP 3 + sclerodactyly 4 + telangiectasia 2 = exactly 9
        (ssc_patient("raynaud_phenomenon", "sclerodactyly", "telangiectasia"), "classified", 9, 9, ()),
        # DU 2 + RP 3 + NFC 2 + telangiectasia 2 = exactly 9
        (ssc_patient("digital_tip_ulcers", "raynaud_phenomenon", "abnormal_nailfold_capillaries",
                     "telangiectasia"), "classified", 9, 9, ()),
        # puffy 2 < 9 with RP 3 + ACA 3 = 8
        (ssc_patient("raynaud_phenomenon", "puffy_fingers", "anti_centromere"), "not_classified", 8, 8, ()),
        # ulcers + pitting scars count 3, not 5: 3 + RP 3 + NFC 2 = 8
        (ssc_patient("digital_tip_ulcers", "fingertip_pitting_scars", "raynaud_phenomenon",
                     "abnormal_nailfold_capillaries"), "not_classified", 8, 8, ()),
        # puffy + sclerodactyly count 4: 4 + RP 3 + pitting scars 3 = 10
        (ssc_patient("puffy_fingers", "sclerodactyly", "raynaud_phenomenon",
                     "fingertip_pitting_scars"), "classified", 10, 10, ()),
        # PAH + ILD count 2: 2 + RP 3 + sclerodactyly 4 = 9
        (ssc_patient("pulmonary_arterial_hypertension", "interstitial_lung_disease",
                     "raynaud_phenomenon", "sclerodactyly"), "classified", 9, 9, ()),
        # three SSc antibodies count 3: RP 3 + 3 = 6
        (ssc_patient("raynaud_phenomenon", "anti_centromere", "anti_scl70", "anti_rna_polymerase_iii"),
         "not_classified", 6, 6, ()),
        # sufficient criterion with every other item unknown
        (_UNKNOWN | {"skin_thickening_proximal_to_mcp": True}, "classified", 9, 28, ()),
        # 8 known, telangiectasia unknown: 8..10, only telangiectasia could flip it
        (ssc_patient("raynaud_phenomenon", "anti_centromere", "abnormal_nailfold_capillaries",
                     telangiectasia=None), "undetermined", 8, 10, ("telangiectasia",)),
        # 6 known, telangiectasia unknown: at most 8, decided anyway
        (ssc_patient("raynaud_phenomenon", "anti_centromere", telangiectasia=None),
         "not_classified", 6, 8, ()),
        # puffy known, sclerodactyly unknown: 8..10 (sclerodactyly would replace puffy's 2)
        (ssc_patient("raynaud_phenomenon", "anti_centromere", "puffy_fingers", sclerodactyly=None),
         "undetermined", 8, 10, ("sclerodactyly",)),
        # sclerodactyly known, puffy unknown: puffy cannot add to the 4 (7..7)
        (ssc_patient("raynaud_phenomenon", "sclerodactyly", puffy_fingers=None), "not_classified", 7, 7, ()),
        # pitting scars known, ulcers unknown: ulcers cannot add (9..9)
        (ssc_patient("raynaud_phenomenon", "anti_centromere", "fingertip_pitting_scars",
                     digital_tip_ulcers=None), "classified", 9, 9, ()),
        # ulcers known, pitting scars unknown: 8..9
        (ssc_patient("raynaud_phenomenon", "anti_centromere", "digital_tip_ulcers",
                     fingertip_pitting_scars=None), "undetermined", 8, 9, ("fingertip_pitting_scars",)),
        # sufficient item unknown at 8: undetermined, 8..17
        (ssc_patient("raynaud_phenomenon", "anti_centromere", "abnormal_nailfold_capillaries",
                     skin_thickening_proximal_to_mcp=None), "undetermined", 8, 17,
         ("skin_thickening_proximal_to_mcp",)),
        # exclusions: fingers spared (even with the sufficient item or 12 points), SSc-like disorder
        (ssc_patient("skin_thickening_proximal_to_mcp", "skin_thickening_sparing_fingers"),
         "not_applicable", 9, 9, ()),
        (ssc_patient("skin_thickening_sparing_fingers", "raynaud_phenomenon", "anti_scl70",
                     "sclerodactyly", "telangiectasia"), "not_applicable", 12, 12, ()),
    ],
)  # fmt: skip
def test_ssc2013_edge_patients(row, status, low, high, flips) -> None:
    result = evaluate_set(SSC, row)
    assert (result.status, result.score_min, result.score_max) == (status, low, high)
    assert result.could_flip == flips


# edge5: IIM at the 50/55/90% cut-offs, age 18 and 40 boundaries, subgroups (§3.2, §3.3, §11.1)
@pytest.mark.parametrize(
    ("row", "score", "category", "subgroup"),
    [
        # 1.3 + 2.1 + 0.7 + 0.8 + 0.7 = 5.6 without biopsy, P 0.567
        (iim_patient(30, "gottron_papules", "weakness_proximal_upper", "weakness_proximal_lower",
                     "dysphagia_or_oesophageal_dysmotility"), 5.6, "probable", "dm"),
        # 2.1 + 3.1 + 2.1 + 0.7 = 8.0 without biopsy, P 0.935
        (iim_patient(50, "heliotrope_rash", "gottron_papules", "weakness_proximal_upper"), 8.0,
         "definite", "dm"),
        # with biopsy 1.5 + 3.7 + 0.6 + 0.7 = 6.5, P 0.5025: possible, below the 55% minimum
        (iim_patient(20, "gottron_sign", "dysphagia_or_oesophageal_dysmotility",
                     "weakness_proximal_upper", muscle_biopsy_done=True), 6.5, "possible", "none"),
        # with biopsy 1.5 + 3.7 + 1.2 + 0.5 = 6.9, P 0.60
        (iim_patient(20, "gottron_sign", "biopsy_perimysial_perivascular_infiltrate",
                     "weakness_proximal_lower", muscle_biopsy_done=True), 6.9, "probable", "dm"),
        # with biopsy 2.2 + 3.2 + 2.7 + 0.7 = 8.8, P 0.910
        (iim_patient(45, "heliotrope_rash", "gottron_papules", "weakness_proximal_upper",
                     muscle_biopsy_done=True), 8.8, "definite", "dm"),
        # onset just under 18 scores 0: 3.1 + 3.3 + 0.8 + 1.3 = 8.5, JDM
        (iim_patient(17.99, "heliotrope_rash", "gottron_sign", "weakness_proximal_lower",
                     "muscle_enzymes_elevated"), 8.5, "definite", "jdm"),
        # onset at exactly 18 scores 1.3: 9.8, adult DM
        (iim_patient(18, "heliotrope_rash", "gottron_sign", "weakness_proximal_lower",
                     "muscle_enzymes_elevated"), 9.8, "definite", "dm"),
        # amyopathic: onset at exactly 40 scores 2.1: 2.1 + 3.1 + 1.3 = 6.5, P 0.763, no weakness
        (iim_patient(40, "heliotrope_rash", "muscle_enzymes_elevated"), 6.5, "probable", "adm"),
        (iim_patient(39.99, "heliotrope_rash", "muscle_enzymes_elevated"), 5.7, "probable", "adm"),
        # anti-Jo-1 without rash and without biopsy: not classifiable (§11.1), never "not IIM"
        (iim_patient(50, "anti_jo1", "weakness_proximal_upper", "weakness_proximal_lower",
                     "muscle_enzymes_elevated"), 8.8, "not_classifiable", "none"),
        # anti-Jo-1 with biopsy: 2.2 + 3.8 + 0.7 + 0.5 + 1.4 + 1.2 = 9.8, no rash → PM
        (iim_patient(50, "anti_jo1", "weakness_proximal_upper", "weakness_proximal_lower",
                     "muscle_enzymes_elevated", "biopsy_perimysial_perivascular_infiltrate",
                     muscle_biopsy_done=True), 9.8, "definite", "pm"),
        # juvenile without rash, with biopsy: 0.7 + 0.5 + 1.6 + 1.4 + 1.7 + 1.9 = 7.8, P 0.78
        (iim_patient(10, "weakness_proximal_upper", "weakness_proximal_lower",
                     "neck_flexor_weaker_than_extensor", "muscle_enzymes_elevated",
                     "biopsy_endomysial_infiltrate", "biopsy_perifascicular_atrophy",
                     muscle_biopsy_done=True), 7.8, "probable", "juvenile_other"),
        # with biopsy 2.2 + 0.5 + 1.4 + 0.6 + 1.7 = 6.4 < 6.49: not IIM despite the IBM features
        (iim_patient(68, "weakness_proximal_lower", "muscle_enzymes_elevated",
                     "dysphagia_or_oesophageal_dysmotility", "biopsy_endomysial_infiltrate",
                     "finger_flexor_weakness_unresponsive", muscle_biopsy_done=True), 6.4, "not_iim", "none"),
        # ... plus proximal upper weakness 0.7 = 7.1, P 0.65: IBM by finger-flexor weakness
        (iim_patient(68, "weakness_proximal_upper", "weakness_proximal_lower",
                     "muscle_enzymes_elevated", "dysphagia_or_oesophageal_dysmotility",
                     "biopsy_endomysial_infiltrate", "finger_flexor_weakness_unresponsive",
                     muscle_biopsy_done=True), 7.1, "probable", "ibm"),
    ],
)  # fmt: skip
def test_iim2017_edge_patients(row, score, category, subgroup) -> None:
    out = evaluate_set(IIM, row).outputs
    assert (out["iim2017_score_min"], out["iim2017_score_max"]) == (score, score)
    assert (out["iim2017_category"], out["iim2017_subgroup"]) == (category, subgroup)


def test_iim2017_edge_unknown_age_and_weakness() -> None:
    # onset age unknown: 10.0 without the age items, definite anyway; JDM or DM stays open
    rash = ("heliotrope_rash", "gottron_sign", "gottron_papules")
    age_unknown = evaluate_set(IIM, iim_patient(None, *rash, "weakness_proximal_upper",
                                                "weakness_proximal_lower"))  # fmt: skip
    assert (age_unknown.outputs["iim2017_category"], age_unknown.outputs["iim2017_subgroup"]) == (
        "definite",
        "undetermined",
    )
    assert age_unknown.could_flip == ("age_at_myositis_onset",)
    # DM or amyopathic DM: 7.3 known, up to 11.6 with the four unknown weakness items
    weakness = dict.fromkeys(IIM_WEAKNESS, None)
    amyopathic = evaluate_set(
        IIM, iim_patient(50, "heliotrope_rash", "gottron_papules", **weakness)
    )
    assert (amyopathic.score_min, amyopathic.score_max) == (7.3, 11.6)
    assert amyopathic.outputs["iim2017_category"] == "undetermined"
    assert amyopathic.could_flip == IIM_WEAKNESS


IIM_WEAKNESS = (
    "weakness_proximal_upper",
    "weakness_proximal_lower",
    "neck_flexor_weaker_than_extensor",
    "legs_proximal_weaker_than_distal",
)
