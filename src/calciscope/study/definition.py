"""The study definition: a validated YAML file naming population, phenotype, groups and outputs.

Every problem in a file is reported at once, naming the file and the field.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from calciscope.errors import Problem, ValidationError
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
    "default_study",
    "load_study",
    "parse_study",
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


def parse_study(
    raw: Any, *, source: str = "<study>", known_columns: frozenset[str] | None = None
) -> StudyDefinition:
    """Validate a parsed study mapping; raise one :class:`ValidationError` listing every problem.

    Parameters
    ----------
    raw
        The parsed YAML.
    source
        Name of the file, used in every problem.
    known_columns
        Feature/phenotype columns the target, origin, event and antibodies may name.
    """
    if not isinstance(raw, dict):
        raise ValidationError([Problem(source, "top level", "-", "a study file is a mapping")])
    problems = _column_problems(raw, source, known_columns) if known_columns is not None else []
    types = column_types(known_columns) if known_columns is not None else {}
    checked = _condition_problems(raw, source, types) + _typed_column_problems(raw, source, types)
    said = {p.field for p in checked}
    problems += checked
    study = None
    try:
        study = StudyDefinition.model_validate(raw)
    except PydanticError as exc:
        fields = [".".join(str(p) for p in e["loc"]) or "-" for e in exc.errors()]
        problems = [
            Problem(source, "study", field, e["msg"])
            for field, e in zip(fields, exc.errors(), strict=True)
            # a condition value already named, with its value, is not said again as the
            # five members of the Condition union it failed
            if not any(field == f or field.startswith(f + ".") for f in said)
        ] + problems
    if study is not None:
        problems += _parameter_problems(study.phenotype_parameters, source, "phenotype_parameters")
        labels = [v.label for v in study.sensitivity]
        for i, v in enumerate(study.sensitivity):
            merged = {**study.phenotype_parameters, **v.phenotype_parameters}
            where = f"sensitivity.{i}.phenotype_parameters"
            problems += _parameter_problems(merged, source, where)
            if labels.count(v.label) > 1:
                problems.append(
                    Problem(source, "study", f"sensitivity.{i}.label", "labels must differ")
                )
        problems += [
            Problem(source, "study", where, text) for where, text in _design_problems(study)
        ]
    if problems or study is None:
        raise ValidationError(problems, summary=f"invalid study file {source}")
    return study


#: Phenotype parameters a study sets from its other keys (groups, at_risk), not directly.
_STUDY_SET_PARAMETERS = frozenset({"overlap_definition", "assessment_months", "antibodies"})


def _parameter_problems(params: dict[str, Any], source: str, where: str) -> list[Problem]:
    """Check phenotype parameters against phenotypes.yaml (names and listed choices)."""
    from calciscope.errors import CatalogueError
    from calciscope.phenotype import load_phenotypes

    owned = sorted(_STUDY_SET_PARAMETERS & set(params))
    if owned:
        return [Problem(source, "study", where, f"set {owned} through groups / at_risk")]
    try:
        load_phenotypes(**params)
    except CatalogueError as exc:
        return [Problem(source, "study", where, str(exc))]
    return []


def _design_problems(study: StudyDefinition) -> list[tuple[str, str]]:
    """Check that the design's ids are unique and that it names only subgroups and proportions it has."""
    groups = [g.id for g in study.flow.subgroups]
    props = [p.id for p in study.proportions]
    out = [
        (f"{where}.{i}.id", f"{name!r} is used twice")
        for where, ids in (("flow.subgroups", groups), ("proportions", props))
        for i, name in enumerate(ids)
        if ids.index(name) != i
    ]
    boxes = study.flow.boxes
    out += [
        (
            f"flow.subgroups.{groups.index(b.id)}.when",
            f"must include the conditions of {a.id!r}, the box above",
        )
        for a, b in pairwise(boxes)
        if not a.when.items() <= b.when.items()
    ]
    h = study.headline
    named = [(f"proportions.{i}.within", p.within) for i, p in enumerate(study.proportions)]
    named += [
        ("headline.focus", h.focus),
        *((f"headline.cases_in.{i}", g) for i, g in enumerate(h.cases_in)),
    ]
    out += [
        (where, f"no subgroup {name!r} in flow.subgroups")
        for where, name in named
        if name is not None and name not in groups
    ]
    if h.proportion not in props:
        out.append(("headline.proportion", f"no proportion {h.proportion!r} in proportions"))
    return out


