"""The study's design is data: a study file with another design changes the outputs as declared.

The flow's boxes, the proportions and the headline come from the study file's ``flow``,
``proportions`` and ``headline`` (the Achieng et al. 2024 design is the packaged template); a
bad design is one error naming the file and every bad field. Hand-made SYNTHETIC patients of
tests/study/test_cohort.py, run through the study's one query (``StudyQuery.on_frames``).
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from calciscope.api import study_columns
from calciscope.cli.app import app
from calciscope.engine.study import StudyQuery
from calciscope.errors import ValidationError
from calciscope.report.tables import proportion_table
from calciscope.study import analyse, load_study, parse_study, study_template

from .test_cohort import table  # noqa: F401  (the hand-made patients A-F)


def _write(tmp_path, raw: dict) -> str:
    path = tmp_path / "design.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


def _another_design() -> dict:
    """The template with a fourth flow box, a new case subgroup, a changed proportion and headline."""
    raw = yaml.safe_load(study_template())
    raw["flow"]["subgroups"] += [
        {
            "id": "dcssc_overlap_scl70",
            "label": "… and anti-Scl70",
            "when": {"subset": "dcssc", "overlap": True, "anti_scl70": True},
        },
        {"id": "calcinosis", "label": "Calcinosis", "when": {"calcinosis_any": True}, "box": False},
    ]
    calcinosis = next(p for p in raw["proportions"] if p["id"] == "calcinosis_any")
    calcinosis |= {"label": "Calcinosis (any) among dcSSc", "within": "dcssc"}
    del calcinosis["of_known"]  # of every dcSSc patient, B's unknown calcinosis included
    raw["headline"] = {
        "proportion": "overlap",
        "cases_in": ["calcinosis", "dcssc_overlap_scl70"],
        "focus": "dcssc_overlap_scl70",
    }
    return raw


def test_another_design_changes_flow_proportions_and_headline(tmp_path, table):  # noqa: F811
    study = load_study(_write(tmp_path, _another_design()), known_columns=study_columns())
    query = StudyQuery.on_frames(study, table)
    a = analyse(query.population(), study, counts=query.counts())
    # population A, B, E, F: A and B dcSSc with overlap, only A anti-Scl70 positive and a case
    assert [(s.label, s.count) for s in a.attrition[3:]] == [
        ("dcSSc", 2),
        ("dcSSc with SSc–myositis overlap", 2),
        ("… and anti-Scl70", 1),
        ("Cases: extensive sheet like calcinosis", 1),
    ]
    assert a.attrition[-1].parent == 2  # the cases still come from the source population
    rows = proportion_table(a).set_index("measure")
    # calcinosis (A, F) now within dcSSc (A, B): 1 of 2, not 2 of 4
    assert rows.loc["Calcinosis (any) among dcSSc", ["count", "total"]].tolist() == [1, 2]
    h = a.headline.to_dict()
    assert (h["overlap"], h["overlap_proportion"]["total"]) == (2, 4)  # of known status
    assert "dcssc" not in h and "cases_dcssc_with_overlap" not in h
    assert (h["cases_calcinosis"], h["cases_dcssc_overlap_scl70"]) == (1, 1)
    assert h["cases_with_suggested_dcssc_overlap_scl70"] == 1
    assert a.headline.cases_in_focus == 1
    assert "<table>" in a.headline._repr_html_()


def test_the_default_design_is_the_packaged_file(tmp_path, table):  # noqa: F811
    raw = yaml.safe_load(study_template())
    for key in ("flow", "proportions", "headline"):
        del raw[key]
    inherited = load_study(_write(tmp_path, raw), known_columns=study_columns())
    packaged = yaml.safe_load(study_template())
    assert [g.id for g in inherited.flow.subgroups] == [
        g["id"] for g in packaged["flow"]["subgroups"]
    ]
    assert [p.id for p in inherited.proportions] == [p["id"] for p in packaged["proportions"]]
    query = StudyQuery.on_frames(inherited, table)
    h = analyse(query.population(), inherited, counts=query.counts()).headline.to_dict()
    assert (h["dcssc"], h["cases_dcssc_with_overlap"], h["cases_overlap"]) == (2, 1, 1)


def _bad_design() -> dict:
    raw = yaml.safe_load(study_template())
    subgroups = raw["flow"]["subgroups"]
    subgroups[1]["when"] = {"overlap": True}  # drawn below dcSSc but not within it
    subgroups[2]["id"] = "dcssc"  # the id is used twice
    subgroups[0]["when"] = {"unicorn": True}
    raw["proportions"][3]["within"] = "lcssc_with_overlap"
    raw["proportions"][2]["of_known"] = "no_such_column"
    raw["headline"] |= {"proportion": "limited", "focus": "everyone"}
    return raw


def test_a_bad_design_names_the_file_and_every_field(tmp_path):
    path = _write(tmp_path, _bad_design())
    with pytest.raises(ValidationError) as err:
        load_study(path, known_columns=study_columns())
    text = str(err.value)
    assert path in text
    for field in (
        "flow.subgroups.0.when",  # unknown column
        "flow.subgroups.1.when",  # not within the box above
        "flow.subgroups.2.id",
        "proportions.2.of_known",
        "proportions.3.within",
        "headline.proportion",
        "headline.focus",
    ):
        assert f"field '{field}'" in text, (field, text)


def test_a_bad_design_is_a_clear_cli_error(tmp_path):
    path = _write(tmp_path, _bad_design())
    result = CliRunner().invoke(
        app, ["study", "run", path, "--db", f"sqlite:///{tmp_path / 'r.db'}"]
    )
    assert result.exit_code == 1
    assert "headline.focus" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "section, value",
    [("proportions", [{"id": "x", "label": "X", "when": {}}]), ("headline", {"focus": "dcssc"})],
)
def test_incomplete_design_entries_are_named(tmp_path, section, value):
    raw = yaml.safe_load(study_template()) | {section: value}
    with pytest.raises(ValidationError) as err:
        load_study(_write(tmp_path, raw))
    assert f"field '{section}." in str(err.value)


def test_conditions_match_lists_and_never_unknown(table):  # noqa: F811
    raw = yaml.safe_load(study_template())
    study = parse_study(raw)
    subgroups = (
        *study.flow.subgroups,
        study.flow.subgroups[0].model_copy(
            update={"id": "known_subset", "when": {"subset": ["dcssc", "lcssc"]}, "box": False}
        ),
    )
    study = study.model_copy(
        update={"flow": study.flow.model_copy(update={"subgroups": subgroups})}
    )
    everyone = StudyQuery.on_frames(study, table).table.to_pandas().set_index("patient_id")
    # F's subset is unknown: in no list of subsets; C is not in the source population
    assert (
        everyone["subgroup_known_subset"].to_dict()
        == pd.Series(
            {"A": True, "B": True, "C": False, "D": False, "E": True, "F": False}
        ).to_dict()
    )
