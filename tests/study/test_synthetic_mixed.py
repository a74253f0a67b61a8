"""A registry mixing SYNTHETIC demo patients with its own says so in the headline and report.

The SYNTHETIC DATA banner is for a registry whose every patient is synthetic; when some, not
all, are (demo patients imported beside a registry's own), the headline says "includes N
SYNTHETIC patients" on the terminal, in the report's banner and in ``results.json``.
Hand-made SYNTHETIC and non-synthetic patients of tests/study/test_cohort.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from calciscope.api.study import StudyRun, headline_lines
from calciscope.report.bundle import write_report_bundle

from .test_headline_unknown import _FACTS, _analyse, _table


@pytest.mark.parametrize(
    ("synthetic", "count", "line"),
    [
        ([True, False, False], 1, "the registry includes 1 SYNTHETIC patient:"),
        ([True, True, True], 4, None),  # every patient: the SYNTHETIC DATA banner instead
        ([False, False, False], 0, None),
    ],
)
def test_some_synthetic_patients_are_named(tmp_path, synthetic, count, line):
    table = _table(["dcssc", "lcssc", "lcssc"])
    # the patient outside the source population (Z) is synthetic as the last of the others
    table["synthetic"] = [*synthetic, synthetic[-1]]
    a = _analyse(table)
    bundle = write_report_bundle(
        a, facts=pd.DataFrame(columns=_FACTS), evidence={}, manifest={}, out_dir=tmp_path / "r"
    )
    lines = headline_lines(StudyRun(a, bundle))
    assert lines[0].startswith(line) if line else lines[0].startswith("source population")
    headline = json.loads(bundle.results_json.read_text(encoding="utf-8"))["headline"]
    assert headline["synthetic_patients"] == count
    assert headline["synthetic"] is all(synthetic)
    page = bundle.index_html.read_text(encoding="utf-8")
    assert ("SYNTHETIC DATA MIXED IN" in page) is bool(line)
    assert ('id="synthetic-banner"' in page) is (count > 0)
