"""Hand-made patients from facts to results: the feature table and the evaluator on one path.

Each patient is a few facts as a registry would hold them; the test runs the packaged feature
catalogue and criteria sets in DuckDB, as ``classify`` does, and reads one result column.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import ibis
import pyarrow as pa

from calciscope.criteria import load_criteria_set
from calciscope.engine import compute_feature_table
from calciscope.engine.criteria import add_criteria_columns
from calciscope.model import Fact, Patient
from calciscope.storage.registry import model_rows
from criteria.criteria_builders import evaluate_rows, evaluate_set, iim_patient
from engine.test_features import _FACT_SCHEMA, _PATIENT_SCHEMA

INDEX = dt.date(2025, 1, 1)
IIM = load_criteria_set("iim2017")
BIOPSY_ITEMS = [f"biopsy_{x}" for x in ("endomysial_infiltrate", "perimysial_perivascular_infiltrate",
                                        "perifascicular_atrophy", "rimmed_vacuoles")]  # fmt: skip
MRSS_SITES = load_criteria_set("mrss").sites  # type: ignore[union-attr]
_SITE = {
    "face": ("face", None), "anterior_chest": ("chest", None), "abdomen": ("abdomen", None),
    "fingers": ("fingers", 1), "hands": ("hand", 1), "forearms": ("forearm", 1),
    "upper_arms": ("upper_arm", 1), "thighs": ("thigh", 1), "lower_legs": ("lower_leg", 1),
    "feet": ("ankle_foot", 1),
}  # fmt: skip


def mrss_exam(pid: str, day: dt.date, scores: dict[str, float]) -> list[Fact]:
    """A complete 17-site mRSS exam: every site 0 unless ``scores`` names it (``hands_left``)."""
    facts = []
    for site in MRSS_SITES:
        name = site.removeprefix("mrss_")
        region, side = name, None
        for suffix in ("_right", "_left"):
            if name.endswith(suffix):
                region, side = name.removesuffix(suffix), suffix[1:]
        body_site = _SITE[region][0]
        facts.append(
            Fact(
                patient_id=pid,
                system="calciscope",
                code="mrss_site",
                value_num=scores.get(name, 0.0),
                body_site=body_site,
                laterality=side,
                effective_date=day,
            )
        )
    return facts


def results(
    facts: list[Fact],
    sets: tuple[str, ...],
    *,
    sex: str = "female",
    birth: dict[str, Any] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """Return the one patient's feature and result columns (born 1970 unless ``birth``)."""
    pid = facts[0].patient_id
    patient = Patient(patient_id=pid, sex=sex, **(birth or {"birth_year": 1970}))
    con = ibis.duckdb.connect()
    try:
        p = con.create_table(
            "patients", pa.Table.from_pylist(model_rows([patient]), schema=_PATIENT_SCHEMA)
        )
        f = con.create_table("facts", pa.Table.from_pylist(model_rows(facts), schema=_FACT_SCHEMA))
        table = compute_feature_table(f, p, index_date=INDEX, **kw)
        scored = add_criteria_columns(table, [load_criteria_set(s) for s in sets])
        (row,) = scored.to_pyarrow().to_pylist()
        return row
    finally:
        con.disconnect()


def subset(facts: list[Fact]) -> str:
    return str(results(facts, ("leroy",))["leroy_subset"])


def test_subset_is_the_maximal_extent_ever_recorded() -> None:
    """dcSSc whose proximal skin regressed to 0 at the latest exam stays dcSSc (LeRoy 1988)."""
    early = mrss_exam("R1", dt.date(2015, 3, 1), {"upper_arms_right": 2, "fingers_right": 3})
    latest = mrss_exam("R1", dt.date(2022, 3, 1), {"fingers_right": 1})
    assert subset(latest) == "lcssc"  # the latest exam alone is limited
    assert subset(early + latest) == "dcssc"


def test_complete_mrss_with_every_proximal_site_zero_gives_lcssc() -> None:
    """The back has no mRSS site: the two trunk sites scored 0 rule it out (docs/criteria.md)."""
    assert subset(mrss_exam("L1", dt.date(2021, 5, 1), {"fingers_left": 2, "face": 1})) == "lcssc"


