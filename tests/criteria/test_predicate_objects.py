"""Predicates compose and describe themselves; results show themselves in a notebook."""

from __future__ import annotations

import pytest

from calciscope.criteria import (
    CriteriaStatus,
    IimCategory,
    ItemState,
    SkinScoreStatus,
    load_criteria_set,
    parse_predicate,
)
from calciscope.criteria.expression import AllOf, AnyOf, Compare, FeatureTrue, Not, OneOf, Range
from calciscope.model import CutaneousSubset
from criteria.criteria_builders import evaluate_set, iim_patient, ssc_patient

SCL70, ACA = FeatureTrue("anti_scl70"), FeatureTrue("anti_centromere")


@pytest.mark.parametrize(
    ("predicate", "text"),
    [
        (SCL70 & ACA, "anti_scl70 and anti_centromere"),
        (SCL70 | ACA, "anti_scl70 or anti_centromere"),
        (~SCL70, "not anti_scl70"),
        (~(SCL70 | ACA), "not (anti_scl70 or anti_centromere)"),
        ((SCL70 & ACA) | ~ACA, "(anti_scl70 and anti_centromere) or not anti_centromere"),
        (Compare("age_at_myositis_onset", ">=", 18.0), "age_at_myositis_onset >= 18"),
        (Range("age_at_myositis_onset", 18.0, 40.0), "18 <= age_at_myositis_onset < 40"),
        (OneOf("subset_recorded", ("dcssc",), ("lcssc",)), "subset_recorded in {dcssc}"),
    ],
)
def test_predicates_describe_themselves(predicate, text) -> None:
    assert predicate.describe() == text


def test_operators_build_the_same_objects_as_the_yaml_forms() -> None:
    assert AllOf((SCL70, ACA, SCL70)) == SCL70 & ACA & SCL70  # flattened
    assert (
        parse_predicate({"any": [{"feature": "anti_scl70"}, {"feature": "anti_centromere"}]})
        == SCL70 | ACA
    )
    assert Not(SCL70) == ~SCL70 and ~~SCL70 == SCL70
    assert (SCL70 | ACA).features() == {"anti_scl70", "anti_centromere"}
    assert isinstance(SCL70 | ACA, AnyOf)


def test_results_carry_enums_rules_and_a_notebook_display() -> None:
    ssc = evaluate_set(load_criteria_set("ssc2013"), ssc_patient("anti_scl70"))
    assert ssc.status is CriteriaStatus.NOT_CLASSIFIED
    assert {i.id: i.rule for i in ssc.items}["anti_scl70"] == "anti_scl70"
    assert next(i for i in ssc.items if i.id == "anti_scl70").state is ItemState.COUNTED
    html = ssc._repr_html_()
    assert "<table>" in html and "not_classified" in html and "anti_scl70" in html
    iim = evaluate_set(load_criteria_set("iim2017"), iim_patient(50.0, "heliotrope_rash"))
    assert isinstance(iim.status, IimCategory)
    leroy = evaluate_set(load_criteria_set("leroy"), {"skin_thickening_upper_arms": True})
    assert leroy.status is CutaneousSubset.DCSSC
    mrss = evaluate_set(load_criteria_set("mrss"), {})
    assert mrss.status is SkinScoreStatus.INCOMPLETE and not mrss.decided
