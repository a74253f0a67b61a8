"""Fuzzing every importer through the command line: real seed files, mutated bytes and structure.

The rule (issue 15): no input gives an unhandled exception or a traceback; a failed import exits
with the clean error code (1) and leaves the registry byte-for-byte unchanged. Seeds are real
third-party files (phenopacket-store, Synthea FHIR, REDCapR's test projects, Synthea27Nj's OMOP
CDM) and the SYNTHETIC demo cohort; mutations are seeded, so a failure replays exactly.

The quick run (unmarked) tries a few cases per format; the slow run 300 per format.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import typer.testing
from json_mutations import mutate_bytes, mutate_csv, mutate_json
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app

SEED = 20261204
#: Text injected as raw JSON: what json.dumps cannot produce from a parsed document.
RAW_JSON = ("[" * 200_000 + "]" * 200_000, "9" * 4400, "Infinity", "-Infinity", "NaN", "1e999")


@dataclass(frozen=True)
class Format:
    """A seed folder, the files that may be mutated, and the CLI arguments importing it."""

    name: str
    folder: Path
    mutable: tuple[str, ...]
    args: Callable[[Path], list[str]]
    #: Parquet twins of the CSV files that a case does not mutate (DuckDB reads them without
    #: sniffing, which is most of an OMOP case's time).
    twins: Path | None = None

    def copy(self, target: Path, mutated: str) -> None:
        """Copy the seed into ``target``: every file, or the mutated CSV and Parquet twins."""
        shutil.copytree(self.folder, target, ignore=shutil.ignore_patterns("*.xml"))
        if self.twins is None:
            return
        for twin in self.twins.iterdir():
            if f"{twin.stem}.csv" != mutated:
                (target / f"{twin.stem}.csv").unlink()
                shutil.copy(twin, target / twin.name)


def _raw_json(text: str, rng: random.Random) -> str:
    """Put a raw JSON value (deep nesting, a huge integer, Infinity) in place of a value."""
    at = [i for i, ch in enumerate(text) if ch == ":"]
    if not at:
        return rng.choice(RAW_JSON)
    i = rng.choice(at) + 1
    end = min((j for j in (text.find(",", i), text.find("}", i)) if j != -1), default=len(text))
    return text[:i] + rng.choice(RAW_JSON) + text[end:]


def _mutate_structure(path: Path, text: str, rng: random.Random) -> str:
    if path.suffix == ".json":
        if rng.random() < 0.5:
            return _raw_json(text, rng)
        return json.dumps(mutate_json(json.loads(text), rng))
    if path.suffix == ".jsonl":
        lines = text.splitlines()
        n = rng.randrange(len(lines))
        lines[n] = json.dumps(mutate_json(json.loads(lines[n]), rng))
        return "\n".join(lines) + "\n"
    return mutate_csv(text, rng)


def mutate_file(path: Path, rng: random.Random) -> None:
    """Mutate one file in place: its bytes, or its structure (JSON or CSV) while it still parses."""
    data = path.read_bytes()
    if rng.random() < 0.4:
        path.write_bytes(mutate_bytes(data, rng))
        return
    try:
        path.write_text(_mutate_structure(path, data.decode("utf-8"), rng), encoding="utf-8")
    except (ValueError, RecursionError):  # already broken by an earlier mutation
        path.write_bytes(mutate_bytes(data, rng))


def _dump(db: Path) -> str:
    """Return a hash of the registry's whole content (schema and rows)."""
    if not db.exists():
        return ""
    with sqlite3.connect(db) as conn:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()


def _first_lines(source: Path, target: Path, lines: int) -> None:
    with source.open(encoding="utf-8") as handle:
        target.write_text("".join(line for _, line in zip(range(lines), handle, strict=False)))


def _parquet_twins(folder: Path, target: Path) -> Path:
    target.mkdir()
    for path in folder.glob("*.csv"):
        duckdb.sql(
            f"COPY (SELECT * FROM read_csv_auto('{path}')) "
            f"TO '{target / path.stem}.parquet' (FORMAT parquet)"
        )
    return target


