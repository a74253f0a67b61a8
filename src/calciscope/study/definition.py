"""The study definition: a validated YAML file naming population, phenotype, groups and outputs.

The models and their defaults (the packaged anchor study); reading a file and the checks
across its keys, every problem reported at once, are :mod:`calciscope.study.validation`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from calciscope.model import DAYS_PER_YEAR
from calciscope.stats import IntervalMethod

__all__ = [
    "DEFAULT_STUDY_FILE",
    "AtRiskSpec",
    "FlowSpec",
    "GroupSpec",
    "HeadlineSpec",
    "OutputFormat",
    "OutputSpec",
    "OverlapBasis",
    "PopulationSpec",
    "ProportionSpec",
    "ReviewSpec",
    "ReviewStates",
    "SeenBy",
    "SensitivitySpec",
    "SscBasis",
    "StandardExport",
    "StatisticsSpec",
    "StudyDefinition",
    "SubgroupSpec",
    "SubsetBasis",
    "TimeToEventSpec",
    "study_template",
    "subgroup_column",
]

#: The anchor study shipped in the package (also the ``study init`` template).
DEFAULT_STUDY_FILE = "default_study.yaml"


class SscBasis(StrEnum):
    """Who counts as having SSc."""

    CLINICIAN = "clinician"
    CRITERIA = "criteria"
    EITHER = "either"


class SubsetBasis(StrEnum):
    """Where the cutaneous subset comes from."""

    RECORDED = "recorded"
    PHENOTYPE = "phenotype"


class OverlapBasis(StrEnum):
    """Which SSc–myositis overlap defines the overlap group."""

    CRITERIA = "criteria"
    CLINICIAN = "clinician"
    EITHER = "either"


class SeenBy(StrEnum):
    """Which dated records make a patient "seen" in the window."""

    VISIT = "visit"
    ANY_RECORD = "any_record"

    @property
    def column(self) -> str:
        """The feature holding the last such date on or before the index date."""
        return "last_visit_date" if self is SeenBy.VISIT else "last_encounter_date"


class ReviewStates(StrEnum):
    """Which fact review states count."""

    CONFIRMED = "confirmed"
    CONFIRMED_AND_SUGGESTED = "confirmed_and_suggested"


class OutputFormat(StrEnum):
    """Files the report bundle holds."""

    HTML = "html"
    CSV = "csv"
    JSON = "json"
    SVG = "svg"
    PNG = "png"
    PDF = "pdf"


class StandardExport(StrEnum):
    """Standard formats the cases can also be exported in (the interop exporters)."""

    PHENOPACKETS = "phenopackets"
    FHIR = "fhir"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PopulationSpec(_Spec):
    """Source population: SSc by ``ssc_by``, seen within ``seen_within_years`` of ``index_date``."""

    ssc_by: SscBasis = SscBasis.CLINICIAN
    index_date: dt.date = dt.date(2023, 12, 31)
    seen_within_years: float = Field(default=3, gt=0, le=100)
    #: a clinic visit (``visit``) or any dated encounter-like record (``any_record``: visit,
    #: radiograph, laboratory test, mRSS exam, dated note or letter, dated image; feature
    #: ``last_encounter_date``)
    seen_by: SeenBy = SeenBy.VISIT


class SensitivitySpec(_Spec):
    """One sensitivity analysis: the main analysis with a few keys changed (issue 12).

    ``phenotype_parameters`` are merged over the study's; ``count_suggested`` counts cases
    found with suggested (unreviewed) facts too; ``seen_by`` / ``seen_within_years`` change
    who is in the source population.
    """

    label: str = Field(min_length=1, max_length=120)
    phenotype_parameters: dict[str, str | int] = Field(default_factory=dict)
    count_suggested: bool = False
    seen_by: SeenBy | None = None
    seen_within_years: float | None = Field(default=None, gt=0, le=100)


class GroupSpec(_Spec):
    """Comparison groups."""

    subset_by: SubsetBasis = SubsetBasis.RECORDED
    overlap_by: OverlapBasis = OverlapBasis.EITHER
    antibodies: tuple[str, ...] = ("anti_scl70", "anti_pm_scl")


class TimeToEventSpec(_Spec):
    """Origin, event, delayed entry, censoring and the times at which numbers at risk are shown.

    ``entry`` is the start of observation in the registry (left truncation; ``None``: observed
    from the origin); ``censor_at`` is the date a patient without the event is censored at.
    """

    origin: str = "ssc_onset_date"
    event: str = "calcinosis_first_date"
    entry: str | None = "first_visit_date"
    censor_at: str = "calcinosis_assessment_last_date"
    at_risk_times: tuple[float, ...] = (0, 5, 10, 15, 20)


class ReviewSpec(_Spec):
    """Which review states count."""

    states: ReviewStates = ReviewStates.CONFIRMED


class StatisticsSpec(_Spec):
    """Interval method, confidence level, and the smallest group that gets hypothesis tests."""

    interval: IntervalMethod = IntervalMethod.CLOPPER_PEARSON
    confidence_level: float = Field(default=0.95, gt=0.5, lt=1)
    min_group_for_tests: int = Field(default=10, ge=0)


class AtRiskSpec(_Spec):
    """The at-risk prompt: months without an assessment before a patient is listed."""

    assessment_months: int = Field(default=12, ge=1, le=240)


class OutputSpec(_Spec):
    """Formats and the pseudonymised export."""

    formats: tuple[OutputFormat, ...] = tuple(f for f in OutputFormat if f is not OutputFormat.PDF)
    pseudonymise: bool = False
    min_cell: int = Field(default=5, ge=1, le=100)
    k_anonymity: int = Field(default=5, ge=1, le=100)
    standard_exports: tuple[StandardExport, ...] = ()


#: A condition on the source population's rows: column -> the value (or one of the values) it
#: must have. Unknown (null) never matches.
Condition = dict[str, str | bool | int | float | list[str | int]]

#: Columns the study adds to the classified table; conditions may name them (engine/study.py).
STUDY_COLUMNS = ("ssc", "seen", "in_population", "subset", "overlap", "overlap_status", "case")

_ID = r"^[a-z][a-z0-9_]*$"


def subgroup_column(id: str) -> str:
    """Return the study's column of the subgroup ``id`` (in the source population and matching it)."""
    return f"subgroup_{id}"


