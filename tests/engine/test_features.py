"""The feature table: three-valued semantics, and the same answer on every engine."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calciscope.engine import aggregates, compute_feature_table, connect
from calciscope.features import load_catalogue
from calciscope.model import Fact, Patient
from calciscope.storage import Batch, Registry
from calciscope.storage.registry import model_rows

INDEX = dt.date(2020, 1, 1)
COMPARED = [
    "raynaud_phenomenon", "calcinosis_any", "calcinosis_sheet_like", "calcinosis_nodular_only",
    "calcinosis_regions", "calcinosis_sheet_like_regions", "calcinosis_first_date", "mrss_fingers_right",
    "subset_recorded", "age_at_myositis_onset", "skin_thickening_upper_arms", "skin_thickening_hands",
    "ck_max", "last_visit_date", "calcinosis_assessment_last_date", "subset_recorded_conflict",
]  # fmt: skip


def F(pid, system, code, **kw):
    return Fact(patient_id=pid, system=system, code=code, **kw)


PATIENTS = [
    Patient(patient_id="P1", sex="female", birth_date=dt.date(1970, 1, 1)),
    Patient(patient_id="P2", sex="male", birth_year=1980),
    Patient(patient_id="P3"),
    Patient(patient_id="P4"),
]
FACTS = [
    F("P1", "HP", "HP:0030880", effective_date=dt.date(2000, 1, 1)),
    F("P1", "calciscope", "calcinosis", morphology="sheet_like", body_site="forearm", laterality="left", effective_date=dt.date(2010, 1, 1)),
    F("P1", "HP", "HP:0007618", morphology="reticular", body_site="thigh", effective_date=dt.date(2011, 1, 1)),
    F("P1", "HP", "HP:0003761", morphology="nodular", body_site="face", effective_date=dt.date(2011, 1, 1)),
    F("P1", "HP", "HP:0003761", morphology="nodular", body_site="neck", effective_date=dt.date(2011, 1, 1)),
    F("P1", "calciscope", "mrss_site", value_num=2, body_site="fingers", laterality="right", effective_date=dt.date(2010, 1, 1)),
    F("P1", "calciscope", "mrss_site", value_num=3, body_site="fingers", laterality="right", effective_date=dt.date(2012, 1, 1)),
    F("P1", "calciscope", "mrss_site", value_num=1, body_site="fingers", laterality="right", effective_date=dt.date(2021, 1, 1)),
    F("P1", "calciscope", "ssc_subset", value_text="dcssc", effective_date=dt.date(2012, 1, 1)),
    F("P1", "calciscope", "myositis_onset", effective_date=dt.date(2005, 1, 1)),
    F("P1", "HP", "HP:0001072", body_site="upper_arm", effective_date=dt.date(2012, 1, 1)),
    F("P1", "LOINC", "2157-6", value_num=1450, unit="U/L", effective_date=dt.date(2006, 1, 1)),
    F("P1", "LOINC", "2157-6", value_num=300, unit="U/L", effective_date=dt.date(2007, 1, 1)),
    F("P2", "calciscope", "calcinosis", status="absent", effective_date=dt.date(2010, 1, 1)),
    F("P2", "HP", "HP:0030880", status="absent", effective_date=dt.date(2000, 1, 1)),
    F("P2", "calciscope", "myositis_onset", effective_date=dt.date(2005, 1, 1)),
    F("P2", "HP", "HP:0001072", status="absent", effective_date=dt.date(2012, 1, 1)),
    F("P2", "calciscope", "visit", effective_date=dt.date(2019, 6, 1)),
    F("P2", "calciscope", "visit", effective_date=dt.date(2021, 6, 1)),
    F("P3", "calciscope", "calcinosis", morphology="unspecified", effective_date=dt.date(2010, 1, 1)),
    F("P3", "ICD10", "L94.2", morphology="nodular", body_site="hand", effective_date=dt.date(2011, 1, 1), review_state="suggested"),
    F("P4", "calciscope", "calcinosis", morphology="nodular", body_site="hand", effective_date=dt.date(2021, 1, 1)),
]  # fmt: skip

EXPECTED = {
    # face and neck are one region (clinical-reference §11.5): forearm, thigh, face/neck = 3
    "P1": dict(raynaud_phenomenon=True, calcinosis_any=True, calcinosis_sheet_like=True, calcinosis_nodular_only=False,
               calcinosis_regions=3, calcinosis_sheet_like_regions=2, calcinosis_first_date=dt.date(2010, 1, 1),
               mrss_fingers_right=3.0, subset_recorded="dcssc", age_at_myositis_onset=35.0,
               skin_thickening_upper_arms=True, skin_thickening_hands=None, ck_max=1450.0, last_visit_date=None,
               calcinosis_assessment_last_date=dt.date(2011, 1, 1), subset_recorded_conflict=False),
    "P2": dict(raynaud_phenomenon=False, calcinosis_any=False, calcinosis_sheet_like=False, calcinosis_nodular_only=False,
               calcinosis_regions=0, calcinosis_sheet_like_regions=0, calcinosis_first_date=None, mrss_fingers_right=None,
               subset_recorded=None, age_at_myositis_onset=24.5, skin_thickening_upper_arms=False,
               skin_thickening_hands=False, ck_max=None, last_visit_date=dt.date(2019, 6, 1),
               calcinosis_assessment_last_date=dt.date(2010, 1, 1), subset_recorded_conflict=None),
    # a present lesion of unknown morphology and site: everything about its pattern is unknown,
    # and the suggested (unconfirmed) nodular fact does not count
    "P3": dict(raynaud_phenomenon=None, calcinosis_any=True, calcinosis_sheet_like=None, calcinosis_nodular_only=None,
               calcinosis_regions=None, calcinosis_sheet_like_regions=None, calcinosis_first_date=dt.date(2010, 1, 1),
               mrss_fingers_right=None, subset_recorded=None, age_at_myositis_onset=None, skin_thickening_upper_arms=None,
               skin_thickening_hands=None, ck_max=None, last_visit_date=None,
               calcinosis_assessment_last_date=dt.date(2010, 1, 1), subset_recorded_conflict=None),
    # everything after the index date is ignored
    "P4": dict.fromkeys(COMPARED),
}  # fmt: skip


def _duckdb_rows(patients, facts, **kw):
    con = ibis.duckdb.connect()
    try:
        p = con.create_table(
            "patients", pa.Table.from_pylist(model_rows(patients), schema=_PATIENT_SCHEMA)
        )
        f = con.create_table("facts", pa.Table.from_pylist(model_rows(facts), schema=_FACT_SCHEMA))
        return _rows(f, p, **kw)
    finally:
        con.disconnect()


_PATIENT_SCHEMA = pa.schema(
    [
        ("patient_id", pa.string()), ("sex", pa.string()), ("birth_date", pa.date32()), ("birth_year", pa.int64()),
        ("centre", pa.string()), ("synthetic", pa.bool_()),
    ]
)  # fmt: skip
_FACT_SCHEMA = pa.schema(
    [
        ("patient_id", pa.string()), ("system", pa.string()), ("code", pa.string()), ("status", pa.string()),
        ("effective_date", pa.date32()), ("value_num", pa.float64()), ("value_text", pa.string()),
        ("unit", pa.string()), ("body_site", pa.string()), ("laterality", pa.string()), ("morphology", pa.string()),
        ("method", pa.string()), ("source_kind", pa.string()), ("provenance", pa.string()),
        ("review_state", pa.string()), ("fact_id", pa.string()), ("reference_high", pa.float64()),
    ]
)  # fmt: skip


def _registry_rows(url, patients, facts, **kw):
    registry = Registry(url)
    registry.import_batch(
        Batch(patients=list(patients), facts=list(facts)), source="t", source_hash="t"
    )
    con = connect(registry.url)
    try:
        return _rows(con.table("facts"), con.table("patients"), **kw)
    finally:
        con.disconnect()
        registry.close()


def _rows(facts_t, patients_t, *, features=COMPARED, **kw):
    # COMPARED covers every derivation kind; compiling only these keeps generated tests fast
    table = compute_feature_table(facts_t, patients_t, index_date=INDEX, features=features, **kw)
    return {
        row["patient_id"]: {c: row[c] for c in COMPARED} for row in table.to_pyarrow().to_pylist()
    }


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_three_valued_semantics(engine, tmp_path):
    if engine == "sqlite":
        rows = _registry_rows(f"sqlite:///{tmp_path}/r.db", PATIENTS, FACTS, features=None)
    else:
        rows = _duckdb_rows(PATIENTS, FACTS, features=None)
    assert rows == EXPECTED  # the whole catalogue compiles and runs


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_age_is_unknown_without_birth_date_or_year(engine, tmp_path):
    """Regression (Hypothesis round trips): SQLite raised on a dated onset with no birth at all.

    Imported phenopackets and FHIR bundles often have no date of birth.
    """
    patients = [Patient(patient_id="Q1")]
    facts = [F("Q1", "calciscope", "myositis_onset", effective_date=dt.date(2005, 1, 1))]
    if engine == "sqlite":
        rows = _registry_rows(f"sqlite:///{tmp_path}/r.db", patients, facts)
    else:
        rows = _duckdb_rows(patients, facts)
    assert rows["Q1"]["age_at_myositis_onset"] is None


def test_kinds_covered_by_compared_features():
    from calciscope.features import DerivationKind, load_catalogue

    catalogue = load_catalogue()
    assert {catalogue.features[name].derive.kind for name in COMPARED} == set(DerivationKind)


def test_suggested_facts_count_only_when_asked(tmp_path):
    from calciscope.model import ReviewState

    states = (ReviewState.CONFIRMED, ReviewState.SUGGESTED)
    rows = _registry_rows(f"sqlite:///{tmp_path}/r.db", PATIENTS, FACTS, review_states=states)
    assert rows["P3"]["calcinosis_regions"] == 1
    assert (
        rows["P3"]["calcinosis_nodular_only"] is None
    )  # the unspecified lesion still leaves it open


@pytest.mark.postgres
def test_three_valued_semantics_postgres(postgres_database):
    assert _registry_rows(postgres_database(), PATIENTS, FACTS, features=None) == EXPECTED


# --- engine equality on generated patients ------------------------------------------------
_CODES = [
    ("HP", "HP:0030880"), ("calciscope", "calcinosis"), ("HP", "HP:0007618"), ("calciscope", "mrss_site"),
    ("calciscope", "ssc_subset"), ("calciscope", "myositis_onset"), ("HP", "HP:0001072"), ("LOINC", "2157-6"),
    ("calciscope", "visit"), ("calciscope", "radiograph"),
]  # fmt: skip
_facts = st.builds(
    lambda pid, sc, status, day, site, lat, morph, num, text, state: Fact(
        patient_id=pid,
        system=sc[0],
        code=sc[1],
        status=status,
        effective_date=day,
        body_site=site,
        laterality=lat,
        morphology=morph,
        value_num=num,
        value_text=text,
        review_state=state,
    ),
    st.sampled_from(["P1", "P2", "P3", "P4"]),
    st.sampled_from(_CODES),
    st.sampled_from(["present", "absent", "unknown"]),
    st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2022, 1, 1))),
    st.sampled_from([None, "fingers", "hand", "forearm", "upper_arm", "thigh", "face", "neck"]),
    st.sampled_from([None, "left", "right"]),
    st.sampled_from([None, "nodular", "sheet_like", "reticular", "mixed", "unspecified"]),
    st.one_of(st.none(), st.integers(0, 3).map(float)),
    st.sampled_from([None, "dcssc", "lcssc"]),
    st.sampled_from(["confirmed", "suggested", "rejected"]),
)


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(_facts, max_size=40))
def test_sqlite_and_duckdb_agree(tmp_path_factory, facts):
    folder = tmp_path_factory.mktemp("eq")
    assert _registry_rows(f"sqlite:///{folder}/r.db", PATIENTS, facts) == _duckdb_rows(
        PATIENTS, facts
    )


def _clear(url):
    registry = Registry(url)
    with registry.engine.begin() as conn:
        for table in ("facts", "import_batches", "patients"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    registry.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_and_duckdb_agree(postgres_database):
    url = postgres_database()  # one database, cleared before each generated example

    @settings(max_examples=8, deadline=None, derandomize=True)
    @given(st.lists(_facts, max_size=40))
    def check(facts):
        _clear(url)
        assert _registry_rows(url, PATIENTS, facts) == _duckdb_rows(PATIENTS, facts)

    check()


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_latest_value_reads_present_facts_of_its_concept_only(engine, tmp_path):
    """The latest value is the last present fact of its concept, whatever else is dated later.

    The second pass meets only those facts with the last dates (branch scale7): a later absent
    fact of the concept, or a later fact of another concept on the same site, changes nothing.
    """
    patients = [Patient(patient_id="Q1", sex="female", birth_year=1970)]
    mrss = {"body_site": "fingers", "laterality": "right"}
    facts = [
        F("Q1", "calciscope", "mrss_site", value_num=2, effective_date=dt.date(2010, 1, 1), **mrss),
        F("Q1", "calciscope", "mrss_site", value_num=0, status="absent", effective_date=dt.date(2012, 1, 1), **mrss),
        F("Q1", "HP", "HP:0001072", value_num=3, effective_date=dt.date(2013, 1, 1), **mrss),
        F("Q1", "calciscope", "ssc_subset", value_text="lcssc", effective_date=dt.date(2011, 1, 1)),
        F("Q1", "calciscope", "ssc_subset", value_text="dcssc", status="absent", effective_date=dt.date(2014, 1, 1)),
    ]  # fmt: skip
    if engine == "sqlite":
        rows = _registry_rows(f"sqlite:///{tmp_path}/r.db", patients, facts)
    else:
        rows = _duckdb_rows(patients, facts)
    assert rows["Q1"]["mrss_fingers_right"] == 2.0
    assert rows["Q1"]["subset_recorded"] == "lcssc"


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_same_day_subset_conflict_is_a_feature(engine, tmp_path):
    """fix11: dcSSc and lcSSc the same day leave the subset unknown and say so."""
    patients = [Patient(patient_id="Q1", sex="female", birth_year=1970)]
    day = {"effective_date": dt.date(2015, 1, 1)}
    facts = [
        F("Q1", "calciscope", "ssc_subset", value_text="dcssc", effective_date=dt.date(2012, 1, 1)),
        F("Q1", "calciscope", "ssc_subset", value_text="dcssc", **day),
        F("Q1", "calciscope", "ssc_subset", value_text="lcssc", **day),
    ]
    if engine == "sqlite":
        rows = _registry_rows(f"sqlite:///{tmp_path}/r.db", patients, facts)
    else:
        rows = _duckdb_rows(patients, facts)
    assert rows["Q1"]["subset_recorded"] is None
    assert rows["Q1"]["subset_recorded_conflict"] is True


def _whole_table(engine, tmp_path):
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path}/r{len(list(tmp_path.iterdir()))}.db"
        registry = Registry(url)
        registry.import_batch(Batch(patients=PATIENTS, facts=FACTS), source="t", source_hash="t")
        con = connect(registry.url)
    else:
        registry, con = None, ibis.duckdb.connect()
        con.create_table(
            "patients", pa.Table.from_pylist(model_rows(PATIENTS), schema=_PATIENT_SCHEMA)
        )
        con.create_table("facts", pa.Table.from_pylist(model_rows(FACTS), schema=_FACT_SCHEMA))
    try:
        table = compute_feature_table(con.table("facts"), con.table("patients"), index_date=INDEX)
        return table.to_pyarrow().to_pylist()
    finally:
        con.disconnect()
        if registry is not None:
            registry.close()


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
@pytest.mark.parametrize("limit", [1, 3, 12])
def test_merged_concept_groups_give_the_same_table(engine, limit, tmp_path, monkeypatch):
    """Groups merged past the limit (one aggregate over several concepts' facts) change nothing.

    Every column of the whole catalogue's table, with one group (every feature over every
    fact, as before the groups), three or twelve, against the default grouping.
    """
    default = _whole_table(engine, tmp_path)
    monkeypatch.setattr(aggregates, "MAX_GROUPS", limit)
    assert _whole_table(engine, tmp_path) == default


def test_concept_groups_hold_every_feature_once_within_the_limit():
    features = list(load_catalogue().features.values())
    for limit in (1, 5, aggregates.MAX_GROUPS, 1000):
        groups = aggregates.concept_groups(features, limit)
        assert len(groups) <= limit
        names = [x.name for _, members in groups for x in members]
        assert sorted(names) == sorted(x.name for x in features)
        for concepts, members in groups:  # a group reads the facts of every member's concepts
            assert all(set(x.derive.read_concepts) <= set(concepts) for x in members)
    # at the default limit a group of several concepts (visits, measurements) stays alone
    several = {
        frozenset(x.derive.read_concepts) for x in features if len(x.derive.read_concepts) > 1
    }
    kept = {frozenset(c) for c, _ in aggregates.concept_groups(features, aggregates.MAX_GROUPS)}
    assert several <= kept


# An age from a birth year alone is a range (edge11): born 1 January to 31 December. Onset
# 2019-03-01: born in 2001 -> 17 or 18 (the IIM adult item unknown), in 1970 -> 48 or 49 (>= 40
# known); a full date of birth -> one age. SYNTHETIC patients.
BIRTH_RANGE_PATIENTS = [
    Patient(patient_id="Y1", sex="female", birth_year=2001),
    Patient(patient_id="Y2", sex="female", birth_year=1970),
    Patient(patient_id="Y3", sex="female", birth_date=dt.date(2001, 3, 2)),
]
BIRTH_RANGE_EXPECTED = {
    # youngest, oldest, iim2017 score bounds (Gottron sign 3.3 + age item)
    "Y1": (17.16, 18.16, 3.3, 4.6),
    "Y2": (48.16, 49.16, 5.4, 5.4),
    "Y3": (17.99, 17.99, 3.3, 3.3),
}


def _birth_range_rows(facts_t, patients_t):
    from calciscope.criteria import load_criteria_sets
    from calciscope.engine.criteria import add_criteria_columns

    table = compute_feature_table(facts_t, patients_t, index_date=INDEX)
    (iim,) = [s for s in load_criteria_sets() if s.id == "iim2017"]
    scored = add_criteria_columns(table, [iim])
    columns = (
        "age_at_myositis_onset__youngest",
        "age_at_myositis_onset__oldest",
        "iim2017_score_min",
        "iim2017_score_max",
    )
    rows = scored.select("patient_id", *columns).to_pyarrow().to_pylist()
    return {r["patient_id"]: tuple(round(r[c], 2) for c in columns) for r in rows}


@pytest.mark.parametrize(
    "engine",
    [
        "sqlite",
        "duckdb",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("spark", marks=pytest.mark.spark),
    ],
)
def test_a_birth_year_alone_gives_an_age_range_on_every_engine(engine, tmp_path, request):
    """An age threshold the range straddles is unknown; one it does not is known (edge11)."""
    items = [
        "weakness_proximal_upper", "weakness_proximal_lower", "neck_flexor_weaker_than_extensor",
        "legs_proximal_weaker_than_distal", "heliotrope_rash", "gottron_papules",
        "dysphagia_or_oesophageal_dysmotility", "anti_jo1", "muscle_enzymes_elevated",
        "muscle_biopsy", "finger_flexor_weakness_unresponsive",
    ]  # fmt: skip
    facts = []
    for p in BIRTH_RANGE_PATIENTS:
        pid = p.patient_id
        facts.append(F(pid, "calciscope", "myositis_onset", effective_date=dt.date(2019, 3, 1)))
        facts.append(F(pid, "calciscope", "gottron_sign", effective_date=dt.date(2019, 3, 1)))
        facts += [F(pid, "calciscope", code, status="absent") for code in items]
    if engine in ("duckdb", "spark"):
        if engine == "spark":
            pytest.importorskip("pyspark")
            con = connect(f"spark://local?warehouse={tmp_path / 'warehouse'}&master=local[2]")
        else:
            con = ibis.duckdb.connect()
        p = con.create_table(
            "patients",
            pa.Table.from_pylist(model_rows(BIRTH_RANGE_PATIENTS), schema=_PATIENT_SCHEMA),
            temp=engine == "spark",
        )
        f = con.create_table(
            "facts",
            pa.Table.from_pylist(model_rows(facts), schema=_FACT_SCHEMA),
            temp=engine == "spark",
        )
        rows = _birth_range_rows(f, p)
        con.disconnect()
    else:
        url = (
            f"sqlite:///{tmp_path}/r.db"
            if engine == "sqlite"
            else request.getfixturevalue("postgres_database")()
        )
        registry = Registry(url)
        registry.import_batch(
            Batch(patients=BIRTH_RANGE_PATIENTS, facts=facts), source="t", source_hash="t"
        )
        con = connect(registry.url)
        try:
            rows = _birth_range_rows(con.table("facts"), con.table("patients"))
        finally:
            con.disconnect()
            registry.close()
    assert rows == BIRTH_RANGE_EXPECTED
