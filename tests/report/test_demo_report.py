"""The report bundle of the default study on the demo cohort: the anchor numbers from its JSON.

Expected values: Achieng S, Harris J, Samaranayaka M, Herrick AL. Rheumatol Adv Pract
2024;8:rkae011 (461 SSc, 102 dcSSc, 4 cases, all dcSSc + SSc-myositis overlap, ages 27-65,
3 women, 2 anti-Scl70+, 2 anti-PM/Scl+, calcinosis 1-6 years after SSc onset), which the
synthetic demo cohort is calibrated to reproduce. Two of the four cases do not code their
calcinosis morphology (one states it only in notes, one shows it only on its radiographs, read by
the demo's measurement): before review the study finds 2 cases from confirmed facts and 2 with
suggested facts; once a reviewer confirms those facts, the headline is the paper's.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def results(demo_run):
    return json.loads(demo_run.bundle.results_json.read_text(encoding="utf-8"))


def test_json_states_the_anchor_numbers(results):
    h = results["headline"]
    assert h["synthetic"] is True
    assert h["source_population"] == 461
    assert h["dcssc"] == 102
    dc = h["dcssc_proportion"]
    assert round(100 * dc["proportion"], 1) == 22.1
    assert dc["interval"] == "95% Clopper–Pearson exact"
    assert (round(dc["lower"], 3), round(dc["upper"], 3)) == (0.184, 0.262)
    # 4 cases: 2 from confirmed facts, 2 awaiting review; all 4 dcSSc with overlap
    assert (h["cases"], h["cases_suggested_only"], h["cases_with_suggested"]) == (2, 2, 4)
    assert h["cases_with_suggested_dcssc_with_overlap"] == 4
    assert h["cases_dcssc_with_overlap"] == 2
    # the confirmed two (the anchors aged 27 and 52 at diagnosis)
    assert h["age_at_ssc_diagnosis"] == {"min": 27, "max": 52}
    assert (h["women"], h["men"]) == (2, 0)
    assert h["antibodies_positive"]["anti_scl70"] == 1
    assert h["antibodies_positive"]["anti_pm_scl"] == 1
    assert h["calcinosis_onset_years"] == {"min": 1.0, "max": 4.0}
    # plan.yaml's dc_overlap_at_risk: dcSSc + overlap, no calcinosis, not assessed in 12 months
    assert h["at_risk_prompts"] == 7


@pytest.fixture(scope="module")
def after_review(reviewed_demo_url, tmp_path_factory):
    """The default study after a reviewer confirms the calcinosis read from notes and films."""
    import shutil

    from calciscope import api
    from calciscope.study import default_study

    target = tmp_path_factory.mktemp("after-review") / "demo.db"
    shutil.copy(reviewed_demo_url.removeprefix("sqlite:///"), target)
    with api.open_registry(f"sqlite:///{target}") as registry:
        waiting = api.review_queue(registry, kinds=["suggested_case"])
        patients = sorted({i.patient_id for i in waiting})
        facts = [
            item.item_id
            for pid in patients
            for item in api.review_queue(registry, kinds=["suggested_fact"], patient=pid)
            if item.fact is not None and item.fact.code == "HP:0003761"  # calcinosis
        ]
        api.review_items(registry, facts, "confirm", reviewer="test", reason="read the reports")
        run = api.run_study(default_study(), registry, out=target.parent / "report")
    return patients, run.headline.to_dict()


def test_after_review_the_headline_is_the_papers(after_review):
    patients, h = after_review
    assert len(patients) == 2
    assert (h["cases"], h["cases_suggested_only"]) == (4, 0)
    assert h["cases_dcssc_with_overlap"] == 4
    assert h["age_at_ssc_diagnosis"] == {"min": 27, "max": 65}
    assert (h["women"], h["men"]) == (3, 1)
    assert h["antibodies_positive"]["anti_scl70"] == 2
    assert h["antibodies_positive"]["anti_pm_scl"] == 2
    assert h["calcinosis_onset_years"] == {"min": 1.0, "max": 6.0}


def test_both_intervals_are_named(results):
    dcssc = next(r for r in results["proportions"] if r["measure"].startswith("dcSSc"))
    assert dcssc["text"] == "102/461 (22.1%; 95% CI 18.4–26.2%, Clopper–Pearson exact)"
    assert dcssc["other_interval"] == "102/461 (22.1%; 95% CI 18.6–26.1%, Wilson score)"


def test_table_one_and_the_proportions_agree_on_calcinosis(demo_run, results):
    """Issue 12: 184 of the 461 have no calcinosis recorded either way; Table 1 and the
    proportions table both count calcinosis (any) of the 277 known, and say so."""
    table = pd.read_csv(demo_run.bundle.out_dir / "tables" / "table1.csv", dtype=str)
    rows = table.set_index(["Variable", "Level"])
    overall = next(c for c in rows.columns if c.startswith("Overall"))
    row = next(r for r in results["proportions"] if r["measure"].startswith("Calcinosis (any)"))
    missing = int(rows.loc[("Calcinosis (any)", "missing"), overall])
    assert missing > 0 and row["total"] == 461 - missing
    pct = 100 * row["count"] / row["total"]
    assert rows.loc[("Calcinosis (any)", "n (%)"), overall] == f"{row['count']} ({pct:.1f})"
    known = f"{row['total']}: the source population, of known calcinosis (any)"
    assert row["denominator"] == known
    dcssc = next(r for r in results["proportions"] if r["measure"].startswith("dcSSc"))
    assert dcssc["denominator"] == "461: the source population (all, unknown values included)"


def test_every_case_lists_its_evidence(results):
    # the confirmed cases, then those found only with facts suggested from their notes or films
    assert sorted(results["evidence"]) == ["Case 1", "Case 2", "Suggested 1", "Suggested 2"]
    for facts in results["evidence"].values():
        calcinosis = [f for f in facts if f["concept"] == "calcinosis" and f["status"] == "present"]
        assert calcinosis and all(f["fact_id"] and f["date"] and f["code"] for f in calcinosis)
        assert any(f["morphology"] in ("sheet_like", "reticular") for f in calcinosis)


def test_case_images_are_listed(results):
    images = results["images"]
    assert {i["case"] for i in images} == {"Case 1", "Case 2", "Suggested 1", "Suggested 2"}
    assert all(i["modality"] == "radiograph" and i["image_date"] for i in images)


def test_bundle_files(demo_run):
    out = demo_run.bundle.out_dir
    for name in ("attrition", "swimmer", "bodymap", "incidence"):
        assert (out / "figures" / f"{name}.svg").stat().st_size > 1000
        assert (out / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    for name in ("table1", "cases", "case_evidence", "attrition", "at_risk_prompts", "proportions"):
        assert (out / "tables" / f"{name}.csv").exists()
        assert isinstance(json.loads((out / "tables" / f"{name}.json").read_text()), list)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["criteria_sets"]["ssc2013"] and manifest["phenotypes_version"]
    assert manifest["input_hashes"] and manifest["calciscope_version"]


def test_pdf_twin(demo_run):
    pdf = demo_run.bundle.pdf
    assert pdf is not None and pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 20_000


def test_comparisons_include_chi_square(results):
    tests = {row["Variable"]: row for row in results["comparisons"]}
    assert tests["Anti-PM/Scl"]["Test"] == "Fisher exact test"
    # 2 confirmed cases: described with counts, never given a p value
    # (statistics.min_group_for_tests)
    assert tests["Anti-PM/Scl"]["P value"] is None
    assert tests["Anti-PM/Scl"]["Counts"].startswith("positive: cases 1/2")
    assert "not tested: 2 cases" in tests["Anti-PM/Scl"]["Note"]
    assert tests["Calcinosis (any) across cutaneous subsets"]["P value"] is not None
    assert tests["Calcinosis (any) across cutaneous subsets"]["Test"] == "Pearson chi-square test"
    assert tests["Age at SSc diagnosis"]["Test"] == "Mann–Whitney U test"
    assert tests["Age at SSc diagnosis"]["P value"] is None


def test_html_is_self_contained_and_says_synthetic(demo_run):
    html = demo_run.bundle.index_html.read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in html[:5000]  # prominent: at the top
    assert html.count("<svg") >= 4
    assert not re.search(r'src="(?!data:)', html)  # nothing loaded from outside
    for heading in ("Methods", "Results", "Table 1", "Prompts to look", "Manifest"):
        assert heading in html
    assert "not a diagnosis and not a prediction" in html
    assert "Clopper–Pearson exact" in html


def test_pseudonymised_export(demo_run):
    export = demo_run.bundle.export_dir
    # its own bundle beside the report, never a folder inside the identifiable one
    assert export.parent == demo_run.bundle.out_dir.parent
    assert export.name == "calciscope-report-pseudonymised"
    assert (export / "index.html").read_text().count("SYNTHETIC DATA") == 1
    headline = json.loads((export / "results.json").read_text())["headline"]
    assert headline["cases"] == "<5"
    assert headline["source_population"] == 461
    # every count describing the hidden cases is hidden with them (2 women would be "<5",
    # and 0 men would reveal the case count), and so are the cases awaiting review
    assert headline["cases_dcssc_with_overlap"] in ("<5", "*")
    assert headline["women"] == "<5" and headline["men"] == "*"
    for key in ("cases_suggested_only", "cases_with_suggested"):
        assert headline[key] in ("<5", "*")
    assert headline["cases_with_suggested_dcssc_with_overlap"] in ("<5", "*")
    assert set(headline["antibodies_positive"].values()) <= {"<5", "*"}
    # 4 cases < 5: no case rows at all, since their number would reveal the hidden count
    assert not (export / "cases.csv").exists()
    assert "fewer than 5 cases" in (export / "README.txt").read_text()
    attrition = (export / "attrition.csv").read_text()
    assert "<5" in attrition and ",4\n" not in attrition
    table = (export / "table1_counts.csv").read_text()
    assert "<5" in table


def test_k_anonymous_case_rows_resist_an_attack_with_the_registry(demo_run, tmp_path):
    # lower the thresholds to 3 so that the 4 demo cases are exported as rows
    from dataclasses import replace

    from calciscope.report import case_names
    from calciscope.report.export import _quasi_identifiers, write_pseudonymised_export
    from calciscope.report.pseudonymise import WITHHELD
    from calciscope.report.tables import attrition_table, case_table, evidence_table

    a = demo_run.analysis
    outputs = a.study.outputs.model_copy(update={"min_cell": 3, "k_anonymity": 3})
    a = replace(a, study=a.study.model_copy(update={"outputs": outputs}))
    names = case_names(a)
    tables = {
        "attrition": attrition_table(a),
        "cases": case_table(a, names),
        "case_evidence": evidence_table({}, names),
    }
    evidence = pd.read_csv(demo_run.bundle.out_dir / "tables" / "case_evidence.csv", dtype=str)
    assert len(evidence) and {"concept", "body_site"} <= set(evidence.columns)
    tables["case_evidence"] = evidence
    folder = write_pseudonymised_export(a, tables, tmp_path / "bundle")
    # the evidence rows would give back the withheld columns under the same pseudonyms
    assert not (folder / "case_evidence.csv").exists()
    assert "no per-case evidence rows" in (folder / "README.txt").read_text()
    exported = pd.read_csv(folder / "cases.csv", dtype=str, keep_default_na=False)
    assert len(exported) == len(tables["cases"]) >= 3
    registry = _quasi_identifiers(a).astype(object)
    registry = registry.where(registry.notna(), "unknown").astype(str)

    def fits(value: str, raw: str) -> bool:
        if value == WITHHELD:
            return True
        if "–" in value and raw.replace(".", "").isdigit():
            low, high = (float(v) for v in value.split("–"))
            return low <= float(raw) <= high + 0.999
        return value == raw or (value.replace(".0", "") == raw.replace(".0", ""))

    for _, row in exported.iterrows():
        matches = registry.apply(
            lambda p, row=row: all(fits(str(row[c]), p[c]) for c in registry.columns), axis=1
        )
        assert matches.sum() >= 3, row.to_dict()
    assert not exported["patient_id"].str.startswith("P0").any()


def test_case_table_shows_site_by_morphology_with_human_headings(demo_run):
    """Issue 12: the per-case table shows body site × morphology; a death nobody recorded is
    unknown, not "no"; the report's tables have human headings, never snake_case (the CSV
    keeps the column names)."""
    out = demo_run.bundle.out_dir
    cases = pd.read_csv(out / "tables" / "cases.csv", dtype=str, keep_default_na=False)
    assert len(cases) == 4 and set(cases["died"]) <= {"yes", "no", "unknown"}
    for sites in cases["calcinosis_sites"]:
        assert "sheet-like" in sites and ": " in sites, sites
    html = demo_run.bundle.index_html.read_text(encoding="utf-8")

    def headings(page: str) -> list[str]:  # column headings (the manifest's rows keep its keys)
        heads = re.findall(r"<thead>(.*?)</thead>", page, flags=re.S)
        return [h.strip() for head in heads for h in re.findall(r"<th[^>]*>([^<]*)</th>", head)]

    shown = headings(html)
    assert "Calcinosis: body site × morphology" in shown
    assert shown and not [h for h in shown if "_" in h], sorted(set(shown))
    pseudonymised = (demo_run.bundle.export_dir / "index.html").read_text(encoding="utf-8")
    assert not [h for h in headings(pseudonymised) if "_" in h]
