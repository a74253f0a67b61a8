"""A lab value's unit is read alike by the feature compiler and ``api.lab_limit`` (fixes16).

review16 item 4: a CK of 300 "U/L\\xa0" (a non-breaking space pasted with the value) had
``api.lab_limit`` "ULN 210 (default table)" while the feature was unknown on DuckDB and SQLite
(Python's ``strip``/``upper`` are not SQL's ``TRIM``/``UPPER``). The unit is now normalised once
when the fact enters the registry and compared as a plain string. SYNTHETIC patients.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import ibis
import pytest

from calciscope import api
from calciscope.features.catalogue import UpperLimit
from calciscope.model import STORED, Fact, Patient
from calciscope.model.units import WHITE_SPACE, normalise_unit, unit_spellings

WOMAN = Patient(patient_id="U1", sex="female", birth_date=dt.date(1970, 1, 1), synthetic=True)


def _ck(unit: str | None, *, stored: bool = False, pid: str = "U1") -> Fact:
    content = {
        "patient_id": pid, "system": "LOINC", "code": "2157-6", "value_num": 300.0,
        "unit": unit, "effective_date": dt.date(2020, 1, 1),
    }  # fmt: skip
    return Fact.model_validate(content, context=STORED if stored else None)


def test_white_space_is_what_python_takes_for_it() -> None:
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == WHITE_SPACE


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("U/L\xa0", "U/L"),
        ("\tU/L\t", "U/L"),
        (" iu/L ", "iu/L"),
        ("u/l", "u/l"),  # the case is kept: UCUM mU/L is not MU/L
        ("µkat/L", "µkat/L"),
        ("x 10\u2009\u20099/L", "x 10 9/L"),
        ("\xa0 \t", None),
    ],
)
def test_a_unit_enters_the_registry_with_its_spaces_normalised(given: str, stored: str) -> None:
    fact = _ck(given)
    assert fact.unit == stored == normalise_unit(given)
    assert fact.fact_id == _ck(stored).fact_id  # one unit, one fact id


def test_a_stored_unit_is_read_back_as_written() -> None:
    assert _ck("U/L\xa0", stored=True).unit == "U/L\xa0"


def test_spellings_differ_only_in_ascii_case() -> None:
    assert set(unit_spellings("U/L")) == {"U/L", "U/l", "u/L", "u/l"}
    micro = UpperLimit(concept="x", units=("µkat/L",), female=1.0, male=1.0)
    assert micro.takes_unit("µKAT/l") and micro.takes_unit("µkat/L")
    # Python upper-cases the micro sign to Greek capital mu; SQLite leaves it: neither is used
    assert not micro.takes_unit("\u039cKAT/L") and not micro.takes_unit("µkat/L ")
    with pytest.raises(ValueError, match="letters"):
        unit_spellings("abcdefghijk")


UNITS = ["U/L", "u/l", "U/L\xa0", "U/L\t", " iu/L ", "µkat/L", "U / L", "mU/L", None]


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_sql_and_python_compare_units_alike(engine: str) -> None:
    limit = api.lab_limit(_ck("U/L"), WOMAN)
    assert limit is not None
    table = UpperLimit(concept="x", units=("U/L", "IU/L", "µkat/L"), female=1.0, male=1.0)
    stored = [u for u in UNITS if u is not None] + ["\u039cKAT/L", "ıu/l"]
    t = ibis.memtable({"u": stored})
    con = ibis.sqlite.connect() if engine == "sqlite" else ibis.duckdb.connect()
    try:
        df = con.execute(t.mutate(ok=t.u.isin(sorted(table.unit_spellings))))
    finally:
        con.disconnect()
    assert list(df.ok) == [table.takes_unit(u) for u in stored]


def _feature(engine: str, tmp_path: Path, patients: list[Patient], facts: list[Fact]) -> dict:
    import pyarrow as pa

    from calciscope.engine import compute_feature_table, connect
    from calciscope.storage import Batch, Registry
    from calciscope.storage.registry import model_rows

    if engine == "sqlite":
        registry = Registry(f"sqlite:///{tmp_path}/r.db")
        registry.import_batch(Batch(patients=patients, facts=facts), source="t", source_hash="t")
        registry.close()
        con = connect(f"sqlite:///{tmp_path}/r.db")
        f, p = con.table("facts"), con.table("patients")
    else:
        con = ibis.duckdb.connect()
        from engine.test_features import _FACT_SCHEMA, _PATIENT_SCHEMA

        p = con.create_table(
            "patients", pa.Table.from_pylist(model_rows(patients), schema=_PATIENT_SCHEMA)
        )
        f = con.create_table("facts", pa.Table.from_pylist(model_rows(facts), schema=_FACT_SCHEMA))
    try:
        table = compute_feature_table(
            f, p, index_date=dt.date(2021, 1, 1), features=["muscle_enzymes_elevated"]
        )
        return {
            r["patient_id"]: r["muscle_enzymes_elevated"] for r in table.to_pyarrow().to_pylist()
        }
    finally:
        con.disconnect()


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
@pytest.mark.parametrize("stored", [False, True], ids=["entering", "stored-before-fixes16"])
def test_the_feature_and_lab_limit_agree_for_each_unit(
    engine: str, stored: bool, tmp_path: Path
) -> None:
    patients, facts = [], []
    for i, unit in enumerate(UNITS):
        patients.append(WOMAN.model_copy(update={"patient_id": f"U{i}"}))
        facts.append(_ck(unit, stored=stored, pid=f"U{i}"))
    got = _feature(engine, tmp_path, patients, facts)
    expected = {}
    for patient, fact in zip(patients, facts, strict=True):
        limit = api.lab_limit(fact, patient)
        assert limit is not None
        expected[patient.patient_id] = None if limit.high is None else limit.high < 300.0
    assert got == expected
    nbsp = "U" + str(UNITS.index("U/L\xa0"))
    # entering, "U/L\xa0" is U/L: raised; stored so before fixes16, neither side compares it
    assert got[nbsp] is (None if stored else True)
    assert got[f"U{UNITS.index('µkat/L')}"] is None


def _folder(tmp_path: Path, unit: str) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / "patients.csv").write_text(
        "patient_id,sex,birth_date,synthetic\nU1,female,1970-01-01,true\n"
    )
    (folder / "facts.csv").write_text(
        "patient_id,system,code,status,effective_date,value_num,unit\n"
        f"U1,LOINC,2157-6,present,2020-01-01,300,{unit}\n",
        encoding="utf-8",
    )
    return folder


def test_the_bulk_csv_path_normalises_the_unit_and_a_reimport_adds_nothing(tmp_path: Path) -> None:
    registry = api.open_registry(f"sqlite:///{tmp_path}/r.db")
    api.import_directory(registry, _folder(tmp_path, "U/L\xa0"))
    (fact,) = api.patient_record(registry, "U1").facts
    assert fact.unit == "U/L"
    assert api.lab_limit(fact, WOMAN).high == 210
    (row,) = api.patient_features(registry, ["U1"]).to_pylist()
    assert row["muscle_enzymes_elevated"] is True
    api.import_directory(registry, _folder(tmp_path, "\tU/L"))
    assert len(api.patient_record(registry, "U1").facts) == 1


def test_a_reimport_beside_a_unit_stored_before_fixes16_adds_nothing(tmp_path: Path) -> None:
    from calciscope.storage import Batch, Registry

    old = Registry(f"sqlite:///{tmp_path}/r.db")
    old.import_batch(
        Batch(patients=[WOMAN], facts=[_ck("U/L\xa0", stored=True)]), source="t", source_hash="t"
    )
    old.close()
    registry = api.open_registry(f"sqlite:///{tmp_path}/r.db")
    api.import_directory(registry, _folder(tmp_path, "U/L\xa0"))
    (fact,) = api.patient_record(registry, "U1").facts
    assert fact.unit == "U/L\xa0"  # no silent change to a stored patient (docs/criteria.md)
