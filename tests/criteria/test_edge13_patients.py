"""Edge patients, fourth round (edge13): angles edge10, edge11 and edge12 left open.

Every expected value was worked out by hand, before the code was run, from
design/clinical-reference.md (§1 van den Hoogen 2013, §2 LeRoy, §3 Lundberg 2017, §11 calciscope's
operational decisions) or from a decision documented in docs/criteria.md / docs/features.md,
and each row says which in its reason. Covered here: 2013 SSc totals of exactly 7, 8 and 9 from
item mixes not used before; telangiectasia and capillaroscopy recorded as not known (status
``unknown``) beside absent and present; unknown sub-items that cannot add beside a heavier one
(and so are not named among what could change the result); the sufficient item's both-hands
rule over time; the not-applicable gate with puffy fingers, the dorsum of the hand, no skin
thickening at all and a contradicting sufficient item; antibodies that do not score in either
set; LeRoy subsets from a recorded "no skin thickening", recorded back / neck beside a complete
mRSS, a clinician's "undetermined" beside a real subset; IIM 2017 by biopsy alone, by antibody
alone, one unknown item on either side of the 55 % line, CK in µkat/L with and without the
laboratory's range, sex or age unknown at the NORIP limits, two onset records, no birth data;
the clinician's overlap from WHO ICD-10 codes; the at-risk prompt and the sheet-like phenotype
with suggested, rejected and contradicting calcinosis facts; duplicate facts.

Patients go through the public API as edge12's do (``criteria.test_edge12_patients``): a
calciscope directory imported into a SQLite registry, ``api.explain_patient``, and
``api.load_study_data`` with suggested facts on the registry and on a DuckDB copy. All patients
SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from calciscope import api
from criteria.test_edge12_patients import BIOPSY_FINDINGS, Edge, edge_errors, run_edges
from criteria.test_edge_patients import DC_OVERLAP, PROXIMAL, fact, iim, skin, ssc

RASH = ("heliotrope_rash", "gottron_papules", "gottron_sign")
UNPAIRED = ("face", "chest", "abdomen")
PAIRED = ("fingers", "hand", "forearm", "upper_arm", "thigh", "lower_leg", "ankle_foot")
DISTAL = ("fingers", "hand", "forearm", "lower_leg", "ankle_foot", "face", "neck")


def _f(code: str, status: str = "present", **kw: Any) -> dict[str, Any]:
    return fact(code, status, **kw) | {"provenance": "edge13"}


def mrss(scores: dict[str, float], date: str = "2020-01-01") -> list[dict[str, Any]]:
    """A complete 17-site mRSS exam: ``scores`` by site (both sides of a paired one), else 0."""
    rows = [_f("mrss_site", date=date, value_num=scores.get(s, 0), body_site=s) for s in UNPAIRED]
    return rows + [
        _f("mrss_site", date=date, value_num=scores.get(s, 0), body_site=s, laterality=side)
        for s in PAIRED
        for side in ("right", "left")
    ]


def calc(site: str, morphology: str, date: str = "2020-01-01", **kw: Any) -> dict[str, Any]:
    """A calcinosis lesion seen on a radiograph."""
    return _f(
        "calcinosis", date=date, body_site=site, morphology=morphology, method="radiograph", **kw
    )


def lab(
    code: str, value: float, unit: str = "U/L", date: str = "2020-01-01", **kw: Any
) -> dict[str, Any]:
    return _f(code, date=date, value_num=value, unit=unit, **kw)


# fmt: off
EDGES: list[Edge] = [
    # ---- 2013 ACR/EULAR SSc: other mixes at 7, 8 and 9 (§1.1) ----------------------------
    Edge("N01", ssc("fingertip_pitting_scars", "raynaud_phenomenon", "anti_centromere"),
         {"ssc2013_status": "classified", "ssc2013_score_min": 9, "ssc2013_score_max": 9},
         "§1.1 pitting scars 3 + Raynaud 3 + ACA 3 = 9, no skin thickening at all: classified"),
    Edge("N02", ssc("puffy_fingers", "digital_tip_ulcers", "raynaud_phenomenon"),
         {"ssc2013_status": "not_classified", "ssc2013_score_min": 7, "ssc2013_score_max": 7},
         "§1.1 the two lower sub-items + Raynaud: 2 + 2 + 3 = 7"),
    Edge("N03", ssc("sclerodactyly", "interstitial_lung_disease", "anti_scl70"),
         {"ssc2013_status": "classified", "ssc2013_score_min": 9, "ssc2013_score_max": 9},
         "§1.1 no Raynaud: sclerodactyly 4 + ILD 2 + anti-Scl-70 3 = 9"),
    Edge("N04", ssc("puffy_fingers", "raynaud_phenomenon", "anti_rna_polymerase_iii"),
         {"ssc2013_status": "not_classified", "ssc2013_score_min": 8, "ssc2013_score_max": 8},
         "§1.1 puffy 2 + Raynaud 3 + anti-RNAP III 3 = 8, one short"),
    # ---- telangiectasia and capillaroscopy: not known vs absent (§1.1, §11.2) --------------
    Edge("N06", [*ssc("raynaud_phenomenon", "anti_centromere", "puffy_fingers",
                      unknown=("telangiectasia", "abnormal_nailfold_capillaries")),
                 _f("telangiectasia", "unknown"), _f("abnormal_nailfold_capillaries", "unknown")],
         {"ssc2013_status": "undetermined", "ssc2013_score_min": 8, "ssc2013_score_max": 12,
          "telangiectasia": None, "abnormal_nailfold_capillaries": None},
         "§11.2 both recorded 'not known' (capillaroscopy not done): 8 known, either could add 2",
         could_flip={"ssc2013": {"telangiectasia", "abnormal_nailfold_capillaries"}},
         states={"telangiectasia": "unknown", "abnormal_nailfold_capillaries": "unknown"}),
    Edge("N07", [*ssc("raynaud_phenomenon", "anti_centromere", "puffy_fingers",
                      unknown=("telangiectasia", "abnormal_nailfold_capillaries")),
                 _f("telangiectasia", "unknown", date="2018-01-01"),
                 _f("telangiectasia", "absent", date="2022-01-01"),
                 _f("abnormal_nailfold_capillaries", "absent", date="2018-01-01"),
                 _f("abnormal_nailfold_capillaries", "unknown", date="2022-01-01")],
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 8,
          "telangiectasia": False, "abnormal_nailfold_capillaries": False},
         "docs/features.md status: a recorded negative is absent whatever 'not known' record "
         "comes before or after it: 8 decided", could_flip={"ssc2013": set()}),
    Edge("N08", [*ssc("raynaud_phenomenon", "anti_centromere", "abnormal_nailfold_capillaries",
                      unknown=("telangiectasia",)),
                 _f("telangiectasia", "unknown"), _f("telangiectasia")],
         {"ssc2013_status": "classified", "ssc2013_score_min": 10, "telangiectasia": True},
         "§1.1 telangiectasia present beside a same-day 'not known': present, 3 + 3 + 2 + 2 = 10"),
    # ---- an unknown sub-item that cannot add beside a heavier one (§1.1, §11.2) -------------
    Edge("N09", ssc("raynaud_phenomenon", "sclerodactyly",
                    unknown=("puffy_fingers", "telangiectasia")),
         {"ssc2013_status": "undetermined", "ssc2013_score_min": 7, "ssc2013_score_max": 9},
         "§1.1/§11.2 7 known; telangiectasia could make 9, puffy fingers (2) never beside "
         "sclerodactyly (4): only telangiectasia could change it",
         could_flip={"ssc2013": {"telangiectasia"}},
         states={"puffy_fingers": "unknown", "sclerodactyly": "counted"}),
    Edge("N10", ssc("fingertip_pitting_scars", "raynaud_phenomenon",
                    unknown=("digital_tip_ulcers", "abnormal_nailfold_capillaries")),
         {"ssc2013_status": "not_classified", "ssc2013_score_min": 6, "ssc2013_score_max": 8},
         "§1.1 ulcers (2) cannot add beside pitting scars (3); NFC 2 reaches 8 at most: decided",
         could_flip={"ssc2013": set()}),
    Edge("N11", ssc("raynaud_phenomenon", "anti_scl70", "telangiectasia",
                    unknown=("anti_centromere", "anti_rna_polymerase_iii")),
         {"ssc2013_status": "not_classified", "ssc2013_score_min": 8, "ssc2013_score_max": 8},
         "§1.1 antibodies max 3: with anti-Scl-70 present the unknown ACA / RNAP III add nothing",
         could_flip={"ssc2013": set()}),
    # ---- antibodies that score in neither set (§1.3, §3.1) ---------------------------------
    Edge("N12", [*ssc("raynaud_phenomenon", "abnormal_nailfold_capillaries", "telangiectasia"),
                 _f("anti_pm_scl"), _f("anti_u1rnp"), _f("anti_ku"), _f("anti_th_to"),
                 _f("anti_jo1")],
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 7},
         "§1.3 anti-PM/Scl, U1RNP, Ku, Th/To (and Jo-1) do not score in SSc 2013: 3 + 2 + 2 = 7"),
    # ---- the sufficient item: both hands, over time (§1.1) ---------------------------------
    Edge("N13", [*ssc(unknown=("skin_thickening_proximal_to_mcp",)),
                 _f("skin_thickening_proximal_to_mcp", laterality="unspecified")],
         {"ssc2013_status": "classified", "skin_thickening_proximal_to_mcp": True},
         "docs/features.md both_sides: a fact with side 'unspecified' counts as a fact without "
         "a side: sufficient"),
    Edge("N14", [*ssc(unknown=("skin_thickening_proximal_to_mcp",)),
                 _f("skin_thickening_proximal_to_mcp", "absent", date="2018-01-01",
                    laterality="right"),
                 _f("skin_thickening_proximal_to_mcp", date="2021-01-01", laterality="right"),
                 _f("skin_thickening_proximal_to_mcp", date="2021-01-01", laterality="left")],
         {"ssc2013_status": "classified", "ssc2013_score_min": 9},
         "§1.1 items count if ever present: both hands in 2021 beat the right hand absent in 2018"),
    Edge("N15", [*ssc(unknown=("skin_thickening_proximal_to_mcp",)),
                 _f("skin_thickening_proximal_to_mcp", date="2018-01-01", laterality="left"),
                 _f("skin_thickening_proximal_to_mcp", date="2025-03-01", laterality="right")],
         {"ssc2013_status": "undetermined", "skin_thickening_proximal_to_mcp": None,
          "ssc2013_score_min": 0, "ssc2013_score_max": 9},
         "index date: the right hand only after the index date, so one hand known: unknown",
         could_flip={"ssc2013": {"skin_thickening_proximal_to_mcp"}}),
    # ---- the not-applicable gate (§1.2) -----------------------------------------------------
    Edge("N16", [*ssc("puffy_fingers", "raynaud_phenomenon", "anti_centromere",
                      "abnormal_nailfold_capillaries"),
                 *skin("forearm", absent=("fingers",))],
         {"ssc2013_status": "not_applicable", "ssc2013_score_min": 10},
         "§1.2/§1.3 puffy fingers are swelling, not thickening: forearm thickened, fingers not, "
         "no sclerodactyly: the thickening spares the fingers"),
    Edge("N17", [*ssc("skin_thickening_proximal_to_mcp"), *skin("forearm", absent=("fingers",))],
         {"ssc2013_status": "classified", "ssc2013_score_min": 9},
         "§1.2 the sufficient item recorded present is thickening of the fingers: not spared "
         "(the contradicting 'fingers not thickened' does not close the gate)"),
    Edge("N18", [*ssc("raynaud_phenomenon", "anti_centromere", "abnormal_nailfold_capillaries",
                      "telangiectasia"),
                 *skin("hand", absent=("fingers",))],
         {"ssc2013_status": "not_applicable"},
         "§1.2 the dorsum of the hand thickened, the fingers not: the fingers are spared"),
    Edge("N19", [*ssc("raynaud_phenomenon", "anti_centromere", "abnormal_nailfold_capillaries",
                      "telangiectasia"),
                 *skin(absent=(*PROXIMAL, *DISTAL))],
         {"ssc2013_status": "classified", "ssc2013_score_min": 10, "leroy_subset": "sine"},
         "§1.2/§2.1 no skin thickening anywhere is not thickening that spares the fingers: "
         "scored (10), and LeRoy gives sine scleroderma"),
    Edge("N20", [*ssc("skin_thickening_proximal_to_mcp"), _f("ssc_like_disorder", "unknown"),
                 _f("skin_thickening_sparing_fingers", "unknown")],
         {"ssc2013_status": "classified", "ssc_like_disorder": None},
         "§1.2 decision (docs/criteria.md): exclusions recorded 'not known' do not block"),
    # ---- LeRoy subsets (§2.1, §11.4) ----------------------------------------------------------
    Edge("L01", [_f("ssc_subset", value_text="dcssc", date="2018-01-01"),
                 _f("ssc_subset", value_text="undetermined", date="2022-01-01")],
         {"cutaneous_subset": "dcssc"},
         "§11.4 'undetermined' is no subset recorded (edge12 L06), so it cannot hide the dcSSc "
         "recorded before it; LeRoy subsets are by maximal extent (§2.1): dcSSc stands"),
    Edge("L02", [_f("ssc_subset", value_text="undetermined", date="2022-01-01"),
                 _f("ssc_subset", value_text="lcssc", date="2022-01-01")],
         {"cutaneous_subset": "lcssc", "subset_recorded_conflict": False},
         "§11.4 'undetermined' beside lcSSc the same day is no second subset: no conflict"),
    Edge("L03", [_f("ssc_subset", value_text="undetermined", date="2018-01-01"),
                 _f("ssc_subset", value_text="lcssc", date="2022-01-01")],
         {"cutaneous_subset": "lcssc"}, "§11.4 the latest recorded subset"),
    Edge("L04", [_f("ssc_subset", value_text="lcssc", date="2018-01-01"),
                 _f("ssc_subset", value_text="dcssc", date="2022-01-01")],
         {"cutaneous_subset": "dcssc"},
         "§11.4 latest record (edge10 L15 the other way round): lcSSc then dcSSc is dcSSc"),
    Edge("L05", [_f("skin_thickening", "absent")],
         {"leroy_subset": "sine", "cutaneous_subset": "sine"},
         "§2.1/docs/features.md: 'no skin thickening' without a site is absent at every region"),
    Edge("L06", [_f("skin_thickening", "absent", date="2018-01-01"),
                 *skin("upper_arm", date="2022-01-01")],
         {"leroy_subset": "dcssc"},
         "§11.4 maximal extent ever: upper arm thickened later beats 'no thickening' before"),
    Edge("L07", [*skin("back"), *mrss({"fingers": 2})],
         {"leroy_subset": "dcssc", "mrss_total": 4},
         "docs/criteria.md back: a recorded back thickening wins over a complete mRSS whose "
         "trunk sites are 0 (absent_if only rules the back out when nothing says thickened)"),
    Edge("L08", [*skin("neck"), *mrss({"fingers": 1})],
         {"leroy_subset": "lcssc", "mrss_total": 2},
         "§2.1 neck thickening is distal (face/neck): complete mRSS, proximal 0: limited"),
    Edge("L09", [_f("mrss_site", value_num=1, body_site="chest")],
         {"leroy_subset": "dcssc", "mrss_total": None},
         "§2.1/§11.4 one mRSS site, anterior chest 1: trunk thickened, dcSSc; total unknown"),
    Edge("L10", skin("forearm", absent=("upper_arm", "thigh", "chest", "abdomen")),
         {"leroy_subset": "undetermined"},
         "§2.1/§11.2 every proximal region but the back known absent: only the back could "
         "make it diffuse", could_flip={"leroy": {"back"}}),
    Edge("L11", skin(absent=(*PROXIMAL, "fingers", "hand", "forearm", "lower_leg",
                             "ankle_foot", "neck")),
         {"leroy_subset": "undetermined"},
         "§2.1/§11.2 no thickening anywhere but the face not examined: sine or limited",
         could_flip={"leroy": {"face"}}),
    Edge("L12", [_f("ssc_subset", value_text="undetermined"), *skin("upper_arm"),
                 _f("M34.82", system="ICD10CM")],
         {"cutaneous_subset": "dcssc", "at_risk_prompt": True},
         "§11.4/§11.7 recorded 'undetermined', LeRoy dcSSc, clinician overlap: the prompt"),
    # ---- IIM 2017 (§3.1, §3.2, §11.1); born 1970-01-01, onset 2020-01-01 (age 50) ------------
    Edge("I01", iim(*BIOPSY_FINDINGS[:3], biopsy=None),
         {"iim2017_variant": "with_biopsy", "iim2017_score_min": 7.0, "iim2017_score_max": 7.0,
          "iim2017_category": "probable", "iim2017_subgroup": "pm"},
         "§3.1/§3.3 biopsy alone, no rash: 2.2 + 1.7 + 1.2 + 1.9 = 7.0, P 0.625; adult, no rash, "
         "no rimmed vacuoles or finger-flexor weakness: PM"),
    Edge("I02", iim("anti_jo1"),
         {"iim2017_score_min": 6.0, "iim2017_score_max": 6.0,
          "iim2017_category": "not_classifiable", "iim2017_subgroup": "none"},
         "§11.1 anti-Jo-1 alone: 2.1 + 3.9 = 6.0 (P 0.66) but no rash and no biopsy"),
    Edge("I03", iim("anti_jo1", unknown=RASH),
         {"iim2017_score_min": 6.0, "iim2017_score_max": 14.5,
          "iim2017_category": "undetermined", "iim2017_subgroup": "undetermined"},
         "§11.1/§11.2 rash unknown: not classifiable (none) or definite (any rash, >= 9.1)",
         could_flip={"iim2017": set(RASH)}),
    Edge("I04", [*iim("heliotrope_rash"), _f("anti_pm_scl"), _f("anti_mda5"), _f("anti_srp"),
                 _f("anti_ku")],
         {"iim2017_score_min": 4.4, "iim2017_score_max": 4.4, "iim2017_category": "not_iim",
          "iim2017_subgroup": "none"},
         "§3.1 only anti-Jo-1 scores: age 30 (1.3) + heliotrope 3.1 = 4.4, P 0.28",
         birth="1990-01-01"),
    Edge("I05", [*ssc("skin_thickening_proximal_to_mcp"),
                 *iim("heliotrope_rash", unknown=("weakness_proximal_upper",))],
         {"iim2017_score_min": 5.2, "iim2017_score_max": 5.9,
          "iim2017_category": "undetermined", "iim2017_subgroup": "undetermined",
          "ssc_myositis_overlap_criteria": None},
         "§3.2/§11.2 5.2 (P 0.47, not IIM) or 5.9 (P 0.64, probable DM): the overlap is unknown",
         could_flip={"iim2017": {"weakness_proximal_upper"}}),
    Edge("I06", [*ssc("skin_thickening_proximal_to_mcp"),
                 *iim("heliotrope_rash", "gottron_papules",
                      unknown=("dysphagia_or_oesophageal_dysmotility",))],
         {"iim2017_score_min": 7.3, "iim2017_score_max": 8.0,
          "iim2017_category": "undetermined", "iim2017_subgroup": "adm",
          "ssc_myositis_overlap_criteria": True},
         "§3.2/§11.3 7.3 (P 0.88) or 8.0 (P 0.94): probable or definite ADM, overlap either way",
         could_flip={"iim2017": {"dysphagia_or_oesophageal_dysmotility"}}),
    Edge("I07", [*iim("heliotrope_rash", "gottron_papules", unknown=("muscle_enzymes_elevated",)),
                 lab("creatine_kinase", 3.6, unit="µkat/L", reference_high=3.5)],
         {"muscle_enzymes_elevated": True, "iim2017_score_min": 8.6,
          "iim2017_category": "definite"},
         "§3.1 CK 3.6 µkat/L above the laboratory's 3.5: raised, 2.1 + 3.1 + 2.1 + 1.3 = 8.6"),
    Edge("I08", [*iim("heliotrope_rash", "gottron_papules", unknown=("muscle_enzymes_elevated",)),
                 lab("creatine_kinase", 3.5, unit="µkat/L", reference_high=3.5)],
         {"muscle_enzymes_elevated": None, "iim2017_score_min": 7.3, "iim2017_score_max": 8.6,
          "iim2017_category": "undetermined", "iim2017_subgroup": "adm"},
         "§3.1 CK at its ULN is not raised; LDH/AST/ALT unmeasured: 7.3 (probable) or 8.6"),
    Edge("I09", [lab("creatine_kinase", 2.0, unit="µkat/L"),
                 lab("lactate_dehydrogenase", 3.0, unit="µkat/L"),
                 lab("aspartate_aminotransferase", 0.4, unit="µkat/L"),
                 lab("alanine_aminotransferase", 0.5, unit="µkat/L")],
         {"muscle_enzymes_elevated": None},
         "docs/criteria.md: values in µkat/L without their range are not compared with the U/L "
         "table: never read as 2 U/L (normal), so unknown"),
    Edge("I17", [lab("creatine_kinase", 5000, unit="u/l")],
         {"muscle_enzymes_elevated": True},
         "§3.1 CK 5000 'u/l' is U/L written in lower case: far above 210, raised"),
    Edge("I18", [lab("creatine_kinase", 150, unit=" iu/L "),
                 lab("lactate_dehydrogenase", 180, unit="U/l"),
                 lab("aspartate_aminotransferase", 20, unit="IU/L"),
                 lab("alanine_aminotransferase", 25, unit="u/L")],
         {"muscle_enzymes_elevated": False},
         "§3.1 all four measured, spellings of U/L, each at or below its NORIP limit: not raised"),
    Edge("I10", [lab("creatine_kinase", 300)],
         {"muscle_enzymes_elevated": True},
         "NORIP: sex unknown, age 50: 300 U/L is above every limit it could have (210, 280)",
         sex="unknown"),
    Edge("I11", [lab("creatine_kinase", 300, date="2019-12-31")],
         {"muscle_enzymes_elevated": None},
         "NORIP: sex unknown, age 49: 300 is above 210 (women) but not 400 (men < 50)",
         sex="unknown"),
    Edge("I12", [lab("creatine_kinase", 300, date="2019-12-31")],
         {"muscle_enzymes_elevated": True},
         "NORIP: man born in 1969 (year only) is 50 on 2019-12-31 whatever his birthday: 280 "
         "(edge13 fix: the year of the band's start was taken as either band)",
         birth="1969", sex="male"),
    Edge("I13", [lab("creatine_kinase", 300, date="2019-12-30")],
         {"muscle_enzymes_elevated": None},
         "NORIP: the day before, born 1969-12-31 he is 49 (400): raised or not, unknown",
         birth="1969", sex="male"),
    Edge("I14", [*iim("heliotrope_rash", "gottron_sign", "weakness_proximal_lower",
                      onset="2018-06-01"),
                 _f("myositis_onset", date="2021-06-01")],
         {"iim2017_score_min": 7.2, "iim2017_score_max": 7.2, "iim2017_category": "probable",
          "iim2017_subgroup": "jdm"},
         "§3.1/§3.3 age at onset of the FIRST symptom: 17 (2018), not 20 (2021): 3.1 + 3.3 + "
         "0.8 = 7.2 (P 0.87), JDM", birth="2001-01-01"),
    Edge("I15", iim("heliotrope_rash", "gottron_papules", "weakness_proximal_upper"),
         {"age_at_myositis_onset": None, "iim2017_score_min": 5.9, "iim2017_score_max": 8.0,
          "iim2017_category": "undetermined", "iim2017_subgroup": "undetermined"},
         "§11.2 no date or year of birth: age unknown, 5.9 (P 0.64) to 8.0 (P 0.94); JDM or DM",
         birth=""),
    Edge("I16", ssc("skin_thickening_proximal_to_mcp"),
         {"iim2017_score_min": 0, "iim2017_score_max": 29.5, "iim2017_category": "undetermined",
          "ssc_myositis_overlap_criteria": None},
         "§3.1/§11.2 nothing recorded about muscles: 0 to the with-biopsy maximum 29.5, "
         "undetermined, never not IIM; so the overlap by criteria is unknown"),
    # ---- clinician-recorded overlap (§6.3, §11.3) ---------------------------------------------
    Edge("O01", [_f("M34.0", system="ICD10"), _f("M33.2", system="ICD10")],
         {"ssc_myositis_overlap_clinician": True},
         "§6.3/§11.3 WHO ICD-10: SSc (M34.0) and polymyositis (M33.2) coded: overlap recorded"),
    Edge("O02", [_f("M34.0", system="ICD10"), _f("myositis_diagnosis", "absent"),
                 _f("myositis_unspecified", "absent")],
         {"ssc_myositis_overlap_clinician": False},
         "§11.3 SSc coded, IIM and myositis-unspecified both recorded absent: no clinician "
         "overlap"),
    # first written expecting False, then left unknown (M60.8/M60.9 not recorded either way);
    # fixes17 decided it: the myositis of an overlap is an IIM, so "no IIM" says none
    # (docs/criteria.md, edge17 Z01-Z05)
    Edge("O03", [_f("M34.0", system="ICD10"), _f("myositis_diagnosis", "absent")],
         {"ssc_myositis_overlap_clinician": False},
         "§5.2/§6.2/§11.3 IIM recorded absent, M60.8/M60.9 not recorded: the overlap's myositis "
         "is an IIM, so no clinician overlap (fixes17)"),
    # ---- at-risk prompt with suggested / rejected calcinosis facts (§11.7) ------------------
    Edge("R01", [*DC_OVERLAP, calc("thigh", "sheet_like", review_state="suggested")],
         {"calcinosis_any": None, "at_risk_prompt": True},
         "§11.7 a suggested lesion is not known calcinosis until confirmed: prompt; counted "
         "(sensitivity), calcinosis is known: no prompt",
         sensitivity={"calcinosis_any": True, "at_risk_prompt": False}),
    Edge("R02", [*DC_OVERLAP, calc("thigh", "sheet_like", review_state="rejected",
                                   date="2024-06-01")],
         {"calcinosis_any": None, "at_risk_prompt": True},
         "§11.7 a rejected lesion is neither calcinosis nor an assessment: prompt in both",
         sensitivity={"calcinosis_any": None, "at_risk_prompt": True}),
    Edge("R03", [*DC_OVERLAP, _f("calcinosis", "absent", date="2024-06-01", method="radiograph",
                                 review_state="suggested")],
         {"at_risk_prompt": True},
         "§11.7 a suggested 'no calcinosis' is an assessment only once confirmed",
         sensitivity={"at_risk_prompt": False}),
    Edge("R04", [*DC_OVERLAP, calc("hand", "nodular", date="2018-01-01"),
                 _f("calcinosis", "absent", date="2022-01-01")],
         {"calcinosis_any": True, "at_risk_prompt": False},
         "§11.6 calcinosis confirmed once stays known ('ever'), whatever a later negative says"),
    Edge("R05", [_f("ssc_subset", value_text="dcssc"),
                 _f("skin_thickening_proximal_to_mcp", review_state="suggested"),
                 *iim("heliotrope_rash", "gottron_papules")],
         {"ssc2013_status": "undetermined", "iim2017_category": "probable",
          "ssc_myositis_overlap_criteria": None, "at_risk_prompt": None},
         "§11.2/§11.7 SSc rests on a suggested sufficient item: undetermined (0 to 28), so the "
         "overlap by criteria and the prompt are unknown; counted, SSc is classified, IIM "
         "probable (7.3, P 0.88): overlap, and the prompt (no radiograph)",
         sensitivity={"ssc2013_status": "classified", "ssc_myositis_overlap_criteria": True,
                      "at_risk_prompt": True}),
    # ---- sheet-like phenotype (§11.5, §11.6) --------------------------------------------------
    Edge("C01", [calc("thigh", "sheet_like"), calc("back", "sheet_like", review_state="suggested")],
         {"calcinosis_extent_regions": 1, "extensive_sheet_like_calcinosis": False},
         "§11.6 one confirmed sheet-like region (the second only suggested): not extensive; "
         "with suggested facts 2 regions, extensive",
         sensitivity={"calcinosis_extent_regions": 2, "extensive_sheet_like_calcinosis": True}),
    Edge("C02", [calc("thigh", "sheet_like"), calc("back", "sheet_like", review_state="rejected")],
         {"extensive_sheet_like_calcinosis": False},
         "§11.6 a rejected second region never counts", sensitivity={
             "extensive_sheet_like_calcinosis": False}),
    Edge("C03", [calc("hand", "sheet_like"), calc("wrist", "sheet_like")],
         {"calcinosis_extent_regions": 2, "extensive_sheet_like_calcinosis": True},
         "§11.5 hand and wrist are two regions of the vocabulary: 2, extensive"),
    Edge("C04", [calc("thigh", "sheet_like"), calc("thigh", "sheet_like"),
                 calc("thigh", "sheet_like", date="2022-01-01", laterality="left")],
         {"calcinosis_extent_regions": 1, "extensive_sheet_like_calcinosis": False},
         "§11.5 the same lesion twice and the thigh again later: one region"),
    Edge("C05", [calc("thigh", "sheet_like"), _f("calcinosis", "absent")],
         {"calcinosis_any": True, "calcinosis_extent_regions": 1,
          "extensive_sheet_like_calcinosis": False},
         "docs/features.md: present and absent the same day, the present lesion counts (1 region)"),
    # ---- bad or odd data ----------------------------------------------------------------------
    Edge("D01", [*ssc("raynaud_phenomenon", "anti_centromere", "abnormal_nailfold_capillaries"),
                 _f("raynaud_phenomenon", provenance="copy"),
                 _f("HP:0030880", system="HP"), _f("I73.0", system="ICD10")],
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 8},
         "§1.1 Raynaud recorded four times under three codes counts 3 once: 8"),
    Edge("D02", [*ssc(unknown=("skin_thickening_proximal_to_mcp",)),
                 _f("skin_thickening_proximal_to_mcp", laterality="left"),
                 _f("skin_thickening_proximal_to_mcp", laterality="right"),
                 _f("skin_thickening_proximal_to_mcp", "absent", laterality="right")],
         {"ssc2013_status": "classified", "skin_thickening_proximal_to_mcp": True},
         "docs/features.md status: present and absent the same day, present counts: both hands"),
]
# fmt: on


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_edges(tmp_path_factory, EDGES, "edge13")


@pytest.mark.parametrize("edge", EDGES, ids=[e.pid for e in EDGES])
def test_edge13_patient(outcomes: dict[str, Any], edge: Edge) -> None:
    wrong = edge_errors(outcomes, edge)
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("pid", "value", "note"),
    [
        ("L12", True, "consider radiographic assessment for calcinosis"),
        ("R04", False, "no prompt ["),
        ("N06", None, "prompt unknown"),
    ],
)
def test_the_prompt_note_says_unknown_when_it_is(
    outcomes: dict[str, Any], pid: str, value: bool | None, note: str
) -> None:
    """§11.2 unknown is not absent: an undecided prompt's note says so, never "no prompt"
    (edge13: `calciscope patients show N06 --explain` printed "unknown" beside "no prompt")."""
    (prompt,) = [p for p in outcomes["explained"][pid].phenotypes if p.id == "at_risk_prompt"]
    assert prompt.value is value
    assert prompt.note.startswith(note)


@pytest.mark.parametrize(
    ("day", "low", "high", "words"),
    [("2019-12-31", 280, 280, "aged 50"), ("2019-12-30", 280, 400, "aged 49-50")],
)
def test_the_uln_shown_for_a_birth_year_only_agrees_with_the_item(
    day: str, low: float, high: float, words: str
) -> None:
    """NORIP CK for men: 400 below 50, 280 from 50. Born in 1969 (year only): on 2019-12-31 he
    is 50 whatever his birthday, the day before 49 or 50 (patients I12, I13; SYNTHETIC)."""
    import datetime as dt

    from calciscope.model import Fact, Patient

    man = Patient(patient_id="I12", sex="male", birth_year=1969, synthetic=True)
    ck = Fact(
        patient_id="I12", system="LOINC", code="2157-6", value_num=300.0, unit="U/L",
        effective_date=dt.date.fromisoformat(day),
    )  # fmt: skip
    limit = api.lab_limit(ck, man)
    assert limit is not None and (limit.low, limit.high) == (low, high)
    assert words in limit.text


def test_redcap_keeps_the_subset_an_undetermined_would_hide(tmp_path: Path) -> None:
    """§11.4 (patient L01): dcSSc in 2018, "undetermined" in 2022. The REDCap subset field holds
    one value: the one the feature reads (dcssc), so the round trip keeps it (SYNTHETIC)."""
    (tmp_path / "patients.csv").write_text(
        "patient_id,sex,birth_date,birth_year,centre,synthetic\nP1,female,1970-01-01,1970,e13,true\n"
    )
    (tmp_path / "facts.csv").write_text(
        "patient_id,system,code,status,effective_date,value_text\n"
        "P1,calciscope,ssc_subset,present,2018-01-01,dcssc\n"
        "P1,calciscope,ssc_subset,present,2022-01-01,undetermined\n"
    )
    features = []
    with api.open_registry(f"sqlite:///{tmp_path / 'a.db'}") as source:
        api.import_directory(source, tmp_path)
        features.append(api.patient_features(source, ["P1"]).to_pylist()[0])
        api.export_redcap(source, tmp_path / "redcap")
    folder = tmp_path / "redcap"
    with api.open_registry(f"sqlite:///{tmp_path / 'b.db'}") as target:
        api.import_redcap(
            target, folder / "data.csv", folder / "dictionary.csv", folder / "mapping.yaml"
        )
        features.append(api.patient_features(target, ["P1"]).to_pylist()[0])
    assert [f["subset_recorded"] for f in features] == ["dcssc", "dcssc"]
