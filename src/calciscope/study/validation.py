"""Reading and checking a study file: one :class:`ValidationError` lists every problem.

Beside the models' own checks (:mod:`calciscope.study.definition`): the columns the study
names exist and are of the kind the analysis reads, its conditions ask values of the column's
kind, its design's ids are unique and named, and its phenotype parameters are
phenotypes.yaml's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticError

from calciscope.errors import Problem, ValidationError
from calciscope.model import Sex
from calciscope.study.definition import (
    DEFAULT_STUDY_FILE,
    STUDY_COLUMNS,
    GroupSpec,
    StudyDefinition,
    TimeToEventSpec,
    study_template,
)

__all__ = ["DESIGN_COLUMNS", "column_types", "default_study", "load_study", "parse_study"]


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


def _design_entries(raw: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Yield each subgroup and proportion of a raw study with its key (``flow.subgroups.0``)."""
    flow = raw.get("flow")
    sections = {
        "flow.subgroups": flow.get("subgroups") if isinstance(flow, dict) else None,
        "proportions": raw.get("proportions"),
    }
    for section, entries in sections.items():
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            yield f"{section}.{i}", entry


def _condition_columns(raw: dict[str, Any]) -> dict[str, list[Any]]:
    """Return the columns the design's conditions name, by field (``flow.subgroups.0.when``)."""
    out: dict[str, list[Any]] = {}
    for where, entry in _design_entries(raw):
        when = entry.get("when") if isinstance(entry, dict) else None
        out[f"{where}.when"] = list(when) if isinstance(when, dict) else []
        if isinstance(entry, dict) and entry.get("of_known") is not None:
            out[f"{where}.of_known"] = [entry["of_known"]]
    return out


def _column_problems(raw: dict[str, Any], source: str, known: frozenset[str]) -> list[Problem]:
    # the design's conditions may also name the study's own columns (subset, overlap, case...)
    # and the patient's sex
    design = known | DESIGN_COLUMNS
    return [
        Problem(source, "study", key, f"unknown feature or phenotype {name!r}")
        for key, names in _named(raw).items()
        for name in names
        # a name that is no text (a list, a mapping) is the model's to name: it is the wrong
        # type, not an unknown column (fixes19: a list was a TypeError traceback)
        if isinstance(name, str)
        and name not in (design if key.startswith(("flow.", "proportions.")) else known)
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


#: The patient's own attributes a condition may name (the ``patients`` table's, in every study
#: row): ``sex`` as recorded, one of :class:`calciscope.model.Sex`.
_PATIENT_COLUMN_TYPES: dict[str, ColumnType] = {
    "sex": ("text", tuple(s.value for s in Sex)),
}

#: Every column a design condition may name beside the features and phenotypes.
DESIGN_COLUMNS = frozenset(STUDY_COLUMNS) | frozenset(_PATIENT_COLUMN_TYPES)


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
    return {k: types[k] for k in known if k in types} | _STUDY_COLUMN_TYPES | _PATIENT_COLUMN_TYPES


def _shown(value: Any) -> str:
    """Return a value as the study file spells it (``true``, not Python's ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else repr(value)


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
    return f"{_shown(value)} is not true or false; {column} is true, false or unknown{hint}"


def _number_problem(column: str, what: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{_shown(value)} is not a number; {column} is a number"
    if what == "integer" and not float(value).is_integer():
        return f"{value!r} is not a whole number; {column} is a count"
    return None


def _date_problem(value: Any) -> str | None:
    try:
        dt.date.fromisoformat(value if isinstance(value, str) else "")
    except ValueError:
        return f"{_shown(value)} is not a date as text; write it 'YYYY-MM-DD', in quotes"
    return None


def _text_problem(column: str, allowed: tuple[str, ...], value: Any) -> str | None:
    if not isinstance(value, str):
        listed = f", one of {', '.join(allowed)}" if allowed else ""
        return f"{_shown(value)} is not text; {column} is text{listed}"
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
    out: list[Problem] = []
    for key, entry in _design_entries(raw):
        if not isinstance(entry, dict) or "when" not in entry:
            continue
        where, when = f"{key}.when", entry["when"]
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
            source, "study", key, f"{name!r} is a {types[name][0]} column; {key} needs a {kind} one"
        )
        for key, kind in _TYPED_KEYS.items()
        for name in named.get(key, [])
        if isinstance(name, str) and name in types and types[name][0] != kind
    ]


def load_study(path: Path, *, known_columns: frozenset[str] | None = None) -> StudyDefinition:
    """Read and validate a study YAML file (see :func:`parse_study`)."""
    # not UTF-8, not YAML or a date that does not exist: one problem naming the file, the
    # line and what is wrong there (Python's codec or parser message before, hardening24).
    # Imported here: the study package does not import the readers' package otherwise.
    from calciscope.yamltext import load_yaml

    raw = load_yaml(Path(path))
    return parse_study(raw, source=str(path), known_columns=known_columns)


def default_study() -> StudyDefinition:
    """Return the anchor study shipped in the package."""
    return parse_study(yaml.safe_load(study_template()), source=DEFAULT_STUDY_FILE)
