"""Draw skin, SSc items, antibodies, CK and myositis items for one synthetic patient."""

from __future__ import annotations

import math
from random import Random

from calciscope.datasets.plan import Rates
from calciscope.datasets.profile import (
    MYOSITIS_ITEMS,
    Profile,
    ssc_items,
    ssc_score,
    ssc_score_upper,
)

__all__ = [
    "MRSS_SITE_KEYS",
    "PROXIMAL_REGIONS",
    "SKIN_REGIONS",
    "draw_antibodies",
    "draw_ck",
    "draw_mrss_missing",
    "draw_myositis",
    "draw_skin",
    "draw_ssc_items",
    "top_up",
]

SKIN_REGIONS: tuple[str, ...] = (
    "fingers",
    "hand",
    "forearm",
    "upper_arm",
    "face",
    "neck",
    "chest",
    "abdomen",
    "back",
    "thigh",
    "lower_leg",
    "ankle_foot",
)
#: LeRoy dcSSc regions (proximal to elbows/knees or trunk); LeRoy et al. 1988.
PROXIMAL_REGIONS = frozenset({"upper_arm", "thigh", "chest", "abdomen", "back"})
#: The 17 sites of the modified Rodnan skin score: 3 midline, 7 paired.
MRSS_MIDLINE = ("face", "chest", "abdomen")
MRSS_PAIRED = ("fingers", "hand", "forearm", "upper_arm", "thigh", "lower_leg", "ankle_foot")
MRSS_SITE_KEYS: tuple[str, ...] = (
    *MRSS_MIDLINE,
    *(f"{region}:{side}" for region in MRSS_PAIRED for side in ("right", "left")),
)

_DC_SKIN = {"face": 0.7, "neck": 0.3, "lower_leg": 0.7, "ankle_foot": 0.5}
_DC_PROXIMAL = {"upper_arm": 0.8, "thigh": 0.5, "chest": 0.5, "abdomen": 0.4, "back": 0.15}
_LC_SKIN = {"hand": 0.65, "forearm": 0.35, "face": 0.5, "neck": 0.1, "lower_leg": 0.15}
_LC_SKIN_FEET = 0.2
_ORDER_TOP_UP = (
    "raynaud_phenomenon",
    "abnormal_nailfold_capillaries",
    "telangiectasia",
    "fingertip_pitting_scars",
    "interstitial_lung_disease",
)


def draw_skin(rng: Random, profile: Profile) -> None:
    """Set thickened regions (mRSS-like score 1-3) and examined-normal regions (0)."""
    rand = rng.random
    thick: dict[str, int] = {}
    if profile.subset == "dcssc":
        thick = {
            "fingers": rng.randint(2, 3),
            "hand": rng.randint(1, 3),
            "forearm": rng.randint(1, 3),
        }
        thick |= {r: rng.randint(1, 2) for r, p in _DC_PROXIMAL.items() if rand() < p}
        if not PROXIMAL_REGIONS & thick.keys():
            thick["upper_arm"] = 1
        thick |= {r: rng.randint(1, 2) for r, p in _DC_SKIN.items() if rand() < p}
    elif profile.subset == "lcssc":
        thick = {"fingers": rng.randint(1, 2)}
        thick |= {r: 1 for r, p in _LC_SKIN.items() if rand() < p}
        if rand() < _LC_SKIN_FEET:
            thick["ankle_foot"] = 1
    skin = {}
    for region in SKIN_REGIONS:
        score = thick.get(region, 0)
        if score or region not in ("neck", "back") or profile.subset == "sine" or rand() < 0.8:
            skin[region] = score
    profile.skin = skin
    profile.mrss = profile.subset != "sine" and rand() < 0.75


def draw_mrss_missing(rng: Random, profile: Profile, rate: float) -> None:
    """Leave some sites of the 17-site mRSS exam unrecorded (``rates.yaml`` mrss_site_unrecorded)."""
    if profile.mrss:
        profile.mrss_missing = frozenset(s for s in MRSS_SITE_KEYS if rng.random() < rate)


def _status(rng: Random, probability: float) -> str:
    return "present" if rng.random() < probability else "absent"


def draw_ssc_items(rng: Random, profile: Profile, rates: Rates) -> None:
    """Set the 2013 ACR/EULAR items of an SSc patient, consistent with the skin regions."""
    diffuse = profile.subset == "dcssc"
    skin = profile.skin
    items = {
        "skin_thickening_proximal_to_mcp": "present" if skin.get("hand") else "absent",
        "sclerodactyly": "present" if skin.get("fingers") else "absent",
        "puffy_fingers": _status(rng, 0.6 if diffuse else 0.45),
        "digital_tip_ulcers": _status(rng, rates["digital_ulcers"] * (1.3 if diffuse else 1.0)),
        "fingertip_pitting_scars": _status(rng, 0.35),
        "telangiectasia": _status(rng, 0.6),
        "abnormal_nailfold_capillaries": _status(rng, 0.8),
        "pulmonary_arterial_hypertension": _status(rng, rates["pah"]),
        "interstitial_lung_disease": _status(rng, rates["ild_dcssc" if diffuse else "ild_lcssc"]),
        "raynaud_phenomenon": _status(rng, 0.97),
    }
    unrecorded = rates["ssc_item_unrecorded"]
    for name in ssc_items()[1:]:
        if name not in ("sclerodactyly", "raynaud_phenomenon") and rng.random() < unrecorded:
            del items[name]
    profile.items = items
    top_up(profile)


