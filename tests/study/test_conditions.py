"""A study file's ``when:`` conditions are checked when the file is loaded (issue 12).

Hand-typed study files: a value of the wrong kind (text where the column is true/false or a
number), an unknown column, an operator (conditions have none), an unknown value of the
subset, null: one error naming the file, the key path and the value, never a failure deep in
the engine. A well-typed file still runs (hand-made SYNTHETIC patients of test_cohort.py).
"""

from __future__ import annotations

import textwrap

import pytest
from typer.testing import CliRunner

from calciscope.api import study_columns
from calciscope.cli.app import app
from calciscope.engine.study import StudyQuery
from calciscope.errors import ValidationError
from calciscope.study import analyse, load_study

from .test_cohort import table  # noqa: F401  (the hand-made patients A-F)

HEADLINE = """
headline:
  proportion: dcssc
  focus: dcssc
"""


def _file(tmp_path, body: str) -> str:
    path = tmp_path / "hand-typed.yaml"
    path.write_text(textwrap.dedent(body) + HEADLINE, encoding="utf-8")
    return str(path)


def _problems(path: str) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        load_study(path, known_columns=study_columns())
    assert all(p.source == path for p in err.value.problems), err.value
    return {p.field: p.message for p in err.value.problems}


BAD = """
title: Hand-typed, with mistakes
flow:
  subgroups:
    - id: dcssc
      label: dcSSc
      when: {subset: dcssc}
    - id: calcinosis
      label: Calcinosis
      box: false
      when:
        calcinosis_any: "yes"
        calcinosis_extent_regions: two
proportions:
  - id: dcssc
    label: dcSSc
    when: {subset: diffuse}
  - id: extent
    label: Many regions
    when: {calcinosis_extent_regions: {gt: 2}}
  - id: nobody
    label: Unknown column and unknown status
    when: {calcinosis_anywhere: true, overlap_status: unknown, anti_scl70: [true, "no"]}
  - id: nothing
    label: Empty list
    when: {subset: []}
"""


def test_every_wrong_value_is_named_with_its_key_path_and_value(tmp_path):
    path = _file(tmp_path, BAD)
    problems = _problems(path)
    expected = {
        "flow.subgroups.1.when.calcinosis_any": "'yes' is not true or false",
        "flow.subgroups.1.when.calcinosis_extent_regions": "'two' is not a number",
        "proportions.0.when.subset": "'diffuse' is not a value of subset; one of dcssc, lcssc",
        "proportions.1.when.calcinosis_extent_regions": "{'gt': 2}: a condition has no operators (gt)",
        "proportions.2.when": "unknown feature or phenotype 'calcinosis_anywhere'",
        "proportions.2.when.overlap_status": "'unknown' never matches",
        "proportions.2.when.anti_scl70": "'no' is not true or false",
        "proportions.3.when.subset": "[] matches nothing",
    }  # fmt: skip
    for field, words in expected.items():
        assert field in problems and words in problems[field], (field, problems)
    # said once, with its value, not as the five members of the Condition union it failed
    assert not [f for f in problems if f.endswith((".str", ".bool", ".int", ".float"))]
    assert set(problems) == set(expected)


def test_a_wrongly_typed_date_or_origin_is_named(tmp_path):
    path = _file(
        tmp_path,
        """
        title: Hand-typed dates
        time_to_event:
          origin: calcinosis_any
          event: calcinosis_first_date
        groups:
          antibodies: [anti_scl70, age_at_ssc_diagnosis]
        flow:
          subgroups:
            - id: dcssc
              label: dcSSc
              when: {subset: dcssc, last_visit_date: "last year"}
        proportions:
          - id: dcssc
            label: dcSSc
            when: {subset: dcssc, age_at_ssc_diagnosis: 45.5, calcinosis_extent_regions: 2.5}
        """,
    )
    problems = _problems(path)
    assert "'calcinosis_any' is a boolean column" in problems["time_to_event.origin"]
    assert "'age_at_ssc_diagnosis' is a number column" in problems["groups.antibodies"]
    assert "'last year' is not a date" in problems["flow.subgroups.0.when.last_visit_date"]
    assert "2.5 is not a whole number" in problems["proportions.0.when.calcinosis_extent_regions"]
    assert "proportions.0.when.age_at_ssc_diagnosis" not in problems  # a number: fine