def _named(raw: dict[str, Any]) -> dict[str, list[Any]]:
    """Return the column names a raw study names, by field (defaults where absent)."""
    tte_raw, groups_raw = raw.get("time_to_event"), raw.get("groups")
    tte: dict[str, Any] = tte_raw if isinstance(tte_raw, dict) else {}
    groups: dict[str, Any] = groups_raw if isinstance(groups_raw, dict) else {}
    antibodies = groups.get("antibodies", GroupSpec().antibodies)
    return {
        "target_phenotype": [raw.get("target_phenotype", "extensive_sheet_like_calcinosis")],
        "time_to_event.origin": [tte.get("origin", TimeToEventSpec().origin)],
        "time_to_event.event": [tte.get("event", TimeToEventSpec().event)],
        "time_to_event.entry": [
            name for name in [tte.get("entry", TimeToEventSpec().entry)] if name is not None
        ],
        "time_to_event.censor_at": [tte.get("censor_at", TimeToEventSpec().censor_at)],
        "groups.antibodies": list(antibodies) if isinstance(antibodies, list | tuple) else [],
        **_condition_columns(raw),
    }


def _condition_columns(raw: dict[str, Any]) -> dict[str, list[Any]]:
    """Return the columns the design's conditions name, by field (``flow.subgroups.0.when``)."""
    flow = raw.get("flow")
    sections = {
        "flow.subgroups": flow.get("subgroups") if isinstance(flow, dict) else None,
        "proportions": raw.get("proportions"),
    }
    out: dict[str, list[Any]] = {}
    for where, entries in sections.items():
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            when = entry.get("when") if isinstance(entry, dict) else None
            out[f"{where}.{i}.when"] = list(when) if isinstance(when, dict) else []
            if isinstance(entry, dict) and entry.get("of_known") is not None:
                out[f"{where}.{i}.of_known"] = [entry["of_known"]]
    return out


def _column_problems(raw: dict[str, Any], source: str, known: frozenset[str]) -> list[Problem]:
    # the design's conditions may also name the study's own columns (subset, overlap, case...)
    design = known | set(STUDY_COLUMNS)
    return [
        Problem(source, "study", key, f"unknown feature or phenotype {name!r}")
        for key, names in _named(raw).items()
        for name in names
        if name not in (design if key.startswith(("flow.", "proportions.")) else known)
    ]


#: A column's value kind (``boolean``, ``number``, ``integer``, ``date``, ``text``) and, for a
#: text column with a fixed vocabulary, the values it takes.
ColumnType = tuple[str, tuple[str, ...]]

#: The study's own columns (engine/study.py ``StudyQuery.annotate``): ``subset`` is text
#: (unknown and undetermined read "unknown"), ``overlap_status`` true / false / unknown (null).
_STUDY_COLUMN_TYPES: dict[str, ColumnType] = {
    "ssc": ("boolean", ()),
    "seen": ("boolean", ()),
    "in_population": ("boolean", ()),
    "subset": ("text", ("dcssc", "lcssc", "sine", "unknown")),
    "overlap": ("boolean", ()),
    "overlap_status": ("boolean", ()),
    "case": ("boolean", ()),
}


@cache
def _catalogue_types() -> dict[str, ColumnType]:
    """Return the value kind of every feature and phenotype column.

    From features.yaml and phenotypes.yaml: predicates, mismatches and prompts are true /
    false / unknown.
    """
    from calciscope.features import load_catalogue
    from calciscope.phenotype import load_phenotypes
    from calciscope.phenotype.definition import PhenotypeKind

    out: dict[str, ColumnType] = {
        name: (feature.type.value, ()) for name, feature in load_catalogue().features.items()
    }
    for p in load_phenotypes().phenotypes:
        if p.kind is PhenotypeKind.YEARS_BETWEEN:
            out[p.id] = ("number", ())
        elif p.kind is PhenotypeKind.FIRST_KNOWN:
            out[p.id] = ("text", (*p.values, *([p.otherwise] if p.otherwise else [])))
        elif p.kind is PhenotypeKind.VALUE:
            if p.sources and p.sources[0] in out:
                out[p.id] = out[p.sources[0]]
        else:
            out[p.id] = ("boolean", ())
    return out


def column_types(known: frozenset[str]) -> dict[str, ColumnType]:
    """Return the value kind of each known column a study file may name, and the study's own."""
    types = _catalogue_types()
    return {k: types[k] for k in known if k in types} | _STUDY_COLUMN_TYPES


def _unknown_asked(what: str, value: Any) -> str | None:
    if value is None or (
        what == "boolean" and isinstance(value, str) and value.lower() in ("unknown", "null")
    ):
        shown = "null" if value is None else repr(value)
        return (
            f"{shown} never matches: unknown is not a value a condition can ask for (a "
            "proportion's of_known keeps only the patients with a known value)"
        )
    return None


