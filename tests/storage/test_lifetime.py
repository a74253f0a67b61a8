"""The vectorised before-birth check agrees with the model's rule, row for row (fixes15)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from calciscope.errors import Problem
from calciscope.model import Fact, before_birth
from calciscope.storage.bulk import fact_table
from calciscope.storage.lifetime import BirthCheck, with_origins

DATES = st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31))
BIRTHS = st.one_of(
    st.tuples(st.none(), st.none()),
    st.tuples(st.none(), st.integers(1900, 2025)),
    DATES.map(lambda d: (d, d.year)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.one_of(st.none(), DATES)), max_size=30), st.lists(BIRTHS, min_size=4, max_size=4))  # fmt: skip
def test_the_mask_is_the_model_s_rule(rows, births):
    facts = [
        Fact(patient_id=f"P{p}", system="HP", code="HP:0003761", effective_date=when)
        for p, when in rows
    ]
    born = {f"P{p}": birth for p, birth in enumerate(births)}
    problems: list[Problem] = []
    kept = BirthCheck("test", problems).rows_born(fact_table(facts), born)
    refused = [
        f for f in facts if f.effective_date and before_birth(f.effective_date, *born[f.patient_id])
    ]
    assert kept.num_rows == len(facts) - len(refused) == len(facts) - len(problems)
    assert all(p.field == "effective_date" for p in problems)


def test_a_row_names_where_it_was_read():
    fact = Fact(patient_id="P1", system="HP", code="HP:0003761", effective_date=dt.date(1960, 1, 1))
    table = with_origins(fact_table([fact]), "facts.csv", pa.array(["row 7"]))
    problems: list[Problem] = []
    kept = BirthCheck("folder", problems).rows_born(table, {"P1": (dt.date(1970, 5, 1), 1970)})
    assert kept.num_rows == 0
    [problem] = problems
    assert (problem.source, problem.location, problem.field) == (
        "facts.csv",
        "row 7",
        "effective_date",
    )
    assert "1960-01-01 is before the patient's birth (1970-05-01)" in problem.message


def test_model_rule_cases():
    born = dt.date(1970, 5, 1)
    assert before_birth(dt.date(1970, 4, 30), born, 1970)
    assert before_birth(born, born, 1970) is None  # the day of birth: a congenital finding
    assert before_birth(dt.date(1969, 12, 31), None, 1970)
    assert before_birth(dt.date(1970, 1, 1), None, 1970) is None  # the year alone cannot tell
    assert before_birth(dt.date(1800, 1, 1), None, None) is None  # no birth recorded