def test_recorded_back_thickening_still_makes_dcssc() -> None:
    facts = mrss_exam("L2", dt.date(2021, 5, 1), {"fingers_left": 2})
    back = Fact(patient_id="L2", system="HP", code="HP:0001072", body_site="back")
    assert subset([*facts, back]) == "dcssc"


def test_all_zero_complete_mrss_is_sine_scleroderma() -> None:
    """Face scored 0 rules the neck out too, so a complete all-zero exam gives ssSSc."""
    assert subset(mrss_exam("S1", dt.date(2021, 5, 1), {})) == "sine"


def test_trunk_not_scored_leaves_the_back_open() -> None:
    exam = [
        f
        for f in mrss_exam("U1", dt.date(2021, 5, 1), {"fingers_left": 2})
        if f.body_site != "abdomen"
    ]
    assert subset(exam) == "undetermined"


def _lab(
    pid: str, code: str, value: float, unit: str | None = "U/L", high: float | None = None
) -> Fact:
    return Fact(
        patient_id=pid,
        system="LOINC",
        code=code,
        value_num=value,
        unit=unit,
        reference_high=high,
        effective_date=dt.date(2019, 4, 1),
    )


CK, LDH, AST, ALT = "2157-6", "2532-0", "1920-8", "1742-6"


def enzymes(facts: list[Fact], sex: str = "female") -> bool | None:
    row = results(facts, ("iim2017",), sex=sex, features=["muscle_enzymes_elevated"])
    return row["muscle_enzymes_elevated"]


def test_numeric_enzyme_above_the_uln_sets_the_iim_item() -> None:
    """Lundberg 2017: CK, LDH, AST or ALT above the ULN (default table in features.yaml)."""
    assert enzymes([_lab("E1", CK, 1450)]) is True
    assert enzymes([_lab("E2", ALT, 60)], sex="female") is True  # women's ALT limit 45
    assert enzymes([_lab("E3", ALT, 60)], sex="male") is None  # men's limit 70; others unmeasured
    assert enzymes([_lab("E4", LDH, 300, unit=None)]) is True  # no unit: taken as U/L


def test_normal_enzymes_say_no_only_when_all_four_were_measured() -> None:
    assert enzymes([_lab("N1", CK, 90)]) is None  # LDH, AST, ALT could still be raised
    normal = [_lab("N2", c, v) for c, v in ((CK, 90), (LDH, 180), (AST, 20), (ALT, 25))]
    assert enzymes(normal) is False


def test_enzyme_in_another_unit_is_not_compared() -> None:
    assert enzymes([_lab("K1", CK, 30.0, unit="ukat/L")]) is None


def test_a_fact_s_own_reference_range_is_its_uln() -> None:
    """The laboratory's upper limit of normal (reference_high) wins over the default table."""
    assert enzymes([_lab("R1", CK, 180, high=170)]) is True  # default (women) 210: not raised
    assert enzymes([_lab("R2", CK, 300, high=320)], sex="female") is None  # default would say yes
    # its own range is in its own unit: a value in another unit is compared too
    assert enzymes([_lab("R3", CK, 5.2, unit="ukat/L", high=3.2)]) is True
    # every enzyme at or below its own limit: normal, whatever the defaults say
    normal = [
        _lab("R4", c, v, high=h)
        for c, v, h in ((CK, 300, 320), (LDH, 230, 250), (AST, 40, 40), (ALT, 50, 55))
    ]
    assert enzymes(normal, sex="female") is False
    # one enzyme by its own range, the others by the default table
    mixed = [
        _lab("R5", CK, 300, high=320),
        *(_lab("R5", c, v) for c, v in ((LDH, 180), (AST, 20), (ALT, 25))),
    ]
    assert enzymes(mixed, sex="unknown") is False  # the CK would be "between limits" by default
    assert enzymes([*mixed[1:], _lab("R5", CK, 330, high=320)], sex="unknown") is True


