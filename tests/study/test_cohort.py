"""Case finding on a small hand-made table: population, groups, cases, attrition, at-risk.

The hand-made classified table goes through the study's one query (``StudyQuery.on_frames``:
the same expression a study runs in the registry's database), then the analysis.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from calciscope.engine.study import StudyQuery
from calciscope.phenotype import load_phenotypes
from calciscope.study import (
    TABLE_ONE_VARIABLES,
    OverlapBasis,
    SscBasis,
    StudyAnalysis,
    StudyDefinition,
    analyse,
    at_risk_list,
    attrition,
    case_evidence,
    default_study,
    event_times,
    parse_provenance,
)

D = dt.date
AT_RISK_TEXT = next(p.text for p in load_phenotypes().phenotypes if p.id == "at_risk_prompt")


def _row(pid: str, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "patient_id": pid, "sex": "female", "synthetic": True, "ssc_diagnosis": True,
        "ssc2013_status": "classified", "last_visit_date": D(2023, 6, 1), "subset_recorded": "lcssc",
        "cutaneous_subset": "lcssc", "ssc_myositis_overlap_criteria": False,
        "ssc_myositis_overlap_clinician": False, "ssc_myositis_overlap_either": False,
        "extensive_sheet_like_calcinosis": False, "calcinosis_any": None,
        "radiograph_last_date": None, "calcinosis_assessment_last_date": None,
        "anti_pm_scl": False, "anti_scl70": False, "anti_centromere": None,
        "anti_rna_polymerase_iii": None, "age_at_ssc_diagnosis": 50.0,
        "calcinosis_onset_years": None, "ssc_onset_date": D(2010, 1, 1),
        "calcinosis_first_date": None, "death_date": None, "death": None,
        "first_visit_date": D(2012, 1, 1),
        "interstitial_lung_disease": None, "calcinosis_sheet_like_regions": None,
        "at_risk_prompt": False, "at_risk_prompt_text": None, "at_risk_prompt_anti_pm_scl": False,
        "at_risk_prompt_anti_scl70": False, "at_risk_prompt_anti_centromere": None,
        "at_risk_prompt_anti_rna_polymerase_iii": None,
    }  # fmt: skip
    return base | kw


def _everyone(
    table: pd.DataFrame, study: StudyDefinition, suggested: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every patient's row with the study's columns (in_population, subset, overlap, case)."""
    everyone = StudyQuery.on_frames(study, table, suggested).table.to_pandas()
    return everyone.sort_values("patient_id").reset_index(drop=True)


def _analyse(table: pd.DataFrame, study: StudyDefinition) -> StudyAnalysis:
    query = StudyQuery.on_frames(study, table)
    return analyse(query.population(), study, counts=query.counts())


