"""REDCap project XML (CDISC ODM) import: converted into the dictionary fields and rows of a CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.redcap import read_dictionary, read_redcap, read_redcap_odm
from calciscope.interop.redcap.odm import ODM_NS, REDCAP_NS, read_odm, read_odm_dictionary

#: The REDCapR projects whose project.xml cannot import, and why (file, location and field named).
EXPECTED_FAILURES = {
    "super-wide-3": "project.xml",  # upstream ships no project.xml (100 MB uncompressed)
    "potentially-problematic-values": "date_before_validation",  # text in date fields
}
#: Import from project.xml, not from data.csv + dictionary.csv (see test_redcap.py for why).
XML_ONLY = {"decimal-comma", "russian", "simple", "simple-write"}
#: project.xml is the snapshot before the test deletes records; data-old.csv is its CSV twin.
SNAPSHOT = {"arm-single-delete": "data-old.csv", "arm-multiple-delete": "data-old.csv"}
#: Fields whose upstream CSV files and project.xml disagree: the dictionary (``age`` is text in
#: one, calc in the other) or the data (project.xml holds the computed ``f_calculated`` = 7,
#: which makes the form answered, so its unticked checkboxes are absent, not unknown).
DIVERGENT = {
    "metadata-write": {"redcap.age"},
    "repeating-instruments-sparse": {"redcap.age"},
    "validation-types-1": {"redcap.f_calculated", "redcap.f_checkbox"},
}
#: Dictionary attributes that differ upstream between dictionary.csv and project.xml.
DICTIONARY_DIVERGENT = {
    ("file-repo", "date", "annotation"),  # " @TODAY" in the CSV
    ("metadata-write", "age", "field_type"),
    ("repeating-instruments-sparse", "age", "field_type"),
    ("validation-types-1", "f_slider", "minimum"),  # a slider's range is not in the XML
    ("validation-types-1", "f_slider", "maximum"),
    ("simple", "interpreter_needed", "name"),  # only in project.xml
}


@pytest.fixture(scope="module")
def projects(data_dir):
    folder = data_dir("redcap", "REDCapR_test_projects", "projects")
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_dir()}


@pytest.fixture(scope="module")
def outcomes(projects):
    """Each project's project.xml import: its ReadResult or its ValidationError."""
    results = {}
    for name, project in projects.items():
        try:
            results[name] = read_redcap_odm(project / "project.xml")
        except ValidationError as exc:
            results[name] = exc
    return results


def test_29_project_xmls_import_or_fail_naming_file_location_and_field(projects, outcomes):
    assert len(projects) == 29
    failed = {name for name, out in outcomes.items() if isinstance(out, ValidationError)}
    assert failed == set(EXPECTED_FAILURES)
    for name in failed:
        problems = outcomes[name].problems
        for problem in problems:
            assert problem.source == str(projects[name] / "project.xml")
            assert problem.location and problem.field is not None
        assert any(EXPECTED_FAILURES[name] in p.source + p.field for p in problems)
    dates = [p for p in outcomes["potentially-problematic-values"].problems]
    assert {p.location for p in dates} >= {"record 1, lines 79-89"}
    assert Counter(isinstance(o, ValidationError) for o in outcomes.values()) == {
        False: 27,
        True: 2,
    }


def _csv(projects, name):
    project = projects[name]
    return read_redcap(project / SNAPSHOT.get(name, "data.csv"), project / "dictionary.csv")


def _content(fact):
    return (
        fact.patient_id, fact.system, fact.code, fact.status, fact.value_num, fact.value_text,
        fact.effective_date, fact.body_site, fact.laterality, fact.morphology, fact.method,
        fact.unit,
    )  # fmt: skip


def test_xml_and_csv_give_the_same_facts(projects, outcomes):
    compared = 0
    for name, xml in outcomes.items():
        if name in XML_ONLY or isinstance(xml, ValidationError):
            continue
        csv = _csv(projects, name)
        keep = lambda f, name=name: not any(f.code.startswith(c) for c in DIVERGENT.get(name, ()))  # noqa: E731
        facts = [Counter(map(_content, filter(keep, r.batch.facts))) for r in (csv, xml)]
        assert facts[0] == facts[1], name
        assert sorted(csv.batch.patients, key=str) == sorted(xml.batch.patients, key=str), name
        assert csv.mapped == xml.mapped, name
        if name not in DIVERGENT:
            assert csv.skipped == xml.skipped, name
        compared += 1
    assert compared == 23
    total = sum(len(o.batch.facts) for o in outcomes.values() if not isinstance(o, ValidationError))
    assert total > 6000


