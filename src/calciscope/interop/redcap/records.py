"""Import REDCap record exports (CSV raw or label, or API JSON) driven by a dictionary and a mapping.

Handles checkbox ``field___code`` columns, repeating instruments (``redcap_repeat_instrument`` /
``redcap_repeat_instance``), longitudinal ``redcap_event_name`` and ``<form>_complete``. A
checkbox whose form was never filled in on that row (status empty or Incomplete, no other field
of the form answered, no option ticked) says nothing: no fact, so the finding stays unknown
rather than absent; the count is reported. Rows are streamed; every problem (file, row, field)
is collected and raised together, before anything could be written.

The file's rows come from :mod:`~calciscope.interop.redcap.rows`, a row's cells become facts in
:mod:`~calciscope.interop.redcap.cells`, and the read's state is
:mod:`~calciscope.interop.redcap.context`'s; this module checks the export's columns and rows,
reads its patients, and reads the rows one at a time.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pydantic

from calciscope.errors import Problem, ValidationError
from calciscope.interop import ReadResult
from calciscope.interop.csvtext import delimiter_hint
from calciscope.interop.redcap.cells import (
    _absent_everywhere,
    _field_facts,
    _filled_forms,
    _form_date,
    missing_code_columns,
)
from calciscope.interop.redcap.context import _REDCAP_COLUMNS, Where, _checkbox_columns, _Context
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.mapping import ULN_SUFFIX, FieldKind, Mapping
from calciscope.interop.redcap.missing import STANDARD
from calciscope.interop.redcap.rows import _rows, single_line_columns
from calciscope.interop.redcap.template import site_field_groups
from calciscope.model import Fact, Patient, SourceKind
from calciscope.storage import PatientOrigin

__all__ = ["read_record_rows", "read_records"]


def _check_header(columns: list[str], ctx: _Context, where: Where = 1) -> None:
    if hint := delimiter_hint(columns):
        message = f"{hint}, or export it from REDCap again"
        raise ValidationError([Problem(ctx.source, "row 1", "(header)", message)])
    forms = {f.form for f in ctx.fields.values()}
    allowed = (
        set(ctx.fields)
        | set(ctx.checkbox_columns)
        | _REDCAP_COLUMNS
        | {f"{form}_complete" for form in forms}
    )
    allowed |= {f"{form}_timestamp" for form in forms}
    for item in ctx.fields.values():  # a checkbox's missing data codes: field___unk
        if item.field_type == "checkbox":
            allowed |= set(missing_code_columns(item, ctx))
    for column in columns:
        if column not in allowed:
            ctx.problem(
                where, column or "(empty header)", "column is not a field of the data dictionary"
            )
    if ctx.mapping.record_id not in columns:
        ctx.problem(where, ctx.mapping.record_id, "the record id field is missing from the export")


def _patient(row: dict[str, str], n: Where, ctx: _Context) -> Patient | None:
    mapping, spec = ctx.mapping, ctx.mapping.patient
    values: dict[str, Any] = {"patient_id": row.get(mapping.record_id, "").strip()}
    raw_sex = row.get(spec["sex"], "").strip() if "sex" in spec else ""
    if raw_sex:
        if raw_sex not in mapping.sex_values:
            ctx.problem(n, spec["sex"], f"sex value {raw_sex!r} is not in the mapping's sex_values")
        values["sex"] = mapping.sex_values.get(raw_sex)
    for key in ("birth_date", "birth_year", "centre", "synthetic"):
        raw = row.get(spec[key], "").strip() if key in spec else ""
        if raw:
            values[key] = raw
    try:
        patient = Patient(**{k: v for k, v in values.items() if v is not None})
    except pydantic.ValidationError as exc:
        for err in exc.errors():
            column = (
                mapping.record_id
                if err["loc"][:1] == ("patient_id",)
                else spec.get(str(err["loc"][0]), "?")
            )
            ctx.problem(n, column, err["msg"])
        return None
    return patient


def _merge_patient(patient: Patient, n: Where, ctx: _Context) -> None:
    known = ctx.patients.get(patient.patient_id)
    if known is None:
        ctx.patients[patient.patient_id] = patient
        ctx.patient_rows[patient.patient_id] = n
        return
    merged = known.model_dump() | {
        k: v for k, v in patient.model_dump().items() if v not in (None, "unknown", False)
    }
    clashes = [
        k
        for k, v in patient.model_dump().items()
        if v not in (None, "unknown", False)
        and known.model_dump()[k] not in (None, "unknown", False)
        and known.model_dump()[k] != v
    ]
    for key in clashes:
        ctx.problem(
            n,
            ctx.mapping.patient.get(key, key),
            f"{key} differs from an earlier row of {patient.patient_id}",
        )
    ctx.patients[patient.patient_id] = Patient(**merged)


def _check_duplicate(row: dict[str, str], n: Where, ctx: _Context) -> None:
    """Refuse a second row of a record for the same event and repeat instance (a duplicate)."""
    key = tuple(
        row.get(column, "").strip()
        for column in (
            ctx.mapping.record_id,
            "redcap_event_name",
            "redcap_repeat_instrument",
            "redcap_repeat_instance",
        )
    )
    first = ctx.row_keys.setdefault(key, n)
    if first != n and key[0]:
        where = f"row {first}" if isinstance(first, int) else first
        ctx.problem(
            n,
            ctx.mapping.record_id,
            f"record {key[0]!r} has another row for the same event and repeat instance "
            f"({where}): a duplicated record, which one is right cannot be told",
        )


def _check_repeat(row: dict[str, str], n: Where, ctx: _Context) -> None:
    """Refuse repeat columns REDCap never writes: they made a row unique, or named no form.

    ``redcap_repeat_instance`` is a whole number from 1, and a row of a repeating instrument
    has one; ``redcap_repeat_instrument`` is a form of the dictionary. A hand-edited ``x``, a
    blank or a misspelt form passed unseen (and a blank instance hid duplicated rows).
    """
    instrument = row.get("redcap_repeat_instrument", "").strip()
    instance = row.get("redcap_repeat_instance", "").strip()
    # ASCII digits only: "²" is a digit to str.isdigit, not to int() (fix45, found by the fuzz test)
    if instance and not (instance.isascii() and instance.isdigit() and int(instance) >= 1):
        message = f"{instance!r} is not a repeat instance (a whole number from 1)"
        ctx.problem(n, "redcap_repeat_instance", message)
    if instrument and not instance:
        message = f"a row of the repeating instrument {instrument!r} needs its instance number"
        ctx.problem(n, "redcap_repeat_instance", message)
    if instrument and not any(f.form == instrument for f in ctx.fields.values()):
        message = f"{instrument!r} is not a form (instrument) of the data dictionary"
        ctx.problem(n, "redcap_repeat_instrument", message)


def _row(row: dict[str, str], n: Where, ctx: _Context) -> None:
    _check_repeat(row, n, ctx)
    _check_duplicate(row, n, ctx)
    patient = _patient(row, n, ctx)
    if patient is not None:
        _merge_patient(patient, n, ctx)
    # An invalid patient still has every cell checked, so one report lists every problem.
    patient_id = patient.patient_id if patient is not None else "invalid"
    ctx.filled = _filled_forms(row, ctx)
    where = [f"row {n}"] if isinstance(n, int) else [n]  # a named location says the rest
    where += [
        f"{k}={row[k]}"
        for k in ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance")
        if row.get(k) and isinstance(n, int)
    ]
    base = {
        "patient_id": patient_id,
        "source_kind": SourceKind.IMPORT,
        "provenance": " ".join([ctx.source, *where]),
    }
    by_field: dict[str, list[Fact]] = {}
    for name, rule in ctx.mapping.fields.items():
        item = ctx.fields.get(name)
        if rule.kind is FieldKind.IGNORE or item is None:
            continue
        try:
            facts = _field_facts(name, rule, row, n, ctx, base | _form_date(item, row, n, ctx))
        except pydantic.ValidationError as exc:
            ctx.problem(
                n,
                name,
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
            )
            continue
        by_field[name] = facts
    if patient is not None:
        by_field, folded = _absent_everywhere(by_field, ctx, base["provenance"])
        for facts in by_field.values():
            ctx.result.batch.facts.extend(facts)
        ctx.result.batch.folded.extend(folded)


def _check_mapping(ctx: _Context) -> None:
    referenced = [(f"fields.{name}", name) for name in ctx.mapping.fields]
    referenced += [
        (f"fields.{n}.qualifiers", c)
        for n, r in ctx.mapping.fields.items()
        for c in r.qualifiers.values()
    ]
    referenced += [(f"form_dates.{form}", c) for form, c in ctx.mapping.form_dates.items()]
    referenced += [(f"patient.{key}", c) for key, c in ctx.mapping.patient.items()]
    for where, column in referenced:
        if column not in ctx.fields and column not in _REDCAP_COLUMNS:
            ctx.problems.append(
                Problem("mapping", where, column, "not a field of the data dictionary")
            )


def read_records(records: Path, dictionary: list[DictionaryField], mapping: Mapping) -> ReadResult:
    """Read a REDCap records export (CSV or API JSON) under a dictionary and a mapping.

    Raises
    ------
    ValidationError
        Listing every problem with file, row and field; nothing should be written.
    """
    rows = _rows(Path(records), single_line_columns(dictionary), key=mapping.record_id)
    return read_record_rows(rows, str(records), dictionary, mapping)


def read_record_rows(
    rows: Iterable[tuple[Where, dict[str, str]]],
    source: str,
    dictionary: list[DictionaryField],
    mapping: Mapping,
) -> ReadResult:
    """Read REDCap record rows (as a raw CSV export has them) under a dictionary and a mapping.

    ``rows`` gives each row with its location; the project XML reader produces them too. A
    :class:`ValidationError` raised while iterating them is merged into the report.

    Raises
    ------
    ValidationError
        Listing every problem with file, location and field; nothing should be written.
    """
    ctx = _Context(source, mapping, {f.name: f for f in dictionary}, _checkbox_columns(dictionary))
    ctx.site_groups = site_field_groups(mapping)
    ctx.declared_missing = mapping.missing_data_codes is not None
    ctx.missing = STANDARD if mapping.missing_data_codes is None else mapping.missing_data_codes
    _check_mapping(ctx)
    try:
        for n, row in rows:
            if ctx.result.mapped["record row"] == 0:
                _check_header(list(row), ctx, n if isinstance(n, str) else 1)
            _row(row, n, ctx)
            ctx.result.mapped["record row"] += 1
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        ctx.problems.append(Problem(source, "file", "", f"cannot read records: {exc}"))
    except ValidationError as exc:
        ctx.problems.extend(exc.problems)
    if ctx.problems:
        raise ValidationError(ctx.problems, summary="REDCap import failed")
    for patient in ctx.patients.values():
        where = ctx.patient_rows[patient.patient_id]
        location = f"row {where}" if isinstance(where, int) else where
        ctx.result.batch.add_patient(patient, PatientOrigin(source, location))
    used = (
        set(mapping.fields)
        | set(mapping.form_dates.values())
        | set(mapping.patient.values())
        | {c for r in mapping.fields.values() for c in r.qualifiers.values()}
        | {f"{n}{ULN_SUFFIX}" for n, r in mapping.fields.items() if r.kind is FieldKind.NUMBER}
        | {mapping.record_id}
    )
    unused = [f for f in dictionary if f.name not in used and f.field_type != "descriptive"]
    if unused:
        ctx.result.skipped[("field", "not listed in the mapping: not imported")] = len(unused)
    ctx.result.mapped["patient"] = len(ctx.patients)
    if not ctx.result.mapped["record row"]:  # REDCap exports a project without records empty
        message = "no records in the export (an empty file, or a header alone): nothing imported"
        ctx.result.warnings.append(Problem(source, "file", "", message))
    return ctx.result