@pytest.fixture
def table() -> pd.DataFrame:
    rows = [
        _row("A", subset_recorded="dcssc", ssc_myositis_overlap_either=True,
             extensive_sheet_like_calcinosis=True, calcinosis_any=True, anti_scl70=True,
             calcinosis_first_date=D(2013, 1, 1), calcinosis_onset_years=3.0,
             radiograph_last_date=D(2023, 3, 1), age_at_ssc_diagnosis=27.0),
        _row("B", subset_recorded="dcssc", ssc_myositis_overlap_either=True,
             radiograph_last_date=D(2021, 1, 1), calcinosis_assessment_last_date=D(2021, 1, 1),
             sex="male", at_risk_prompt=True, at_risk_prompt_text=AT_RISK_TEXT),
        _row("C", ssc_diagnosis=False, ssc2013_status="classified", at_risk_prompt=True,
             at_risk_prompt_text=AT_RISK_TEXT),
        _row("D", last_visit_date=D(2019, 1, 1)),
        _row("E", death_date=D(2015, 1, 1), death=True),
        _row("F", subset_recorded=None, calcinosis_any=True, calcinosis_first_date=D(2009, 6, 1)),
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_population_counts_clinician_or_criteria(table):
    study = default_study()
    pop = _everyone(table, study)
    assert list(pop.loc[pop["in_population"], "patient_id"]) == ["A", "B", "E", "F"]
    either = study.model_copy(
        update={"population": study.population.model_copy(update={"ssc_by": SscBasis.EITHER})}
    )
    assert _everyone(table, either)["in_population"].sum() == 5
    assert _everyone(table, study).set_index("patient_id").loc["F", "subset"] == "unknown"


def test_cases_and_attrition(table):
    study = default_study()
    cases = _everyone(table, study)
    assert list(cases.loc[cases["case"], "patient_id"]) == ["A"]
    steps = attrition(
        StudyQuery.on_frames(study, table).counts(), study, "extensive sheet-like calcinosis"
    )
    assert [s.count for s in steps] == [6, 5, 4, 2, 2, 1]
    assert steps[3].of_population == pytest.approx(0.5)
    assert steps[-1].label == "Cases: extensive sheet-like calcinosis"


def test_suggested_only_cases_are_apart(table):
    study = default_study()
    suggested = table.assign(extensive_sheet_like_calcinosis=table["patient_id"].isin(["A", "B"]))
    cases = _everyone(table, study, suggested)
    assert list(cases.loc[cases["case_suggested_only"], "patient_id"]) == ["B"]
    assert cases["case"].sum() == 1


def test_at_risk_is_a_prompt_for_overlap_without_recent_assessment(table):
    study = default_study()
    risk = at_risk_list(StudyQuery.on_frames(study, table).population(), study)
    # A had a radiograph within 12 months (no prompt); C is shown it but is not in the population
    assert list(risk["patient_id"]) == ["B"]
    assert set(risk["prompt"]) == {AT_RISK_TEXT}
    # the study's antibodies are shown beside the prompt (groups.antibodies), not scored
    antibodies = list(study.groups.antibodies)
    assert list(risk.columns) == [
        "patient_id",
        "subset",
        "overlap",
        *antibodies,
        "last_assessment",
        "prompt",
    ]
    assert "diagnos" not in AT_RISK_TEXT and "predict" not in AT_RISK_TEXT


def test_overlap_by_criteria_changes_the_group(table):
    study = default_study()
    by_criteria = study.model_copy(
        update={"groups": study.groups.model_copy(update={"overlap_by": OverlapBasis.CRITERIA})}
    )
    assert not _everyone(table, by_criteria)["overlap"].any()


def test_event_times_censor_and_compete(table):
    study = default_study()
    pop = StudyQuery.on_frames(study, table).population()
    times = event_times(pop, study)
    excluded = times.attrs["excluded"]
    times.index = pop.loc[times.index, "patient_id"]
    # onset 2010-01-01, registry entry 2012-01-01: follow-up starts 2 years after onset
    assert times.loc["A", "event"] == 1
    assert times.loc["A", ["entry", "duration"]].tolist() == pytest.approx([2.0, 3.0], abs=0.01)
    assert times.loc["E", "event"] == 2
    # B: censored at the last calcinosis assessment (2021), not the last visit (2023)
    assert times.loc["B", "event"] == 0
    assert times.loc["B", "duration"] == pytest.approx(11.0, abs=0.01)
    # F had calcinosis before entry: prevalent, not incident, so left out and counted
    assert "F" not in times.index
    assert excluded == {"calcinosis before entry": 1}


def test_event_times_without_delayed_entry_start_at_origin(table):
    study = default_study()
    study = study.model_copy(
        update={"time_to_event": study.time_to_event.model_copy(update={"entry": None})}
    )
    times = event_times(StudyQuery.on_frames(study, table).population(), study)
    assert set(times["entry"]) == {0.0}


def test_analysis_headline(table):
    study = default_study()
    a = _analyse(table, study)
    h = a.headline.to_dict()
    assert (h["source_population"], h["dcssc"], h["cases"], h["women"]) == (4, 2, 1, 1)
    assert h["antibodies_positive"]["anti_scl70"] == 1
    assert h["synthetic"] is True
    assert "Clopper" in h["interval"]


def test_evidence_lists_facts_with_note_offsets_and_rules():
    facts = pd.DataFrame(
        [
            {"fact_id": "F1", "patient_id": "A", "system": "HP", "code": "HP:0003761", "status": "present",
             "effective_date": D(2013, 1, 1), "body_site": "thigh", "laterality": None, "morphology": "sheet_like",
             "method": "radiograph", "source_kind": "note", "review_state": "suggested", "concept": "calcinosis",
             "provenance": '{"note_id": "N1", "start": 10, "end": 20, "rule": "calc.sheet", "text": "sheets"}'},
            {"fact_id": "F2", "patient_id": "A", "system": "calciscope", "code": "visit", "status": "present",
             "effective_date": D(2013, 1, 1), "body_site": None, "laterality": None, "morphology": None,
             "method": None, "source_kind": "structured", "review_state": "confirmed", "concept": "visit",
             "provenance": "demo:visit"},
        ]
    )  # fmt: skip
    ev = case_evidence(facts, ["A"])
    assert [e["fact_id"] for e in ev["A"]] == ["F1"]
    assert ev["A"][0]["provenance"] == {
        "note_id": "N1",
        "start": 10,
        "end": 20,
        "rule": "calc.sheet",
        "text": "sheets",
    }
    assert parse_provenance("demo:x") == {"source": "demo:x"}
    assert parse_provenance("{broken") == {"source": "{broken"}


def test_methods_state_delayed_entry_censoring_and_exclusions(table):
    from calciscope.report.text import methods_paragraphs

    study = default_study()
    a = _analyse(table, study)
    text = " ".join(methods_paragraphs(a))
    assert "delayed entry (left truncation) at the first registry record" in text
    assert "censoring at the last calcinosis assessment" in text
    assert "calcinosis before entry, 1" in text
    assert a.incidence_excluded == {"calcinosis before entry": 1}


def test_cases_are_tested_only_when_there_are_enough(table):
    study = default_study()
    a = _analyse(table, study)
    assert a.comparisons["anti_scl70"].p_value is None  # 1 case
    always = study.model_copy(
        update={"statistics": study.statistics.model_copy(update={"min_group_for_tests": 0})}
    )
    b = _analyse(table, always)
    assert b.comparisons["anti_scl70"].p_value is not None
    assert "odds_ratio_lower" in b.comparisons["anti_scl70"].summary


def test_window_is_exactly_three_years_at_its_boundaries():
    # 3 years ending on 31 Dec 2023 are 1 Jan 2021 to 31 Dec 2023 (1,095 days): a last visit on
    # 31 Dec 2020 is 3 years and 1 day before the index date and outside the window
    study = default_study()
    assert (study.population.index_date - study.window_start).days + 1 == 3 * 365
    days = [D(2020, 12, 31), D(2021, 1, 1), D(2023, 12, 31), D(2024, 1, 1)]
    frame = pd.DataFrame([_row(f"P{i}", last_visit_date=d) for i, d in enumerate(days)])
    seen = _everyone(frame, study).set_index("patient_id")["seen"].tolist()
    assert seen == [False, True, True, False]


def test_flow_names_exclusions_and_draws_cases_from_the_source_population(table):
    """STROBE-style flow: exclusion reasons, and the cases' box comes from the population."""
    study = default_study()
    steps = attrition(StudyQuery.on_frames(study, table).counts(), study)
    assert steps[1].excluded == (("not SSc (clinician)", 1),)  # C
    assert steps[2].excluded == (("last visit before the window", 1),)  # D
    assert steps[-1].parent == 2 and steps[-1].of_previous == pytest.approx(1 / 4)


def test_unknown_overlap_stays_unknown_in_table_one_and_proportions(table):
    """F's overlap is unknown: Table 1 counts it missing; the proportion is of known (3)."""
    study = default_study()
    table = table.astype({"ssc_myositis_overlap_either": "object"})
    table.loc[table["patient_id"] == "F", "ssc_myositis_overlap_either"] = None
    a = _analyse(table, study)
    rows = a.table_one.summary.set_index(["Variable", "Level"])
    overall = next(c for c in rows.columns if c.startswith("Overall"))
    assert rows.loc[("SSc–myositis overlap", "missing"), overall] == "1"
    assert (a.proportions["overlap"].count, a.proportions["overlap"].total) == (2, 3)
    # F's subset is unknown too: missing in Table 1, not an "unknown" level
    assert rows.loc[("Cutaneous subset", "missing"), overall] == "1"
    assert ("Cutaneous subset", "unknown") not in rows.index


def test_table_one_and_the_proportions_table_agree_and_state_their_denominators(table):
    """Issue 12: a proportion of known status gives the n (%) Table 1 gives for the same column,
    and every row of the proportions table says who its denominator counts. B's calcinosis is
    recorded absent, E's never recorded: calcinosis (any) is 2 of the 3 known (A, F), not of 4;
    F's overlap is unknown: overlap is 2 of 3 (A, B)."""
    from calciscope.report.tables import proportion_table

    table = table.astype({"calcinosis_any": "object", "ssc_myositis_overlap_either": "object"})
    table.loc[table["patient_id"] == "B", "calcinosis_any"] = False
    table.loc[table["patient_id"] == "F", "ssc_myositis_overlap_either"] = None
    study = default_study()
    a = _analyse(table, study)
    rows = a.table_one.summary.set_index(["Variable", "Level"])
    overall = next(c for c in rows.columns if c.startswith("Overall"))
    by_column = {v.column: v.label for v in TABLE_ONE_VARIABLES}
    compared = []
    for spec in study.proportions:
        if spec.within is None and spec.of_known in by_column:
            p = a.proportions[spec.id]
            cell = rows.loc[(by_column[spec.of_known], "n (%)"), overall]
            assert cell == f"{p.count} ({100 * p.count / p.total:.1f})", (spec.id, cell)
            compared.append((spec.id, p.count, p.total))
    assert compared == [("overlap", 2, 3), ("calcinosis_any", 2, 3)]
    denominators = dict(proportion_table(a)[["measure", "denominator"]].to_numpy())
    assert denominators == {
        "dcSSc in the source population": "4: the source population (all, unknown values included)",
        "SSc–myositis overlap in the source population (of known status)":
            "3: the source population, of known SSc–myositis overlap status",
        "Cases in the source population": "4: the source population (all, unknown values included)",
        "Cases among dcSSc with overlap":
            "2: dcSSc with SSc–myositis overlap (all, unknown values included)",
        "Calcinosis (any) in the source population (of known status)":
            "3: the source population, of known calcinosis (any)",
    }  # fmt: skip


def test_a_death_before_the_window_is_its_own_exclusion_reason(table):
    """STROBE flow (issue 12): G died in 2019 after a last visit in 2018, so she is excluded as
    "died before the window", apart from D (alive, last visit before it)."""
    g = _row("G", last_visit_date=D(2018, 5, 1), death_date=D(2019, 2, 1), death=True)
    with_g = pd.DataFrame([*table.to_dict("records"), g])
    study = default_study()
    steps = attrition(StudyQuery.on_frames(study, with_g).counts(), study)
    assert steps[2].excluded == (("died before the window", 1), ("last visit before the window", 1))


def test_unknown_overlap_is_its_own_group_in_the_incidence_figure(table):
    """Unknown stays unknown in the figures too (issue 12): E's unknown overlap puts her in
    "overlap unknown", never in "no overlap" (she contributes follow-up until her death)."""
    study = default_study()
    table = table.astype({"ssc_myositis_overlap_either": "object"})
    table.loc[table["patient_id"] == "E", "ssc_myositis_overlap_either"] = None
    a = _analyse(table, study)
    assert "overlap unknown" in set(a.incidence["overlap"].summary["group"])
    pop = StudyQuery.on_frames(study, table).population()
    times = event_times(pop, study)
    by_patient = dict(zip(pop.loc[times.index, "patient_id"], times["overlap"], strict=True))
    assert by_patient["E"] == "overlap unknown" and by_patient["A"] == "overlap"


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        ({}, ("mixed (nodular and sheet-like) were not counted as sheet-like", "left and right")),
        (
            {"sheet_like_morphology": "sheet_like_or_mixed", "region_unit": "sides"},
            ("mixed (nodular and sheet-like) counted toward sheet-like", "counted as two sites"),
        ),
    ],
)
def test_methods_say_how_mixed_lesions_and_sides_were_counted(table, parameters, words):
    """The methods text states the phenotype's parameters (issue 12: mixed, laterality)."""
    from calciscope.report.text import methods_paragraphs

    study = default_study().model_copy(update={"phenotype_parameters": parameters})
    text = " ".join(methods_paragraphs(_analyse(table, study)))
    for phrase in words:
        assert phrase in text, (phrase, text)


def test_case_table_prints_unknown_not_false(table):
    """Issue 12: a case whose overlap nobody recorded or could classify reads "unknown" in the
    per-case table (it printed False before), with her site × morphology beside it. No death
    recorded reads "no": the analysis takes her as alive at her last visit (analysis.py)."""
    from calciscope.report.tables import case_table

    study = default_study()
    table = table.astype({"ssc_myositis_overlap_either": "object"})
    table.loc[table["patient_id"] == "A", "ssc_myositis_overlap_either"] = None
    a = _analyse(table, study)
    lesion = {"concept": "calcinosis", "status": "present", "body_site": "forearm",
              "laterality": "left", "morphology": "sheet_like"}  # fmt: skip
    [row] = case_table(a, {"A": "Case 1"}, {"A": [lesion]}).to_dict("records")
    assert (row["case"], row["overlap"], row["died"]) == ("Case 1", "unknown", "no")
    assert row["calcinosis_sites"] == "forearm (left): sheet-like"
