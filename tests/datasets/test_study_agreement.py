"""The default study against the answer key, patient by patient, and metamorphic checks.

The answer key (``answer_key.csv``) is the truth the generator drew; the study sees only what the
registry records (facts, and facts suggested from notes). On other seeds and sizes than the
calibrated default, every patient's source-population membership, subset and case status must
agree with the key: cases whose morphology is coded are found from confirmed facts, those whose
morphology is only in radiology reports and letters, or only on their radiographs (the demo's
measured phantom films), once suggested facts are counted.

Metamorphic checks change the registry's facts and require the study to move as it clinically
should: a lesion removed, a subset recoded, the visits in the window removed, the defining item of
a criteria-based overlap removed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from calciscope import api
from calciscope.api.study_definition import study_phenotypes
from calciscope.datasets import generate_demo_cohort
from calciscope.datasets.profile import MYOSITIS_ITEMS
from calciscope.engine import connect
from calciscope.engine.release import release_cached
from calciscope.engine.study import StudyQuery
from calciscope.features import load_catalogue
from calciscope.study import default_study

STUDY = default_study()
#: The EULAR/ACR 2017 IIM items and the CK they are derived from (Lundberg IE et al. Ann Rheum
#: Dis 2017;76:1955-64).
IIM_CONCEPTS = frozenset(
    {
        *MYOSITIS_ITEMS,
        "muscle_enzymes_elevated",
        "creatine_kinase",
        "muscle_biopsy",
        "biopsy_endomysial_infiltrate",
        "biopsy_perimysial_perivascular_infiltrate",
        "biopsy_perifascicular_atrophy",
        "biopsy_rimmed_vacuoles",
        "anti_jo1",
    }
)


def _answer(folder: Path) -> pd.DataFrame:
    key = pd.read_csv(folder / "answer_key.csv", dtype=str, keep_default_na=False)
    return key.set_index("patient_id")


def _cases(con: Any, include_suggested: bool) -> pd.DataFrame:
    """Every patient's classified row with the study's columns, from the study's one query."""
    query = StudyQuery(con, STUDY, study_phenotypes(STUDY), include_suggested=include_suggested)
    try:
        return query.table.to_pandas().set_index("patient_id")
    finally:
        release_cached(con)
        con.disconnect()


