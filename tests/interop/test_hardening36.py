"""hardening36: FHIR writer bounds from calciscope.model. All data SYNTHETIC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calciscope.interop.fhir.writer import _value_quantity
from calciscope.model import Fact, SourceKind, Status


def _ck(text: str, status: Status = Status.PRESENT) -> Fact:
    return Fact(
        patient_id="P1",
        system="LOINC",
        code="2157-6",
        status=status,
        value_text=text,
        unit="U/L",
        source_kind=SourceKind.IMPORT,
    )


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("<5", {"value": 5, "comparator": "<"}),
        (">=60", {"value": 60, "comparator": ">="}),
        ("<5.5", {"value": 5.5, "comparator": "<"}),
        ("<5.0", {"value": 5.0, "comparator": "<"}),
        (">-3", {"value": -3, "comparator": ">"}),
        ("<5.50", None),  # read back it would be "<5.5"
        ("< 5", None),  # a bound for model.bounds, but read back it would be "<5"
        ("about 5", None),
    ],
)
def test_a_bound_goes_back_as_a_quantity_with_its_comparator(text, quantity):
    written = _value_quantity(_ck(text))
    if quantity is None:
        assert written is None
    else:
        assert written == quantity | {
            "unit": "U/L",
            "system": "http://unitsofmeasure.org",
            "code": "U/L",
        }
        assert type(written["value"]) is type(quantity["value"])


def test_an_unknown_bound_is_no_quantity():
    assert _value_quantity(_ck("<5", Status.UNKNOWN)) is None


# --- REDCap missing data codes (all SYNTHETIC) ----------------------------------------------

_DICTIONARY_HEADER = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,"
    "Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,"
    "Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation\n"
)


def _redcap(tmp_path, rows: str, mapping: str | None = None):
    from calciscope.interop.redcap import read_redcap

    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(
        _DICTIONARY_HEADER + "record_id,demo,,text,Record ID,,,,,,,,,,,,,\n"
        "ck,demo,,text,CK,,,number,,,,,,,,,,\n"
        'answer,demo,,dropdown,Answer,"1, Yes | 0, No | NA, Not applicable",,,,,,,,,,,,\n'
        "remark,demo,,text,Remark,,,,,,,,,,,,,\n",
        encoding="utf-8",
    )
    data = tmp_path / "data.csv"
    data.write_text("record_id,ck,answer,remark,demo_complete\n" + rows, encoding="utf-8")
    path = None
    if mapping is not None:
        path = tmp_path / "mapping.yaml"
        path.write_text(mapping, encoding="utf-8")
    return read_redcap(data, dictionary, path)


def test_a_standard_missing_data_code_imports_as_unknown_and_is_counted(tmp_path):
    result = _redcap(tmp_path, "1,UNK,NA,NA,2\n2,ASKU,1,,2\n")
    facts = {(f.patient_id, f.code): f for f in result.batch.facts}
    ck = facts[("1", "redcap.ck")]
    assert (ck.status.value, ck.value_num, ck.value_text) == ("unknown", None, "UNK: Unknown")
    assert facts[("2", "redcap.ck")].status.value == "unknown"
    # "NA" is a choice of `answer`: the choice, not a missing code
    assert facts[("1", "redcap.answer")].value_text == "Not applicable"
    # a free-text field keeps its text under REDCap's suggested list
    assert facts[("1", "redcap.remark")].value_text == "NA"
    assert result.mapped["missing data code UNK"] == 1
    assert result.mapped["missing data code ASKU"] == 1


def test_a_project_s_declared_codes_replace_the_standard_list(tmp_path):
    from calciscope.errors import ValidationError

    mapping = (
        "record_id: record_id\n"
        'missing_data_codes: "-999, Not done\\nUNK, Unknown"\n'
        "fields:\n"
        "  ck: {kind: number, system: LOINC, code: 2157-6, unit: U/L}\n"
        "  remark: {kind: text, code: remark}\n"
    )
    result = _redcap(tmp_path, "1,-999,,UNK,2\n", mapping)
    facts = {f.code: f for f in result.batch.facts}
    assert (facts["2157-6"].status.value, facts["2157-6"].value_text) == (
        "unknown",
        "-999: Not done",
    )
    # a declared code is a code in a free-text field too
    assert facts["remark"].status.value == "unknown"
    # ASKU is not one of this project's codes: refused as before, naming row and field
    with pytest.raises(ValidationError) as caught:
        _redcap(tmp_path, "1,ASKU,,,2\n", mapping)
    [problem] = caught.value.problems
    assert (problem.location, problem.field) == ("row 2", "ck")
    assert "not a number" in problem.message


def test_the_project_xml_s_missing_data_codes_are_read():
    from pathlib import Path

    from calciscope.interop.redcap.missing import parse_codes

    assert parse_codes("UNK, Unknown\n-999, Not done") == {"UNK": "Unknown", "-999": "Not done"}
    assert parse_codes("UNK, Unknown | NASK") == {"UNK": "Unknown", "NASK": "NASK"}
    shared = Path("../shared/data/redcap/REDCapR_test_projects/projects/dag/project.xml")
    if not shared.exists():
        pytest.skip("../shared/data/redcap not present")
    from calciscope.interop.redcap.odm import read_odm

    project, rows = read_odm(shared)
    rows.close()
    assert project.missing_data_codes is None  # the real project declares none (empty element)


# --- units: UCUM only when the unit is a UCUM code ------------------------------------------


@pytest.mark.parametrize(
    "unit",
    ["U/L", "mg/dL", "10*9/L", "%", "mm[Hg]", "mL/min/{1.73_m2}", "[IU]/mL", "1", "kg/m2"],
)
def test_ucum_codes_are_recognised(unit):
    from calciscope.interop.ucum import is_ucum

    assert is_ucum(unit)


@pytest.mark.parametrize(
    "unit", ["unit per liter", "IU/L", "mmHg", "cells/uL", "titre", "µmol/L", "U//L", "(mg"]
)
def test_labels_are_no_ucum_codes(unit):
    from calciscope.interop.ucum import is_ucum

    assert not is_ucum(unit)


def test_a_label_unit_is_no_false_ucum_code_in_fhir():
    fact = Fact(
        patient_id="P1",
        system="LOINC",
        code="2157-6",
        value_num=3.0,
        unit="unit per liter",
        source_kind=SourceKind.IMPORT,
    )
    assert _value_quantity(fact) == {"value": 3.0, "unit": "unit per liter"}


_RARELINK = Path("../shared/data/redcap/rarelink_evaluation_cohort/phenopackets")


def test_real_phenopacket_units_export_without_a_false_ucum_prefix():
    """RareLink's phenopackets (real, third-party) give UO units: exported and read back."""
    from calciscope.interop.phenopackets.reader import read_phenopacket
    from calciscope.interop.phenopackets.writer import write_phenopacket

    if not _RARELINK.is_dir():
        pytest.skip("../shared/data/redcap/rarelink_evaluation_cohort not present")
    checked = 0
    for path in sorted(_RARELINK.glob("[0-9]*.json")):
        read = read_phenopacket(json.loads(path.read_text(encoding="utf-8")), source=path.name)
        measured = [f for f in read.batch.facts if f.unit]
        if not measured:
            continue
        [patient] = read.batch.patients
        packet, _ = write_phenopacket(patient, read.batch.facts)
        units = [m["value"]["quantity"]["unit"] for m in packet.get("measurements", [])]
        assert units, path.name
        for unit in units:
            assert not unit["id"].startswith("UCUM:") or unit["id"] == f"UCUM:{unit['label']}"
            assert " " not in unit["id"]
        for unit in units:  # RareLink's units are UO classes, none a UCUM code: kept (imports37)
            assert unit["id"].startswith("UO:")
        back = read_phenopacket(packet, source="export.json")
        assert {(f.code, f.unit, f.unit_code) for f in back.batch.facts if f.unit} == {
            (f.code, f.unit, f.unit_code) for f in measured
        }
        checked += 1
    assert checked


