"""One patient's explanation, evaluated in memory, equals the registry-side evaluation (SYNTHETIC)."""

from __future__ import annotations

import datetime as dt

import pytest

from calciscope import api
from calciscope.criteria import load_criteria_sets
from calciscope.engine import compute_feature_table, connect
from calciscope.engine.explanation import read_criteria_result, read_phenotype_results
from calciscope.engine.phenotype import classify_table
from calciscope.engine.rows import RowEvaluator, TablesEvaluator
from calciscope.errors import ValidationError
from calciscope.phenotype import load_phenotypes

INDEX = dt.date(2023, 12, 31)


def _registry_side(url: str, ids: list[str]) -> dict[str, tuple[object, object]]:
    """The earlier path: features in the registry's database, then the explanation on DuckDB."""
    con = connect(url)
    try:
        facts, patients = con.table("facts"), con.table("patients")
        rows = compute_feature_table(
            facts.filter(facts.patient_id.isin(ids)),
            patients.filter(patients.patient_id.isin(ids)),
            index_date=INDEX,
        )
        feature_rows = rows.to_pyarrow().to_pylist()
    finally:
        con.disconnect()
    explain = RowEvaluator(lambda t: classify_table(t, index_date=INDEX, explain=True))
    out = {}
    for row in explain.run(feature_rows):
        criteria = tuple(read_criteria_result(c, row) for c in load_criteria_sets())
        out[row["patient_id"]] = (criteria, read_phenotype_results(load_phenotypes(), row))
    return out


@pytest.mark.slow
def test_explain_patient_matches_the_registry_side_evaluation(demo_registry_url: str) -> None:
    with api.open_registry(demo_registry_url) as registry:
        table, _ = api.list_patients(registry, columns=["calcinosis_any"], index_date=INDEX)
        rows = table.to_pylist()
        # every kind of patient: the first ones, and some with calcinosis recorded
        ids = [r["patient_id"] for r in rows[:20]]
        ids += [r["patient_id"] for r in rows if r["calcinosis_any"]][:20]
        expected = _registry_side(demo_registry_url, ids)
        assert len(expected) == len(set(ids))
        for pid in ids:
            explanation = api.explain_patient(registry, pid, index_date=INDEX)
            assert (explanation.criteria, explanation.phenotypes) == expected[pid], pid


def test_explain_patient_names_an_unknown_patient(demo_registry_url: str) -> None:
    with api.open_registry(demo_registry_url) as registry, pytest.raises(ValidationError) as raised:
        api.explain_patient(registry, "NO-SUCH-PATIENT", index_date=INDEX)
    assert raised.value.problems[0].field == "patient_id"


def test_sqlite_and_duckdb_engines_give_the_same_rows() -> None:
    import pyarrow as pa

    table = pa.table(
        {
            "patient_id": ["a", "b", "c"],
            "when": [dt.date(2020, 1, 2), None, dt.date(2021, 3, 4)],
            "flag": [True, False, None],
            "x": [1.5, None, 3.0],
        }
    )

    def build(t):  # a date, a three-valued boolean, a float and an aggregate-free projection
        return t.select(
            "patient_id",
            later=t["when"] > dt.date(2020, 6, 1),
            flag=t["flag"],
            x2=t["x"] * 2,
            when=t["when"],
        ).order_by("patient_id")

    duck = TablesEvaluator(build).run(t=table)
    lite = TablesEvaluator(build, engine="sqlite").run(t=table)
    assert lite.to_pylist() == duck.to_pylist()
    assert lite.schema.equals(duck.schema)
    with pytest.raises(ValueError, match="engine"):
        TablesEvaluator(build, engine="spark")
