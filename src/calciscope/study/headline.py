"""The headline numbers of a study: typed, with their ``results.json`` form and a notebook display."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any

from calciscope.stats import ProportionResult

__all__ = ["Headline", "unknown_text"]


def unknown_text(columns: tuple[str, ...], unknown: int) -> str:
    """Return "subset unknown for 19" (a proportion's ``when`` columns), or "" for none.

    The headline and every row of Table 3 say it the same way (hardening23).
    """
    if not unknown:
        return ""
    what = " or ".join(c.replace("_", " ") for c in columns)
    return f"{what} unknown for {unknown}"


#: A range over the cases (``{"min": .., "max": ..}``; None where no case has a value).
Range = dict[str, float | None]


@dataclass(frozen=True, eq=False)
class Headline:
    """The headline of a study: the source population, its first proportion and the cases.

    Which proportion comes first (``proportion_id``), the subgroups the cases are counted in
    (``cases_in``) and the focus subgroup come from the study file's ``headline`` section.
    :meth:`to_dict` is the ``headline`` of ``results.json``.
    """

    synthetic: bool
    #: the registry's SYNTHETIC patients: all when ``synthetic``; some when mixed with others
    synthetic_patients: int
    index_date: dt.date
    window_start: dt.date
    ssc_by: str
    source_population: int
    proportion_id: str
    proportion: ProportionResult
    #: of the proportion's denominator, the patients with an unknown value in a column its
    #: ``when`` names (``proportion_unknown_in``): counted "not matching", said apart
    proportion_unknown: int
    proportion_unknown_in: tuple[str, ...]
    target_phenotype: str
    #: cases from confirmed facts; found only with suggested facts; both
    cases: int
    cases_suggested_only: int
    cases_with_suggested: int
    #: the focus subgroup, and the cases (with suggested facts counted too) in it
    focus: str
    cases_with_suggested_in_focus: int
    #: the cases (confirmed facts) in each subgroup of ``headline.cases_in``
    cases_in: dict[str, int]
    overlap_by: str
    age_at_ssc_diagnosis: Range
    women: int
    men: int
    antibodies_positive: dict[str, int]
    calcinosis_onset_years: Range
    at_risk_prompts: int

    @property
    def cases_in_focus(self) -> int:
        """The cases (confirmed facts) in the focus subgroup."""
        return self.cases_in.get(self.focus, 0)

    @property
    def synthetic_mixed(self) -> str:
        """Return "includes N SYNTHETIC patients" when some, not all, patients are synthetic."""
        if self.synthetic or not self.synthetic_patients:
            return ""
        n = self.synthetic_patients
        return f"includes {n} SYNTHETIC patient{'s' * (n != 1)}"

    @property
    def proportion_unknown_text(self) -> str:
        """Return "subset unknown for 19" (its ``when`` columns), or "" when none is unknown."""
        return unknown_text(self.proportion_unknown_in, self.proportion_unknown)

    def proportion_text(self) -> str:
        """Return the proportion as text, then how many of its denominator are unknown.

        "0/19 (0.0%; 95% CI ...); subset unknown for 19": the denominator is all patients on
        purpose (the published series' 102/461), so an unknown value is said, not hidden in
        the complement. Nothing is added when no value is unknown.
        """
        unknown = self.proportion_unknown_text
        return f"{self.proportion.text()}; {unknown}" if unknown else self.proportion.text()

    def __eq__(self, other: object) -> bool:
        # by value as results.json holds it (the proportion's summary is a DataFrame)
        return isinstance(other, Headline) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """Return the headline as written to ``results.json`` (dates as ISO text)."""
        p, k = self.proportion, self.proportion_id
        return {
            "synthetic": self.synthetic,
            "synthetic_patients": self.synthetic_patients,
            "index_date": self.index_date.isoformat(),
            "window_start": self.window_start.isoformat(),
            "ssc_by": self.ssc_by,
            "source_population": self.source_population,
            k: p.count,
            f"{k}_proportion": p.to_dict()["rows"][0] | {"text": p.text()},
            f"{k}_unknown": self.proportion_unknown,
            "interval": p.note,
            "target_phenotype": self.target_phenotype,
            "cases": self.cases,
            "cases_suggested_only": self.cases_suggested_only,
            "cases_with_suggested": self.cases_with_suggested,
            f"cases_with_suggested_{self.focus}": self.cases_with_suggested_in_focus,
            **{f"cases_{g}": n for g, n in self.cases_in.items()},
            "overlap_by": self.overlap_by,
            "age_at_ssc_diagnosis": self.age_at_ssc_diagnosis,
            "women": self.women,
            "men": self.men,
            "antibodies_positive": self.antibodies_positive,
            "calcinosis_onset_years": self.calcinosis_onset_years,
            "at_risk_prompts": self.at_risk_prompts,
        }

    def _repr_html_(self) -> str:
        """Show the headline as a two-column table in a notebook."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k.replace('_', ' '))}</th>"
            f"<td>{html.escape(str(v['text'] if isinstance(v, dict) and 'text' in v else v))}</td></tr>"
            for k, v in self.to_dict().items()
        )
        mixed = f"<p><b>{html.escape(self.synthetic_mixed)}</b></p>" if self.synthetic_mixed else ""
        banner = "<p><b>SYNTHETIC DATA</b></p>" if self.synthetic else mixed
        return f"{banner}<table>{rows}</table>"