def test_xml_metadata_is_the_data_dictionary(projects):
    for name, project in projects.items():
        if not (project / "dictionary.csv").is_file() or not (project / "project.xml").is_file():
            continue
        ours = {f.name: f for f in read_odm_dictionary(project / "project.xml")}
        theirs = {f.name: f for f in read_dictionary(project / "dictionary.csv")}
        differ = {(name, f, "name") for f in ours.keys() ^ theirs.keys()}
        differ |= {
            (name, f, attr)
            for f in ours.keys() & theirs.keys()
            for attr in vars(ours[f])
            if getattr(ours[f], attr) != getattr(theirs[f], attr)
        }
        assert differ <= DICTIONARY_DIVERGENT, name
        assert next(iter(ours)) == next(iter(theirs)), name  # the record id first


def test_projects_that_import_only_from_xml(outcomes):
    comma = outcomes["decimal-comma"]
    heights = {(f.patient_id, f.code): f.value_num for f in comma.batch.facts}
    assert heights[("1", "redcap.height")] == 1.54 and heights[("1", "redcap.weight")] == 52.3
    simple = {(f.patient_id, f.code): f.value_text for f in outcomes["simple"].batch.facts}
    assert simple[("1", "redcap.sex")] == "Female"  # the raw code 0, not R's FALSE
    assert len(outcomes["russian"].batch.patients) == 3
    assert len(outcomes["simple-write"].batch.patients) == 5


def test_locations_name_record_event_instance_and_lines(outcomes):
    systolic = [
        f for f in outcomes["repeating-instruments"].batch.facts if f.code.endswith("systolic")
    ]
    assert any("record 1, bp instance 2, lines " in f.provenance for f in systolic)
    assert all(f.effective_date == dt.date(2019, 10, 14) for f in systolic if f.patient_id == "1")
    events = {f.provenance.split(", ")[1] for f in outcomes["longitudinal"].batch.facts}
    assert "event enrollment_arm_1" in events and "event visit_1_arm_1" in events


def test_pycap_project_xmls_import(data_dir):
    folder = data_dir("redcap", "PyCap_tests")
    results = {p.name: read_redcap_odm(p) for p in sorted(folder.glob("*.xml"))}
    assert {name: len(r.batch.patients) for name, r in results.items()} == {
        "doctest_project.xml": 3, "test_long_project.xml": 2, "test_simple_project.xml": 3,
    }  # fmt: skip
    repeated = results["doctest_project.xml"].batch.facts  # a repeating event
    assert repeated and all(
        "event event_1_arm_1, event instance 1" in f.provenance for f in repeated
    )


