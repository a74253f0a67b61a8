"""The source population's rows read back from the database: the values of ``to_pandas``, less memory.

:func:`calciscope.engine.readback.arrow_to_pandas` converts the rows the study reads back (the
source population, the report's facts); :func:`calciscope.study.analyse` works on shallow
copies of them. Both must leave every value as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from calciscope.engine import connect
from calciscope.engine.readback import arrow_to_pandas
from calciscope.engine.study import StudyQuery
from calciscope.study import analyse
from calciscope.study.cohort import is_true

from .test_cohort import _row

D = dt.date


def _rows() -> pa.Table:
    return pa.table(
        {
            "patient_id": ["A", "B", "C", "D"],
            "onset": pa.array([D(2010, 1, 1), None, D(2010, 1, 1), D(1999, 12, 31)]),
            "flag": pa.array([True, None, False, True]),
            "never": pa.array([None, None, None, None], pa.date32()),
            "years": pa.array([1, None, 3, 4], pa.int64()),
            "last": pa.chunked_array([[D(2020, 5, 1), None], [D(2020, 5, 1), D(2021, 1, 1)]]),
        }
    )


def test_rows_have_the_values_and_types_of_to_pandas():
    table = _rows()
    got, want = arrow_to_pandas(table), table.to_pandas()
    assert list(got.columns) == list(want.columns)
    assert got.dtypes.equals(want.dtypes)
    pd.testing.assert_frame_equal(got, want)
    assert got["onset"].tolist() == [D(2010, 1, 1), None, D(2010, 1, 1), D(1999, 12, 31)]
    assert got["never"].tolist() == [None] * 4


def test_a_day_is_one_object_however_many_patients_share_it():
    got = arrow_to_pandas(_rows())
    assert got["onset"][0] is got["onset"][2]
    assert got["last"][0] is got["last"][2]  # across Arrow chunks too


def test_no_rows_and_no_dates_convert_as_to_pandas():
    empty = _rows().slice(0, 0)
    pd.testing.assert_frame_equal(arrow_to_pandas(empty), empty.to_pandas())
    plain = _rows().drop_columns(["onset", "never", "last"])
    pd.testing.assert_frame_equal(arrow_to_pandas(plain), plain.to_pandas())


def test_the_analysis_leaves_the_rows_it_was_given_as_they_were():
    from calciscope.study import default_study

    study = default_study()
    rows = [_row("A", death_date=D(2022, 1, 1), death=True), _row("B"), _row("C", death=None)]
    query = StudyQuery.on_frames(study, pd.DataFrame(rows))
    population = query.population()
    before = population.copy(deep=True)
    a = analyse(population, study, counts=query.counts())
    pd.testing.assert_frame_equal(population, before)
    assert {"disease_years", "subset_label"} <= set(a.table.columns)
    assert a.table["death"].tolist() == [True, False, False]


def _dated_rows(n: int) -> pa.Table:
    return pa.table(
        {
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "onset": pa.array([D(2010, 1, 1 + i % 28) if i % 4 else None for i in range(n)]),
            "flag": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in range(n)]),
            "years": pa.array([float(i) if i % 3 else None for i in range(n)]),
        }
    )


def _read_in_batches(con: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from calciscope.engine import readback

    table = con.create_table("rows", _dated_rows(10), overwrite=True)  # type: ignore[attr-defined]
    expr = table.order_by("patient_id")
    want = expr.to_pyarrow()
    monkeypatch.setattr(readback, "READ_BATCH_ROWS", 3)
    got = readback.read_arrow(expr)
    assert got.equals(want)
    assert got.column("patient_id").num_chunks == 4  # 3 + 3 + 3 + 1 rows, a batch at a time
    pd.testing.assert_frame_equal(readback.read_frame(expr), arrow_to_pandas(want))


def test_rows_are_fetched_in_batches_with_the_same_values_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = connect(f"sqlite:///{tmp_path / 'rows.db'}")
    try:
        _read_in_batches(con, monkeypatch)
    finally:
        con.disconnect()


@pytest.mark.postgres
def test_rows_are_fetched_in_batches_with_the_same_values_postgres(
    postgres_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    con = connect(postgres_database())
    try:
        _read_in_batches(con, monkeypatch)
    finally:
        con.disconnect()


def test_an_engine_reading_arrow_itself_is_asked_as_before(tmp_path: Path) -> None:
    from calciscope.engine.readback import read_arrow

    con = connect(f"duckdb:///{tmp_path / 'rows.duckdb'}")
    try:
        expr = con.create_table("rows", _dated_rows(10)).order_by("patient_id")
        assert read_arrow(expr).equals(expr.to_pyarrow())
    finally:
        con.disconnect()


def test_booleans_with_an_unknown_are_held_as_pandas_booleans_with_the_same_values():
    from calciscope.engine.readback import compact_frame

    table = _rows().append_column("known", pa.array([True, False, True, False]))
    got, want = compact_frame(table), arrow_to_pandas(table)
    assert list(got.columns) == list(want.columns)
    assert str(got["flag"].dtype) == "boolean" and want["flag"].dtype == object
    assert got["known"].dtype == bool  # no unknown: numpy's bool, as before
    assert got["flag"].memory_usage(index=False) < want["flag"].memory_usage(index=False)
    for column in table.column_names:
        values = [None if pd.isna(v) else v for v in got[column]]
        assert values == [None if pd.isna(v) else v for v in want[column]], column
    # what the analysis asks of a three-valued column answers the same
    pd.testing.assert_series_equal(got["flag"].notna(), want["flag"].notna())
    pd.testing.assert_series_equal(is_true(got["flag"]), is_true(want["flag"]))
    # no rows: the same frame
    empty = table.slice(0, 0)
    pd.testing.assert_frame_equal(compact_frame(empty), arrow_to_pandas(empty))


def test_the_source_population_reads_only_the_columns_the_analysis_reads():
    from calciscope.study import default_study

    study = default_study()
    rows = [_row("A"), _row("B")]
    query = StudyQuery.on_frames(study, pd.DataFrame(rows))
    columns = query.analysis_columns()
    # true throughout the source population, or counted in the database
    assert not {"ssc", "seen", "synthetic", study.target_phenotype} & set(columns)
    assert {"patient_id", "in_population", "case", "overlap_status"} <= set(columns)
