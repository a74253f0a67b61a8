from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calciscope.errors import ValidationError
from calciscope.features import load_catalogue
from calciscope.interop.phenopackets import read_phenopackets
from calciscope.interop.redcap import (
    COLUMNS,
    DictionaryField,
    dump_mapping,
    generate_mapping,
    read_dictionary,
    read_records,
    read_redcap,
    write_dictionary,
)
from calciscope.interop.redcap.export import write_records
from calciscope.interop.redcap.mapping import mapping_from_dict
from calciscope.interop.redcap.template import FORMS, redcap_template
from calciscope.model import (
    BodyRegion,
    Fact,
    Laterality,
    Method,
    Morphology,
    Patient,
    ReviewState,
    Sex,
    Status,
)

HERE = Path(__file__).parent
CATALOGUE = load_catalogue()

#: The REDCapR projects that cannot import, and why (each error names file, row and field).
EXPECTED_FAILURES = {
    "decimal-comma": "dictionary.csv",  # upstream misspells it dictionay.csv
    "russian": "dictionary.csv",  # no dictionary upstream
    "simple-write": "data.csv",  # only project.xml upstream
    "super-wide-3": "data.csv",  # only a README upstream
    "simple": "sex",  # R-processed export: sex is FALSE/TRUE, not a choice code
    "potentially-problematic-values": "date_before_validation",  # text in date fields
}


@pytest.fixture(scope="module")
def projects(data_dir):
    folder = data_dir("redcap", "REDCapR_test_projects", "projects")
    return sorted(p for p in folder.iterdir() if p.is_dir())


def test_29_projects_import_or_fail_naming_file_row_and_field(projects):
    assert len(projects) == 29
    outcomes = {}
    for project in projects:
        try:
            result = read_redcap(project / "data.csv", project / "dictionary.csv")
            outcomes[project.name] = "ok"
            assert result.mapped["record row"] >= len(result.batch.patients)
        except ValidationError as exc:
            outcomes[project.name] = "failed"
            assert exc.problems
            for problem in exc.problems:
                assert (
                    problem.source.startswith(str(project))
                    and problem.location
                    and problem.field is not None
                )
            assert any(
                EXPECTED_FAILURES[project.name] in (p.source + p.field) for p in exc.problems
            )
    assert Counter(outcomes.values()) == Counter({"ok": 23, "failed": 6})
    assert {name for name, outcome in outcomes.items() if outcome == "failed"} == set(
        EXPECTED_FAILURES
    )


def _project(projects, name):
    project = next(p for p in projects if p.name == name)
    return read_redcap(project / "data.csv", project / "dictionary.csv")


def test_unfilled_checkbox_form_is_unknown_not_absent(projects):
    result = _project(projects, "checkboxes-1")
    # record 4: form_2 Incomplete, nothing ticked, no other answer -> never filled in -> unknown
    assert not any(
        f.patient_id == "4" and f.code.startswith("redcap.check_") for f in result.batch.facts
    )
    # record 2: the same form has ticks, so its unticked options are recorded absent
    two = {(f.code, f.status) for f in result.batch.facts if f.patient_id == "2"}
    assert ("redcap.check_two.b", Status.PRESENT) in two and (
        "redcap.check_one.1",
        Status.ABSENT,
    ) in two
    one = {(f.code, f.status) for f in result.batch.facts if f.patient_id == "1"}
    assert ("redcap.check_one.1", Status.PRESENT) in one and (
        "redcap.check_one.2",
        Status.ABSENT,
    ) in one
    assert result.skipped[("checkbox", "form not filled in on this row: unknown, not absent")] == 2