def _boolean_problem(column: str, value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    hint = " (write true or false without quotes)" if isinstance(value, str) else ""
    return f"{value!r} is not true or false; {column} is true, false or unknown{hint}"


def _number_problem(column: str, what: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value!r} is not a number; {column} is a number"
    if what == "integer" and not float(value).is_integer():
        return f"{value!r} is not a whole number; {column} is a count"
    return None


def _date_problem(value: Any) -> str | None:
    try:
        dt.date.fromisoformat(value if isinstance(value, str) else "")
    except ValueError:
        return f"{value!r} is not a date as text; write it 'YYYY-MM-DD', in quotes"
    return None


def _text_problem(column: str, allowed: tuple[str, ...], value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{value!r} is not text; {column} is text"
    if allowed and value not in allowed:
        return f"{value!r} is not a value of {column}; one of {', '.join(allowed)}"
    return None


def _value_problem(column: str, kind: ColumnType, value: Any) -> str | None:
    """Say what is wrong with one value a condition asks ``column`` to have (None: nothing)."""
    what, allowed = kind
    unknown = _unknown_asked(what, value)
    if unknown:
        return unknown
    if isinstance(value, dict | list):
        return f"{value!r} is not a value"
    if what == "boolean":
        return _boolean_problem(column, value)
    if what in ("number", "integer"):
        return _number_problem(column, what, value)
    if what == "date":
        return _date_problem(value)
    return _text_problem(column, allowed, value)


def _condition_problems(
    raw: dict[str, Any], source: str, types: dict[str, ColumnType]
) -> list[Problem]:
    """Check every ``when`` of the design: column to a value or a list of values.

    Each value must be of the column's kind (``types``; a column not in it is only checked for
    its shape).

    Each problem names the key path (``flow.subgroups.0.when.calcinosis_any``) and the value.
    """
    flow = raw.get("flow")
    sections = {
        "flow.subgroups": flow.get("subgroups") if isinstance(flow, dict) else None,
        "proportions": raw.get("proportions"),
    }
    out: list[Problem] = []
    for section, entries in sections.items():
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict) or "when" not in entry:
                continue
            where, when = f"{section}.{i}.when", entry["when"]
            if not isinstance(when, dict):
                text = f"{when!r} is not a condition: write {{column: value}}"
                out.append(Problem(source, "study", where, text))
                continue
            for column, wanted in when.items():
                found = _wanted_problem(str(column), wanted, types.get(str(column)))
                if found:
                    out.append(Problem(source, "study", f"{where}.{column}", found))
    return out


def _wanted_problem(column: str, wanted: Any, kind: ColumnType | None) -> str | None:
    """Say what is wrong with what a condition asks of ``column`` (a value or a list of them)."""
    if isinstance(wanted, dict):
        return (
            f"{wanted!r}: a condition has no operators ({', '.join(map(str, wanted)) or 'none'}); "
            "give the value, or a list of values, the column must have"
        )
    values = wanted if isinstance(wanted, list) else [wanted]
    if not values:
        return "[] matches nothing: give at least one value"
    for value in values:
        if isinstance(value, dict | list):
            return f"{wanted!r}: a list holds values only, not {value!r}"
        message = _value_problem(column, kind or ("any", ()), value)
        if kind is None and message and value is not None:
            continue  # an unknown column is named elsewhere; only its shape is checked here
        if message:
            return message
    if len({float if type(v) is int else type(v) for v in values}) > 1:
        return f"{wanted!r} mixes kinds of value"
    return None


#: Columns other keys name, and the kind each must be (the time-to-event dates, the
#: antibodies compared, the target phenotype).
_TYPED_KEYS = {
    "target_phenotype": "boolean",
    "time_to_event.origin": "date",
    "time_to_event.event": "date",
    "time_to_event.entry": "date",
    "time_to_event.censor_at": "date",
    "groups.antibodies": "boolean",
}


def _typed_column_problems(
    raw: dict[str, Any], source: str, types: dict[str, ColumnType]
) -> list[Problem]:
    """Check that the columns named by other keys are of the kind the analysis reads."""
    named = _named(raw)
    return [
        Problem(
            source,
            "study",
            key,
            f"{name!r} is a {types[name][0]} column; {key} needs a {kind} one",
        )
        for key, kind in _TYPED_KEYS.items()
        for name in named.get(key, [])
        if isinstance(name, str) and name in types and types[name][0] != kind
    ]


def load_study(path: Path, *, known_columns: frozenset[str] | None = None) -> StudyDefinition:
    """Read and validate a study YAML file (see :func:`parse_study`)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError([Problem(str(path), "file", "-", str(exc))]) from None
    except yaml.YAMLError as exc:
        raise ValidationError([Problem(str(path), "file", "-", f"not YAML: {exc}")]) from None
    return parse_study(raw, source=str(path), known_columns=known_columns)


def study_template() -> str:
    """Return the commented default study file (what ``calciscope study init`` prints)."""
    return resources.files("calciscope.study").joinpath(DEFAULT_STUDY_FILE).read_text("utf-8")


def default_study() -> StudyDefinition:
    """Return the anchor study shipped in the package."""
    return parse_study(yaml.safe_load(study_template()), source=DEFAULT_STUDY_FILE)
