"""Calcinosis phenotype parameters on hand-made patients (phenotypes.yaml, issue 12).

mixed lesions toward sheet-like or not; left and right as one site or two; a lesion without its
site leaves "extensive" unknown, not false; the onset interval to the first sheet-like lesion.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pyarrow as pa
import pytest

from calciscope.engine import compute_feature_table
from calciscope.engine.phenotype import _reads, add_phenotype_columns
from calciscope.errors import CatalogueError
from calciscope.features import load_catalogue
from calciscope.model import Fact, Patient
from calciscope.phenotype import load_phenotypes
from calciscope.storage.registry import model_rows
from engine.test_features import _FACT_SCHEMA, _PATIENT_SCHEMA

INDEX = dt.date(2025, 1, 1)


def lesion(pid: str, morphology: str, site: str | None, side: str | None = None, **kw: Any) -> Fact:
    day = kw.pop("day", dt.date(2020, 1, 1))
    return Fact(
        patient_id=pid,
        system="calciscope",
        code="calcinosis",
        morphology=morphology,
        body_site=site,
        laterality=side,
        effective_date=day,
        **kw,
    )


def phenotypes(facts: list[Fact], **params: Any) -> dict[str, Any]:
    pid = facts[0].patient_id
    con = ibis.duckdb.connect()
    try:
        p = con.create_table(
            "patients",
            pa.Table.from_pylist(
                model_rows([Patient(patient_id=pid, sex="female", birth_year=1960)]),
                schema=_PATIENT_SCHEMA,
            ),
        )
        f = con.create_table("facts", pa.Table.from_pylist(model_rows(facts), schema=_FACT_SCHEMA))
        chosen = load_phenotypes(**params)
        # only the calcinosis phenotypes' features (criteria results are absent, so unknown)
        reads = frozenset().union(*map(_reads, chosen.phenotypes))
        wanted = [name for name in load_catalogue().features if name in reads]
        table = compute_feature_table(f, p, index_date=INDEX, features=wanted)
        out = add_phenotype_columns(table, phenotypes=chosen, index_date=INDEX)
        (row,) = out.to_pyarrow().to_pylist()
        return row
    finally:
        con.disconnect()


def extensive(facts: list[Fact], **params: Any) -> bool | None:
    return phenotypes(facts, **params)["extensive_sheet_like_calcinosis"]


def test_mixed_counts_toward_sheet_like_only_by_the_parameter() -> None:
    facts = [lesion("M1", "mixed", "forearm", "left"), lesion("M1", "sheet_like", "thigh", "left")]
    assert extensive(facts) is False  # default: mixed is not sheet-like, one sheet-like region
    assert extensive(facts, sheet_like_morphology="sheet_like_or_mixed") is True


def test_left_and_right_as_separate_sites_by_the_parameter() -> None:
    facts = [
        lesion("S1", "sheet_like", "forearm", "left"),
        lesion("S1", "sheet_like", "forearm", "right"),
    ]
    assert extensive(facts) is False  # one region
    assert extensive(facts, region_unit="sides") is True
    both = [lesion("S2", "sheet_like", "thigh", "bilateral")]
    assert extensive(both, region_unit="sides") is True
    trunk = [
        lesion("S3", "sheet_like", "chest", "left"),
        lesion("S3", "sheet_like", "chest", "right"),
    ]
    assert extensive(trunk, region_unit="sides") is False  # the chest has no sides


def test_lesion_without_site_leaves_extensive_unknown_not_false() -> None:
    facts = [lesion("U1", "sheet_like", "forearm", "left"), lesion("U1", "sheet_like", None)]
    row = phenotypes(facts)
    assert row["calcinosis_extent_regions"] == 1  # the known lower bound
    assert row["extensive_sheet_like_calcinosis"] is None
    # already two known regions: true whatever the unsited lesion is
    two = [*facts, lesion("U1", "sheet_like", "thigh")]
    assert extensive(two) is True


def test_lesion_without_side_leaves_the_count_by_side_open() -> None:
    facts = [lesion("U2", "sheet_like", "forearm", "left"), lesion("U2", "sheet_like", "forearm")]
    assert extensive(facts, region_unit="sides") is None
    assert extensive(facts) is False  # by region the side does not matter


def test_onset_to_the_first_sheet_like_lesion_by_the_parameter() -> None:
    onset = Fact(
        patient_id="O1", system="calciscope", code="ssc_onset", effective_date=dt.date(2010, 1, 1)
    )
    facts = [
        onset,
        lesion("O1", "nodular", "fingers", "left", day=dt.date(2012, 1, 1)),
        lesion("O1", "sheet_like", "thigh", "left", day=dt.date(2016, 1, 1)),
    ]
    assert phenotypes(facts)["calcinosis_onset_years"] == pytest.approx(2.0, abs=0.01)
    later = phenotypes(facts, onset_event="calcinosis_sheet_like")["calcinosis_onset_years"]
    assert later == pytest.approx(6.0, abs=0.01)


def test_a_parameter_outside_its_choices_is_refused() -> None:
    with pytest.raises(CatalogueError, match="region_unit"):
        load_phenotypes(region_unit="limbs")


def test_calcinosis_dated_before_onset_is_reversed_not_a_negative_interval() -> None:
    onset = Fact(
        patient_id="R1", system="calciscope", code="ssc_onset", effective_date=dt.date(2015, 1, 1)
    )
    early = lesion("R1", "sheet_like", "thigh", "left", day=dt.date(2013, 1, 1))
    out = phenotypes([onset, early])
    assert out["calcinosis_onset_years"] is None  # unknown, never -2.0
    assert out["calcinosis_onset_years_reversed"] is True
    in_order = phenotypes([onset, lesion("R1", "sheet_like", "thigh", day=dt.date(2017, 1, 1))])
    assert in_order["calcinosis_onset_years"] == pytest.approx(2.0, abs=0.01)
    assert in_order["calcinosis_onset_years_reversed"] is False
    assert phenotypes([early])["calcinosis_onset_years_reversed"] is None  # no onset: unknown
