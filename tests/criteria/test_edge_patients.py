"""Edge patients for every criteria set and phenotype, derived by hand from the clinical reference.

An outside audit (branch edge10): each patient sits on a cut-off, an unknown-versus-absent
boundary, a date boundary or a "highest sub-item only" rule. The expected values were worked out
from the clinical reference, design/clinical-reference.md (§1 SSc 2013, §2 LeRoy and mRSS, §3
IIM 2017, §11 calciscope's operational decisions), not from the code; each row says why in one
line. Every patient goes through the public API as a user would: a calciscope directory imported
into a SQLite registry, then ``api.explain_patient`` (one patient, in memory),
``api.load_study_data`` on the registry (the expression run inside SQLite) and on a DuckDB copy
of its rows: all three must give the expected value. All patients SYNTHETIC.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pytest

from calciscope import api

INDEX = dt.date(2024, 12, 31)
DAY = "2020-01-01"
HEADER = [
    "fact_id", "patient_id", "system", "code", "status", "effective_date", "value_num",
    "value_text", "unit", "body_site", "laterality", "morphology", "method", "source_kind",
    "provenance", "review_state",
]  # fmt: skip

SSC_ITEMS = (
    "skin_thickening_proximal_to_mcp", "puffy_fingers", "sclerodactyly", "digital_tip_ulcers",
    "fingertip_pitting_scars", "telangiectasia", "abnormal_nailfold_capillaries",
    "pulmonary_arterial_hypertension", "interstitial_lung_disease", "raynaud_phenomenon",
    "anti_centromere", "anti_scl70", "anti_rna_polymerase_iii",
)  # fmt: skip
IIM_ITEMS = (
    "weakness_proximal_upper", "weakness_proximal_lower", "neck_flexor_weaker_than_extensor",
    "legs_proximal_weaker_than_distal", "heliotrope_rash", "gottron_papules", "gottron_sign",
    "dysphagia_or_oesophageal_dysmotility", "anti_jo1", "muscle_enzymes_elevated",
    "biopsy_endomysial_infiltrate", "biopsy_perimysial_perivascular_infiltrate",
    "biopsy_perifascicular_atrophy", "biopsy_rimmed_vacuoles",
    "finger_flexor_weakness_unresponsive",
)  # fmt: skip
PROXIMAL = ("upper_arm", "thigh", "chest", "abdomen", "back")


def fact(code: str, status: str = "present", date: str | None = DAY, **kw: Any) -> dict[str, Any]:
    """One facts.csv row (system calciscope, confirmed unless ``review_state``)."""
    row = {"system": "calciscope", "code": code, "status": status, "effective_date": date or ""}
    row |= {"source_kind": "structured", "provenance": "edge10", "review_state": "confirmed"}
    return row | kw


def ssc(*present: str, unknown: tuple[str, ...] = (), date: str = DAY) -> list[dict[str, Any]]:
    """The 2013 SSc items: ``present`` present, ``unknown`` not recorded, every other absent."""
    for item in (*present, *unknown):
        assert item in SSC_ITEMS, item
    return [
        fact(i, "present" if i in present else "absent", date)
        for i in SSC_ITEMS
        if i not in unknown
    ]


def iim(
    *present: str,
    unknown: tuple[str, ...] = (),
    biopsy: bool | None = False,
    onset: str | None = DAY,
) -> list[dict[str, Any]]:
    """The 2017 IIM items: ``present`` present, ``unknown`` not recorded, every other absent."""
    for item in (*present, *unknown):
        assert item in IIM_ITEMS, item
    facts = [
        fact(i, "present" if i in present else "absent") for i in IIM_ITEMS if i not in unknown
    ]
    if biopsy is not None:
        facts.append(fact("muscle_biopsy", "present" if biopsy else "absent"))
    if onset:
        facts.append(fact("myositis_onset", date=onset))
    return facts


def skin(*regions: str, absent: tuple[str, ...] = (), date: str = DAY) -> list[dict[str, Any]]:
    """Skin thickening present at ``regions`` and recorded absent at ``absent``."""
    rows = [fact("skin_thickening", date=date, body_site=r) for r in regions]
    return rows + [fact("skin_thickening", "absent", date=date, body_site=r) for r in absent]


def calc(site: str | None, morphology: str | None, date: str = DAY, **kw: Any) -> dict[str, Any]:
    """A calcinosis lesion seen on a radiograph."""
    return fact(
        "calcinosis", date=date, body_site=site or "", morphology=morphology or "",
        method="radiograph", **kw,
    )  # fmt: skip


# A dcSSc patient with a clinician-recorded overlap (ICD-10-CM M34.82), for the prompt rows.
DC_OVERLAP = [
    fact("ssc_subset", value_text="dcssc"),
    fact("M34.82", system="ICD10CM"),
]


@dataclass(frozen=True)
class Edge:
    pid: str
    facts: list[dict[str, Any]] | str  # "mrss:<kind>": complete mRSS exams (_mrss)
    expect: dict[str, Any]
    reason: str
    birth: str = "1970-01-01"  # "YYYY": the year of birth only
    sex: str = "female"
    could_flip: dict[str, set[str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


# fmt: off
EDGES: list[Edge] = [
    # ---- 2013 ACR/EULAR SSc (§1) --------------------------------------------------------
    Edge("S01", [fact("skin_thickening_proximal_to_mcp")],
         {"ssc2013_status": "classified", "ssc2013_score_min": 9},
         "§1.1 sufficient item alone classifies, whatever else is unknown"),
    Edge("S02", [fact("skin_thickening_proximal_to_mcp", laterality="right")],
         {"ssc2013_status": "undetermined", "skin_thickening_proximal_to_mcp": None},
         "§1.1 'both hands': one hand recorded leaves the sufficient item unknown"),
    Edge("S03", [fact("skin_thickening_proximal_to_mcp", laterality="right"),
                 fact("skin_thickening_proximal_to_mcp", date="2021-06-01", laterality="left")],
         {"ssc2013_status": "classified"},
         "§1.1 both hands on two dates: sufficient"),
    Edge("S04", ssc("raynaud_phenomenon", "abnormal_nailfold_capillaries", "anti_centromere"),
         {"ssc2013_status": "not_classified", "ssc2013_score_min": 8, "ssc2013_score_max": 8},
         "§1.4 Raynaud 3 + NFC 2 + ACA 3 = 8 < 9"),
    Edge("S05", ssc("raynaud_phenomenon", "abnormal_nailfold_capillaries", "anti_centromere",
                    "telangiectasia"),
         {"ssc2013_status": "classified", "ssc2013_score_min": 10},
         "§1.4 the above + telangiectasia = 10"),
    Edge("S06", ssc("raynaud_phenomenon", "sclerodactyly", "telangiectasia"),
         {"ssc2013_status": "classified", "ssc2013_score_min": 9, "ssc2013_score_max": 9},
         "§1.1 total exactly 9 (3 + 4 + 2) is classified"),
    Edge("S07", ssc("puffy_fingers", "sclerodactyly", "digital_tip_ulcers",
                    "fingertip_pitting_scars", "raynaud_phenomenon", "anti_centromere",
                    "anti_scl70"),
         {"ssc2013_status": "classified", "ssc2013_score_min": 13, "ssc2013_score_max": 13},
         "§1.4 highest sub-item only: 4 + 3 + 3 + 3 = 13"),
    Edge("S08", ssc("pulmonary_arterial_hypertension", "interstitial_lung_disease",
                    "raynaud_phenomenon", "anti_rna_polymerase_iii"),
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 8},
         "§1.4 PAH + ILD count 2 once: 2 + 3 + 3 = 8"),
    Edge("S09", ssc("puffy_fingers", "sclerodactyly", "digital_tip_ulcers",
                    "fingertip_pitting_scars"),
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 7},
         "§1.1 puffy+sclerodactyly = 4, ulcer+pitting = 3: 7, never 11"),
    Edge("S10", ssc("anti_centromere", "anti_scl70", "anti_rna_polymerase_iii"),
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 3},
         "§1.1 three antibodies give 3, never 9"),
    Edge("S11", [*ssc("raynaud_phenomenon", "abnormal_nailfold_capillaries",
                      "telangiectasia"), fact("anti_pm_scl")],
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 7},
         "§1.3 anti-PM/Scl does not score: 3 + 2 + 2 = 7"),
    Edge("S12", [*ssc("skin_thickening_proximal_to_mcp"), fact("skin_thickening_sparing_fingers")],
         {"ssc2013_status": "not_applicable"},
         "§1.2 thickening sparing the fingers: not applicable before scoring"),
    Edge("S13", [*ssc("skin_thickening_proximal_to_mcp"), fact("ssc_like_disorder")],
         {"ssc2013_status": "not_applicable"},
         "§1.2 a scleroderma-like disorder better explains it: not applicable"),
    Edge("S14", ssc("raynaud_phenomenon", "abnormal_nailfold_capillaries", "anti_centromere",
                    unknown=("skin_thickening_proximal_to_mcp", "puffy_fingers", "sclerodactyly",
                             "digital_tip_ulcers", "fingertip_pitting_scars", "telangiectasia",
                             "pulmonary_arterial_hypertension", "interstitial_lung_disease",
                             "anti_scl70", "anti_rna_polymerase_iii")),
         {"ssc2013_status": "undetermined", "ssc2013_score_min": 8},
         "§11.2 8 known, unknown items could reach 9; a second antibody could not",
         could_flip={"ssc2013": {"skin_thickening_proximal_to_mcp", "puffy_fingers",
                                 "sclerodactyly", "digital_tip_ulcers", "fingertip_pitting_scars",
                                 "telangiectasia", "pulmonary_arterial_hypertension",
                                 "interstitial_lung_disease"}}),
    Edge("S15", ssc("raynaud_phenomenon", "anti_centromere", unknown=("telangiectasia",)),
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 8},
         "§11.2 6 known + telangiectasia 2 unknown cannot reach 9: decided"),
    Edge("S16", ssc("raynaud_phenomenon", "interstitial_lung_disease",
                    "abnormal_nailfold_capillaries", unknown=("pulmonary_arterial_hypertension",)),
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 7},
         "§1.1 PAH unknown cannot add beside ILD (max 2): 7 decided"),
    Edge("S17", ssc("raynaud_phenomenon", "anti_centromere", "puffy_fingers",
                    unknown=("sclerodactyly",)),
         {"ssc2013_status": "undetermined", "ssc2013_score_min": 8, "ssc2013_score_max": 10},
         "§1.1 sclerodactyly unknown would replace puffy 2 by 4: could reach 10",
         could_flip={"ssc2013": {"sclerodactyly"}}),
    Edge("S18", ssc("raynaud_phenomenon", "sclerodactyly", unknown=("puffy_fingers",)),
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 7},
         "§1.1 puffy unknown cannot add beside sclerodactyly: 7 decided"),
    Edge("S19", ssc("raynaud_phenomenon", "anti_centromere", "digital_tip_ulcers",
                    unknown=("fingertip_pitting_scars",)),
         {"ssc2013_status": "undetermined", "ssc2013_score_max": 9},
         "§1.1 pitting scars unknown would replace ulcers 2 by 3: 9 reachable",
         could_flip={"ssc2013": {"fingertip_pitting_scars"}}),
    Edge("S20", [*ssc("abnormal_nailfold_capillaries", "anti_centromere", "telangiectasia",
                      unknown=("raynaud_phenomenon",)),
                 fact("raynaud_phenomenon", date="2025-01-01")],
         {"ssc2013_status": "undetermined", "raynaud_phenomenon": None},
         "index date: Raynaud recorded the day after is ignored, so unknown (7 to 10)"),
    Edge("S21", [*ssc("abnormal_nailfold_capillaries", "anti_centromere", "telangiectasia",
                      unknown=("raynaud_phenomenon",)),
                 fact("raynaud_phenomenon", date=INDEX.isoformat())],
         {"ssc2013_status": "classified", "ssc2013_score_min": 10},
         "index date: a fact dated on the index date itself counts"),
    Edge("S22", [*ssc("abnormal_nailfold_capillaries", "anti_centromere", "telangiectasia",
                      unknown=("raynaud_phenomenon",)),
                 fact("raynaud_phenomenon", "absent", date="2018-01-01"),
                 fact("raynaud_phenomenon", date="2025-06-01")],
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 7},
         "index date: absent before, present only after the index: absent at the index"),
    Edge("S23", [*ssc("abnormal_nailfold_capillaries", "anti_centromere", "telangiectasia",
                      unknown=("raynaud_phenomenon",)),
                 fact("raynaud_phenomenon", "absent", date="2018-01-01"),
                 fact("raynaud_phenomenon", date="2020-06-01")],
         {"ssc2013_status": "classified"},
         "§1.1 items count if ever present: a later present fact beats an earlier absent one"),
    Edge("S25", [*ssc("abnormal_nailfold_capillaries", "anti_centromere", "telangiectasia",
                      unknown=("raynaud_phenomenon",)),
                 fact("raynaud_phenomenon", date=None)],
         {"ssc2013_status": "classified"},
         "an undated fact counts at every index date"),
    Edge("S26", [fact("skin_thickening_proximal_to_mcp", laterality="bilateral")],
         {"ssc2013_status": "classified"}, "§1.1 'bilateral' names both hands: sufficient"),
    Edge("S27", ssc("anti_centromere", "anti_scl70", "raynaud_phenomenon"),
         {"ssc2013_score_max": 6},
         "§11.8 two SSc-specific antibodies: 3 points once, and a data-quality note",
         notes={"ssc2013": "more than one SSc-specific antibody"}),
    Edge("S28", [fact("skin_thickening_proximal_to_mcp", laterality="left"),
                 fact("skin_thickening_proximal_to_mcp", "absent", laterality="right")],
         {"skin_thickening_proximal_to_mcp": False},
         "§1.1 one hand only, the other recorded absent: the sufficient item is not met"),
    Edge("S24", ssc(),
         {"ssc2013_status": "not_classified", "ssc2013_score_max": 0},
         "every item recorded absent: 0, decided"),
    # ---- LeRoy subsets (§2.1, §11.4) ----------------------------------------------------
    Edge("L01", skin("upper_arm"),
         {"leroy_subset": "dcssc", "cutaneous_subset": "dcssc"},
         "§2.1 upper arm (proximal to the elbow) is diffuse, decided whatever else is unknown"),
    Edge("L02", skin("back"), {"leroy_subset": "dcssc"}, "§2.1 back (trunk) is diffuse"),
    Edge("L03", skin("thigh"), {"leroy_subset": "dcssc"}, "§2.1 thigh is diffuse"),
    Edge("L04", skin("forearm", "face", absent=PROXIMAL),
         {"leroy_subset": "lcssc"},
         "§9 forearm + face, proximal regions recorded absent: limited"),
    Edge("L05", skin("face", "neck", absent=PROXIMAL),
         {"leroy_subset": "lcssc"},
         "§2.1 face/neck involvement does not make it diffuse"),
    Edge("L06", skin("forearm", "face"),
         {"leroy_subset": "undetermined"},
         "§11.2 distal only, proximal never examined: could still be diffuse (see report)"),
    Edge("L07", skin(absent=(*PROXIMAL, "fingers", "hand", "forearm", "lower_leg",
                             "ankle_foot", "face", "neck")),
         {"leroy_subset": "sine"},
         "§2.1 no skin thickening anywhere: sine scleroderma"),
    Edge("L08", [*skin("forearm", absent=PROXIMAL), *skin("upper_arm", date="2022-01-01")],
         {"leroy_subset": "dcssc"},
         "§11.4 'ever recorded': a later proximal finding beats an earlier absent one"),
    Edge("L09", [*skin("forearm", absent=PROXIMAL), *skin("upper_arm", date="2025-02-01")],
         {"leroy_subset": "lcssc"},
         "index date: proximal thickening after the index date is ignored"),
    Edge("L10", [*skin("upper_arm", date="2018-01-01"),
                 *skin("forearm", absent=PROXIMAL, date="2022-01-01")],
         {"leroy_subset": "dcssc"},
         "§11.4 maximal extent ever: proximal skin that later softened stays dcSSc"),
    Edge("L11", [fact("ssc_subset", value_text="lcssc"), *skin("upper_arm")],
         {"cutaneous_subset": "lcssc", "leroy_subset": "dcssc", "subset_mismatch": True},
         "§11.4 clinician-recorded subset wins, the mismatch is flagged"),
    Edge("L12", [fact("ssc_subset", value_text="dcssc"), *skin("upper_arm")],
         {"cutaneous_subset": "dcssc", "subset_mismatch": False},
         "§11.4 agreement: no mismatch"),
    Edge("L13", [fact("ssc_subset", value_text="dcssc")],
         {"cutaneous_subset": "dcssc", "subset_mismatch": None},
         "§11.4 recorded subset with no skin data: LeRoy unknown, mismatch unknown"),
    Edge("L15", [fact("ssc_subset", value_text="dcssc", date="2018-01-01"),
                 fact("ssc_subset", value_text="lcssc", date="2022-01-01")],
         {"cutaneous_subset": "lcssc"},
         "§11.4 two recorded subsets: the latest record is taken (a decision; see report)"),
    Edge("L16", [fact("ssc_subset", value_text="lcssc", date="2018-01-01"),
                 fact("ssc_subset", value_text="dcssc", date="2025-03-01")],
         {"cutaneous_subset": "lcssc"},
         "index date: a subset recorded after the index date is ignored"),
    Edge("L17", [fact("ssc_subset", value_text="dcssc", date="2022-01-01"),
                 fact("ssc_subset", value_text="lcssc", date="2022-01-01")],
         {"cutaneous_subset": "undetermined", "subset_recorded_conflict": True},
         "§11.2 two different subsets recorded the same day: which is latest is unknown"),
    # fix11: with skin data LeRoy gives lcssc, but a subset *was* recorded (unknown, not
    # absent, §11.2): LeRoy does not stand in for it (§11.4), the conflict is shown
    Edge("L17b", [fact("ssc_subset", value_text="dcssc", date="2022-01-01"),
                  fact("ssc_subset", value_text="lcssc", date="2022-01-01"),
                  *skin("fingers", "hand", absent=PROXIMAL)],
         {"cutaneous_subset": "undetermined", "leroy_subset": "lcssc",
          "subset_recorded_conflict": True, "subset_mismatch": None},
         "§11.2/§11.4 same-day conflicting subsets stay undetermined even when LeRoy decides"),
    Edge("L18", [fact("ssc_subset", value_text="dcssc", date="2022-01-01"),
                 fact("ssc_subset", value_text="dcssc", date="2022-01-01", provenance="copy")],
         {"cutaneous_subset": "dcssc", "subset_recorded_conflict": False},
         "the same subset recorded twice the same day"),
    Edge("L19", skin("knee", absent=PROXIMAL),
         {"leroy_subset": "lcssc"},
         "§2.1 the knee is not proximal to the knee (as the elbow, not to the elbow): limited"),
    Edge("L20", skin("elbow", absent=PROXIMAL),
         {"leroy_subset": "lcssc"}, "§2.1 the elbow is not proximal to the elbow: limited"),
    Edge("L21", skin("buttock_hip"),
         {"leroy_subset": "dcssc"}, "§2.1 buttock/hip is proximal to the knee: diffuse"),
    Edge("L22", skin("shoulder"),
         {"leroy_subset": "dcssc"}, "§2.1 shoulder is proximal to the elbow: diffuse"),
    Edge("L14", [],
         {"leroy_subset": "undetermined", "cutaneous_subset": "undetermined"},
         "§11.4 no skin data: unknown"),
    # ---- mRSS (§2.2) ---------------------------------------------------------------------
    Edge("M01", "mrss:all3",
         {"mrss_total": 51, "leroy_subset": "dcssc"}, "§9 all 17 sites at 3: 51"),
    Edge("M02", "mrss:fingers2",
         {"mrss_total": 4, "leroy_subset": "lcssc"},
         "§9 fingers R/L 2, rest 0: 4; complete exam, proximal 0: limited"),
    Edge("M03", "mrss:zero",
         {"mrss_total": 0, "leroy_subset": "sine"}, "complete mRSS all 0: no thickening"),
    Edge("M04", "mrss:missing_face",
         {"mrss_total": None, "mrss_total_min": 4, "mrss_total_max": 7},
         "§11.2 face not scored: total unknown, 4 to 7"),
    Edge("M05", "mrss:upper_then_zero",
         {"mrss_total": 0, "leroy_subset": "dcssc"},
         "§11.4 upper arm 1 at the first exam, 0 later: latest total 0, subset stays dcSSc"),
    Edge("M06", "mrss:later_exam_after_index",
         {"mrss_total": 4, "leroy_subset": "lcssc"},
         "index date: an exam after the index date (all 3) is ignored; the earlier one counts"),
    # ---- 2017 EULAR/ACR IIM (§3, §11.1) --------------------------------------------------
    Edge("I01", iim("weakness_proximal_upper", "weakness_proximal_lower", "heliotrope_rash",
                    "gottron_papules", "muscle_enzymes_elevated"),
         {"iim2017_score_min": 10.1, "iim2017_category": "definite", "iim2017_subgroup": "dm"},
         "§3.4 A: age 52, adult DM without biopsy, 10.1", birth="1967-06-01"),
    Edge("I02", iim("weakness_proximal_upper", "weakness_proximal_lower",
                    "neck_flexor_weaker_than_extensor", "muscle_enzymes_elevated",
                    "dysphagia_or_oesophageal_dysmotility", "biopsy_endomysial_infiltrate",
                    "biopsy_perimysial_perivascular_infiltrate", biopsy=True),
         {"iim2017_score_min": 9.9, "iim2017_category": "definite", "iim2017_subgroup": "pm",
          "iim2017_variant": "with_biopsy"},
         "§3.4 B: age 45 with biopsy, no rash, 9.9: PM", birth="1974-06-01"),
    Edge("I03", iim("weakness_proximal_upper", "weakness_proximal_lower",
                    "neck_flexor_weaker_than_extensor", "muscle_enzymes_elevated",
                    "dysphagia_or_oesophageal_dysmotility"),
         {"iim2017_score_min": 7.5, "iim2017_category": "not_classifiable"},
         "§3.4 B0 / §11.1 no rash and no biopsy: not classifiable, never not IIM",
         birth="1974-06-01"),
    Edge("I04", iim("heliotrope_rash", "gottron_sign", "weakness_proximal_lower",
                    "muscle_enzymes_elevated"),
         {"iim2017_score_min": 8.5, "iim2017_category": "definite", "iim2017_subgroup": "jdm"},
         "§3.4 C: age 9, JDM, 8.5", birth="2010-06-01"),
    Edge("I05", iim("heliotrope_rash", "gottron_papules"),
         {"iim2017_score_min": 6.5, "iim2017_category": "probable", "iim2017_subgroup": "adm"},
         "§3.4 D: age 35, rash without weakness: ADM, 6.5", birth="1984-06-01"),
    Edge("I06", iim("weakness_proximal_lower", "muscle_enzymes_elevated",
                    "dysphagia_or_oesophageal_dysmotility", "biopsy_endomysial_infiltrate",
                    "biopsy_rimmed_vacuoles", biopsy=True),
         {"iim2017_score_min": 9.5, "iim2017_category": "definite", "iim2017_subgroup": "ibm"},
         "§3.4 E: age 68 with rimmed vacuoles: IBM, 9.5", birth="1951-06-01"),
    Edge("I07", iim("weakness_proximal_upper", "gottron_sign"),
         {"iim2017_score_min": 5.3, "iim2017_category": "not_iim", "iim2017_subgroup": "none"},
         "§3.2/§11.1 5.3 without biopsy: P 0.4925 < 0.50, not IIM", birth="1990-06-01"),
    Edge("I08", iim("legs_proximal_weaker_than_distal", "gottron_sign"),
         {"iim2017_score_min": 5.5, "iim2017_category": "possible"},
         "§3.2/§11.1 5.5 without biopsy: P 0.5424, possible (not probable)", birth="1990-06-01"),
    Edge("I09", iim("gottron_papules", "gottron_sign"),
         {"iim2017_score_min": 7.5, "iim2017_category": "probable"},
         "§3.2/§11.1 7.5 without biopsy: P 0.8975, probable (not definite)", birth="1970-06-01"),
    Edge("I10", iim("muscle_enzymes_elevated", "biopsy_rimmed_vacuoles", biopsy=True),
         {"iim2017_score_min": 6.7, "iim2017_category": "probable", "iim2017_subgroup": "ibm"},
         "§3.2 6.7 with biopsy: P 0.5523, probable", birth="1970-06-01"),
    Edge("I11", iim("heliotrope_rash", "anti_jo1", "biopsy_endomysial_infiltrate", biopsy=True),
         {"iim2017_score_min": 8.7, "iim2017_category": "definite"},
         "§3.2 8.7 with biopsy: P 0.9011, definite", birth="2010-06-01"),
    Edge("I12", iim("heliotrope_rash", "anti_jo1", "biopsy_endomysial_infiltrate", biopsy=None),
         {"iim2017_score_min": 8.7, "iim2017_variant": "with_biopsy"},
         "§11.1 a biopsy finding recorded present means a biopsy was done", birth="2010-06-01"),
    Edge("I13", iim("gottron_sign", "weakness_proximal_upper", "muscle_enzymes_elevated",
                    onset="2019-01-01"),
         {"age_at_myositis_onset": 18, "iim2017_score_min": 6.6},
         "§3.1 onset on the 18th birthday: age >= 18 scores 1.3 (3.3+0.7+1.3+1.3)",
         birth="2001-01-01"),
    Edge("I14", iim("gottron_sign", "weakness_proximal_upper", "muscle_enzymes_elevated",
                    onset="2018-12-31"),
         {"iim2017_score_min": 5.3, "iim2017_category": "not_iim"},
         "§3.1 onset the day before the 18th birthday: age 17, scores 0", birth="2001-01-01"),
    Edge("I15", iim("gottron_sign", "weakness_proximal_upper", "muscle_enzymes_elevated",
                    onset="2020-06-15"),
         {"iim2017_score_min": 7.4},
         "§3.1 onset on the 40th birthday: >= 40 scores 2.1", birth="1980-06-15"),
    Edge("I16", iim("gottron_sign", "weakness_proximal_upper", "muscle_enzymes_elevated",
                    onset="2020-06-14"),
         {"iim2017_score_min": 6.6, "iim2017_score_max": 6.6},
         "§3.1 onset the day before the 40th birthday: 39, scores 1.3", birth="1980-06-15"),
    Edge("I17", iim("heliotrope_rash", "weakness_proximal_upper", onset="2018-12-31"),
         {"iim2017_subgroup": "none"},
         "§3.3 subgroups only for probable/definite (3.1 + 0.7 = 3.8: not IIM)",
         birth="2001-01-01"),
    Edge("I18", iim("heliotrope_rash", "gottron_sign", "weakness_proximal_lower",
                    onset="2018-12-31"),
         {"iim2017_subgroup": "jdm"},
         "§3.3 onset at 17 years 364 days with a rash: juvenile DM", birth="2001-01-01"),
    Edge("I19", iim("heliotrope_rash", "gottron_sign", "weakness_proximal_lower",
                    onset="2019-01-01"),
         {"iim2017_subgroup": "dm"},
         "§3.3 onset on the 18th birthday with a rash and weakness: adult DM",
         birth="2001-01-01"),
    # ---- birth year only (edge11): age is a range, born 1 January to 31 December ------------
    Edge("B01", iim("gottron_sign", "weakness_proximal_upper", "muscle_enzymes_elevated",
                    onset="2019-03-01"),
         {"iim2017_score_min": 7.4, "iim2017_score_max": 7.4},
         "§11.2 born in 1970 only, onset 48-49: >= 40 known (2.1), as with a full date",
         birth="1970"),
    Edge("B02", iim("gottron_sign", "weakness_proximal_upper", "muscle_enzymes_elevated",
                    onset="2019-03-01"),
         {"iim2017_score_min": 5.3, "iim2017_score_max": 6.6,
          "iim2017_category": "undetermined"},
         "§3.1/§11.2 born in 2001 only, onset 2019-03: 17 or 18, the adult item unknown",
         birth="2001", could_flip={"iim2017": {"age_18_to_40", "birth_date"}}),
    # B03 (edge11) corrected by edge35: it expected 5.3 to 7.4 and "undetermined" (docs/criteria.md
    # called the 0-to-2.1 age range "wider but still true"). But at 39 or 40 exactly one age
    # item holds (Lundberg 2017: exclusive bands), so the bounds over every completion are
    # 5.3 + 1.3 = 6.6 (P 0.781) and 5.3 + 2.1 = 7.4 (P 0.888): probable DM either way (§11.2).
    Edge("B03", iim("gottron_sign", "weakness_proximal_upper", "muscle_enzymes_elevated",
                    onset="2020-03-01"),
         {"iim2017_score_min": 6.6, "iim2017_score_max": 7.4,
          "iim2017_category": "probable", "iim2017_subgroup": "dm"},
         "§3.1/§11.2 born in 1980 only, onset 2020-03: 39 or 40, one of the two age items "
         "holds either way: probable DM at every completion",
         birth="1980", could_flip={"iim2017": set()}),
    Edge("B04", iim("heliotrope_rash", "gottron_sign", "weakness_proximal_lower",
                    onset="2019-03-01"),
         {"iim2017_subgroup": "undetermined"},
         "§3.3/§11.2 born in 2001 only, onset at 17 or 18 with a rash: JDM or adult DM",
         birth="2001"),
    Edge("B05", iim("gottron_sign", "weakness_proximal_upper", "muscle_enzymes_elevated",
                    onset="2018-12-31"),
         {"iim2017_score_min": 5.3, "iim2017_score_max": 5.3},
         "§3.1 full date of birth, onset the day before the 18th birthday: 17, known",
         birth="2001-01-01"),
    # ---- centromere pattern on ANA (edge11): van den Hoogen 2013 item 7 ---------------------
    Edge("A01", [*ssc("raynaud_phenomenon", "abnormal_nailfold_capillaries", "telangiectasia",
                      unknown=("anti_centromere",)),
                 fact("HP:0030873", system="HP")],
         {"anti_centromere": True, "ssc2013_status": "classified", "ssc2013_score_min": 10},
         "§1 a centromere pattern coded HP:0030873 (or calciscope:anti_centromere) counts, 3"),
    Edge("A02", [*ssc("raynaud_phenomenon", "abnormal_nailfold_capillaries", "telangiectasia",
                      unknown=("anti_centromere",)),
                 fact("8061-4", system="LOINC", value_text="centromere pattern")],
         {"anti_centromere": None, "ssc2013_status": "undetermined", "ssc2013_score_min": 7,
          "ssc2013_score_max": 10},
         "documented gap: a pattern only in an ANA result's text is not read (no verified code)"),
    Edge("I20", iim("weakness_proximal_upper", "muscle_enzymes_elevated",
                    unknown=("heliotrope_rash", "gottron_papules", "gottron_sign")),
         {"iim2017_category": "undetermined"},
         "§11.1/§11.2 rash unknown, no biopsy: undetermined, not 'not classifiable'"),
    Edge("I21", iim("weakness_proximal_upper", "weakness_proximal_lower",
                    "neck_flexor_weaker_than_extensor", "muscle_enzymes_elevated", biopsy=None),
         {"iim2017_category": "undetermined"},
         "§11.1 no rash, biopsy unknown: could be classifiable, so undetermined",
         could_flip={"iim2017": {"muscle_biopsy_done"}}),
    Edge("I22", iim("heliotrope_rash", "gottron_papules", onset=None),
         {"iim2017_category": "undetermined", "iim2017_score_min": 5.2,
          "iim2017_score_max": 7.3},
         "§11.2 age at onset unknown: 0 to 2.1 (5.2 to 7.3), category open"),
    Edge("I31", iim("heliotrope_rash", "gottron_papules", onset="2025-03-01"),
         {"age_at_myositis_onset": None, "iim2017_score_min": 5.2, "iim2017_score_max": 7.3},
         "index date: an onset recorded after the index date is ignored, age unknown"),
    # CK against the NORIP upper limit (women 210 U/L): above, not at, the limit
    Edge("I23", [fact("creatine_kinase", value_num=211, unit="U/L")],
         {"muscle_enzymes_elevated": True}, "§3.1 CK 211 > ULN 210 (woman): raised"),
    Edge("I24", [fact("creatine_kinase", value_num=210, unit="U/L"),
                 fact("lactate_dehydrogenase", value_num=205, unit="U/L"),
                 fact("aspartate_aminotransferase", value_num=35, unit="U/L"),
                 fact("alanine_aminotransferase", value_num=45, unit="U/L")],
         {"muscle_enzymes_elevated": False},
         "§3.1 all four enzymes exactly at ULN: not raised"),
    Edge("I25", [fact("creatine_kinase", value_num=210, unit="U/L")],
         {"muscle_enzymes_elevated": None},
         "§11.2 a normal CK alone leaves LDH/AST/ALT open: unknown"),
    Edge("I26", [fact("creatine_kinase", value_num=300, unit="U/L", reference_high=350)],
         {"muscle_enzymes_elevated": None},
         "the laboratory's own ULN (350) wins over the table: 300 not raised, others open"),
    Edge("I27", [fact("creatine_kinase", value_num=300, unit="U/L", date="2024-12-30")],
         {"muscle_enzymes_elevated": True},
         "man, 54 at the test: ULN 280 from age 50, 300 raised", birth="1970-06-01",
         sex="male"),
    Edge("I28", [fact("creatine_kinase", value_num=300, unit="U/L", date="2019-05-31")],
         {"muscle_enzymes_elevated": None},
         "man the day before his 50th birthday: ULN 400, 300 not raised", birth="1969-06-01",
         sex="male"),
    Edge("I29", [fact("creatine_kinase", value_num=300, unit="U/L", date="2019-06-01")],
         {"muscle_enzymes_elevated": True},
         "man on his 50th birthday: ULN 280, 300 raised", birth="1969-06-01", sex="male"),
    Edge("I30", [fact("creatine_kinase", value_num=5000, unit="U/L", date="2025-01-15")],
         {"muscle_enzymes_elevated": None},
         "index date: a CK after the index date is ignored"),
    # ---- overlap (§11.3) -----------------------------------------------------------------
    Edge("O01", [*ssc("skin_thickening_proximal_to_mcp"),
                 *iim("heliotrope_rash", "gottron_papules")],
         {"ssc_myositis_overlap_criteria": True},
         "§11.3 SSc classified and IIM probable (6.5): overlap by criteria",
         birth="1984-06-01"),
    Edge("O02", [*ssc("skin_thickening_proximal_to_mcp"),
                 *iim("legs_proximal_weaker_than_distal", "gottron_sign")],
         {"ssc_myositis_overlap_criteria": False},
         "§11.3 IIM possible (5.5, P 0.54) is below the 55% minimum", birth="1990-06-01"),
    Edge("O03", [*ssc("skin_thickening_proximal_to_mcp"),
                 *iim("weakness_proximal_upper", "weakness_proximal_lower",
                      "neck_flexor_weaker_than_extensor", "muscle_enzymes_elevated")],
         {"ssc_myositis_overlap_criteria": False},
         "§11.1/§11.3 IIM not classifiable (no rash, no biopsy): not overlap by criteria"),
    Edge("O04", [*ssc("skin_thickening_proximal_to_mcp"), fact("ssc_like_disorder"),
                 *iim("heliotrope_rash", "gottron_papules")],
         {"ssc_myositis_overlap_criteria": False},
         "§11.3 SSc criteria not applicable: no overlap by criteria", birth="1984-06-01"),
    Edge("O05", [*ssc("raynaud_phenomenon", unknown=("skin_thickening_proximal_to_mcp",)),
                 *iim("heliotrope_rash", "gottron_papules")],
         {"ssc_myositis_overlap_criteria": None, "ssc_myositis_overlap_either": None},
         "§11.2 SSc undetermined, IIM probable: overlap unknown", birth="1984-06-01"),
    Edge("O06", [*ssc("raynaud_phenomenon"), *DC_OVERLAP],
         {"ssc_myositis_overlap_criteria": False, "ssc_myositis_overlap_clinician": True,
          "ssc_myositis_overlap_either": True},
         "§11.3 clinician overlap kept apart; either = or"),
    # ---- calcinosis phenotypes (§11.5, §11.6) ---------------------------------------------
    Edge("C19", [calc("thigh", "sheet_like"), calc("back", "sheet_like"), calc("hand", None)],
         {"extensive_sheet_like_calcinosis": True},
         "§11.6 two sheet-like regions known: extensive, whatever a 3rd lesion is"),
    Edge("C20", [calc("hand", "nodular"), calc("fingers", "unspecified")],
         {"calcinosis_nodular": None, "calcinosis_sheet_like": None},
         "§11.2 nodular + unspecified: 'every lesion nodular' unknown, sheet-like unknown"),
    Edge("C01", [calc("thigh", "sheet_like"), calc("buttock_hip", "sheet_like")],
         {"calcinosis_sheet_like": True, "calcinosis_extent_regions": 2,
          "extensive_sheet_like_calcinosis": True},
         "§11.6 sheet-like in 2 regions: extensive (minimum 2)"),
    Edge("C02", [calc("forearm", "sheet_like", laterality="left"),
                 calc("forearm", "sheet_like", laterality="right")],
         {"calcinosis_extent_regions": 1, "extensive_sheet_like_calcinosis": False},
         "§11.5 left and right forearm are one region: 1 < 2"),
    Edge("C03", [calc("thigh", "sheet_like"), calc("hand", "nodular")],
         {"calcinosis_nodular": False, "calcinosis_extent_regions": 2,
          "extensive_sheet_like_calcinosis": False},
         "§11.6 2 regions but only 1 sheet-like: not extensive; not every lesion nodular"),
    Edge("C04", [calc("thigh", "sheet_like"), calc(None, "sheet_like")],
         {"extensive_sheet_like_calcinosis": None},
         "§11.2 a sheet-like lesion without its site could be a 2nd region: unknown"),
    Edge("C05", [calc("chest", "reticular"), calc("back", "reticular")],
         {"calcinosis_sheet_like": True, "extensive_sheet_like_calcinosis": True},
         "§11.6 reticular counts as sheet-like: 2 regions"),
    Edge("C06", [calc("thigh", "mixed"), calc("abdomen", "mixed")],
         {"calcinosis_sheet_like": False, "extensive_sheet_like_calcinosis": False},
         "phenotypes.yaml default: mixed lesions not counted as sheet-like (issue 12)"),
    Edge("C07", [calc("face", "sheet_like"), calc("neck", "sheet_like")],
         {"calcinosis_extent_regions": 1, "extensive_sheet_like_calcinosis": False},
         "§11.5 face/neck is one region"),
    Edge("C08", [calc("hand", "nodular"), calc("fingers", "nodular")],
         {"calcinosis_nodular": True, "calcinosis_sheet_like": False,
          "extensive_sheet_like_calcinosis": False},
         "§11.6 every lesion nodular: nodular, not sheet-like"),
    Edge("C09", [calc("thigh", "unspecified"), calc("back", "sheet_like")],
         {"calcinosis_sheet_like": True, "extensive_sheet_like_calcinosis": None},
         "§11.2 an unspecified lesion in a 2nd region could be sheet-like: unknown"),
    Edge("C10", [fact("calcinosis", "absent", method="radiograph")],
         {"calcinosis_any": False, "extensive_sheet_like_calcinosis": False},
         "calcinosis recorded absent: false everywhere"),
    Edge("C11", [calc("thigh", "sheet_like", review_state="suggested"),
                 calc("back", "sheet_like", review_state="suggested")],
         {"calcinosis_any": None, "extensive_sheet_like_calcinosis": None},
         "suggested facts count only once confirmed"),
    Edge("C12", [calc("thigh", "sheet_like", review_state="rejected"),
                 calc("back", "sheet_like", review_state="rejected")],
         {"calcinosis_any": None, "extensive_sheet_like_calcinosis": None},
         "rejected facts never count"),
    Edge("C13", [calc("thigh", "sheet_like"), calc("back", "sheet_like", date="2025-01-02")],
         {"calcinosis_extent_regions": 1},
         "index date: a lesion first seen after the index date is not counted"),
    Edge("C14", [fact("ssc_onset", date="2018-01-01"), calc("thigh", "nodular", date="2021-01-01")],
         {"calcinosis_onset_years": 1096 / 365.25, "calcinosis_onset_years_reversed": False},
         "§11.6 years from SSc onset (first non-Raynaud symptom) to first calcinosis"),
    Edge("C15", [fact("ssc_onset", date="2018-01-01"), calc("thigh", "nodular", date="2017-01-01")],
         {"calcinosis_onset_years": None, "calcinosis_onset_years_reversed": True},
         "calcinosis before SSc onset: data-quality item, never a negative interval"),
    Edge("C16", [fact("ssc_onset", date="2018-01-01"), calc("thigh", "nodular", date="2018-01-01")],
         {"calcinosis_onset_years": 0.0, "calcinosis_onset_years_reversed": False},
         "calcinosis on the day of SSc onset: 0 years"),
    Edge("C17", [fact("raynaud_phenomenon", date="2010-01-01"),
                 calc("thigh", "nodular", date="2021-01-01")],
         {"calcinosis_onset_years": None},
         "§11.6 anchor is the first non-Raynaud symptom: Raynaud alone gives no interval"),
    Edge("C18", [fact("muscle_calcification", body_site="thigh", morphology="sheet_like"),
                 fact("muscle_calcification", body_site="buttock_hip", morphology="sheet_like")],
         {"calcinosis_any": None, "extensive_sheet_like_calcinosis": None},
         "§11.6 the anchor phenotype is skin/subcutaneous: muscle calcification is not calcinosis"),
    # ---- at-risk prompt (§11.7) ----------------------------------------------------------
    Edge("R01", DC_OVERLAP, {"at_risk_prompt": True},
         "§11.7 dcSSc + overlap, no radiograph ever: prompt"),
    Edge("R02", [*DC_OVERLAP, fact("radiograph", date="2024-02-01")],
         {"at_risk_prompt": False}, "§11.7 radiograph 11 months before: no prompt"),
    Edge("R03", [*DC_OVERLAP, fact("radiograph", date="2023-12-31")],
         {"at_risk_prompt": False},
         "§11.7 radiograph exactly 12 months before the index date: within the window"),
    Edge("R04", [*DC_OVERLAP, fact("radiograph", date="2023-12-30")],
         {"at_risk_prompt": True}, "§11.7 radiograph 12 months and a day before: prompt"),
    Edge("R05", [*DC_OVERLAP, fact("radiograph", date="2025-01-05")],
         {"at_risk_prompt": True}, "index date: a radiograph after the index date is ignored"),
    Edge("R06", [*DC_OVERLAP, fact("calcinosis", "absent", date="2024-06-01")],
         {"at_risk_prompt": False},
         "§11.7 a calcinosis assessment (recorded absent) in the window: no prompt"),
    Edge("R07", [*DC_OVERLAP, calc("hand", "nodular", date="2015-01-01")],
         {"at_risk_prompt": False}, "calcinosis already known: nothing to look for"),
    Edge("R08", [fact("ssc_subset", value_text="lcssc"),
                 fact("M34.82", system="ICD10CM")],
         {"at_risk_prompt": False}, "§11.7 lcSSc: not the subgroup"),
    Edge("R09", [fact("ssc_subset", value_text="dcssc")],
         {"at_risk_prompt": None}, "§11.2 dcSSc, overlap unknown: prompt unknown"),
    Edge("R10", [fact("ssc_subset", value_text="dcssc"), fact("anti_pm_scl"), fact("anti_scl70"),
                 fact("M34.82", "absent", system="ICD10CM"),
                 *iim("weakness_proximal_upper")],
         {"at_risk_prompt": False, "at_risk_prompt_anti_pm_scl": True},
         "§11.7 antibodies shown beside, never scored: no overlap, no prompt"),
    Edge("R12", [fact("ssc_subset", value_text="dcssc"), *ssc("skin_thickening_proximal_to_mcp"),
                 fact("M34.82", "absent", system="ICD10CM"),
                 *iim("heliotrope_rash", "gottron_papules")],
         {"ssc_myositis_overlap_criteria": True, "ssc_myositis_overlap_clinician": False,
          "at_risk_prompt": True},
         "§11.7 default overlap 'either': overlap by criteria alone prompts", birth="1984-06-01"),
    Edge("R13", [*skin("upper_arm"), fact("M34.82", system="ICD10CM")],
         {"cutaneous_subset": "dcssc", "at_risk_prompt": True},
         "§11.4/§11.7 no recorded subset: LeRoy dcSSc is the subset"),
    Edge("R14", [*skin("forearm"), fact("M34.82", system="ICD10CM")],
         {"cutaneous_subset": "undetermined", "at_risk_prompt": None},
         "§11.2 subset undetermined (proximal unknown): prompt unknown, not false"),
    Edge("R15", [*DC_OVERLAP, fact("calcinosis", "absent", date="2019-01-01")],
         {"calcinosis_any": False, "at_risk_prompt": True},
         "§11.7 calcinosis recorded absent 6 years ago: outside the window, prompt"),
    Edge("R16", [*DC_OVERLAP, fact("radiograph", date=INDEX.isoformat())],
         {"at_risk_prompt": False}, "§11.7 a radiograph on the index date itself is recent"),
    Edge("R11", [fact("ssc_subset", value_text="lcssc"), *skin("upper_arm"),
                 fact("M34.82", system="ICD10CM")],
         {"at_risk_prompt": False, "subset_mismatch": True},
         "§11.4 recorded lcSSc wins over LeRoy dcSSc for the prompt (mismatch flagged)"),
]
# fmt: on


def _mrss(pid: str, kind: str) -> list[dict[str, Any]]:
    """Complete 17-site mRSS exams for the M rows."""
    regions = {"face": "face", "anterior_chest": "chest", "abdomen": "abdomen",
               "fingers": "fingers", "hands": "hand", "forearms": "forearm",
               "upper_arms": "upper_arm", "thighs": "thigh", "lower_legs": "lower_leg",
               "feet": "ankle_foot"}  # fmt: skip
    paired = ("fingers", "hands", "forearms", "upper_arms", "thighs", "lower_legs", "feet")

    def exam(date: str, score: dict[str, float], default: float = 0.0) -> list[dict[str, Any]]:
        rows = []
        for region, site in regions.items():
            for side in ("right", "left") if region in paired else (None,):
                key = f"{region}_{side}" if side else region
                value = score.get(key, score.get(region, default))
                if value is None:
                    continue
                rows.append(fact("mrss_site", date=date, value_num=value, body_site=site,
                                 laterality=side or ""))  # fmt: skip
        return rows

    if kind == "all3":
        return exam(DAY, {}, 3.0)
    if kind == "fingers2":
        return exam(DAY, {"fingers": 2.0})
    if kind == "zero":
        return exam(DAY, {})
    if kind == "missing_face":
        return exam(DAY, {"fingers": 2.0, "face": None})  # type: ignore[dict-item]
    if kind == "later_exam_after_index":
        return exam("2019-01-01", {"fingers": 2.0}) + exam("2025-06-01", {}, 3.0)
    assert kind == "upper_then_zero"
    return exam("2019-01-01", {"upper_arms_left": 1.0}) + exam("2022-01-01", {})


def _write(folder: Path) -> None:
    with (folder / "patients.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_id", "sex", "birth_date", "birth_year", "centre", "synthetic"])
        for e in EDGES:
            born = e.birth if len(e.birth) > 4 else ""  # a year alone: birth_year only (edge11)
            w.writerow([e.pid, e.sex, born, e.birth[:4], "edge10", "true"])
    with (folder / "facts.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, [*HEADER, "reference_high"])
        w.writeheader()
        for e in EDGES:
            rows = _mrss(e.pid, e.facts.split(":")[1]) if isinstance(e.facts, str) else e.facts
            for row in rows:
                w.writerow({"patient_id": e.pid} | row)


def _same(actual: Any, expected: Any) -> bool:
    if actual is not None and isinstance(actual, float) and math.isnan(actual):
        actual = None
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(expected, bool):
        return bool(actual) is expected
    if isinstance(expected, (int, float)):
        return math.isclose(float(actual), float(expected), abs_tol=1e-6)
    return str(actual) == expected


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("edge10")
    _write(folder)
    with api.open_registry(f"sqlite:///{folder / 'registry.db'}") as registry:
        api.import_directory(registry, folder)
        table = api.load_study_data(registry, index_date=INDEX).table.set_index("patient_id")
        explained = {e.pid: api.explain_patient(registry, e.pid, index_date=INDEX) for e in EDGES}
        # a second engine: the registry's rows copied to a DuckDB file, classified there
        source = ibis.get_backend(api.feature_expression(registry, index_date=INDEX))
        duck = ibis.duckdb.connect(str(folder / "copy.duckdb"))
        for name in ("facts", "patients"):
            duck.create_table(name, source.table(name).to_pyarrow())
        duck.disconnect()
        source.disconnect()
    study = api.load_study_data(f"duckdb:///{folder / 'copy.duckdb'}", index_date=INDEX)
    return {
        "explained": explained,
        "SQLite": table,
        "DuckDB": study.table.set_index("patient_id"),
    }


@pytest.mark.parametrize("edge", EDGES, ids=[e.pid for e in EDGES])
def test_edge_patient(outcomes: dict[str, Any], edge: Edge) -> None:
    explanation = outcomes["explained"][edge.pid]
    values: dict[str, Any] = {}
    for result in explanation.criteria:
        values |= result.outputs
    values |= {p.id: p.value for p in explanation.phenotypes}
    rows = {engine: outcomes[engine].loc[edge.pid] for engine in ("SQLite", "DuckDB")}
    wrong = []
    for column, expected in edge.expect.items():
        got = values.get(column, rows["SQLite"].get(column))
        if not _same(got, expected):
            wrong.append(f"{column}: explain_patient {got!r}, expected {expected!r}")
        for engine, row in rows.items():
            if column in row and not _same(row[column], expected):
                wrong.append(f"{column}: {engine} {row[column]!r}, expected {expected!r}")
    for criteria_set, flips in edge.could_flip.items():
        (result,) = [r for r in explanation.criteria if r.criteria_set == criteria_set]
        if set(result.could_flip) != flips:
            wrong.append(
                f"{criteria_set} could_flip {sorted(result.could_flip)} != {sorted(flips)}"
            )
    for criteria_set, text in edge.notes.items():
        (result,) = [r for r in explanation.criteria if r.criteria_set == criteria_set]
        if not any(text in note for note in result.notes):
            wrong.append(f"{criteria_set} notes {result.notes} lack {text!r}")
    assert not wrong, f"{edge.pid} ({edge.reason}): " + "; ".join(wrong)


def _extensive(registry: Any, pid: str) -> Any:
    explanation = api.explain_patient(registry, pid, index_date=INDEX)
    return {p.id: p.value for p in explanation.phenotypes}["extensive_sheet_like_calcinosis"]


def test_review_decisions_override_suggestions(tmp_path: Path) -> None:
    """Suggested lesions never count; a confirmed one counts, a rejected one never does, and
    importing the same suggestion again does not undo the decision (SYNTHETIC patients)."""
    lesions = {
        "V1": [("edge10-v1-thigh", "thigh"), ("edge10-v1-back", "back")],
        "V2": [("edge10-v2-thigh", "thigh"), ("edge10-v2-back", "back")],
    }
    with (tmp_path / "patients.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_id", "sex", "birth_date", "birth_year", "centre", "synthetic"])
        for pid in lesions:
            w.writerow([pid, "female", "1970-01-01", "1970", "edge10", "true"])
    with (tmp_path / "facts.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, HEADER)
        w.writeheader()
        for pid, sites in lesions.items():
            for fact_id, site in sites:
                row = calc(site, "sheet_like", review_state="suggested", source_kind="image")
                w.writerow({"patient_id": pid, "fact_id": fact_id} | row)
    with api.open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        api.import_directory(registry, tmp_path)
        assert _extensive(registry, "V1") is None  # suggestions do not count
        waiting = api.review_queue(registry, kinds=["suggested_case"], index_date=INDEX)
        assert {i.patient_id for i in waiting} == {"V1", "V2"}
        decisions = {"edge10-v1-thigh": "confirm", "edge10-v1-back": "reject",
                     "edge10-v2-thigh": "confirm", "edge10-v2-back": "confirm"}  # fmt: skip
        for item, decision in decisions.items():
            api.review(registry, f"fact:{item}", decision, reviewer="edge10", reason="audit")
        # one confirmed region; the rejected one never counts
        assert _extensive(registry, "V1") is False
        assert _extensive(registry, "V2") is True
        api.import_directory(registry, tmp_path)  # the same suggestions again
        assert _extensive(registry, "V1") is False  # a decision is never overwritten
        waiting = api.review_queue(registry, kinds=["suggested_case"], index_date=INDEX)
        assert not waiting


@pytest.mark.parametrize(
    ("minimum", "overlap"),
    [(None, False), (0.50, True), (0.5423, True), (0.5424, False)],
)
def test_minimum_probability_moves_the_overlap(
    tmp_path: Path, minimum: float | None, overlap: bool
) -> None:
    """§11.1/§11.3: the minimum IIM probability is configurable (default 0.55); SSc classified
    with IIM at 5.5 without biopsy (P 0.54240, just below 0.5424) is an overlap by criteria only
    at a minimum at or below P (SYNTHETIC patient)."""
    with (tmp_path / "patients.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_id", "sex", "birth_date", "birth_year", "centre", "synthetic"])
        w.writerow(["P1", "female", "1990-06-01", "1990", "edge10", "true"])
    facts = [
        *ssc("skin_thickening_proximal_to_mcp"),
        *iim("legs_proximal_weaker_than_distal", "gottron_sign"),
    ]
    with (tmp_path / "facts.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, HEADER)
        w.writeheader()
        for row in facts:
            w.writerow({"patient_id": "P1"} | row)
    with api.open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        api.import_directory(registry, tmp_path)
        explanation = api.explain_patient(registry, "P1", index_date=INDEX, min_probability=minimum)
    values = {p.id: p.value for p in explanation.phenotypes}
    assert values["ssc_myositis_overlap_criteria"] is overlap
