"""Write the pseudonymised bundle of a report (see :mod:`calciscope.report.pseudonymise`).

The bundle is its own folder with its own ``index.html``, written beside the identifiable report
(``<out>-pseudonymised/``), never inside it, so that it can be shared on its own.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from calciscope.report.pseudonymise import (
    COMPLEMENTARY,
    Pseudonymiser,
    age_and_withholding_steps,
    k_anonymise,
    small_cell_mark,
    suppress_chain,
    suppress_small_cells,
)
from calciscope.report.tables import heading, yes_no_unknown
from calciscope.stats import VariableKind
from calciscope.study import StudyAnalysis
from calciscope.study.analysis import LABELS, TABLE_ONE_VARIABLES
from calciscope.study.headline import Headline

__all__ = ["count_matrix", "pseudonymised_dir", "write_pseudonymised_export"]

_README = """Pseudonymised bundle of a calciscope study report.

- patient ids are replaced by pseudonyms (HMAC-SHA256 under a key that was not stored);
- registry fact ids, note ids, provenance and calendar dates are removed;
- in aggregate tables, counts from 1 to {limit} are shown as "{small}"; a cell hidden only so
  that a row or column total cannot reveal a small one is shown as "{comp}" (it may hold any
  count); the attrition flow is a chain, so a step is also hidden ("{comp}") when it differs
  from the last shown step by 1 to {limit};
- the case table is k-anonymous: every combination of its quasi-identifiers (sex, age band,
  subset, overlap, antibodies, years to calcinosis, regions, death) is shared by at least {k}
  patients of the source population; age bands widen and columns are withheld until it is;
- {case_rows}
- no per-case evidence rows: linked to the case rows they would give back what those withhold
  (subset, antibodies), and a case's calcinosis sites single it out; they stay in the report.
