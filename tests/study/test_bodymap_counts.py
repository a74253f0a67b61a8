"""The report's body map counted in the database equals the body map counted from the facts.

``study run`` no longer reads back the facts of every patient of the source population with
calcinosis for the body map: :meth:`StudyQuery.bodymap_counts` counts the patients by group and
body site in the database, and only the shown patients' facts come back (after the study's
tables are released). The counts must be those the report drew from the facts before
(:func:`calciscope.report.bodymap.bodymap_counts` over every patient's report facts).
"""

from __future__ import annotations

import pandas as pd

from calciscope.api.study_definition import study_phenotypes
from calciscope.engine import connect
from calciscope.engine.readback import report_facts
from calciscope.engine.release import release_cached
from calciscope.engine.study import StudyQuery
from calciscope.report.bodymap import REGION_XY, bodymap_counts, counted_regions
from calciscope.study import default_study
from calciscope.study.cohort import is_true

STUDY = default_study()


def _both(url: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    con = connect(url)
    try:
        query = StudyQuery(con, STUDY, study_phenotypes(STUDY), include_suggested=True)
        population = query.population()
        in_database = counted_regions(query.bodymap_counts())
        release_cached(con)
        shown = population.loc[population["case"] | population["case_suggested_only"]]
        facts = query.report_facts(shown["patient_id"])
        everyone = report_facts(con)  # every patient's report facts, as the report read before
    finally:
        release_cached(con)
        con.disconnect()
    cases = population.loc[population["case"], "patient_id"]
    others = population.loc[
        is_true(population["calcinosis_any"]) & ~population["case"], "patient_id"
    ]
    return in_database, bodymap_counts(everyone, cases, others), facts, everyone


def test_bodymap_counted_in_the_database_equals_the_facts_count(reviewed_demo_url):
    in_database, from_facts, _, _ = _both(reviewed_demo_url)
    assert list(in_database.index) == list(REGION_XY)
    assert list(in_database.columns) == ["cases", "others"]
    assert in_database.to_dict() == {k: v for k, v in from_facts.astype("int64").to_dict().items()}
    # the demo has both groups, with calcinosis in several regions each
    assert (in_database["cases"] > 0).sum() >= 2
    assert (in_database["others"] > 0).sum() >= 2


def test_shown_patients_facts_are_everyones_facts_of_those_patients(reviewed_demo_url):
    _, _, facts, everyone = _both(reviewed_demo_url)
    shown = set(facts["patient_id"])
    assert shown, "the demo has cases"
    want = everyone[everyone["patient_id"].isin(shown)].reset_index(drop=True)
    pd.testing.assert_frame_equal(facts, want)


def test_no_calcinosis_in_a_group_counts_zero_everywhere():
    grouped = pd.DataFrame({"case": [True, True], "body_site": ["hand", "elsewhere"], "n": [3, 9]})
    got = counted_regions(grouped)
    assert got.loc["hand", "cases"] == 3
    assert got["cases"].sum() == 3  # a site outside the body map is not drawn
    assert got["others"].sum() == 0
    assert list(got.index) == list(REGION_XY)