def top_up(profile: Profile) -> None:
    """Record further items present until the present items alone score at least 9.

    Items are recorded in a fixed order; at the first one left unrecorded the top-up stops (the
    clinician diagnosed SSc on a finding that was never written down, so it stays unknown).
    When the recorded items then score below 9 but the unrecorded ones could reach it, the
    patient is *undetermined* by the 2013 criteria (the bounds of the score straddle 9); only
    when nothing unrecorded could reach 9 is the ACA recorded present.
    """
    for name in _ORDER_TOP_UP:
        if ssc_score(profile) >= 9:
            return
        if name not in profile.items:
            break  # the item the diagnosis rested on was never recorded
        profile.items[name] = "present"
    if ssc_score(profile) < 9 and ssc_score_upper(profile) < 9:
        profile.antibodies["anti_centromere"] = "present"
        profile.antibodies["ana"] = "present"


def _specific_antibody(rng: Random, profile: Profile, rates: Rates) -> str:
    prefix = "dcssc_" if profile.subset == "dcssc" else "lcssc_"
    draw = rng.random()
    for name, key in (("anti_centromere", "aca"), ("anti_scl70", "scl70")):
        if draw < rates[prefix + key]:
            return name
        draw -= rates[prefix + key]
    if draw < rates[prefix + "rnap3"] or profile.subset == "sine":
        return "anti_rna_polymerase_iii"
    return ""


def draw_antibodies(rng: Random, profile: Profile, rates: Rates, specific: str | None) -> None:
    """Set antibody results; ``specific`` forces the SSc-specific one ('' = none positive).

    An SSc patient whose specific antibody is drawn (``specific`` None) may have antibodies
    left untested at the rates of ``rates.yaml``; planned antibodies are always tested.
    """
    rand = rng.random
    untested = specific is None
    if specific is None:
        specific = _specific_antibody(rng, profile, rates) if profile.ssc else ""
    suffix = "_overlap" if profile.overlap else ""
    abs_ = {
        name: "present" if name == specific else "absent"
        for name in ("anti_centromere", "anti_scl70", "anti_rna_polymerase_iii")
    }
    for name in ("anti_pm_scl", "anti_u1rnp", "anti_ku"):
        abs_[name] = _status(rng, rates[name + suffix] if profile.ssc else 0.005)
    abs_["anti_jo1"] = _status(rng, 0.05 if profile.myositis else 0.002)
    if profile.ssc and untested:
        # Becker 2019 (EUSTAR): ACA, anti-Scl-70 and anti-U1RNP results missing in 3.7%, 2.5%
        # and 18.7%; an untested antibody is unknown whatever the patient's true status
        for name in ("anti_centromere", "anti_scl70", "anti_u1rnp", "anti_rna_polymerase_iii"):
            if rand() < rates["untested_" + name]:
                del abs_[name]
    if rand() < 0.3 and abs_["anti_ku"] == "absent":
        del abs_["anti_ku"]
    if not profile.myositis and rand() < 0.4 and abs_["anti_jo1"] == "absent":
        del abs_["anti_jo1"]
    positive = any(v == "present" for v in abs_.values())
    base = rates["ana_without_specific"] if profile.ssc else 0.1
    abs_["ana"] = "present" if positive or rand() < base else "absent"
    profile.antibodies = abs_


def draw_ck(rng: Random, profile: Profile, rates: Rates) -> None:
    """Set the creatine kinase (U/L; upper limit of normal 200); None when not measured."""
    if profile.myositis:
        profile.ck = max(250, int(rng.lognormvariate(math.log(1500), 0.7)))
    elif rng.random() < rates["ck_raised_without_myositis"]:
        profile.ck = rng.randint(205, 450)
    else:
        profile.ck = min(199, max(25, int(rng.lognormvariate(math.log(95), 0.35))))
    if not profile.myositis and rng.random() < rates["ck_missing"]:
        profile.ck = None


def draw_myositis(
    rng: Random, profile: Profile, pattern: dict[str, list[str]], unrecorded: float
) -> None:
    """Set the 2017 EULAR/ACR IIM items from a planned pattern (``plan.yaml``).

    Present items are always recorded; an absent item is left unrecorded with probability
    ``unrecorded`` (so the upper bound of the score rises, the lower bound does not).
    """
    present = set(pattern["present"])
    profile.myositis_items = {
        name: "present" if name in present else "absent"
        for name in MYOSITIS_ITEMS
        if name in present or rng.random() >= unrecorded
    }
    findings = set(pattern["biopsy"])
    if findings:
        profile.biopsy = {
            name: "present" if name in findings else "absent"
            for name in (
                "biopsy_endomysial_infiltrate",
                "biopsy_perimysial_perivascular_infiltrate",
                "biopsy_perifascicular_atrophy",
                "biopsy_rimmed_vacuoles",
            )
        }
