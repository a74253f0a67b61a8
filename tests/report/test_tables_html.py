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


def test_unknown_of_a_nullable_column_is_blank_not_na():
    """The Table 1 listing reads overlap_status as a nullable boolean: unknown is blank."""
    frame = pd.DataFrame({"overlap_status": pd.array([True, None, False], dtype="boolean")})
    html = _table_html("listing", frame)
    assert "NA" not in html and html.count("<td></td>") == 1
    assert "<th>Overlap status</th>" in html


def test_sites_by_morphology_lists_each_site_once_with_its_morphologies():
    from calciscope.report.tables import heading, sites_by_morphology

    def fact(site, side, morphology, concept="calcinosis", status="present"):
        return {"concept": concept, "status": status, "body_site": site,
                "laterality": side, "morphology": morphology}  # fmt: skip

    facts = [
        fact("forearm", "left", "sheet_like"),
        fact("thigh", None, "nodular"),
        fact("forearm", "left", "mixed"),
        fact("thigh", None, "sheet_like"),
        fact(None, None, None),
        fact("upper_arm", "right", "sheet_like", status="absent"),  # not a lesion
        fact("hand", None, None, concept="radiograph"),  # not calcinosis
    ]
    assert sites_by_morphology(facts) == (
        "forearm (left): mixed, sheet-like; thigh: nodular, sheet-like; "
        "site not recorded: morphology not recorded"
    )
    assert sites_by_morphology([]) == ""
    assert heading("age_at_ssc_diagnosis") == "Age at SSc diagnosis, years"
    assert heading("anti_pm_scl") == "Anti-PM/Scl"
    assert heading("some_new_column") == "Some new column" and heading("n") == "n"