def test_a_bad_phenotype_parameter_type_is_named(tmp_path):
    path = _file(
        tmp_path,
        """
        title: Hand-typed parameter
        phenotype_parameters: {min_sheet_like_regions: two}
        flow:
          subgroups:
            - {id: dcssc, label: dcSSc, when: {subset: dcssc}}
        proportions:
          - {id: dcssc, label: dcSSc, when: {subset: dcssc}}
        """,
    )
    assert "min_sheet_like_regions='two': a whole number" in _problems(path)["phenotype_parameters"]


def test_the_cli_says_file_key_path_and_value_without_a_traceback(tmp_path):
    path = _file(tmp_path, BAD)
    result = CliRunner().invoke(app, ["study", "run", path, "--db", f"sqlite:///{tmp_path}/r.db"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    flat = " ".join(result.output.split())
    assert "hand-typed.yaml" in flat and "flow.subgroups.1.when.calcinosis_any" in flat
    assert "'yes' is not true or false" in flat


def test_well_typed_conditions_load_and_run(tmp_path, table):  # noqa: F811
    path = _file(
        tmp_path,
        """
        title: Hand-typed, well typed
        flow:
          subgroups:
            - id: dcssc
              label: dcSSc
              when: {subset: [dcssc]}
            - id: dcssc_scl70
              label: dcSSc, anti-Scl70
              when: {subset: [dcssc], anti_scl70: true}
        proportions:
          - id: dcssc
            label: dcSSc
            when: {subset: dcssc}
          - id: young
            label: Diagnosed at 27
            when: {age_at_ssc_diagnosis: [27, 27.0]}
          - id: women
            label: Women
            when: {sex: female}
        """,
    )
    study = load_study(path, known_columns=study_columns())
    query = StudyQuery.on_frames(study, table)
    a = analyse(query.population(), study, counts=query.counts())
    assert [(s.label, s.count) for s in a.attrition[3:5]] == [
        ("dcSSc", 2),
        ("dcSSc, anti-Scl70", 1),
    ]
    # the patient's sex is a column a condition may name: A, E, F of A, B, E, F are women
    women = a.proportions["women"]
    assert (women.count, women.total) == (3, 4)


WRONG_KINDS = """
title: Hand-typed, values of the wrong kind
flow:
  subgroups:
    - id: dcssc
      label: dcSSc
      when: {subset: true, sex: 3}
proportions:
  - id: dcssc
    label: dcSSc
    when: {subset: dcssc, sex: female, case: "yes"}
  - id: overlap
    label: Overlap
    when: {overlap: true, subset: 2, age_at_ssc_diagnosis: "forty"}
"""


def test_a_value_of_the_wrong_kind_for_its_column_is_refused_at_load(tmp_path):
    """Issue 12: a boolean against the text subset, a number against the text sex, text against
    a boolean or a number column: refused when the file loads, naming file, key path and value
    as the file spells it (true, not Python's True) and what the column takes."""
    path = _file(tmp_path, WRONG_KINDS)
    problems = _problems(path)
    assert problems == {
        "flow.subgroups.0.when.subset":
            "true is not text; subset is text, one of dcssc, lcssc, sine, unknown",
        "flow.subgroups.0.when.sex": "3 is not text; sex is text, one of female, male, other, unknown",
        "proportions.0.when.case": "'yes' is not true or false; case is true, false or unknown "
            "(write true or false without quotes)",
        "proportions.1.when.subset": "2 is not text; subset is text, one of dcssc, lcssc, sine, unknown",
        "proportions.1.when.age_at_ssc_diagnosis":
            "'forty' is not a number; age_at_ssc_diagnosis is a number",
    }  # fmt: skip
    result = CliRunner().invoke(app, ["study", "run", path, "--db", f"sqlite:///{tmp_path}/r.db"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    flat = " ".join(result.output.split())
    assert "hand-typed.yaml" in flat and "field 'flow.subgroups.0.when.sex': 3 is not text" in flat
    assert "nothing was written" in flat


@pytest.mark.parametrize("value", ["[a, b]", "{a: 1}", "5"])
def test_a_target_phenotype_that_is_no_name_is_named_not_a_traceback(tmp_path, value):
    """fixes19: a list there was a TypeError (unhashable) in the column check (SYNTHETIC)."""
    path = _file(tmp_path, f"title: typed by hand\ntarget_phenotype: {value}\n")
    assert _problems(path) == {"target_phenotype": "Input should be a valid string"}