def test_ck_250_against_its_own_uln_through_the_iim_score() -> None:
    """CK 250 U/L is raised against a ULN of 200 and not against 300, whatever the default says.

    Through the compiled IIM 2017 set: the enzyme item adds 1.3 (no biopsy) only when raised.
    """
    others = [_lab("U", c, v) for c, v in ((LDH, 180), (AST, 20), (ALT, 25))]

    def iim(high: float, sex: str) -> dict[str, Any]:
        facts = [_lab("U", CK, 250, high=high), *others]
        return results(facts, ("iim2017",), sex=sex)

    for sex in ("female", "male"):  # default CK limits 210 (women) and 400 (men)
        raised, normal = iim(200, sex), iim(300, sex)
        assert (raised["muscle_enzymes_elevated"], normal["muscle_enzymes_elevated"]) == (
            True,
            False,
        )
        assert raised["iim2017_score_min"] == normal["iim2017_score_min"] + 1.3


def _lab_on(pid: str, code: str, value: float, day: dt.date) -> Fact:
    return _lab(pid, code, value).model_copy(update={"effective_date": day, "fact_id": ""})


def test_default_uln_follows_the_age_at_the_measurement() -> None:
    """NORIP age bands (Lilleng 2011; Norwegian NORIP tables): men's CK 400 below 50 y, 280
    from 50; LDH 205 to 69 y, 255 from 70. The band is the age on the day of the test."""
    man = {"birth_date": dt.date(1960, 6, 15)}

    def raised(code: str, value: float, day: dt.date, sex: str = "male", **birth: Any) -> Any:
        facts = [_lab_on("A1", code, value, day)]
        row = results(facts, (), sex=sex, birth=birth or man, features=["muscle_enzymes_elevated"])
        return row["muscle_enzymes_elevated"]

    assert raised(CK, 300, dt.date(2010, 6, 14)) is None  # 49 years old: limit 400
    assert raised(CK, 300, dt.date(2010, 6, 15)) is True  # 50 on that day: limit 280
    assert raised(CK, 300, dt.date(2010, 6, 15), sex="female") is True  # women 210 at any age
    # with only the birth year, 2010 could be age 49 or 50: raised only above both limits
    assert raised(CK, 300, dt.date(2010, 3, 1), birth_year=1960) is None
    assert raised(CK, 450, dt.date(2010, 3, 1), birth_year=1960) is True
    older = {"birth_date": dt.date(1950, 6, 15)}
    assert raised(LDH, 230, dt.date(2020, 6, 14), **older) is True  # 69: limit 205
    assert raised(LDH, 230, dt.date(2020, 6, 15), **older) is None  # 70: limit 255
    # an undated value: any age band, so raised only above 400 for a man
    undated = _lab("A2", CK, 300).model_copy(update={"effective_date": None, "fact_id": ""})
    row = results([undated], (), sex="male", birth=man, features=["muscle_enzymes_elevated"])
    assert row["muscle_enzymes_elevated"] is None
    # normal only at or below every limit the value could have
    normal = [
        _lab_on("A3", c, v, dt.date(2021, 1, 1))
        for c, v in ((CK, 250), (LDH, 240), (AST, 20), (ALT, 25))
    ]
    row = results(normal, (), sex="male", birth=older, features=["muscle_enzymes_elevated"])
    assert row["muscle_enzymes_elevated"] is False  # 70: CK 250 <= 280 and LDH 240 <= 255


def test_sex_unknown_needs_both_limits() -> None:
    assert enzymes([_lab("X1", CK, 300)], sex="unknown") is None  # between 210 and 400
    assert enzymes([_lab("X2", CK, 450)], sex="unknown") is True


def test_biopsy_unknown_bounds_include_the_with_biopsy_variant() -> None:
    """Lundberg 2017 weights differ with a biopsy; unknown biopsy status spans both variants."""
    items = ("heliotrope_rash", "weakness_proximal_upper", "weakness_proximal_lower",
             "neck_flexor_weaker_than_extensor", "muscle_enzymes_elevated",
             "dysphagia_or_oesophageal_dysmotility")  # fmt: skip
    row = iim_patient(45, *items, muscle_biopsy_done=None)
    for name in BIOPSY_ITEMS:
        row[name] = None
    out = evaluate_set(IIM, row).outputs
    # without biopsy 2.1+3.1+0.7+0.8+1.9+1.3+0.7 = 10.6; with biopsy 2.2+3.2+0.7+0.5+1.6+1.4+0.6
    # = 10.2 plus up to 1.7+1.2+1.9+3.1 from the four unknown biopsy items = 18.1
    assert (out["iim2017_score_min"], out["iim2017_score_max"]) == (10.2, 18.1)
    assert out["iim2017_category"] == "definite"  # definite in every completion
    recorded = evaluate_set(IIM, iim_patient(45, *items, muscle_biopsy_done=False)).outputs
    assert (recorded["iim2017_score_min"], recorded["iim2017_score_max"]) == (10.6, 10.6)


