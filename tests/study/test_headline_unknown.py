"""The headline proportion says how many of its denominator have an unknown value.

The headline proportion is "of all" on purpose (the published series' 102/461), so a patient
whose subset is unknown counts as not dcSSc; the headline then says so ("subset unknown for
N") on the terminal, in the report and in ``results.json``. Hand-made SYNTHETIC patients of
tests/study/test_cohort.py, run through the study's one query (``StudyQuery.on_frames``).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import yaml

from calciscope.api import study_columns
from calciscope.api.study import StudyRun, headline_lines
from calciscope.engine.study import StudyQuery
from calciscope.report.bundle import write_report_bundle
from calciscope.study import StudyAnalysis, analyse, default_study, load_study, study_template

from .test_cohort import _row

#: the facts' columns the report reads (no fact: these patients have none)
_FACTS = ["patient_id", "concept", "status", "value", "effective_date", "source", "body_site"]


def _table(subsets: list[str | None], overlaps: list[bool | None] | None = None) -> pd.DataFrame:
    overlaps = overlaps or [False] * len(subsets)
    rows = [
        _row(f"P{i}", subset_recorded=s, ssc_myositis_overlap_either=o)
        for i, (s, o) in enumerate(zip(subsets, overlaps, strict=True))
    ]
    # one patient who died before the window (not in the source population) types death_date
    rows.append(_row("Z", death_date=dt.date(2015, 1, 1), death=True, last_visit_date=None))
    return pd.DataFrame(rows)


def _analyse(table: pd.DataFrame, study=None) -> StudyAnalysis:
    study = study or default_study()
    query = StudyQuery.on_frames(study, table)
    return analyse(query.population(), study, counts=query.counts())


@pytest.mark.parametrize(
    ("subsets", "line", "unknown"),
    [
        (
            [None] * 3,
            "dcSSc: 0/3 (0.0%; 95% CI 0.0–70.8%, Clopper–Pearson exact); subset unknown for 3",
            3,
        ),
        (
            [None, "undetermined", "dcssc", "lcssc"],
            "dcSSc: 1/4 (25.0%; 95% CI 0.6–80.6%, Clopper–Pearson exact); subset unknown for 2",
            2,
        ),
        (["dcssc", "lcssc"], "dcSSc: 1/2 (50.0%; 95% CI 1.3–98.7%, Clopper–Pearson exact)", 0),
    ],
)
def test_the_headline_says_how_many_subsets_are_unknown(tmp_path, subsets, line, unknown):
    a = _analyse(_table(subsets))
    bundle = write_report_bundle(
        a,
        facts=pd.DataFrame(columns=_FACTS),
        evidence={},
        manifest={},
        out_dir=tmp_path / "report",
    )
    assert headline_lines(StudyRun(a, bundle))[1] == line
    headline = json.loads(bundle.results_json.read_text(encoding="utf-8"))["headline"]
    assert headline["dcssc_unknown"] == unknown
    assert headline["dcssc_proportion"]["total"] == len(subsets)  # still of all
    page = bundle.index_html.read_text(encoding="utf-8")
    clause = f"subset unknown for {unknown}"
    assert (clause in page) is bool(unknown)  # the headline tile and the results paragraph
    assert page.count(clause) == (2 if unknown else 0)


def test_unknown_is_counted_in_every_column_of_the_condition(tmp_path):
    raw = yaml.safe_load(study_template())
    raw["proportions"].append(
        {
            "id": "dcssc_overlap",
            "label": "dcSSc with overlap",
            "when": {"subset": "dcssc", "overlap": True},
        }
    )
    raw["headline"]["proportion"] = "dcssc_overlap"
    path = tmp_path / "design.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    study = load_study(str(path), known_columns=study_columns())
    table = _table([None, "dcssc", "dcssc", "lcssc", None], [False, None, True, None, None])
    h = _analyse(table, study).headline
    # P1's overlap and P4's both unknown; overlap (known true) reads overlap_status. P0 (subset
    # unknown, no overlap) and P3 (lcSSc, overlap unknown) are ruled out by their known value:
    # false and unknown is false (hardening23; both were counted unknown before)
    assert h.proportion_text().endswith("; subset or overlap unknown for 2")
    assert h.to_dict()["dcssc_overlap_unknown"] == 2
    # the overlap proportion is of known status: none of its denominator is unknown
    assert _analyse(table).proportions["overlap"].total == 5 - 3


def test_table_3_says_every_proportions_unknown_count(tmp_path):
    """Not only the headline: each row of Table 3 and its results phrase (hardening23)."""
    raw = yaml.safe_load(study_template())
    raw["proportions"].append(
        {
            "id": "dcssc_overlap",
            "label": "dcSSc with overlap",
            "when": {"subset": "dcssc", "overlap": True},
            "results": "had dcSSc with overlap",
        }
    )
    path = tmp_path / "design.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    study = load_study(str(path), known_columns=study_columns())
    # P1: dcSSc, overlap unknown; P3: subset unknown, overlap unknown; P2 matches;
    # P0 (subset unknown, no overlap) is ruled out by its known overlap
    table = _table([None, "dcssc", "dcssc", None], [False, None, True, None])
    a = _analyse(table, study)
    assert a.proportions_unknown["dcssc_overlap"] == 2
    assert a.proportion_unknown_text("dcssc_overlap") == "subset or overlap unknown for 2"
    bundle = write_report_bundle(
        a, facts=pd.DataFrame(columns=_FACTS), evidence={}, manifest={}, out_dir=tmp_path / "r"
    )
    rows = json.loads(bundle.results_json.read_text(encoding="utf-8"))["proportions"]
    unknown = {r["measure"]: r["unknown"] for r in rows}
    assert unknown["dcSSc with overlap"] == 2
    assert unknown["dcSSc in the source population"] == 2  # the headline's, same count
    # the overlap proportion is of known status: none of its denominator is unknown
    assert unknown["SSc–myositis overlap in the source population (of known status)"] == 0
    page = bundle.index_html.read_text(encoding="utf-8")
    assert "Unknown (counted as not)" in page  # Table 3's column
    assert "had dcSSc with overlap (subset or overlap unknown for 2)" in page