@cache
def _packaged(key: str) -> Any:
    """Return a section of the packaged (anchor) study file: the design a study inherits."""
    return yaml.safe_load(study_template())[key]


class SubgroupSpec(_Spec):
    """A named group of the source population: the patients matching every ``when`` condition."""

    id: str = Field(pattern=_ID, max_length=60)
    label: str = Field(min_length=1, max_length=120)
    when: Condition = Field(min_length=1)
    #: drawn as a box of the flow, below the one above it (whose conditions it includes)
    box: bool = True


class FlowSpec(_Spec):
    """The flow below the source population: its subgroups (boxes and groups the cases are counted in)."""

    subgroups: tuple[SubgroupSpec, ...] = ()

    @property
    def boxes(self) -> tuple[SubgroupSpec, ...]:
        """The subgroups drawn in the flow, top to bottom."""
        return tuple(g for g in self.subgroups if g.box)

    def subgroup(self, id: str) -> SubgroupSpec:
        """Return the subgroup ``id``."""
        return next(g for g in self.subgroups if g.id == id)


class ProportionSpec(_Spec):
    """A proportion of Table 3: of the source population (or subgroup ``within``), ``when``.

    ``of_known`` keeps only patients with a known value of that column in the denominator;
    ``results`` is the phrase the results text says it with (absent: not in the text).
    """

    id: str = Field(pattern=_ID, max_length=60)
    label: str = Field(min_length=1, max_length=120)
    when: Condition = Field(min_length=1)
    within: str | None = None
    of_known: str | None = None
    results: str | None = None