def test_biopsy_unknown_can_leave_the_category_undetermined() -> None:
    """5.2 without biopsy is not IIM (P 0.47); with a biopsy of unknown result it could be IIM."""
    row = iim_patient(45, "heliotrope_rash", muscle_biopsy_done=None)
    for name in BIOPSY_ITEMS:
        row[name] = None
    out = evaluate_set(IIM, row).outputs
    assert out["iim2017_category"] == "undetermined"
    assert out["iim2017_probability_min"] < 0.5 < 0.9 < out["iim2017_probability_max"]
    known = evaluate_set(IIM, iim_patient(45, "heliotrope_rash")).outputs
    assert known["iim2017_category"] == "not_iim"


def test_biopsy_unknown_bounds_equal_every_completion() -> None:
    """Every completion (biopsy done or not, each finding present or absent) lies in the bounds."""
    row = iim_patient(45, "heliotrope_rash", "weakness_proximal_lower", muscle_biopsy_done=None)
    for name in BIOPSY_ITEMS:
        row[name] = None
    completions = [
        row | {"muscle_biopsy_done": done} | dict(zip(BIOPSY_ITEMS, bits, strict=True))
        for done in (False, True)
        for bits in itertools.product((False, True), repeat=len(BIOPSY_ITEMS))
    ]
    scores = [r.outputs["iim2017_score_min"] for r in evaluate_rows(IIM, completions)]
    bounds = evaluate_set(IIM, row).outputs
    assert (bounds["iim2017_score_min"], bounds["iim2017_score_max"]) == (min(scores), max(scores))


def test_the_uln_shown_for_a_value_is_the_one_the_enzyme_item_uses() -> None:
    """``api.lab_limit`` (the web patient page's ULN column) says which limit applies to one
    value: the laboratory's, or the default table's by sex and age at the test (issue 12). A
    value above its ``high`` makes the item true in the feature compiler, one at or below its
    ``low`` does not (hand-made SYNTHETIC patients)."""
    from calciscope import api

    man = {"birth_date": dt.date(1960, 6, 15)}
    cases = [  # (sex, birth, day, unit, own ULN) -> (source, low, high, words in the text)
        ("female", man, dt.date(2010, 6, 15), "U/L", None, ("default", 210, 210, "female, aged 50")),
        ("male", man, dt.date(2010, 6, 14), "U/L", None, ("default", 400, 400, "male, aged 49")),
        ("male", man, dt.date(2010, 6, 15), "U/L", None, ("default", 280, 280, "male, aged 50")),
        ("male", {"birth_year": 1960}, dt.date(2010, 3, 1), None, None,
         ("default", 280, 400, "aged 49-50")),
        ("unknown", man, dt.date(2001, 1, 1), "U/L", None, ("default", 210, 400, "sex unknown")),
        ("male", man, None, "U/L", None, ("default", 280, 400, "age unknown")),
        ("male", man, dt.date(2010, 6, 15), "U/L", 170.0, ("laboratory", 170, 170, "laboratory's")),
    ]  # fmt: skip
    for i, (sex, birth, day, unit, own, (source, low, high, words)) in enumerate(cases):
        patient = Patient(patient_id=f"U{i}", sex=sex, **birth)
        ck = _lab(f"U{i}", CK, 0, unit, own).model_copy(update={"effective_date": day})
        limit = api.lab_limit(ck, patient)
        assert limit is not None and (limit.source, limit.low, limit.high) == (source, low, high)
        assert words in limit.text and limit.feature == "muscle_enzymes_elevated", limit.text
        for value, expected in ((high + 1, True), (low, None)):
            fact = ck.model_copy(update={"value_num": float(value), "fact_id": ""})
            row = results([fact], (), sex=sex, birth=birth, features=["muscle_enzymes_elevated"])
            assert row["muscle_enzymes_elevated"] is expected, (i, value)
    woman = Patient(patient_id="U9", sex="female", birth_year=1970)
    other_unit = api.lab_limit(_lab("U9", CK, 4.0, "ukat/L"), woman)
    assert other_unit is not None and other_unit.source == "not compared"
    assert "ukat/L" in other_unit.text and other_unit.high is None
    assert api.lab_limit(Fact(patient_id="U9", system="HP", code="HP:0003761"), woman) is None
    absent = _lab("U9", CK, 300).model_copy(update={"status": "absent", "fact_id": ""})
    assert api.lab_limit(absent, woman) is None


