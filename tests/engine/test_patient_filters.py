"""`api.list_patients(where=...)` reads each value as its column's type; bad ones name the field."""

from __future__ import annotations

import datetime as dt

import pytest

from calciscope import api
from calciscope.errors import ValidationError

INDEX = dt.date(2023, 12, 31)


def test_comparisons_on_patient_columns_and_features(demo_registry_url):
    with api.open_registry(demo_registry_url) as registry:
        table, total = api.list_patients(
            registry, where=["birth_year>1960", "sex=female"], columns=["sex"], index_date=INDEX
        )
        rows = table.to_pylist()
        assert 0 < len(rows) < total
        assert all(r["birth_year"] > 1960 and r["sex"] == "female" for r in rows)
        seen, _ = api.list_patients(
            registry, where=["last_visit_date>=2020-12-31"], columns=["sex"], index_date=INDEX
        )
        assert all(d >= dt.date(2020, 12, 31) for d in seen.column("last_visit_date").to_pylist())


@pytest.mark.parametrize(
    ("clause", "field", "message"),
    [
        ("birth_year>abc", "birth_year", "is a number"),
        ("birth_year=x1", "birth_year", "is a number"),
        ("calcinosis>true", "calcinosis", "use = or !="),
        ("synthetic>=1", "synthetic", "use = or !="),
        ("sex>unknown", "sex", "compares nothing"),
        ("last_visit_date>2020-13-01", "last_visit_date", "is a date"),
        ("colour=blue", "colour", "unknown column"),
    ],
)
def test_a_value_of_the_wrong_type_names_the_field(demo_registry_url, clause, field, message):
    with api.open_registry(demo_registry_url) as registry, pytest.raises(ValidationError) as raised:
        api.list_patients(registry, where=[clause], columns=["sex"], index_date=INDEX)
    [problem] = raised.value.problems
    assert problem.field == field and message in problem.message


SAME_ROWS = [
    ("birth_year>1960", "sex=female"),
    ("birth_year<=1955.5",),
    ("last_visit_date>=2020-12-31",),
    ("calcinosis=true",),
    ("calcinosis!=true",),
    ("calcinosis=unknown",),
    ("subset=dcssc", "overlap=false"),
    ("sex!=male",),
]


@pytest.mark.parametrize("where", SAME_ROWS, ids=" AND ".join)
def test_filtering_a_kept_table_gives_the_rows_of_the_database(demo_registry_url, where):
    """filter_patients (Arrow, on the web app's kept table) agrees with list_patients (SQL)."""
    with api.open_registry(demo_registry_url) as registry:
        everyone, _ = api.list_patients(registry, index_date=INDEX)
        in_database, _ = api.list_patients(registry, where=list(where), index_date=INDEX)
    kept = api.filter_patients(everyone, where)
    expected = sorted(in_database.column("patient_id").to_pylist())
    assert sorted(kept.column("patient_id").to_pylist()) == expected


@pytest.mark.parametrize(
    ("clause", "field", "message"),
    [
        ("birth_year>abc", "birth_year", "is a number"),
        ("calcinosis>true", "calcinosis", "use = or !="),
        ("sex>unknown", "sex", "compares nothing"),
        ("last_visit_date>2020-13-01", "last_visit_date", "is a date"),
        ("colour=blue", "colour", "unknown column"),
        ("no clause", "no clause", "cannot read filter"),
    ],
)
def test_filtering_a_kept_table_names_the_field(demo_registry_url, clause, field, message):
    with api.open_registry(demo_registry_url) as registry:
        everyone, _ = api.list_patients(registry, columns=["sex"], index_date=INDEX)
    with pytest.raises(ValidationError) as raised:
        api.filter_patients(everyone, [clause])
    [problem] = raised.value.problems
    assert problem.field == field and message in problem.message