@pytest.fixture(scope="module")
def formats(data_dir, tmp_path_factory) -> dict[str, Format]:
    """Small real seeds of each format, in folders the cases copy."""
    root = tmp_path_factory.mktemp("fuzz-seeds")
    packets = root / "phenopackets"
    packets.mkdir()
    shutil.copy(
        data_dir("phenopackets", "ACP4") / "PMID_28513613_family_2.json", packets / "p.json"
    )
    fhir = root / "fhir"
    fhir.mkdir()
    synthea = min(data_dir("fhir", "synthea").glob("*.json"), key=lambda p: p.stat().st_size)
    bundle = json.loads(synthea.read_text(encoding="utf-8"))
    bundle["entry"] = bundle["entry"][:25]  # the Patient and its first resources
    (fhir / "bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    redcap = root / "redcap"
    shutil.copytree(data_dir("redcap", "REDCapR_test_projects", "projects", "simple"), redcap)
    omop = root / "omop"
    omop.mkdir()
    for path in data_dir("omop", "synthea27nj_v5.4_csv").glob("*.csv"):
        if path.stem in ("PERSON", "CONCEPT", "CONCEPT_ANCESTOR", "CONCEPT_RELATIONSHIP",
                         "CONDITION_OCCURRENCE", "OBSERVATION", "CDM_SOURCE"):  # fmt: skip
            _first_lines(path, omop / path.name, 150)
    concept_set = {"items": [{"concept": {"CONCEPT_ID": 40481087}, "includeDescendants": True}]}
    (omop / "sinusitis.json").write_text(json.dumps(concept_set), encoding="utf-8")
    demo = root / "demo"
    api.generate_demo_data(demo, patients=6, seed=0)
    return {
        "phenopackets": Format("phenopackets", packets, ("p.json",), lambda f: [str(f / "p.json")]),
        "fhir": Format("fhir", fhir, ("bundle.json",), lambda f: [str(f / "bundle.json")]),
        "redcap": Format(
            "redcap", redcap, ("data.csv", "data.csv", "dictionary.csv"),
            lambda f: [str(f / "data.csv"), "--dictionary", str(f / "dictionary.csv")],
        ),
        "omop": Format(
            "omop", omop,
            ("PERSON.csv", "CONDITION_OCCURRENCE.csv", "CONCEPT.csv", "CONCEPT_ANCESTOR.csv",
             "OBSERVATION.csv", "CDM_SOURCE.csv", "sinusitis.json"),
            lambda f: [str(f), "--concept-set", f"sinusitis={f / 'sinusitis.json'}"],
            _parquet_twins(omop, root / "omop-parquet"),
        ),
        "demo": Format(
            "demo", demo, ("patients.csv", "facts.csv", "facts.csv", "notes.jsonl", "images.csv"),
            lambda f: [str(f)],
        ),
    }  # fmt: skip


@pytest.fixture(autouse=True)
def _command_built_once(monkeypatch):
    # typer's CliRunner rebuilds the Click command from the app on every invoke: three
    # quarters of a case's time. The app does not change between cases.
    monkeypatch.setattr(typer.testing, "_get_command", functools.cache(typer.testing._get_command))


def run_cases(fmt: Format, root: Path, cases: int) -> dict[str, int]:
    """Import ``cases`` mutants of a format's seed; assert the rule; return exit-code counts."""
    runner = CliRunner()
    db = root / "registry.db"
    api.open_registry(f"sqlite:///{db}").close()  # an existing registry, created once
    seen = {"imported": 0, "refused": 0}
    for case in range(cases):
        rng = random.Random(f"{SEED}-{fmt.name}-{case}")
        folder = root / f"case{case}"
        name = rng.choice(fmt.mutable)
        fmt.copy(folder, name)
        for _ in range(rng.randint(1, 2)):
            mutate_file(folder / name, rng)
        before = _dump(db)
        result = runner.invoke(
            app, ["import", fmt.name, *fmt.args(folder), "--db", f"sqlite:///{db}"]
        )
        where = f"{fmt.name} case {case} ({name}): exit {result.exit_code}\n{result.output[-2000:]}"
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            where + f"\n{result.exception!r}"
        )
        assert "Traceback" not in result.output, where
        assert result.exit_code in (0, 1), where
        if result.exit_code == 1:
            assert (
                result.output.strip().splitlines()[0].startswith("error:")
                or "error:" in result.output
            ), where
            assert _dump(db) == before, f"registry changed by a failed import: {where}"
            seen["refused"] += 1
        else:
            seen["imported"] += 1
        shutil.rmtree(folder)
    return seen


@pytest.mark.parametrize("name", ["phenopackets", "fhir", "redcap", "omop", "demo"])
def test_a_few_mutants_of_each_format_fail_cleanly(formats, name, tmp_path):
    seen = run_cases(formats[name], tmp_path, 4)
    assert sum(seen.values()) == 4


@pytest.mark.slow
@pytest.mark.parametrize("name", ["phenopackets", "fhir", "redcap", "omop", "demo"])
def test_300_mutants_of_each_format_fail_cleanly(formats, name, tmp_path):
    seen = run_cases(formats[name], tmp_path, 300)
    assert seen["refused"] > 0  # the mutations do break files