def _edit(projects, name, tmp_path, *replacements):
    text = (projects[name] / "project.xml").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / f"{name}.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_bad_record_is_reported_together(projects, tmp_path):
    path = _edit(
        projects, "repeating-instruments", tmp_path,
        ('ItemOID="sex" Value="0"', 'ItemOID="sex" Value="7"'),
        ('ItemOID="first_name" Value="aaa"', 'ItemOID="nickname" Value="aaa"'),
        ('FormOID="Form.demographics" FormRepeatKey="1"', 'FormOID="Form.demographics" FormRepeatKey="2"'),
        ('FormOID="Form.bp" FormRepeatKey="2"', 'FormOID="Form.vitals" FormRepeatKey="2"'),
        ('ItemOID="bp_systolic" Value="112"', 'ItemOID="bp_systolic" Value="high"'),
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        read_redcap_odm(path)
    found = {(p.location, p.field): p.message for p in info.value.problems}
    assert all(p.source == str(path) for p in info.value.problems)
    assert "not a choice of sex" in found[("record 1, lines 158-172", "sex")]
    assert "no such ItemDef" in found[("record 1, line 162", "nickname")]
    assert (
        "does not repeat" in found[("record 1, demographics instance 2, line 158", "demographics")]
    )
    assert "no such FormDef" in found[("record 1, line 183", "Form.vitals")]
    assert ("record 1, bp instance 3, lines 193-202", "bp_systolic") in found
    assert len(found) == 5


def test_checkbox_and_event_problems(projects, tmp_path):
    path = _edit(
        projects, "longitudinal", tmp_path,
        ('ItemOID="gym___0" Value="1"', 'ItemOID="gym___0" Value="yes"'),
        ('StudyEventOID="Event.dose_1_arm_1" StudyEventRepeatKey="1" redcap:UniqueEventName="dose_1_arm_1"',
         'StudyEventOID="Event.dose_9_arm_1" StudyEventRepeatKey="1"'),
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        read_redcap_odm(path)
    fields = {(p.location.split(", lines")[0], p.field) for p in info.value.problems}
    assert fields == {
        ("record 100, event enrollment_arm_1", "gym___0"),
        ("record 100, line 1209", "Event.dose_9_arm_1"),
    }


def test_broken_or_foreign_xml_is_reported_with_its_line(projects, tmp_path):
    text = (projects["longitudinal"] / "project.xml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    truncated = tmp_path / "truncated.xml"
    truncated.write_text("".join(lines[:1500]), encoding="utf-8")
    _, rows = read_odm(truncated)
    first = next(rows)  # rows stream: the first record is there before the break is found
    assert (
        first[0].startswith("record 100, event enrollment_arm_1") and first[1]["study_id"] == "100"
    )
    with pytest.raises(ValidationError) as info:
        list(rows)
    assert [(p.location, p.field) for p in info.value.problems] == [("line 1501 column 1", "")]
    cases = {
        "not_odm.xml": ('<?xml version="1.0"?>\n<records/>\n', "line 2", "not CDISC ODM"),
        "no_metadata.xml": (
            f'<ODM xmlns="{ODM_NS}">\n<ClinicalData/></ODM>', "file",
            "no REDCap metadata",
        ),
        "broken.xml": (f'<ODM xmlns="{ODM_NS}">\n<Study></ODM>', "line 2 column 10", "mismatched"),
        "data.csv": ("record_id\n1\n", "line 1", "not XML"),
    }  # fmt: skip
    for name, (content, location, message) in cases.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        with pytest.raises(ValidationError) as info:
            read_redcap_odm(tmp_path / name)
        (problem,) = info.value.problems
        assert (problem.source, problem.location) == (str(tmp_path / name), location), name
        assert message in problem.message, name


def test_metadata_problems_name_the_element_and_line(projects, tmp_path):
    renamed = _edit(
        projects, "longitudinal", tmp_path,
        ('redcap:RecordIdField="study_id"', 'redcap:RecordIdField="subject"'),
        ('<ItemGroupRef ItemGroupOID="demographics.first_name"', '<ItemGroupRef ItemGroupOID="names"'),
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        read_redcap_odm(renamed)
    assert {(p.location, p.field) for p in info.value.problems} == {
        ("MetaDataVersion, line 36", "redcap:RecordIdField"),
        ("ItemGroupRef, line 104", "names"),
    }


def test_api_and_cli_read_project_xml_all_or_nothing(projects, tmp_path):
    project = projects["longitudinal"]
    db = f"sqlite:///{tmp_path}/r.db"
    mapping = tmp_path / "mapping.yaml"
    runner = CliRunner()
    generated = runner.invoke(app, ["redcap", "mapping", str(project / "project.xml")])
    assert generated.exit_code == 0
    assert generated.stdout == api.redcap_mapping(project / "dictionary.csv")
    mapping.write_text(generated.stdout, encoding="utf-8")
    bad = _edit(
        projects, "longitudinal", tmp_path, ('ItemOID="sex" Value="1"', 'ItemOID="sex" Value="5"')
    )
    failed = runner.invoke(app, ["import", "redcap", str(bad), "--db", db])
    assert failed.exit_code == 1 and "field 'sex'" in failed.output
    assert api.open_registry(db).counts()["facts"] == 0
    args = ["import", "redcap", str(project / "project.xml"), "--mapping", str(mapping), "--db", db]
    assert runner.invoke(app, args).exit_code == 0
    registry = api.open_registry(db)
    read = read_redcap_odm(project / "project.xml")
    assert registry.counts()["patients"] == len(read.batch.patients) == 3
    assert registry.counts()["facts"] == len(read.batch.facts) > 300
    with pytest.raises(ValidationError, match="its own metadata"):
        api.import_redcap(registry, project / "project.xml", project / "dictionary.csv")


def _project_xml(folder, repeating):
    """Write the export's dictionary and data as a project XML (the parts REDCap's has)."""
    o, r = f"{{{ODM_NS}}}", f"{{{REDCAP_NS}}}"
    fields = read_dictionary(folder / "dictionary.csv")
    root = ET.Element(f"{o}ODM")
    study = ET.SubElement(root, f"{o}Study")
    instruments = ET.SubElement(ET.SubElement(ET.SubElement(
        study, f"{o}GlobalVariables"), f"{r}RepeatingInstrumentsAndEvents"), f"{r}RepeatingInstruments")  # fmt: skip
    for form in repeating:
        ET.SubElement(instruments, f"{r}RepeatingInstrument", {f"{r}RepeatInstrument": form})
    meta = ET.SubElement(study, f"{o}MetaDataVersion", {f"{r}RecordIdField": fields[0].name})
    for form in dict.fromkeys(f.form for f in fields):
        ET.SubElement(ET.SubElement(meta, f"{o}FormDef", {"OID": f"Form.{form}"}), f"{o}ItemGroupRef", {"ItemGroupOID": form})  # fmt: skip
        group = ET.SubElement(meta, f"{o}ItemGroupDef", {"OID": form})
        for f in (f for f in fields if f.form == form):
            ET.SubElement(group, f"{o}ItemRef", {"ItemOID": f.name})
            kind = {"dropdown": "select", "notes": "textarea"}.get(f.field_type, f.field_type)
            valid = {"integer": "int", "number": "float"}.get(f.validation, f.validation)
            item = ET.SubElement(meta, f"{o}ItemDef", {"OID": f.name, f"{r}Variable": f.name, f"{r}FieldType": kind, f"{r}TextValidationType": valid})  # fmt: skip
            ET.SubElement(item, f"{o}CodeListRef", {"CodeListOID": f"{f.name}.choices"})
            codes = ET.SubElement(meta, f"{o}CodeList", {"OID": f"{f.name}.choices"})
            for code, label in f.choices.items():
                decode = ET.SubElement(ET.SubElement(codes, f"{o}CodeListItem", {"CodedValue": code}), f"{o}Decode")  # fmt: skip
                ET.SubElement(decode, f"{o}TranslatedText").text = label
    form_of = {f.name: f.form for f in fields}
    clinical, subjects = ET.SubElement(root, f"{o}ClinicalData"), {}
    with (folder / "data.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            subject = subjects.get(row["record_id"])
            if subject is None:
                subject = subjects[row["record_id"]] = ET.SubElement(clinical, f"{o}SubjectData", {"SubjectKey": row["record_id"]})  # fmt: skip
            forms = {}
            repeat = row["redcap_repeat_instrument"]
            for name, value in row.items():
                if value and name in form_of and form_of[name] == (repeat or form_of[name]):
                    if form_of[name] not in forms:
                        key = row["redcap_repeat_instance"] or "1"
                        forms[form_of[name]] = ET.SubElement(ET.SubElement(subject, f"{o}FormData", {"FormOID": f"Form.{form_of[name]}", "FormRepeatKey": key}), f"{o}ItemGroupData")  # fmt: skip
                    ET.SubElement(forms[form_of[name]], f"{o}ItemData", {"ItemOID": name, "Value": value})  # fmt: skip
    ET.indent(root)
    ET.ElementTree(root).write(folder / "project.xml", encoding="utf-8", xml_declaration=True)
    return folder / "project.xml"


def test_template_round_trip_through_project_xml(demo_dir, demo_registry_url, tmp_path):
    """The default demo cohort's first 120 patients: registry → template → project XML → back."""
    source = api.open_registry(demo_registry_url)
    with (demo_dir / "patients.csv").open(encoding="utf-8") as handle:
        patients = sorted(row["patient_id"] for row in csv.DictReader(handle))[:120]
    api.export_redcap(source, tmp_path, patient_ids=patients)
    path = _project_xml(tmp_path, ("visits", "calcinosis_lesions", "radiographs"))
    xml = read_redcap_odm(path, tmp_path / "mapping.yaml")
    csv_ = read_redcap(
        tmp_path / "data.csv", tmp_path / "dictionary.csv", tmp_path / "mapping.yaml"
    )
    assert Counter(map(_content, xml.batch.facts)) == Counter(map(_content, csv_.batch.facts))
    assert any("calcinosis_lesions instance 2" in f.provenance for f in xml.batch.facts)
    before = api.read_registry_records(source, patients).patients
    assert sorted(xml.batch.patients, key=str) == sorted(before, key=str)
    assert len(before) == 120


@given(data=st.data())
@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_fuzzed_project_xml_raises_only_validation_error(projects, tmp_path, data):
    """Random attribute values (still well-formed XML) or random text anywhere."""
    text = (projects["longitudinal"] / "project.xml").read_text(encoding="utf-8")
    values = [m.span(1) for m in re.finditer(r'="([^"]*)"', text)]
    for _ in range(data.draw(st.integers(1, 4))):
        if data.draw(st.booleans()):
            start, end = data.draw(st.sampled_from(values))
            new = html.escape(data.draw(st.text(max_size=12)), quote=True)
        else:
            start = data.draw(st.integers(0, len(text) - 1))
            end, new = start + data.draw(st.integers(0, 40)), data.draw(st.text(max_size=12))
        text = text[:start] + new + text[end:]
        values = [m.span(1) for m in re.finditer(r'="([^"]*)"', text)]
    path = tmp_path / "fuzz.xml"
    path.write_text(text, encoding="utf-8")
    try:
        read_redcap_odm(path)
    except ValidationError as exc:
        assert exc.problems and all(p.source == str(path) for p in exc.problems)
