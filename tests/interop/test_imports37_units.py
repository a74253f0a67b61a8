"""imports37: a phenopacket unit's UO id is kept from import to export.

RareLink's phenopackets (real, third-party files in ../shared/data) name every unit by a class
of the Units of Measurement ontology (``UO:0000175``, ``gram per liter``); calciscope kept the
label only and exported a unit of its own namespace.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from calciscope import api
from calciscope.interop.phenopackets.reader import read_phenopacket
from calciscope.interop.phenopackets.writer import unit_class, write_phenopacket
from calciscope.model import Fact, SourceKind
from calciscope.storage import Registry


def _packets(shared_data: Path) -> list[Path]:
    folder = shared_data / "redcap" / "rarelink_evaluation_cohort" / "phenopackets"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    return sorted(folder.glob("[0-9]*.json"))


def _units(packet: dict) -> Counter[tuple[str, str]]:
    """Every measurement's unit (id, label), typed quantities too."""
    found: Counter[tuple[str, str]] = Counter()
    for m in packet.get("measurements", []):
        value = m.get("value", {})
        quantities = [value.get("quantity", {})] if "quantity" in value else []
        complex_value = m.get("complexValue") or value.get("complexValue") or {}
        quantities += [t.get("quantity", {}) for t in complex_value.get("typedQuantities", [])]
        for q in quantities:
            unit = q.get("unit")
            if unit:
                found[(unit["id"], unit.get("label", ""))] += 1
    return found


def test_rarelink_uo_units_survive_reading_and_writing(shared_data):
    checked = 0
    for path in _packets(shared_data):
        source = json.loads(path.read_text(encoding="utf-8"))
        units = _units(source)
        if not units:
            continue
        assert all(unit_id.startswith("UO:") for unit_id, _ in units), path.name
        read = read_phenopacket(source, source=path.name)
        assert {f.unit_code for f in read.batch.facts if f.unit} <= {u for u, _ in units}
        [patient] = read.batch.patients
        packet, _ = write_phenopacket(patient, read.batch.facts)
        assert _units(packet) == units, path.name
        back = read_phenopacket(packet, source="export.json")
        assert Counter(
            (f.code, f.unit, f.unit_code) for f in back.batch.facts if f.unit
        ) == Counter((f.code, f.unit, f.unit_code) for f in read.batch.facts if f.unit)
        checked += 1
    assert checked


def test_rarelink_uo_units_survive_the_registry(shared_data, tmp_path):
    """Import into a registry, export, compare with the source file; a re-import adds nothing."""
    paths = [p for p in _packets(shared_data) if _units(json.loads(p.read_text("utf-8")))]
    assert paths
    with Registry(f"sqlite:///{tmp_path / 'r.db'}") as registry:
        api.import_phenopackets(registry, paths)
        api.export_phenopackets(registry, tmp_path / "out")
        again = api.import_phenopackets(registry, paths).summary.counts
        assert "facts_superseded_by_reimport" not in again
    exported = sorted((tmp_path / "out").glob("*.json"))
    want = sum((_units(json.loads(p.read_text("utf-8"))) for p in paths), Counter())
    got = sum((_units(json.loads(p.read_text("utf-8"))) for p in exported), Counter())
    assert got == want


def test_a_unit_without_a_code_is_written_as_before():
    assert unit_class("U/L") == {"id": "UCUM:U/L", "label": "U/L"}
    assert unit_class("unit per liter")["id"] == "calciscope:unit/unit%20per%20liter"
    assert unit_class("gram per liter", "UO:0000175") == {
        "id": "UO:0000175",
        "label": "gram per liter",
    }


def test_the_unit_code_counts_in_the_fact_id_only_when_set():
    """Facts stored before imports37 keep their ids (a re-import of them changes nothing)."""
    fields = dict(patient_id="P1", system="LOINC", code="2157-6", value_num=3.0, unit="U/L")
    plain = Fact(source_kind=SourceKind.IMPORT, **fields)
    coded = Fact(source_kind=SourceKind.IMPORT, unit_code="UO:0000179", **fields)
    assert plain.fact_id != coded.fact_id
    assert plain.fact_id == Fact(source_kind=SourceKind.IMPORT, unit_code=None, **fields).fact_id