def test_repeating_longitudinal_decimal_comma_and_text_ids(projects):
    repeating = _project(projects, "repeating-instruments")
    systolic = [f for f in repeating.batch.facts if f.code == "redcap.bp_systolic"]
    assert systolic and all("redcap_repeat_instrument=bp" in f.provenance for f in systolic)
    assert all(f.effective_date == dt.date(2019, 10, 14) for f in systolic if f.patient_id == "1")
    longitudinal = _project(projects, "longitudinal")
    assert any(
        "redcap_event_name=enrollment_arm_1" in f.provenance for f in longitudinal.batch.facts
    )
    comma = _project(projects, "decimal-comma-and-dot")
    heights = {
        f.code: f.value_num for f in comma.batch.facts if f.patient_id == "1" and "height" in f.code
    }
    assert heights == {"redcap.height_dot": 1.54, "redcap.height_comma": 1.54}
    assert {p.patient_id for p in _project(projects, "nonnumeric-record-id").batch.patients} == {
        "a",
        "b",
        "c",
    }


def test_identifier_fields_are_not_imported(projects):
    result = _project(projects, "dag")
    assert result.batch.facts == [] and len(result.batch.patients) == 3


def test_rarelink_generated_mapping_and_three_way_consistency(data_dir):
    folder = data_dir("redcap", "rarelink_evaluation_cohort")
    records, dictionary = (
        folder / "redcap" / "evaluation_cohort_redcap.json",
        folder / "redcap" / "rarelink_cdm_datadictionary.csv",
    )
    generated = read_redcap(records, dictionary)
    assert len(generated.batch.patients) == 10 and len(generated.batch.facts) > 500
    mapped = read_redcap(records, dictionary, HERE / "data" / "rarelink_mapping.yaml")
    packets = read_phenopackets(sorted((folder / "phenopackets").glob("[0-9]*.json")))
    person = lambda p: (p.patient_id, p.sex, p.birth_date)  # noqa: E731
    assert {person(p) for p in mapped.batch.patients} == {person(p) for p in packets.batch.patients}
    ours = {(f.patient_id, f.code, f.status) for f in mapped.batch.facts}
    theirs = {(f.patient_id, f.code, f.status) for f in packets.batch.facts if f.system == "HP"}
    assert ours == theirs and len(ours) == 48
    dated = {(f.patient_id, f.code, f.effective_date) for f in mapped.batch.facts}
    assert (
        len(dated & {(f.patient_id, f.code, f.effective_date) for f in packets.batch.facts}) >= 46
    )


def test_template_dictionary_is_valid_and_reads_back(tmp_path):
    fields, mapping = redcap_template()
    text = write_dictionary(fields)
    header = next(csv.reader(io.StringIO(text)))
    assert tuple(header) == COLUMNS and len(header) == 18
    path = tmp_path / "dictionary.csv"
    path.write_text(text, encoding="utf-8")
    back = read_dictionary(path)
    assert [f.name for f in back] == [f.name for f in fields]
    forms = [f.form for f in back]
    assert [form for i, form in enumerate(forms) if i == 0 or forms[i - 1] != form] == list(FORMS)
    assert {"mrss_hands_left", "anti_pm_scl", "ck_max", "lesion_morphology"} <= {
        f.name for f in back
    }
    import yaml

    assert mapping_from_dict(yaml.safe_load(dump_mapping(mapping)), "m") == mapping


