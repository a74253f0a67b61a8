"""Mapping files: which REDCap field becomes which calciscope fact (YAML, written by users).

::

    record_id: record_id                 # the field that holds the patient id
    patient: {sex: sex, sex_values: {"0": female, "1": male}, birth_date: dob, centre: redcap_data_access_group,
              synthetic: is_synthetic}   # birth_year too; synthetic reads 1/0
    form_dates: {visit: visit_date}      # the field dating every fact of a form (per row)
    fields:
      anti_pm_scl: {kind: status, system: calciscope, code: anti_pm_scl,
                    values: {"1": present, "0": absent, "9": unknown}}
      ck:          {kind: number, system: LOINC, code: 2157-6, unit: U/L}
      lesion_site: {kind: ignore}
      lesion:      {kind: status, system: HP, code: HP:0003761, values: {"1": present},
                    qualifiers: {body_site: lesion_region, laterality: lesion_side, date: lesion_date}}

Kinds: ``status`` (raw value → present/absent/unknown), ``number`` (value and unit),
``date`` (a present fact dated by the value), ``text`` (value or choice label as text),
``checkbox`` (one fact per option; ``choices`` may give each option its own code), ``code``
(the value is itself a CURIE such as ``HP:0001627``; a ``status`` qualifier field, read
through ``values``, says present or absent), ``ignore``. A ``number`` field ``X`` takes its
upper limit of normal (``reference_high``) from the dictionary field ``X_uln`` when there is one. Dictionary fields a mapping does not
list are not imported, and are counted in the import report.
:func:`generate_mapping` writes a mapping for any dictionary (codes ``redcap.<field>``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from calciscope.errors import Problem, ValidationError
from calciscope.interop.mappings import QUALIFIERS
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.missing import parse_codes
from calciscope.model import CODE_SYSTEMS, Sex, Status
from calciscope.yamltext import load_yaml

__all__ = [
    "ULN_SUFFIX",
    "FieldKind",
    "FieldRule",
    "Mapping",
    "dump_mapping",
    "generate_mapping",
    "load_mapping",
]

#: A ``number`` field's upper limit of normal (the fact's ``reference_high``, the laboratory's
#: reference range high in the value's unit) is the dictionary field of the same name with this
#: suffix (``ck_max`` → ``ck_max_uln``). It needs no rule of its own.
ULN_SUFFIX = "_uln"

_QUALIFIERS = (*QUALIFIERS, "date", "unit", "status")
_NUMERIC = ("integer", "number", "float")


class FieldKind(StrEnum):
    """How a REDCap field becomes facts."""

    STATUS = "status"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"
    CHECKBOX = "checkbox"
    CODE = "code"
    IGNORE = "ignore"


@dataclass(frozen=True)
class FieldRule:
    """How one REDCap field becomes facts (see the module docstring)."""

    kind: FieldKind
    system: str = "calciscope"
    code: str = ""
    values: dict[str, Status] = field(default_factory=dict)
    choices: dict[str, tuple[str, str]] = field(default_factory=dict)
    unit: str | None = None
    fixed: dict[str, str] = field(default_factory=dict)
    qualifiers: dict[str, str] = field(default_factory=dict)
    #: For ``text`` fields with choices: store the choice ``label`` (default) or its ``code``.
    text_from: str = "label"


@dataclass(frozen=True)
class Mapping:
    """A whole mapping: record id field, patient fields, form dates and field rules."""

    record_id: str
    fields: dict[str, FieldRule]
    patient: dict[str, str] = field(default_factory=dict)
    sex_values: dict[str, Sex] = field(default_factory=dict)
    form_dates: dict[str, str] = field(default_factory=dict)
    #: The project's missing data codes (code → label); None: not declared (REDCap's list is
    #: used, :mod:`calciscope.interop.redcap.missing`).
    missing_data_codes: dict[str, str] | None = None


def _rule(name: str, raw: Any, source: str, problems: list[Problem]) -> FieldRule | None:
    where = f"fields.{name}"
    if not isinstance(raw, dict):
        problems.append(Problem(source, where, name, "a field rule must be a mapping"))
        return None
    try:
        kind = FieldKind(raw.get("kind", "text"))
        values = {str(k): Status(v) for k, v in (raw.get("values") or {}).items()}
        choices = {str(k): (str(v[0]), str(v[1])) for k, v in (raw.get("choices") or {}).items()}
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        problems.append(Problem(source, where, name, f"invalid rule: {exc}"))
        return None
    system = str(raw.get("system", "calciscope"))
    bad_systems = [s for s in [system] + [s for s, _ in choices.values()] if s not in CODE_SYSTEMS]
    if bad_systems:
        problems.append(Problem(source, where, "system", f"unknown code system {bad_systems[0]!r}"))
    unknown = set(raw.get("qualifiers") or {}) - set(_QUALIFIERS)
    if unknown:
        problems.append(
            Problem(source, where, "qualifiers", f"unknown qualifier(s) {sorted(unknown)}")
        )
    return FieldRule(
        kind=kind,
        system=system,
        code=str(raw.get("code") or ("" if kind is FieldKind.IGNORE else f"redcap.{name}")),
        values=values,
        choices=choices,
        unit=raw.get("unit"),
        fixed={str(k): str(v) for k, v in (raw.get("fixed") or {}).items()},
        qualifiers={str(k): str(v) for k, v in (raw.get("qualifiers") or {}).items()},
        text_from=str(raw.get("text_from", "label")),
    )


def mapping_from_dict(data: Any, source: str) -> Mapping:
    """Build a :class:`Mapping` from parsed YAML, reporting every problem at once."""
    if (
        not isinstance(data, dict)
        or "record_id" not in data
        or not isinstance(data.get("fields"), dict)
    ):
        raise ValidationError(
            [Problem(source, "$", "record_id/fields", "a mapping needs record_id and fields")]
        )
    problems: list[Problem] = []
    rules = {
        str(k): r for k, v in data["fields"].items() if (r := _rule(str(k), v, source, problems))
    }
    patient = {str(k): str(v) for k, v in (data.get("patient") or {}).items() if k != "sex_values"}
    try:
        sex_values = {
            str(k): Sex(v) for k, v in ((data.get("patient") or {}).get("sex_values") or {}).items()
        }
    except ValueError as exc:
        problems.append(Problem(source, "patient.sex_values", "sex_values", str(exc)))
        sex_values = {}
    missing = None
    if data.get("missing_data_codes") is not None:
        try:
            missing = parse_codes(data["missing_data_codes"])
        except ValueError as exc:
            problems.append(Problem(source, "missing_data_codes", "missing_data_codes", str(exc)))
    if problems:
        raise ValidationError(problems, summary="REDCap mapping file is invalid")
    return Mapping(
        record_id=str(data["record_id"]),
        fields=rules,
        patient=patient,
        sex_values=sex_values,
        form_dates={str(k): str(v) for k, v in (data.get("form_dates") or {}).items()},
        missing_data_codes=missing,
    )


def load_mapping(path: Path) -> Mapping:
    """Read a YAML mapping file (see the module docstring)."""
    # not UTF-8 (UTF-16 too), not YAML or a date that does not exist: a problem naming the
    # line and what is wrong there, and how to fix it (calciscope.yamltext)
    return mapping_from_dict(load_yaml(path), str(path))


def dump_mapping(mapping: Mapping) -> str:
    """Return the YAML text of a mapping (what :func:`load_mapping` reads)."""
    fields = {}
    for name, rule in mapping.fields.items():
        raw = {
            k: v
            for k, v in asdict(rule).items()
            if v not in ({}, None, "") and (k, v) != ("text_from", "label")
        }
        raw["kind"] = rule.kind.value
        if rule.values:
            raw["values"] = {k: v.value for k, v in rule.values.items()}
        if rule.choices:
            raw["choices"] = {k: list(v) for k, v in rule.choices.items()}
        fields[name] = raw
    patient: dict[str, Any] = dict(mapping.patient)
    if mapping.sex_values:
        patient["sex_values"] = {k: v.value for k, v in mapping.sex_values.items()}
    data = {
        "record_id": mapping.record_id,
        "patient": patient,
        "form_dates": mapping.form_dates,
        "fields": fields,
    }
    if mapping.missing_data_codes is not None:
        data["missing_data_codes"] = dict(mapping.missing_data_codes)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _generated_rule(item: DictionaryField) -> FieldRule:
    validation = item.validation.lower()
    if item.field_type in ("descriptive", "file", "notes") or item.identifier:
        return FieldRule(FieldKind.IGNORE)
    if item.field_type in ("yesno", "truefalse"):
        return FieldRule(
            FieldKind.STATUS,
            code=f"redcap.{item.name}",
            values={"1": Status.PRESENT, "0": Status.ABSENT},
        )
    if item.field_type == "checkbox":
        return FieldRule(FieldKind.CHECKBOX, code=f"redcap.{item.name}")
    if item.field_type in ("calc", "slider") or validation.startswith(_NUMERIC):
        return FieldRule(FieldKind.NUMBER, code=f"redcap.{item.name}")
    if validation.startswith("date"):
        return FieldRule(FieldKind.DATE, code=f"redcap.{item.name}")
    return FieldRule(FieldKind.TEXT, code=f"redcap.{item.name}")


def generate_mapping(dictionary: list[DictionaryField]) -> Mapping:
    """Return a mapping for any dictionary: every field to ``calciscope`` / ``redcap.<field>``.

    Identifier fields (``Identifier? = y``), free-text notes, files and descriptive fields are
    ignored, and so is a number field's ``<field>_uln`` (read as its upper limit of normal);
    each form's facts are dated by its first date field.
    """
    dates: dict[str, str] = {}
    for item in dictionary[1:]:
        if item.validation.lower().startswith("date") and not item.identifier:
            dates.setdefault(item.form, item.name)
    rules = {item.name: _generated_rule(item) for item in dictionary[1:]}
    for name in list(rules):  # a number's <field>_uln is its ULN, not a fact of its own
        base = rules.get(name.removesuffix(ULN_SUFFIX)) if name.endswith(ULN_SUFFIX) else None
        if base is not None and base.kind is FieldKind.NUMBER:
            rules[name] = FieldRule(FieldKind.IGNORE)
    return Mapping(record_id=dictionary[0].name, form_dates=dates, fields=rules)