def test_a_checkbox_s_missing_data_code_column_leaves_its_options_unknown(tmp_path):
    from calciscope.interop.redcap import read_redcap

    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(
        _DICTIONARY_HEADER + "record_id,demo,,text,Record ID,,,,,,,,,,,,,\n"
        'sites,demo,,checkbox,Sites,"1, Hands | 2, Elbows",,,,,,,,,,,,\n',
        encoding="utf-8",
    )
    data = tmp_path / "data.csv"
    # SYNTHETIC: record 1 answered; record 2's sites given the code OTH (options blank)
    data.write_text(
        "record_id,sites___1,sites___2,sites___oth,demo_complete\n1,1,0,0,2\n2,0,0,1,2\n",
        encoding="utf-8",
    )
    result = read_redcap(data, dictionary)
    by_patient = {(f.patient_id, f.code): f.status.value for f in result.batch.facts}
    assert by_patient == {("1", "redcap.sites.1"): "present", ("1", "redcap.sites.2"): "absent"}
    assert result.mapped["missing data code OTH"] == 1


_VALIDATION = Path("../shared/data/redcap/REDCapR_test_projects/projects/validation-types-1")


def test_the_project_xml_s_declared_codes_are_used(tmp_path):
    """REDCapR's real project XML, given codes in its (empty) MissingDataCodes and one cell."""
    from calciscope.errors import ValidationError
    from calciscope.interop.redcap import read_redcap_odm

    if not _VALIDATION.is_dir():
        pytest.skip("../shared/data/redcap/REDCapR_test_projects not present")
    text = (_VALIDATION / "project.xml").read_text(encoding="utf-8")
    cell = '<ItemData ItemOID="f_calculated" Value="7"/>'
    assert cell in text and "<redcap:MissingDataCodes></redcap:MissingDataCodes>" in text
    text = text.replace(cell, cell + '<ItemData ItemOID="v_number" Value="ND"/>')
    path = tmp_path / "project.xml"
    # ND is no code of REDCap's suggested list: with none declared, refused as before
    with pytest.raises(ValidationError, match="not a number"):
        path.write_text(text, encoding="utf-8")
        read_redcap_odm(path)
    declared = "<redcap:MissingDataCodes>ND, Not done\nUNK, Unknown</redcap:MissingDataCodes>"
    text = text.replace("<redcap:MissingDataCodes></redcap:MissingDataCodes>", declared)
    path.write_text(text, encoding="utf-8")
    result = read_redcap_odm(path)
    [fact] = [f for f in result.batch.facts if f.code == "redcap.v_number"]
    assert (fact.status.value, fact.value_text) == ("unknown", "ND: Not done")
    assert result.mapped["missing data code ND"] == 1