class HeadlineSpec(_Spec):
    """What the headline shows: the first proportion, the case counts by subgroup and the focus.

    ``focus`` is the subgroup the case series is about ("4 of 4 cases had dcSSc with
    SSc–myositis overlap"); ``focus_headings`` head its columns of the sensitivity table.
    """

    proportion: str
    cases_in: tuple[str, ...] = ()
    focus: str
    focus_headings: dict[Literal["cases", "all"], str] = Field(default_factory=dict)

    def heading(self, which: Literal["cases", "all"], label: str) -> str:
        """Return the sensitivity table's heading ``cases`` or ``all`` of the focus (``label``)."""
        return self.focus_headings.get(
            which, f"{'All cases' if which == 'all' else 'Cases'}: {label}"
        )


class StudyDefinition(_Spec):
    """A whole study file."""

    title: str
    description: str = ""
    population: PopulationSpec = PopulationSpec()
    target_phenotype: str = "extensive_sheet_like_calcinosis"
    #: parameters of phenotypes.yaml for this study (sheet_like_morphology, region_unit,
    #: min_sheet_like_regions, onset_event); the packaged defaults where absent
    phenotype_parameters: dict[str, str | int] = Field(default_factory=dict)
    groups: GroupSpec = GroupSpec()
    time_to_event: TimeToEventSpec = TimeToEventSpec()
    review: ReviewSpec = ReviewSpec()
    statistics: StatisticsSpec = StatisticsSpec()
    at_risk: AtRiskSpec = AtRiskSpec()
    outputs: OutputSpec = OutputSpec()
    #: sensitivity analyses, shown side by side with the main analysis in the report
    sensitivity: tuple[SensitivitySpec, ...] = ()
    #: the design: flow subgroups, proportions and headline (the packaged study's when absent)
    flow: FlowSpec = Field(default_factory=lambda: FlowSpec.model_validate(_packaged("flow")))
    proportions: tuple[ProportionSpec, ...] = Field(
        default_factory=lambda: tuple(
            ProportionSpec.model_validate(p) for p in _packaged("proportions")
        )
    )
    headline: HeadlineSpec = Field(
        default_factory=lambda: HeadlineSpec.model_validate(_packaged("headline"))
    )

    @property
    def headline_label(self) -> str:
        """Name of the headline proportion: the label of its subgroup (same id), else its own."""
        k = self.headline.proportion
        named = {g.id: g.label for g in self.flow.subgroups}
        return named.get(k) or next(p.label for p in self.proportions if p.id == k)

    @property
    def focus_label(self) -> str:
        """The label of the headline's focus subgroup."""
        return self.flow.subgroup(self.headline.focus).label

    def variant(self, spec: SensitivitySpec) -> StudyDefinition:
        """Return the study as the sensitivity analysis ``spec`` changes it."""
        population = self.population.model_copy(
            update={
                k: v
                for k, v in (
                    ("seen_by", spec.seen_by),
                    ("seen_within_years", spec.seen_within_years),
                )
                if v is not None
            }
        )
        params = {**self.phenotype_parameters, **spec.phenotype_parameters}
        return self.model_copy(
            update={"population": population, "phenotype_parameters": params, "sensitivity": ()}
        )

    @property
    def window_start(self) -> dt.date:
        """First day of the 'seen within' window, which ends on the index date (both included).

        The window is exactly ``seen_within_years`` long: whole numbers count calendar years
        (3 years before 31 Dec 2023 is 1 Jan 2021 to 31 Dec 2023, 1,095 days), fractions count
        days (x 365.25, rounded). The day that is exactly N years before the index date belongs
        to the year before the window, so it is not in it.
        """
        years, end = self.population.seen_within_years, self.population.index_date
        if float(years).is_integer():
            day = 28 if (end.month, end.day) == (2, 29) else end.day
            return end.replace(year=end.year - int(years), day=day) + dt.timedelta(days=1)
        return end - dt.timedelta(days=round(years * DAYS_PER_YEAR) - 1)


def study_template() -> str:
    """Return the commented default study file (what ``calciscope study init`` prints)."""
    return resources.files("calciscope.study").joinpath(DEFAULT_STUDY_FILE).read_text("utf-8")
