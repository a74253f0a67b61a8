"""Compiled SQL kept in the cache folder: a hit gives the same rows, a change misses (SYNTHETIC)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from calciscope import api
from calciscope.api import criteria as verbs
from calciscope.engine import rows as rows_module
from calciscope.engine.rows import TablesEvaluator, cache_dir

INDEX = dt.date(2023, 12, 31)
TABLE = pa.table(
    {
        "patient_id": ["a", "b", "c"],
        "when": [dt.date(2020, 1, 2), None, dt.date(2021, 3, 4)],
        "flag": [True, False, None],
        "x": [1.5, None, 3.0],
    }
)


class _Counting:
    """A build that counts how often it is asked to build (it is not, on a cache hit)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, t):  # type: ignore[no-untyped-def]
        self.calls += 1
        return t.select(
            "patient_id", later=t["when"] > dt.date(2020, 6, 1), flag=t["flag"], x2=t["x"] * 2
        )


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CALCISCOPE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_cache_folder_follows_calciscope_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("CALCISCOPE_CACHE_DIR", str(tmp_path / "own"))
    assert cache_dir() == tmp_path / "own"
    monkeypatch.delenv("CALCISCOPE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "calciscope"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "calciscope"


@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_a_cache_hit_skips_compiling_and_gives_the_same_rows(cache: Path, engine: str) -> None:
    first, second = _Counting(), _Counting()
    expected = TablesEvaluator(first, engine=engine, cache_key="test doubled").run(t=TABLE)
    assert first.calls == 1
    assert len(list((cache / "sql").glob("*.json"))) == 1
    # a new evaluator, as in a new process: the SQL is read, the expression never built
    hit = TablesEvaluator(second, engine=engine, cache_key="test doubled").run(t=TABLE)
    assert second.calls == 0
    assert hit.equals(expected)
    assert hit.to_pylist()[0] == {"patient_id": "a", "later": False, "flag": True, "x2": 3.0}


def test_other_options_another_layout_or_changed_definitions_miss(cache, monkeypatch) -> None:
    TablesEvaluator(_Counting(), engine="sqlite", cache_key="test doubled").run(t=TABLE)
    build = _Counting()
    float32 = TABLE.set_column(3, "x", TABLE["x"].cast(pa.float32()))
    TablesEvaluator(build, engine="sqlite", cache_key="test doubled 2024").run(t=TABLE)
    assert build.calls == 1  # another key (e.g. another index date)
    TablesEvaluator(build, engine="sqlite", cache_key="test doubled").run(t=float32)
    assert build.calls == 2  # another input layout
    TablesEvaluator(build, engine="duckdb", cache_key="test doubled").run(t=TABLE)
    assert build.calls == 3  # another engine
    monkeypatch.setattr(rows_module, "_compiler_version", lambda: "other definitions")
    TablesEvaluator(build, engine="sqlite", cache_key="test doubled").run(t=TABLE)
    assert build.calls == 4  # other definitions or compiler code
    assert len(list((cache / "sql").glob("*.json"))) == 5


def test_the_compiler_version_follows_the_definitions_files(tmp_path, monkeypatch) -> None:
    package = Path(rows_module.__file__).resolve().parent.parent
    copy = tmp_path / "calciscope"
    for part in ("engine", "criteria", "phenotype", "features", "model"):
        shutil.copytree(package / part, copy / part)
    monkeypatch.setattr(rows_module, "_PACKAGE", copy)
    rows_module._compiler_version.cache_clear()
    try:
        before = rows_module._compiler_version()
        ssc = copy / "criteria" / "sets" / "ssc2013.yaml"
        ssc.write_text(ssc.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        rows_module._compiler_version.cache_clear()
        assert rows_module._compiler_version() != before
    finally:
        monkeypatch.undo()
        rows_module._compiler_version.cache_clear()


def test_a_bad_cache_file_is_compiled_again(cache: Path) -> None:
    expected = TablesEvaluator(_Counting(), engine="sqlite", cache_key="test bad").run(t=TABLE)
    (kept,) = (cache / "sql").glob("*.json")
    kept.write_text("{not json", encoding="utf-8")
    build = _Counting()
    assert TablesEvaluator(build, engine="sqlite", cache_key="test bad").run(t=TABLE) == expected
    assert build.calls == 1


def test_explain_patient_from_cached_sql_equals_the_compiled_one(
    demo_registry_url: str, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fresh() -> None:  # what a new process has: nothing compiled in memory
        verbs._features.cache_clear()
        verbs._explainer.cache_clear()

    with api.open_registry(demo_registry_url) as registry:
        pid = api.list_patients(registry, index_date=INDEX)[0]["patient_id"][0].as_py()
        fresh()
        compiled = api.explain_patient(registry, pid, index_date=INDEX)
        assert len(list((cache / "sql").glob("*.json"))) == 2  # the features, the explanation
        fresh()
        with monkeypatch.context() as built:  # a hit builds no expression

            def refuse(*args: object, **kwargs: object) -> None:
                raise AssertionError("built an expression on a cache hit")

            built.setattr(verbs, "compute_feature_table", refuse)
            built.setattr(verbs, "classify_table", refuse)
            cached = api.explain_patient(registry, pid, index_date=INDEX)
    fresh()
    assert (cached.criteria, cached.phenotypes) == (compiled.criteria, compiled.phenotypes)


_COMPILE = """
import datetime as dt, ibis
from calciscope.engine.phenotype import classify_table
from calciscope.engine.rows import rows_table
con = ibis.duckdb.connect()
t = con.create_table("t", schema=ibis.Schema.from_pyarrow(rows_table([{}]).schema))
print(con.compile(classify_table(t, index_date=dt.date(2023, 12, 31))))
"""


def test_the_compiled_sql_does_not_depend_on_the_hash_seed() -> None:
    # the cache key holds no SQL, so SQL that changed with the seed would go unnoticed there;
    # but a query log, a plan cache or a diff of two runs would see two queries for one
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    sql = [
        subprocess.run(
            [sys.executable, "-c", _COMPILE],
            env={**env, "PYTHONHASHSEED": seed},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert "SELECT" in sql[0]
    assert sql[0] == sql[1]