@pytest.fixture(scope="module", params=[(3, 300), (11, 900)], ids=["seed3-n300", "seed11-n900"])
def studied(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Generate, import, read the notes and films, and classify a cohort of another seed and size.

    As ``calciscope demo`` does, the SYNTHETIC phantom films are measured and their suggestions
    imported: a film-only anchor's morphology is nowhere else. Without the imaging extra those
    anchors cannot be found, and are left out of the comparison.
    """
    from calciscope.errors import MissingExtraError

    seed, size = request.param
    folder = tmp_path_factory.mktemp(f"agreement-{seed}-{size}")
    generate_demo_cohort(folder / "cohort", patients=size, seed=seed)
    with api.open_registry(f"sqlite:///{folder / 'registry.db'}") as registry:
        api.import_directory(registry, folder / "cohort")
        api.extract_notes(registry)
        try:
            api.add_demo_radiographs(registry, folder / "cohort", seed=seed)
            films = True
        except MissingExtraError:
            films = False
        cases = _cases(connect(registry.connection_url), include_suggested=True)
    answer = _answer(folder / "cohort")
    if not films:
        answer = answer[answer.calcinosis_recorded != "film"]
    return cases.reindex(answer.index), answer


def _agreement(found: pd.Series, truth: pd.Series) -> float:
    return float((found.astype(bool) == truth.astype(bool)).mean())


def test_source_population_and_subset_agree_patient_by_patient(studied: Any) -> None:
    cases, answer = studied
    population = (answer.ssc == "true") & (answer.seen_in_window == "true")
    assert _agreement(cases.in_population, population) == 1.0
    dcssc = population & (answer.subset == "dcssc")
    assert _agreement(cases.in_population & cases.subgroup_dcssc, dcssc) == 1.0


def test_case_status_agrees_patient_by_patient(studied: Any) -> None:
    cases, answer = studied
    truth = (
        (answer.ssc == "true")
        & (answer.seen_in_window == "true")
        & (answer.extensive_sheet_like == "true")
    )
    assert truth.sum() >= 2
    found = cases.case | cases.case_suggested_only
    wrong = list(answer.index[found != truth])
    assert _agreement(found, truth) == 1.0, wrong
    # confirmed facts find exactly the cases whose morphology is coded; the rest wait for review
    coded = truth & (answer.calcinosis_recorded == "structured")
    assert _agreement(cases.case, coded) == 1.0
    assert (truth & ~coded).sum() >= 1
    assert _agreement(cases.case_suggested_only, truth & ~coded) == 1.0


def test_overlap_agrees_where_the_record_can_tell(studied: Any) -> None:
    cases, answer = studied
    pop = cases.in_population
    truth = answer.overlap == "true"
    # every true overlap is found (coded, two diagnoses, or by the 2017 IIM criteria when it is
    # only in letters), and no patient without one is given one
    assert (cases.overlap[pop & truth]).all()
    assert not (cases.overlap[pop & ~truth]).any()


# --- metamorphic checks on the default cohort ---------------------------------------------------


@pytest.fixture(scope="module")
def tables(demo_registry_url: str, demo_dir: Path) -> dict[str, Any]:
    """The default demo registry's facts and patients (confirmed facts only: no notes read)."""
    source = connect(demo_registry_url)
    try:
        facts = source.table("facts").to_pyarrow()
        patients = source.table("patients").to_pyarrow()
    finally:
        source.disconnect()
    catalogue = load_catalogue()
    pairs = zip(facts["system"].to_pylist(), facts["code"].to_pylist(), strict=True)
    concept = [(catalogue.concepts_for_code(s, c) or ("",))[0] for s, c in pairs]
    return {
        "facts": facts,
        "patients": patients,
        "concept": pa.array(concept),
        "answer": _answer(demo_dir),
    }


def _study(tables: dict[str, Any], drop: pa.Array | None = None, facts: Any = None) -> Any:
    kept = tables["facts"] if facts is None else facts
    if drop is not None:
        kept = kept.filter(pc.invert(pc.fill_null(drop, False)))
    con = ibis.duckdb.connect()
    con.create_table("facts", kept)
    con.create_table("patients", tables["patients"])
    return _cases(con, include_suggested=False)


def _is(tables: dict[str, Any], patient: str, concept: str) -> pa.Array:
    return pc.and_(
        pc.equal(tables["facts"]["patient_id"], patient), pc.equal(tables["concept"], concept)
    )


@pytest.fixture(scope="module")
def baseline(tables: dict[str, Any]) -> pd.DataFrame:
    return _study(tables)


def _anchor(tables: dict[str, Any], **recorded: str) -> str:
    answer = tables["answer"]
    mask = answer.extensive_sheet_like == "true"
    for column, value in recorded.items():
        mask &= answer[column] == value
    return str(answer.index[mask][0])


def test_removing_a_lesion_region_ends_a_case(
    tables: dict[str, Any], baseline: pd.DataFrame
) -> None:
    pid = _anchor(tables, calcinosis_recorded="structured", overlap_recorded="code")
    assert baseline.case[pid]
    # the anchor's lesions: both forearms and the left thigh; without the thigh one region is left
    thigh = pc.and_(_is(tables, pid, "calcinosis"), pc.equal(tables["facts"]["body_site"], "thigh"))
    assert pc.sum(thigh).as_py() == 1
    after = _study(tables, thigh)
    assert not after.case[pid]
    assert after.calcinosis_sheet_like_regions[pid] == 1
    changed = after.case != baseline.case
    assert list(changed[changed].index) == [pid]  # no one else moves


def test_recoding_the_subset_moves_a_case_out_of_dcssc(
    tables: dict[str, Any], baseline: pd.DataFrame
) -> None:
    pid = _anchor(tables, calcinosis_recorded="structured", overlap_recorded="code")
    subset = _is(tables, pid, "ssc_subset")
    facts = tables["facts"]
    recoded = facts.set_column(
        facts.schema.get_field_index("value_text"),
        "value_text",
        pc.if_else(subset, pa.scalar("lcssc"), facts["value_text"]),
    )
    after = _study(tables, facts=recoded)
    pop = after.in_population
    assert after.case[pid] and not after.subgroup_dcssc[pid]  # still a case, now limited
    assert (pop & after.subgroup_dcssc).sum() == (
        baseline.in_population & baseline.subgroup_dcssc
    ).sum() - 1
    assert (after.case & after.subgroup_dcssc).sum() == (
        baseline.case & baseline.subgroup_dcssc
    ).sum() - 1
    assert after.in_population.sum() == baseline.in_population.sum()


def test_removing_the_visits_in_the_window_leaves_the_source_population(
    tables: dict[str, Any], baseline: pd.DataFrame
) -> None:
    pid = _anchor(tables, calcinosis_recorded="structured", overlap_recorded="code")
    dates = tables["facts"]["effective_date"]
    start = pa.scalar(STUDY.window_start, type=dates.type)
    visits = pc.and_(_is(tables, pid, "visit"), pc.greater_equal(dates, start))
    after = _study(tables, visits)
    assert not after.in_population[pid] and not after.case[pid]
    assert after.in_population.sum() == baseline.in_population.sum() - 1
    assert after.case.sum() == baseline.case.sum() - 1


def test_an_overlap_known_only_by_criteria_moves_with_its_items(
    tables: dict[str, Any], baseline: pd.DataFrame
) -> None:
    # this anchor's overlap is written only in letters: the facts know it by the 2017 IIM
    # criteria alone (Gottron's sign, proximal weakness, raised CK, a biopsy)
    pid = _anchor(tables, calcinosis_recorded="structured", overlap_recorded="letters")
    assert baseline.overlap[pid] and pd.isna(baseline.ssc_myositis_overlap_clinician[pid])
    # with the Gottron's sign recorded absent the biopsy variant still scores probable
    # (P >= 0.55), so the overlap stands
    facts = tables["facts"]
    sign = _is(tables, pid, "gottron_sign")
    absent = facts.set_column(
        facts.schema.get_field_index("status"),
        "status",
        pc.if_else(sign, pa.scalar("absent"), facts["status"]),
    )
    assert _study(tables, facts=absent).overlap[pid]
    # without any recorded 2017 item the overlap is unknown, not "no", and the case no longer
    # counts as dcSSc with overlap
    items = pa.array(sorted(IIM_CONCEPTS))
    exam = pc.and_(pc.equal(tables["facts"]["patient_id"], pid), pc.is_in(tables["concept"], items))
    after = _study(tables, exam)
    assert after.case[pid] and not after.overlap[pid]
    assert pd.isna(after.ssc_myositis_overlap_either[pid])
    assert (after.case & after.subgroup_dcssc & after.overlap).sum() == (
        (baseline.case & baseline.subgroup_dcssc & baseline.overlap).sum() - 1
    )


def test_the_window_boundary_moves_with_the_last_visit(tables: dict[str, Any]) -> None:
    # the last visit moved to 3 years + 1 day before the index date leaves the window; to
    # exactly 3 years before (the window's first day) keeps it
    pid = _anchor(tables, calcinosis_recorded="structured", overlap_recorded="code")
    facts = tables["facts"]
    visits = _is(tables, pid, "visit")
    dates = facts["effective_date"]
    index = facts.schema.get_field_index("effective_date")
    for day, seen in ((dt.date(2020, 12, 31), False), (dt.date(2021, 1, 1), True)):
        late = pc.and_(visits, pc.greater(dates, pa.scalar(day, type=dates.type)))
        moved = facts.set_column(
            index, "effective_date", pc.if_else(late, pa.scalar(day, type=dates.type), dates)
        )
        assert bool(_study(tables, facts=moved).in_population[pid]) is seen