def _write_project(tmp_path, csv_text):
    fields, mapping = redcap_template()
    (tmp_path / "dictionary.csv").write_text(write_dictionary(fields), encoding="utf-8")
    (tmp_path / "data.csv").write_text(csv_text, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(dump_mapping(mapping), encoding="utf-8")
    return tmp_path / "data.csv", tmp_path / "dictionary.csv", tmp_path / "mapping.yaml"


def test_template_import_of_lesions_and_mrss(tmp_path):
    rows = (
        "record_id,redcap_repeat_instrument,redcap_repeat_instance,sex,birth_date,anti_pm_scl,mrss_hands_left,"
        "lesion_date,lesion_region,lesion_laterality,lesion_morphology,lesion_method,lesion_status\n"
        "P1,,,female,1961-02-03,1,2,,,,,,\n"
        "P1,calcinosis_lesions,1,,,,,2020-05-01,forearm,left,sheet_like,radiograph,1\n"
    )
    result = read_redcap(*_write_project(tmp_path, rows))
    assert result.batch.patients == [
        Patient(patient_id="P1", sex=Sex.FEMALE, birth_date=dt.date(1961, 2, 3))
    ]
    lesion = next(f for f in result.batch.facts if f.code == "HP:0003761")
    assert (
        lesion.body_site,
        lesion.laterality,
        lesion.morphology,
        lesion.method,
        lesion.effective_date,
    ) == (
        BodyRegion.FOREARM,
        Laterality.LEFT,
        Morphology.SHEET_LIKE,
        Method.RADIOGRAPH,
        dt.date(2020, 5, 1),
    )
    mrss = next(f for f in result.batch.facts if f.code == "mrss_site")
    assert (mrss.value_num, mrss.body_site, mrss.laterality) == (
        2.0,
        BodyRegion.HAND,
        Laterality.LEFT,
    )


def test_template_project_without_a_mapping_is_read_by_the_templates(tmp_path):
    # SYNTHETIC rows. Without --mapping the generated mapping read the template's sex as a
    # fact and "9, Unknown" and "0, Absent" as present facts of redcap.sclerodactyly (fixes22)
    rows = (
        "record_id,sex,birth_date,synthetic,sclerodactyly\n"
        "R1,female,1970-01-01,1,1\nR2,male,,1,9\nR3,female,,1,0\n"
    )
    data, dictionary, _ = _write_project(tmp_path, rows)
    result = read_redcap(data, dictionary)
    assert [(p.patient_id, p.sex) for p in result.batch.patients] == [
        ("R1", Sex.FEMALE),
        ("R2", Sex.MALE),
        ("R3", Sex.FEMALE),
    ]
    assert result.batch.patients[0].birth_date == dt.date(1970, 1, 1)
    statuses = {(f.patient_id, f.code): f.status for f in result.batch.facts}
    assert statuses == {
        ("R1", "HP:0011838"): Status.PRESENT,
        ("R2", "HP:0011838"): Status.UNKNOWN,
        ("R3", "HP:0011838"): Status.ABSENT,
    }


def test_template_project_with_its_own_fields_keeps_them(tmp_path):
    # SYNTHETIC rows. A project built from the template plus a field of its own, imported
    # without --mapping: the template reads its fields, the own field is not dropped (review 24)
    fields, _ = redcap_template()
    own = DictionaryField(
        name="my_lab", form=fields[1].form, field_type="text", label="My lab value"
    )
    (tmp_path / "dictionary.csv").write_text(write_dictionary([*fields, own]), encoding="utf-8")
    (tmp_path / "data.csv").write_text(
        "record_id,sex,sclerodactyly,my_lab\nR1,female,1,high\n", encoding="utf-8"
    )
    result = read_redcap(tmp_path / "data.csv", tmp_path / "dictionary.csv")
    assert [(p.patient_id, p.sex) for p in result.batch.patients] == [("R1", Sex.FEMALE)]
    codes = {f.code: f for f in result.batch.facts}
    assert codes["HP:0011838"].status is Status.PRESENT
    assert codes["redcap.my_lab"].value_text == "high"


def test_template_fields_hold_the_value_their_feature_reads():
    """Regression (default demo cohort, P0270): SSc coded MONDO then M34.82 three months later.

    A non-repeating field holds one value; it used to be the latest fact's, so the diagnosis
    date moved to the later code. Each field now holds what its feature reads.
    """
    fields, mapping = redcap_template()
    day = dt.date

    def fact(system, code, when, **extra):
        return Fact(patient_id="R1", system=system, code=code, effective_date=when, **extra)

    facts = [
        fact("MONDO", "MONDO:0005100", day(2010, 4, 21)),
        fact("ICD10CM", "M34.82", day(2010, 7, 20)),  # SSc with myopathy: also the overlap
        fact("LOINC", "2157-6", day(2020, 1, 1), value_num=900.0, unit="U/L"),
        fact("LOINC", "2157-6", day(2021, 1, 1), value_num=12345.67, unit="U/L"),
        fact("LOINC", "2157-6", day(2022, 1, 1), value_num=300.0, unit="U/L"),
        fact("HP", "HP:0030880", day(2015, 1, 1)),
        fact("HP", "HP:0030880", day(2019, 1, 1), status=Status.ABSENT),
        *(
            fact("calciscope", "mrss_site", day(2021, 6, 1), value_num=float(score), **site)
            for score in (3, 2)
            for site in [{"body_site": BodyRegion.HAND, "laterality": Laterality.LEFT}]
        ),
    ]
    text, skipped = write_records([Patient(patient_id="R1")], facts, fields, mapping)
    row = next(csv.DictReader(io.StringIO(text)))
    # a number field holds one value, without a date: what it cannot hold is counted
    assert skipped == Counter(
        {
            "not kept: ck_max holds one value per record": 2,
            "date not kept: ck_max holds its value without a date": 1,
            "not kept: mrss_hands_left holds one value per record": 1,
            "date not kept: mrss_hands_left holds its value without a date": 1,
        }
    )
    assert row["ssc_dx_date"] == "2010-04-21"  # first_date: the earliest
    assert row["ck_max"] == "12345.67"  # max_value: the highest, every digit
    assert row["raynaud_phenomenon"] == "1"  # status: present once is present
    assert row["mrss_hands_left"] == "3"  # latest_value: ties give the highest, as the engine
    assert row["overlap_dx"] == "1"


def test_site_fields_hold_what_their_feature_reads_and_birth_year_travels(tmp_path):
    """Regression (Hypothesis): skin absent without a site, thickening at the wrist, a birth year.

    An absent fact without a site says absent for every site (the engine reads it so); a fact at
    any of a feature's sites fills its field (back at the first site); the template had no birth
    year, so a patient known by year alone lost it (and every age).
    """
    fields, mapping = redcap_template()
    patient = Patient(patient_id="R1", birth_year=1950)
    facts = [
        Fact(patient_id="R1", system="HP", code="HP:0100324", status=Status.ABSENT),
        Fact(patient_id="R1", system="HP", code="HP:0001072", body_site=BodyRegion.WRIST),
    ]
    text, skipped = write_records([patient], facts, fields, mapping)
    assert not skipped
    row = next(csv.DictReader(io.StringIO(text)))
    site_fields = [
        f.redcap for f in CATALOGUE.features.values() if f.derive.concept == "skin_thickening"
    ]
    assert {name: row[name] for name in site_fields} == {
        name: "1" if name == "skin_hands" else "0" for name in site_fields
    }
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    back = read_records(tmp_path / "data.csv", fields, mapping)
    assert back.batch.patients == [patient]
    hands = [f for f in back.batch.facts if f.status is Status.PRESENT]
    assert [(f.code, f.body_site) for f in hands] == [("HP:0001072", BodyRegion.HAND)]


def test_only_confirmed_facts_are_written_and_the_rest_counted():
    """Regression (Hypothesis): suggested and rejected facts were exported, read back confirmed."""
    fields, mapping = redcap_template()
    facts = [
        Fact(patient_id="R1", system="HP", code="HP:0000939", review_state=state)
        for state in (ReviewState.SUGGESTED, ReviewState.REJECTED)
    ]
    text, skipped = write_records([Patient(patient_id="R1")], facts, fields, mapping)
    assert next(csv.DictReader(io.StringIO(text)))["osteoporosis"] == ""
    assert skipped == {"not confirmed (suggested or rejected)": 2}


def test_number_and_text_fields_hold_present_facts_only():
    """Regression (Hypothesis): an absent CK with a value filled ck_max and came back present."""
    fields, mapping = redcap_template()
    facts = [
        Fact(
            patient_id="R1",
            system="LOINC",
            code="2157-6",
            status=Status.ABSENT,
            value_num=50.0,
            unit="U/L",
        ),
        Fact(
            patient_id="R1",
            system="calciscope",
            code="ssc_subset",
            status=Status.UNKNOWN,
            value_text="dcssc",
        ),
    ]
    text, skipped = write_records([Patient(patient_id="R1")], facts, fields, mapping)
    row = next(csv.DictReader(io.StringIO(text)))
    assert (row["ck_max"], row["ssc_subset"]) == ("", "")
    assert skipped == {"no field of the mapping holds this fact": 2}


def test_every_bad_cell_is_reported_with_row_and_field(tmp_path):
    rows = (
        "record_id,anti_pm_scl,mrss_hands_left,sex,birth_date,not_a_field\n"
        "P1,7,two,female,1961-02-30,\n"
        "P 2,1,1,alien,,\n"
    )
    with pytest.raises(ValidationError) as info:
        read_redcap(*_write_project(tmp_path, rows))
    found = {(p.location, p.field) for p in info.value.problems}
    assert {
        ("row 1", "not_a_field"),
        ("row 2", "anti_pm_scl"),
        ("row 2", "mrss_hands_left"),
        ("row 2", "birth_date"),
        ("row 3", "record_id"),
        ("row 3", "sex"),
    } <= found


def test_bad_mapping_is_reported(tmp_path):
    with pytest.raises(ValidationError) as info:
        mapping_from_dict(
            {"record_id": "record_id", "fields": {"x": {"kind": "weird"}, "y": {"system": "XYZ"}}},
            "m",
        )
    assert {p.location for p in info.value.problems} == {"fields.x", "fields.y"}


_TEMPLATE_FACTS = st.lists(
    st.one_of(
        st.tuples(st.just(("HP", "HP:0033560", {})), st.sampled_from(list(Status)), st.none()),
        st.tuples(
            st.just(
                (
                    "calciscope",
                    "mrss_site",
                    {"body_site": BodyRegion.HAND, "laterality": Laterality.LEFT},
                )
            ),
            st.just(Status.PRESENT),
            st.integers(0, 3),
        ),
        st.tuples(
            st.just(("HP", "HP:0003761", "lesion")),
            st.sampled_from([Status.PRESENT, Status.ABSENT]),
            st.none(),
        ),
    ),
    max_size=6,
    unique_by=lambda t: t[0][1] if t[0][2] != "lesion" else id(t),
)


@given(_TEMPLATE_FACTS, st.sampled_from(list(BodyRegion)), st.sampled_from(list(Morphology)))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_template_export_import_round_trip(tmp_path, items, region, shape):
    fields, mapping = redcap_template()
    patient = Patient(patient_id="R1", sex=Sex.MALE, birth_date=dt.date(1950, 1, 1))
    facts = []
    for (system, code, extra), status, value in items:
        if extra == "lesion":
            extra = {
                "body_site": region,
                "morphology": shape,
                "effective_date": dt.date(2021, 1, 1),
            }
        facts.append(
            Fact(
                patient_id="R1",
                system=system,
                code=code,
                status=status,
                value_num=None if value is None else float(value),
                **extra,
            )
        )
    text, skipped = write_records([patient], facts, fields, mapping)
    assert not skipped
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    back = read_records(tmp_path / "data.csv", fields, mapping)

    def content(f):
        return (
            f.system,
            f.code,
            f.status,
            f.value_num,
            f.body_site,
            f.laterality,
            f.morphology,
            f.effective_date,
        )

    assert sorted(map(content, back.batch.facts), key=str) == sorted(map(content, facts), key=str)
    assert back.batch.patients == [patient]


@pytest.fixture(scope="module")
def trial(data_dir):
    project = data_dir("redcap", "REDCapR_test_projects", "projects", "repeating-instruments")
    dictionary = read_dictionary(project / "dictionary.csv")
    with (project / "data.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return dictionary, rows


@given(data=st.data())
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_fuzzed_real_export_raises_only_validation_error(tmp_path, trial, data):
    dictionary, rows = trial
    rows = copy.deepcopy(rows)
    for _ in range(data.draw(st.integers(1, 4))):
        r = data.draw(st.integers(0, len(rows) - 1))
        c = data.draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = data.draw(st.text(max_size=8))
    path = tmp_path / "fuzz.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    try:
        read_records(path, dictionary, generate_mapping(dictionary))
    except ValidationError as exc:
        assert exc.problems


class _FakeProject:
    """Stands in for PyCap's Project, serving a real REDCapR project's files."""

    def __init__(self, folder):
        self.folder, self.def_field, self.requests = folder, "record_id", []

    def export_metadata(self, format_type):
        return (self.folder / "dictionary.csv").read_text(encoding="utf-8")

    def export_records(self, format_type, fields=None, records=None):
        with (self.folder / "data.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        if format_type == "json":
            return [{"record_id": r["record_id"]} for r in rows]
        self.requests.append(records)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in rows if r["record_id"] in records)
        return out.getvalue()


def test_pull_in_chunks_then_import(data_dir, tmp_path):
    from calciscope.interop.redcap.live import pull_project

    folder = data_dir("redcap", "REDCapR_test_projects", "projects", "repeating-instruments")
    fake = _FakeProject(folder)
    records, dictionary = pull_project(
        "https://redcap.example/api/",
        "token",
        tmp_path,
        chunk_size=1,
        project_factory=lambda url, token: fake,
    )
    assert fake.requests == [["1"], ["2"]]
    pulled = read_redcap(records, dictionary)
    direct = read_redcap(folder / "data.csv", folder / "dictionary.csv")
    content = lambda f: (f.patient_id, f.code, f.value_num, f.value_text, f.effective_date)  # noqa: E731
    assert sorted(map(content, pulled.batch.facts), key=str) == sorted(
        map(content, direct.batch.facts), key=str
    )


def test_label_export_values_map_back_to_codes(tmp_path):
    rows = (
        "record_id,redcap_repeat_instrument,redcap_repeat_instance,sex,anti_pm_scl,ssc_subset,lesion_region,"
        "lesion_status\n"
        "P1,,,female,Present,dcssc,,\n"
        "P1,calcinosis_lesions,1,,,,upper arm,Absent\n"
    )
    result = read_redcap(*_write_project(tmp_path, rows))
    facts = {(f.code, f.status, f.value_text, f.body_site) for f in result.batch.facts}
    assert ("HP:0033560", Status.PRESENT, None, None) in facts
    assert ("ssc_subset", Status.PRESENT, "dcssc", None) in facts
    assert ("HP:0003761", Status.ABSENT, None, BodyRegion.UPPER_ARM) in facts


def test_a_both_sides_field_takes_left_with_right_and_counts_a_side_alone():
    """Regression (Hypothesis): one hand's skin thickening came back as "both hands" (present).

    ``skin_thickening_proximal_to_mcp`` means the fingers of both hands (van den Hoogen 2013):
    a left fact alone leaves the feature unknown, so it is not written and is counted.
    """
    fields, mapping = redcap_template()

    def side(laterality):
        return Fact(
            patient_id="R1",
            system="calciscope",
            code="skin_thickening_proximal_to_mcp",
            laterality=laterality,
        )

    text, skipped = write_records(
        [Patient(patient_id="R1")], [side(Laterality.LEFT)], fields, mapping
    )
    assert next(csv.DictReader(io.StringIO(text)))["skin_thickening_proximal_to_mcp"] == ""
    assert skipped == {
        "one side only: skin_thickening_proximal_to_mcp means both sides (left with right, "
        "or bilateral)": 1
    }
    both = [side(Laterality.LEFT), side(Laterality.RIGHT)]
    text, skipped = write_records([Patient(patient_id="R1")], both, fields, mapping)
    assert next(csv.DictReader(io.StringIO(text)))["skin_thickening_proximal_to_mcp"] == "1"
    assert not skipped


def _statements(facts):
    """What facts say: patient, concepts (or code), status, site, side."""
    out = set()
    for f in facts:
        concepts = CATALOGUE.concepts_for_code(f.system, f.code) or (f"{f.system}:{f.code}",)
        out.add((f.patient_id, tuple(sorted(concepts)), f.status, f.body_site, f.laterality))
    return out


def test_an_absence_without_a_site_comes_back_as_one_fact(tmp_path):
    """Regression (fixes15): it came back as an absence at each of the 12 skin site fields."""
    fields, mapping = redcap_template()
    patient = Patient(patient_id="R1")
    absent = Fact(patient_id="R1", system="HP", code="HP:0001072", status=Status.ABSENT)
    text, skipped = write_records([patient], [absent], fields, mapping)
    assert not skipped
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    batch = read_records(tmp_path / "data.csv", fields, mapping).batch
    back = [*batch.facts, *(one for one, _parts in batch.folded)]
    assert [(f.code, f.status, f.body_site) for f in back] == [("HP:0001072", Status.ABSENT, None)]
    assert [len(parts) for _one, parts in batch.folded] == [12]  # the facts it stands for
    assert "(absent at every site)" in (back[0].provenance or "")
    # a row that says absent at some sites only keeps each of them
    rows = list(csv.DictReader(io.StringIO(text)))
    rows[0]["skin_face"] = ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (tmp_path / "data.csv").write_text(out.getvalue(), encoding="utf-8")
    back = read_records(tmp_path / "data.csv", fields, mapping).batch.facts
    assert len(back) == 11 and all(f.body_site is not None for f in back)


def test_phenopackets_to_redcap_and_back_invents_no_fact(data_dir, tmp_path):
    """Real phenopackets (phenopacket-store; three exclude scleroderma, one records it) through
    the REDCap template and back: every statement read back was in the packets (fixes15)."""
    from calciscope import api

    folder = data_dir("phenopackets")
    files = [folder / "LMNA" / f"PMID_17250669_Patient_{x}.json" for x in ("A", "B", "C")] + [
        folder / "SMARCC2" / "PMID_30580808_Patient_6.json"
    ]
    source = api.open_registry(f"sqlite:///{tmp_path}/packets.db")
    api.import_phenopackets(source, files)
    api.export_redcap(source, tmp_path / "redcap")
    back = api.open_registry(f"sqlite:///{tmp_path}/back.db")
    out = tmp_path / "redcap"
    api.import_redcap(back, out / "data.csv", out / "dictionary.csv", out / "mapping.yaml")
    ids = [p.patient_id for p in read_phenopackets(files).batch.patients]
    before = _statements(f for pid in ids for f in source.facts_for(pid))
    after = _statements(f for pid in ids for f in back.facts_for(pid))
    assert after and after <= before
    excluded = [s for s in after if s[1] == ("skin_thickening",)]
    assert sorted(s[0] for s in excluded) == [f"PMID_17250669_Patient_{x}" for x in ("A", "B", "C")]


def test_a_reimport_beside_the_per_site_absences_adds_nothing(tmp_path):
    """fixes16 (review16 item 2): a registry that read the file before fixes15 holds one
    absence per site field; re-importing the file added the folded siteless absence beside
    them. The folded fact is left out when the registry holds every fact it stands for."""
    from calciscope import api
    from calciscope.storage import Batch

    fields, mapping = redcap_template()
    patient = Patient(patient_id="R1")
    absent = Fact(patient_id="R1", system="HP", code="HP:0001072", status=Status.ABSENT)
    text, _ = write_records([patient], [absent], fields, mapping)
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    read = read_records(tmp_path / "data.csv", fields, mapping).batch
    ((_one, parts),) = read.folded
    registry = api.open_registry(f"sqlite:///{tmp_path}/r.db")
    # as main read the file: one absence per site field
    registry.import_batch(
        Batch(patients=read.patients, facts=list(parts)), source="main", source_hash="m"
    )
    before = registry.counts()["facts"]
    assert before == 12
    files = tmp_path / "files"
    files.mkdir()
    (files / "data.csv").write_text(text, encoding="utf-8")
    (files / "dictionary.csv").write_text(write_dictionary(fields), encoding="utf-8")
    (files / "mapping.yaml").write_text(dump_mapping(mapping), encoding="utf-8")
    api.import_redcap(
        registry, files / "data.csv", files / "dictionary.csv", files / "mapping.yaml"
    )
    assert registry.counts()["facts"] == before
    fresh = api.open_registry(f"sqlite:///{tmp_path}/fresh.db")
    api.import_redcap(fresh, files / "data.csv", files / "dictionary.csv", files / "mapping.yaml")
    assert [f.body_site for f in fresh.facts_for("R1")] == [None]  # a new registry: one fact
