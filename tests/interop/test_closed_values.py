"""A concept's declared values (concepts.yaml ``values``): the only value_text its facts take.

``ssc_subset`` declares dcssc, lcssc, sine and undetermined. Every importer's facts pass the model
(:class:`calciscope.model.Fact`), which lower-cases and strips such a text before the fact id
is computed and refuses any other, naming file, row and field; the import is all or nothing.
A value stored before the check is read as it was. SYNTHETIC patients throughout.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from calciscope import api
from calciscope.errors import CatalogueError, ValidationError
from calciscope.features import load_catalogue
from calciscope.features.catalogue import _concept
from calciscope.interop.fhir import read_fhir
from calciscope.interop.native_facts import check_block
from calciscope.interop.redcap import read_redcap, write_dictionary
from calciscope.interop.redcap.mapping import dump_mapping
from calciscope.interop.redcap.template import redcap_template
from calciscope.model import STORED, Fact, Patient
from calciscope.phenotype import load_phenotypes
from calciscope.storage.batch import Batch

SUBSETS = ("dcssc", "lcssc", "sine", "undetermined")


def _native(folder, values):
    folder.mkdir(exist_ok=True)
    (folder / "patients.csv").write_text(
        "patient_id,sex,birth_date,synthetic\nP1,female,1960-01-02,true\n", encoding="utf-8"
    )
    rows = "".join(
        f"P1,calciscope,ssc_subset,present,20{10 + i}-01-01,{v}\n" for i, v in enumerate(values)
    )
    (folder / "facts.csv").write_text(
        "patient_id,system,code,status,effective_date,value_text\n" + rows, encoding="utf-8"
    )
    return folder


def test_the_catalogue_declares_the_subsets_and_the_phenotype_reads_the_same():
    catalogue = load_catalogue()
    assert catalogue.concepts["ssc_subset"].values == SUBSETS
    assert catalogue.allowed_values("calciscope", "ssc_subset") == (("ssc_subset", SUBSETS),)
    assert catalogue.allowed_values("HP", "HP:0003761") == ()
    # the phenotype built from the recorded subset knows exactly the concept's values
    phenotype = next(p for p in load_phenotypes().phenotypes if p.id == "cutaneous_subset")
    assert (*phenotype.values, phenotype.otherwise) == SUBSETS
    # a recorded "undetermined" is no subset: LeRoy stands in (docs/criteria.md)
    assert phenotype.not_determined == ("undetermined",)


def test_a_badly_written_values_list_is_a_catalogue_error():
    with pytest.raises(CatalogueError, match="concept 'x': values must be"):
        _concept({"name": "x", "values": ["DcSSc"]})


@pytest.mark.parametrize("text", ["diffuse", "limited", "dc-SSc", "limited cutaneous", "none"])
def test_the_model_refuses_a_value_outside_the_set(text):
    with pytest.raises(Exception) as info:
        Fact(patient_id="P1", system="calciscope", code="ssc_subset", value_text=text)
    [error] = info.value.errors()  # type: ignore[attr-defined]
    assert error["loc"] == ("value_text",)
    assert f"ssc_subset value_text {text!r} is not one of dcssc, lcssc, sine" in error["msg"]


def test_case_and_spaces_are_folded_before_the_fact_id():
    plain = Fact(patient_id="P1", system="calciscope", code="ssc_subset", value_text="dcssc")
    typed = Fact(patient_id="P1", system="calciscope", code="ssc_subset", value_text=" DCSSC ")
    assert typed.value_text == "dcssc" and typed.fact_id == plain.fact_id
    # other concepts keep their text as written
    other = Fact(patient_id="P1", system="calciscope", code="visit", value_text=" Clinic A ")
    assert other.value_text == " Clinic A "


def test_a_stored_value_outside_the_set_is_read_as_it_was():
    row = {"patient_id": "P1", "system": "calciscope", "code": "ssc_subset"}
    stored = Fact.model_validate(row | {"value_text": "diffuse"}, context=STORED)
    assert stored.value_text == "diffuse"


def test_native_csv_names_file_row_and_field_and_writes_nothing(tmp_path, sqlite_url):
    folder = _native(tmp_path / "d", ["lcssc", "diffuse"])
    registry = api.open_registry(sqlite_url)
    with pytest.raises(ValidationError) as info:
        api.import_directory(registry, folder)
    [problem] = info.value.problems
    assert problem.source.endswith("facts.csv")
    assert (problem.location, problem.field) == ("row 3", "value_text")
    assert "ssc_subset value_text 'diffuse' is not one of dcssc, lcssc, sine" in problem.message
    assert registry.counts()["patients"] == 0 and registry.counts()["facts"] == 0


def test_native_csv_folds_case_and_keeps_valid_values(tmp_path, sqlite_url):
    registry = api.open_registry(sqlite_url)
    api.import_directory(registry, _native(tmp_path / "a", [" DCSSC ", "Sine", *SUBSETS]))
    stored = sorted((f.effective_date.year, f.value_text) for f in _facts(registry))
    expected = [(2010, "dcssc"), (2011, "sine"), (2012, "dcssc"), (2013, "lcssc"), (2014, "sine")]
    expected.append((2015, "undetermined"))  # a clinician's answer, as the REDCap template offers
    assert stored == expected
    # the same facts written plainly are the same ids: nothing is added
    api.import_directory(registry, _native(tmp_path / "b", ["dcssc", "sine"]))
    assert len(_facts(registry)) == len(expected)


def test_the_bulk_fast_path_takes_only_values_written_as_declared():
    import pyarrow as pa

    texts = ["dcssc", "lcssc", "sine", " DCSSC ", "diffuse", None]
    n = len(texts)
    block = pa.table(
        {
            "patient_id": ["P1"] * n,
            "system": ["calciscope"] * n,
            "code": ["ssc_subset"] * n,
            "value_text": pa.array(texts, pa.string()),
        }
    )
    table, doubted = check_block(block)
    assert doubted.to_pylist() == [False, False, False, True, True, False]
    # a row the fast path takes has the id the model gives it
    ids = dict(
        zip(
            table.column("value_text").to_pylist(), table.column("fact_id").to_pylist(), strict=True
        )
    )
    model = Fact(patient_id="P1", system="calciscope", code="ssc_subset", value_text="lcssc")
    assert ids["lcssc"] == model.fact_id


def test_a_stored_value_outside_the_set_does_not_break_the_feature_table(sqlite_url):
    registry = api.open_registry(sqlite_url)
    row = {"patient_id": "P1", "system": "calciscope", "code": "ssc_subset"}
    batch = Batch(
        patients=[Patient(patient_id="P1", synthetic=True)],
        facts=[Fact.model_validate(row | {"value_text": "diffuse"}, context=STORED)],
    )  # as a registry written before the check holds it
    registry.import_batch(batch, source="older registry", source_hash="x")
    features = api.patient_features(registry, ["P1"]).to_pylist()[0]
    assert features["subset_recorded"] == "diffuse"  # shown as stored; not a subset


def test_redcap_names_the_field_of_a_value_outside_the_set(tmp_path):
    # a site's own dictionary that offers more than the concept's values
    fields, mapping = redcap_template()
    fields = [
        dataclasses.replace(f, choices={**f.choices, "diffuse": "Diffuse"})
        if f.name == "ssc_subset"
        else f
        for f in fields
    ]
    (tmp_path / "dictionary.csv").write_text(write_dictionary(fields), encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(dump_mapping(mapping), encoding="utf-8")
    (tmp_path / "data.csv").write_text(
        "record_id,sex,ssc_subset\nP1,female,diffuse\nP2,female,lcssc\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError) as info:
        read_redcap(tmp_path / "data.csv", tmp_path / "dictionary.csv", tmp_path / "mapping.yaml")
    [problem] = info.value.problems
    assert problem.field == "ssc_subset" and "row 2" in problem.location
    assert "value_text" in problem.message and "'diffuse' is not one of" in problem.message


def test_the_redcap_template_offers_exactly_the_declared_values():
    fields, _ = redcap_template()
    [subset] = [f for f in fields if f.name == "ssc_subset"]
    assert subset.field_type == "dropdown" and tuple(subset.choices) == SUBSETS


def test_fhir_names_the_entry_and_field_of_a_value_outside_the_set(tmp_path):
    observation = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "subject": {"reference": "urn:uuid:p1"},
        "code": {"coding": [{"system": _calciscope_system(), "code": "ssc_subset"}]},
        "effectiveDateTime": "2020-01-01",
        "valueString": "limited",
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1"}},
            {"fullUrl": "urn:uuid:o1", "resource": observation},
        ],
    }
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        read_fhir([path])
    [problem] = info.value.problems
    assert (problem.location, problem.field) == ("#/entry/1", "value_text")
    assert "ssc_subset value_text 'limited' is not one of dcssc, lcssc, sine" in problem.message
    observation["valueString"] = "LcSSc"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    [fact] = read_fhir([path]).batch.facts
    assert fact.value_text == "lcssc"


def _calciscope_system() -> str:
    from calciscope.interop.mappings import CALCISCOPE_SYSTEM

    return CALCISCOPE_SYSTEM


def _facts(registry):
    return api.read_registry_records(registry).facts


@pytest.mark.parametrize(
    "module",
    [
        "calciscope.interop.native",
        "calciscope.interop.native_facts",
        "calciscope.interop.fhir",
        "calciscope.interop.redcap",
        "calciscope.interop.phenopackets",
        "calciscope.interop.omop",
        "calciscope.storage",
        "calciscope.api",
        "calciscope.extract.facts",
    ],
)
def test_every_importer_has_the_check_in_place_on_its_own(module):
    # in a fresh process, importing only the entry module: the model's check must be set up
    code = (
        f"import {module}\n"
        "from calciscope.model.records import closed_values\n"
        "assert closed_values('calciscope', 'ssc_subset'), 'no closed values'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