"""

#: Case-table columns that an attacker holding the registry could match on, in the order they
#: are withheld after age (the least informative for a case series first).
_WITHHELD_ORDER = (
    "died",
    "sheet_like_regions",
    "calcinosis_years_after_ssc_onset",
    "overlap_by_criteria",
    "overlap_by_clinician",
)


def pseudonymised_dir(out_dir: Path) -> Path:
    """Return where the pseudonymised bundle of the report in ``out_dir`` is written."""
    return out_dir.parent / f"{out_dir.name}-pseudonymised"


def count_matrix(a: StudyAnalysis) -> pd.DataFrame:
    """Return Table 1 as integer counts (Cases, Rest, Overall) for the categorical variables."""
    pop = a.population
    blocks = []
    for var in TABLE_ONE_VARIABLES:
        if var.kind is VariableKind.CONTINUOUS:
            continue
        values = (
            pop[var.column].astype(object).where(pop[var.column].notna(), "missing").astype(str)
        )
        counts = pd.crosstab(values, pop["case"]).reindex(columns=[True, False], fill_value=0)
        counts.columns = ["Cases", "Rest"]
        counts["Overall"] = counts.sum(axis=1)
        counts.index = pd.MultiIndex.from_product(
            [[var.label], counts.index], names=["Variable", "Level"]
        )
        blocks.append(counts)
    return pd.concat(blocks)


def _suppressed_table_one(a: StudyAnalysis, min_cell: int) -> pd.DataFrame:
    counts = count_matrix(a)
    parts = [suppress_small_cells(counts.loc[[v]], min_cell) for v in counts.index.unique(0)]
    if not parts:  # an empty source population
        return pd.DataFrame(columns=["Variable", "Level", "Cases", "Rest", "Overall"])
    return pd.concat(parts).reset_index()


class _HeadlineSuppressor:
    """Hide small headline counts, every count describing a hidden case set, and nested counts."""

    #: Descriptions of individual cases, never in the pseudonymised headline.
    INDIVIDUAL = ("age_at_ssc_diagnosis", "calcinosis_onset_years")

    def __init__(self, min_cell: int, headline: Headline) -> None:
        self.min_cell = min_cell
        self.small = small_cell_mark(min_cell)
        #: headline keys that count (part of) the cases: hidden with the case count
        self.case_keys = (*(f"cases_{g}" for g in headline.cases_in), "women", "men")
        self.focus_key = f"cases_with_suggested_{headline.focus}"

    def count(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return value
        return self.small if 0 < value < self.min_cell else value

    def proportion(self, value: dict[str, Any]) -> Any:
        """Hide a proportion whose count, total or complement is small.

        A small count or total is marked ``<5``; a small complement (total - count, the
        patients without) makes it complementary-suppressed (``*``).
        """
        if any(self.count(value.get(k)) == self.small for k in ("count", "total")):
            return {"suppressed": self.small, "interval": value.get("interval")}
        count, total = value.get("count"), value.get("total")
        if isinstance(count, int) and isinstance(total, int) and 0 < total - count < self.min_cell:
            return {"suppressed": COMPLEMENTARY, "interval": value.get("interval")}
        return value

    def __call__(self, h: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in h.items():
            if key in self.INDIVIDUAL:
                continue
            out[key] = self.proportion(value) if isinstance(value, dict) else self.count(value)
        out["antibodies_positive"] = {
            k: self.count(v) for k, v in h.get("antibodies_positive", {}).items()
        }
        self._with_proportions(out)
        if out.get("cases") == self.small:
            for key in self.case_keys:
                if key in out and out[key] != self.small:
                    out[key] = COMPLEMENTARY
            out["antibodies_positive"] = {
                k: v if v == self.small else COMPLEMENTARY
                for k, v in out["antibodies_positive"].items()
            }
        elif (out.get("women") == self.small) != (out.get("men") == self.small):
            # women + men = cases: one hidden sex count is revealed by the other
            for key in ("women", "men"):
                out[key] = out[key] if out[key] == self.small else COMPLEMENTARY
        return self._with_suggested(out)

    def _with_proportions(self, out: dict[str, Any]) -> None:
        """Hide what a hidden proportion's own count and unknown count would reveal."""
        for key in [k for k in out if k.endswith("_proportion")]:
            # the headline proportion's count is also shown on its own ({id}: count), beside
            # the source population: a proportion hidden for its complement hides it too
            count_key = key.removesuffix("_proportion")
            hidden = isinstance(out[key], dict) and "suppressed" in out[key]
            if hidden and count_key in out and out[count_key] != self.small:
                out[count_key] = COMPLEMENTARY
            # its unknown count ({id}_unknown) with the total reveals the count when every
            # patient of known value matches: hidden with it (review 24)
            unknown_key = f"{count_key}_unknown"
            if hidden and unknown_key in out and out[unknown_key] != self.small:
                out[unknown_key] = COMPLEMENTARY

    def _with_suggested(self, out: dict[str, Any]) -> dict[str, Any]:
        # cases + cases_suggested_only = cases_with_suggested: one hidden count of the three is
        # revealed by the other two, so all three go; the overlap count among them goes with them
        chain = ("cases", "cases_suggested_only", "cases_with_suggested")
        if any(out.get(key) in (self.small, COMPLEMENTARY) for key in chain):
            for key in (*chain, self.focus_key):
                if key in out and out[key] != self.small:
                    out[key] = COMPLEMENTARY
        return out


def _quasi_identifiers(a: StudyAnalysis) -> pd.DataFrame:
    """Return the case table's quasi-identifiers for the whole source population, same coding."""
    pop = a.population
    yes_no = {True: "yes", False: "no"}
    frame = pd.DataFrame(
        {
            "sex": pop["sex"],
            "age_at_ssc_diagnosis": pop["age_at_ssc_diagnosis"],
            "subset": pop["subset"].map(lambda v: LABELS.get(v, v)),
            "overlap": pop["overlap_status"].map(yes_no_unknown),
            "calcinosis_years_after_ssc_onset": pop.get("calcinosis_onset_years"),
            "sheet_like_regions": pop.get("calcinosis_sheet_like_regions"),
            "died": pop["death"].map(yes_no),
            "overlap_by_criteria": pop["ssc_myositis_overlap_criteria"].map(yes_no_unknown),
            "overlap_by_clinician": pop["ssc_myositis_overlap_clinician"].map(yes_no_unknown),
        }
    )
    for ab in a.study.groups.antibodies:
        values = pop[ab].astype("boolean")
        frame[LABELS.get(ab, ab)] = values.map({True: "positive", False: "negative"})
    frame.index = pop["patient_id"]
    return frame


