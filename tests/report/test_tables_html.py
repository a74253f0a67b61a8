"""HTML tables: long tables are cut with a pointer to the full CSV; booleans read yes/no."""

from __future__ import annotations

import pandas as pd

from calciscope.report.bundle import HTML_ROWS, _table_html


def test_long_tables_point_to_the_csv():
    frame = pd.DataFrame({"patient_id": [f"P{i}" for i in range(HTML_ROWS + 5)], "flag": True})
    html = _table_html("at_risk_prompts", frame)
    assert html.count("<tr>") == HTML_ROWS  # body rows (the header row has a style)
    assert f"First {HTML_ROWS} of {HTML_ROWS + 5:,} rows" in html
    assert "tables/at_risk_prompts.csv" in html
    assert "<td>yes</td>" in html


def test_unknown_is_blank_not_none():
    html = _table_html("x", pd.DataFrame({"a": [None, 1.5], "b": [False, None]}))
    assert "None" not in html and "nan" not in html
    assert "<td>no</td>" in html
