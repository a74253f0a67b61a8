"""The study file: the shipped default, the template, and errors naming file and field."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from calciscope.errors import ValidationError
from calciscope.stats import IntervalMethod
from calciscope.study import (
    OverlapBasis,
    ReviewStates,
    SscBasis,
    default_study,
    load_study,
    parse_study,
    study_template,
)


def test_default_study_reproduces_the_anchor_design():
    study = default_study()
    assert study.population.ssc_by is SscBasis.CLINICIAN
    assert study.population.index_date == dt.date(2023, 12, 31)
    assert study.window_start == dt.date(2021, 1, 1)
    assert study.target_phenotype == "extensive_sheet_like_calcinosis"
    assert study.groups.overlap_by is OverlapBasis.EITHER
    assert study.review.states is ReviewStates.CONFIRMED_AND_SUGGESTED
    assert study.statistics.interval is IntervalMethod.CLOPPER_PEARSON


def test_template_is_commented_and_parses_to_the_default(tmp_path):
    text = study_template()
    assert text.count("#") > 10
    path = tmp_path / "study.yaml"
    path.write_text(text)
    assert load_study(path) == default_study()


def test_every_problem_names_file_and_field(tmp_path):
    raw = yaml.safe_load(study_template())
    raw["population"]["ssc_by"] = "astrology"
    raw["population"]["seen_within_years"] = -1
    raw["statistics"]["interval"] = "wald"
    raw["colour"] = "blue"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValidationError) as err:
        load_study(path)
    text = str(err.value)
    assert str(path) in text
    for field in (
        "population.ssc_by",
        "population.seen_within_years",
        "statistics.interval",
        "colour",
    ):
        assert f"field '{field}'" in text, text
    assert len(err.value.problems) == 4


def test_unknown_columns_are_reported():
    raw = yaml.safe_load(study_template())
    raw["target_phenotype"] = "unicorn_calcinosis"
    raw["groups"]["antibodies"] = ["anti_scl70", "anti_zz"]
    with pytest.raises(ValidationError) as err:
        parse_study(
            raw,
            source="s.yaml",
            known_columns=frozenset(
                {
                    "anti_scl70",
                    "ssc_onset_date",
                    "calcinosis_first_date",
                    "first_visit_date",
                    "calcinosis_assessment_last_date",
                    "calcinosis_any",  # named by the template's proportions
                }
            ),
        )
    fields = {p.field for p in err.value.problems}
    assert fields == {"target_phenotype", "groups.antibodies"}


def test_unknown_entry_and_censoring_columns_are_reported():
    raw = yaml.safe_load(study_template())
    raw["time_to_event"]["entry"] = "registry_birthday"
    raw["time_to_event"]["censor_at"] = "never_date"
    known = frozenset({"anti_scl70", "anti_pm_scl", "ssc_onset_date", "calcinosis_first_date"})
    with pytest.raises(ValidationError) as err:
        parse_study(raw, source="s.yaml", known_columns=known | {"extensive_sheet_like_calcinosis"})
    fields = {p.field for p in err.value.problems}
    assert {"time_to_event.entry", "time_to_event.censor_at"} <= fields


def test_entry_null_means_observed_from_the_origin():
    raw = yaml.safe_load(study_template())
    raw["time_to_event"]["entry"] = None
    assert parse_study(raw, source="s.yaml").time_to_event.entry is None


def test_not_yaml_and_not_a_mapping(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("title: [unclosed")
    with pytest.raises(ValidationError, match="not YAML"):
        load_study(path)
    with pytest.raises(ValidationError, match="mapping"):
        parse_study(["a"], source="list.yaml")


def test_fractional_window_counts_days():
    raw = yaml.safe_load(study_template()) | {"title": "t"}
    raw["population"]["seen_within_years"] = 0.5
    assert parse_study(raw).window_start == dt.date(2023, 7, 2)  # 183 days, both ends in


@pytest.mark.parametrize("day", ["2023-13-45", "2023-02-30"])
def test_a_date_that_does_not_exist_names_its_line_and_field(tmp_path, day):
    """YAML reads these as dates and the date fails: an error, never a traceback."""
    path = tmp_path / "s.yaml"
    text = study_template().replace("index_date: 2023-12-31", f"index_date: {day}")
    assert day in text
    path.write_text(text)
    with pytest.raises(ValidationError) as info:
        load_study(path)
    (problem,) = info.value.problems
    assert problem.field == "index_date" and problem.location.startswith("line ")
    assert f"{day} is not a date" in problem.message