def test_a_biopsy_finding_recorded_present_means_the_biopsy_was_done() -> None:
    """edge5: rimmed vacuoles recorded, the biopsy itself not: the with-biopsy weights apply.

    2.2 (age 50) + 3.2 (heliotrope) + 3.1 (rimmed vacuoles) = 8.5, P 0.882: probable, and with a
    rash but no weakness, amyopathic DM (clinical-reference §3.1-§3.3, §11.1).
    """
    result = evaluate_set(
        IIM, iim_patient(50, "heliotrope_rash", "biopsy_rimmed_vacuoles", muscle_biopsy_done=None)
    )
    out = result.outputs
    assert (out["iim2017_variant"], result.score_min, result.score_max) == ("with_biopsy", 8.5, 8.5)
    assert (out["iim2017_category"], out["iim2017_subgroup"]) == ("probable", "adm")
    # no rash: the recorded finding is the biopsy result that makes the patient classifiable
    no_rash = iim_patient(50, "weakness_proximal_upper", "biopsy_rimmed_vacuoles",
                          muscle_biopsy_done=None)  # fmt: skip
    assert evaluate_set(IIM, no_rash).outputs["iim2017_category"] == "not_iim"  # 2.2+0.7+3.1 = 6.0


def test_unknown_biopsy_status_is_named_among_what_could_flip() -> None:
    """edge5: §11.2, an undetermined result names the unknown data that could change it.

    Without biopsy 2.1 + 3.1 + 0.7 + 0.8 = 6.7 (P 0.80, probable); with a biopsy whose findings
    are all absent 2.2 + 3.2 + 0.7 + 0.5 = 6.6 (P 0.53, possible). Only the biopsy is unknown.
    """
    row = iim_patient(
        50, "heliotrope_rash", "weakness_proximal_upper", "weakness_proximal_lower",
        muscle_biopsy_done=None,
    )  # fmt: skip
    result = evaluate_set(IIM, row)
    assert result.outputs["iim2017_category"] == "undetermined"
    assert result.could_flip == ("muscle_biopsy_done",)


def _proximal(pid: str, *sides: tuple[str | None, str]) -> list[Fact]:
    """Facts of skin thickening proximal to the MCPs: (laterality, status) each."""
    return [
        Fact(
            patient_id=pid,
            system="calciscope",
            code="skin_thickening_proximal_to_mcp",
            status=status,
            laterality=side,
            effective_date=dt.date(2020, 1, 1),
        )
        for side, status in sides
    ]


def test_the_sufficient_skin_item_needs_both_hands() -> None:
    """ "Of the fingers of both hands" (van den Hoogen 2013; clinical-reference §1.1)."""

    def item(*sides: tuple[str | None, str]) -> Any:
        row = results(_proximal("H1", *sides), ("ssc2013",))
        return row["skin_thickening_proximal_to_mcp"], row["ssc2013_status"]

    # one hand alone: the other may not have been examined, so unknown, never classified
    assert item(("left", "present")) == (None, "undetermined")
    assert item(("left", "present"), ("right", "present")) == (True, "classified")
    assert item(("bilateral", "present")) == (True, "classified")
    assert item((None, "present")) == (True, "classified")  # the concept as coded: both hands
    assert item(("unspecified", "present")) == (True, "classified")  # no side given
    assert item(("left", "present"), ("right", "absent"))[0] is False