def _k_anonymous_cases(a: StudyAnalysis, cases: pd.DataFrame, k: int) -> pd.DataFrame:
    population = _quasi_identifiers(a)
    antibodies = [LABELS.get(ab, ab) for ab in a.study.groups.antibodies]
    columns = [c for c in population.columns if c in cases.columns]
    rows = cases.copy()
    rows[columns] = population.loc[rows["patient_id"], columns].to_numpy()
    steps = age_and_withholding_steps(
        "age_at_ssc_diagnosis",
        [
            *(c for c in _WITHHELD_ORDER if c in columns),
            *(c for c in antibodies if c in columns),
            "overlap",
            "subset",
            "sex",
        ],
    )
    steps = [s for s in steps if s.column in columns]
    return k_anonymise(rows, population.reset_index(drop=True), steps, k=k)


def _pseudonymised_tables(a: StudyAnalysis, tables: dict[str, pd.DataFrame]) -> dict:
    out = a.study.outputs
    pseudo = Pseudonymiser()
    attrition = tables["attrition"][["step", "n"]].copy()
    attrition["n"] = suppress_chain([int(n) for n in attrition["n"]], out.min_cell)
    result: dict[str, pd.DataFrame] = {
        "table1_counts": _suppressed_table_one(a, out.min_cell),
        "attrition": attrition,
    }
    cases = tables["cases"]
    if len(cases) >= max(out.min_cell, out.k_anonymity):
        # the site x morphology summary is not a banded quasi-identifier: left out of the rows
        cases = cases.drop(columns=["calcinosis_sites"], errors="ignore")
        result["cases"] = pseudo.frame(_k_anonymous_cases(a, cases, out.k_anonymity), ())
        # no per-case evidence rows: under the same pseudonyms they would give back what the
        # k-anonymous rows withhold (subset and antibody facts are evidence), and a case's
        # calcinosis sites and sides single it out to anyone holding the registry
    return result


def _case_rows_sentence(a: StudyAnalysis, written: bool) -> str:
    if written:
        return "case rows are pseudonymised; share them only where individual-level data may go."
    n = max(a.study.outputs.min_cell, a.study.outputs.k_anonymity)
    return (
        f"case rows are not included: there are fewer than {n} cases, so any row-level table "
        "would reveal the suppressed case count."
    )


def _index_html(headline: dict[str, Any], tables: dict[str, pd.DataFrame], readme: str) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>calciscope study: pseudonymised bundle</title></head><body>",
        "<h1>Pseudonymised study bundle</h1>",
    ]
    if headline.get("synthetic"):
        parts.append("<p><strong>SYNTHETIC DATA: no number describes real patients.</strong></p>")
    elif headline.get("synthetic_patients"):
        mixed = html.escape(str(headline["synthetic_patients"]))
        parts.append(f"<p><strong>SYNTHETIC DATA MIXED IN: {mixed} patients.</strong></p>")
    parts.append(f"<pre>{html.escape(readme)}</pre><h2>Headline</h2><pre>")
    parts.append(html.escape(json.dumps(headline, indent=1, default=str)) + "</pre>")
    for name, frame in tables.items():
        parts.append(f"<h2>{html.escape(name.replace('_', ' ').capitalize())}</h2>")
        parts.append(frame.rename(columns=heading).to_html(index=False, border=0, na_rep=""))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_pseudonymised_export(
    a: StudyAnalysis, tables: dict[str, pd.DataFrame], folder: Path
) -> Path:
    """Write ``folder``: suppressed aggregate tables, k-anonymous case rows, README, index.html."""
    folder.mkdir(parents=True, exist_ok=True)
    out = a.study.outputs
    result = _pseudonymised_tables(a, tables)
    for name, frame in result.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    headline = _HeadlineSuppressor(out.min_cell, a.headline)(a.headline.to_dict())
    (folder / "results.json").write_text(
        json.dumps({"headline": headline}, indent=1, default=str), encoding="utf-8"
    )
    readme = _README.format(
        limit=out.min_cell - 1,
        small=small_cell_mark(out.min_cell),
        comp=COMPLEMENTARY,
        k=out.k_anonymity,
        case_rows=_case_rows_sentence(a, "cases" in result),
    )
    (folder / "README.txt").write_text(readme, encoding="utf-8")
    (folder / "index.html").write_text(_index_html(headline, result, readme), encoding="utf-8")
    return folder
