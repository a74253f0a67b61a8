"""A study ``when`` of several columns is and-ed in three-valued logic, on every engine.

``unknown_in`` counts a patient unknown for a proportion only when no column of its ``when``
rules them out: a known value that does not match makes the ``when`` false whatever the other
columns hold (false and unknown is false; hardening23). Before, an unknown in any column
counted, so a patient known to be lcSSc with an unknown overlap was "unknown" for "dcSSc with
overlap". Checked against a Kleene reference, over every combination of values, on DuckDB,
SQLite and PostgreSQL (one compiled Ibis expression for all).
"""

from __future__ import annotations

import itertools
from typing import Any

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calciscope.engine import connect
from calciscope.engine.study import matches, unknown_in

SUBSETS = [None, "unknown", "dcssc", "lcssc"]
FLAGS = [True, False, None]


def _grid() -> pd.DataFrame:
    rows = [
        {
            "patient_id": f"P{i}",
            "subset": subset,
            "raynaud": flag,
            "overlap": status is True,  # the group: known true
            "overlap_status": status,
        }
        for i, (subset, flag, status) in enumerate(itertools.product(SUBSETS, FLAGS, FLAGS))
    ]
    frame = pd.DataFrame(rows)
    frame["raynaud"] = frame["raynaud"].astype("boolean")
    frame["overlap_status"] = frame["overlap_status"].astype("boolean")
    return frame


def _kleene(row: dict[str, Any], when: dict[str, Any]) -> bool | None:
    """The reference: True, False or None (unknown) for one patient."""
    verdicts = []
    for column, wanted in when.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        value = row["overlap_status" if column == "overlap" else column]
        if value in values:
            verdicts.append(True)
        elif value is None or value == "unknown" or pd.isna(value):
            verdicts.append(None)
        else:
            verdicts.append(False)
    if False in verdicts:
        return False
    return None if None in verdicts else True


def _sql(value: Any) -> str:
    if value is None or value is pd.NA:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return "'" + str(value).replace("'", "''") + "'"


def _write(con: Any, name: str, frame: pd.DataFrame) -> None:
    """Write the grid with plain SQL: the same typed table on every engine."""
    con.raw_sql(f"DROP TABLE IF EXISTS {name}")
    con.raw_sql(
        f"CREATE TABLE {name} (patient_id TEXT, subset TEXT, raynaud BOOLEAN, "
        "overlap BOOLEAN, overlap_status BOOLEAN)"
    )
    rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False)
    values = ", ".join("(" + ", ".join(_sql(v) for v in row) + ")" for row in rows)
    con.raw_sql(f"INSERT INTO {name} VALUES {values}")
    if hasattr(con, "con") and hasattr(con.con, "commit"):
        con.con.commit()


def _evaluate(con: Any, frame: pd.DataFrame, when: dict[str, Any]) -> dict[str, tuple]:
    name = "grid"
    _write(con, name, frame)
    t = con.table(name)
    expr = t.select("patient_id", hit=matches(t, when), unknown=unknown_in(t, when))
    got = con.execute(expr)
    return {r.patient_id: (bool(r.hit), bool(r.unknown)) for r in got.itertuples()}


def _want(frame: pd.DataFrame, when: dict[str, Any]) -> dict[str, tuple]:
    out = {}
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        verdict = _kleene(row, when)
        out[row["patient_id"]] = (verdict is True, verdict is None)
    return out


WHENS = [
    {"subset": "dcssc", "overlap": True},
    {"subset": "dcssc", "raynaud": True},
    {"subset": ["dcssc", "lcssc"], "raynaud": False, "overlap": True},
    {"raynaud": True},
]


@pytest.mark.parametrize("url", ["duckdb://", "sqlite://"])
@pytest.mark.parametrize("when", WHENS)
def test_every_combination_is_anded_in_three_valued_logic(url: str, when: dict) -> None:
    frame = _grid()
    assert _evaluate(connect(url), frame, when) == _want(frame, when)


def test_a_known_mismatch_is_never_unknown() -> None:
    """The review's case: lcSSc with an unknown overlap is not "dcSSc with overlap"."""
    frame = _grid()
    when = {"subset": "dcssc", "overlap": True}
    got = _evaluate(ibis.duckdb.connect(), frame, when)
    lcssc_unknown_overlap = frame[(frame.subset == "lcssc") & frame.overlap_status.isna()]
    assert len(lcssc_unknown_overlap) == 3
    assert all(got[p] == (False, False) for p in lcssc_unknown_overlap.patient_id)
    dcssc_unknown_overlap = frame[(frame.subset == "dcssc") & frame.overlap_status.isna()]
    assert all(got[p] == (False, True) for p in dcssc_unknown_overlap.patient_id)


def test_postgres_agrees(postgres_database) -> None:  # type: ignore[no-untyped-def]
    con = connect(postgres_database())
    frame = _grid()
    try:
        for when in WHENS:
            assert _evaluate(con, frame, when) == _want(frame, when)
    finally:
        con.disconnect()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(SUBSETS), st.sampled_from(FLAGS), st.sampled_from(FLAGS)),
        min_size=1,
        max_size=12,
    ),
    subsets=st.lists(st.sampled_from(["dcssc", "lcssc", "unknown"]), min_size=1, unique=True),
    flag=st.sampled_from([True, False]),
)
def test_random_whens_match_the_reference(rows: list, subsets: list, flag: bool) -> None:
    full = _grid().iloc[:0]
    frame = pd.DataFrame(
        [
            {
                "patient_id": f"R{i}",
                "subset": s,
                "raynaud": f,
                "overlap": o is True,
                "overlap_status": o,
            }
            for i, (s, f, o) in enumerate(rows)
        ],
        columns=full.columns,
    )
    frame["raynaud"] = frame["raynaud"].astype("boolean")
    frame["overlap_status"] = frame["overlap_status"].astype("boolean")
    when = {"subset": subsets, "raynaud": flag}
    for url in ("duckdb://", "sqlite://"):
        assert _evaluate(connect(url), frame, when) == _want(frame, when), url
