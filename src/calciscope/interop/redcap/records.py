"""Import REDCap record exports (CSV raw or label, or API JSON) driven by a dictionary and a mapping.

Handles checkbox ``field___code`` columns, repeating instruments (``redcap_repeat_instrument`` /
``redcap_repeat_instance``), longitudinal ``redcap_event_name`` and ``<form>_complete``. A
checkbox whose form was never filled in on that row (status empty or Incomplete, no other field
of the form answered, no option ticked) says nothing: no fact, so the finding stays unknown
rather than absent; the count is reported. Rows are streamed; every problem (file, row, field)
is collected and raised together, before anything could be written.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from calciscope.errors import Problem, ValidationError
from calciscope.interop import ReadResult
from calciscope.interop.jsontext import decode_utf8, load_json
from calciscope.interop.mappings import QUALIFIER_ENUMS, curie_to_code, partial_date
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.mapping import ULN_SUFFIX, FieldKind, FieldRule, Mapping
from calciscope.interop.redcap.template import site_field_groups
from calciscope.model import (
    Fact,
    Patient,
    SourceKind,
    Status,
)
from calciscope.storage import PatientOrigin

__all__ = ["read_record_rows", "read_records"]

_REDCAP_COLUMNS = {
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
    "redcap_record_name",
}
_TICKED = {"1", "checked"}
_UNTICKED = {"0", "unchecked", ""}
#: Key under which a partial date's note travels to the fact's provenance.
_NOTE = "_partial_date"
#: Where a row is: its CSV/JSON row number, or a named location (project XML: record, event, lines).
Where = int | str


@dataclass
class _Context:
    source: str
    mapping: Mapping
    fields: dict[str, DictionaryField]
    checkbox_columns: dict[str, tuple[str, str]]
    problems: list[Problem] = field(default_factory=list)
    patients: dict[str, Patient] = field(default_factory=dict)
    patient_rows: dict[str, Where] = field(default_factory=dict)
    result: ReadResult = field(default_factory=ReadResult)
    filled: set[str] = field(default_factory=set)
    #: Where each (record, event, repeat instrument, repeat instance) was first read.
    row_keys: dict[tuple[str, ...], Where] = field(default_factory=dict)
    #: The site fields of each concept split by site (read back as one absence when all absent).
    site_groups: list[tuple[str, ...]] = field(default_factory=list)

    def problem(self, row: Where, column: str, message: str) -> None:
        """Record a problem at a CSV/JSON row number or a named location (project XML)."""
        where = f"row {row}" if isinstance(row, int) else row
        self.problems.append(Problem(self.source, where, column, message))


def _checkbox_columns(fields: list[DictionaryField]) -> dict[str, tuple[str, str]]:
    """Return every export column name a checkbox choice may have, to its field and code.

    REDCap names a choice's column ``field___code``, lower-cased, with ``-`` and ``.`` as ``_``
    (``-1`` -> ``field____1``, ``1.5`` -> ``field___1_5``); some versions drop an underscore of
    the code itself (``a_b`` -> ``field___ab``, the bug redcapAPI's ``syncUnderscoreCodings``
    documents). A code's own spelling always wins over another code's variant.
    """
    columns: dict[str, tuple[str, str]] = {}
    own: set[str] = set()
    for item in fields:
        if item.field_type == "checkbox":
            for code in item.choices:
                own.add(f"{item.name}___{code}")
                for variant in _code_variants(code):
                    column = f"{item.name}___{variant}"
                    if column not in own or variant == code:
                        columns[column] = (item.name, code)
    return columns


def _code_variants(code: str) -> tuple[str, ...]:
    low = code.lower()
    dashed = low.replace("-", "_").replace(".", "_")
    return (
        low,
        code.replace("-", "_"),
        dashed,
        low.replace("_", ""),
        code,
    )


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    if path.suffix.lower() == ".json":
        data = load_json(path)
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ValidationError(
                [Problem(str(path), "$", "", "a JSON export must be a list of records")]
            )
        yield from (
            (n, {str(k): "" if v is None else str(v) for k, v in r.items()})
            for n, r in enumerate(data, 1)
        )
        return
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            # rows are counted as a spreadsheet shows them: a blank line is a row (DictReader
            # would skip it and name every later row one too early); a cell holding line
            # breaks is one row
            reader = csv.reader(handle)
            header: list[str] | None = None
            for number, cells in enumerate(_csv_rows(reader, path), start=1):
                if not cells:
                    continue
                if header is None:
                    header = cells
                    continue
                if len(cells) > len(header):
                    message = "more cells than header columns"
                    raise ValidationError([Problem(str(path), f"row {number}", "(row)", message)])
                yield (
                    number,
                    dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True)),
                )
    except UnicodeDecodeError:
        decode_utf8(path.read_bytes(), str(path))  # raises, naming the line of the bad byte
        raise


def _csv_rows(reader: Any, path: Path) -> Iterator[list[str]]:
    """Yield the rows of ``reader``; a row the CSV parser refuses is a problem naming its line.

    A cell over the parser's limit (131,072 characters: a document pasted in, or a quote left
    open that swallows the rest of the file) said only ``field larger than field limit``.
    """
    try:
        yield from reader
    except csv.Error as exc:
        message = (
            f"cannot read the CSV here: {exc} (a cell over {csv.field_size_limit():,} "
            "characters, or a quote left open)"
        )
        raise ValidationError(
            [Problem(str(path), f"line {reader.line_num}", "", message)]
        ) from None


def _check_header(columns: list[str], ctx: _Context, where: Where = 1) -> None:
    if len(columns) == 1 and (separator := next((c for c in ";\t|" if c in columns[0]), None)):
        message = (
            f"the header is one column holding {separator!r}: the file is not comma-separated "
            "(a spreadsheet saved it so); export it from REDCap again, or save it as CSV "
            "with commas"
        )
        raise ValidationError([Problem(ctx.source, "row 1", "(header)", message)])
    forms = {f.form for f in ctx.fields.values()}
    allowed = (
        set(ctx.fields)
        | set(ctx.checkbox_columns)
        | _REDCAP_COLUMNS
        | {f"{form}_complete" for form in forms}
    )
    allowed |= {f"{form}_timestamp" for form in forms}
    for column in columns:
        if column not in allowed:
            ctx.problem(
                where, column or "(empty header)", "column is not a field of the data dictionary"
            )
    if ctx.mapping.record_id not in columns:
        ctx.problem(where, ctx.mapping.record_id, "the record id field is missing from the export")


def _label_to_code(item: DictionaryField, value: str) -> str:
    if value in item.choices or not item.choices:
        return value
    by_label = {label.lower(): code for code, label in item.choices.items()}
    return by_label.get(value.lower(), value)


def _parse_number(item: DictionaryField, value: str) -> float:
    text = value.replace(",", ".") if "comma" in item.validation.lower() else value
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):  # "<5", "3 00", "n/a", and float's "nan" or "inf"
        raise ValueError(f"{value!r} is not a number")
    return number


def _filled_forms(row: dict[str, str], ctx: _Context) -> set[str]:
    filled = {
        k.removesuffix("_complete")
        for k, v in row.items()
        if k.endswith("_complete") and v in ("1", "2")
    }
    for column, value in row.items():
        if column in ctx.checkbox_columns:
            if value.strip().lower() in _TICKED:
                filled.add(ctx.fields[ctx.checkbox_columns[column][0]].form)
        elif column in ctx.fields and value.strip() and column != ctx.mapping.record_id:
            filled.add(ctx.fields[column].form)
    return filled


def _enum_value(key: str, raw: str, item: DictionaryField | None) -> Any:
    code = _label_to_code(item, raw) if item else raw
    label = item.choices.get(code, code) if item else code
    enum = QUALIFIER_ENUMS[key]
    for candidate in (code, label, label.lower().replace(" ", "_")):
        if candidate in enum._value2member_map_:
            return enum(candidate)
    raise ValueError(f"{raw!r} is not one of {', '.join(enum._value2member_map_)}")


def _qualifiers(rule: FieldRule, row: dict[str, str], n: Where, ctx: _Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pairs = [(k, v, None) for k, v in rule.fixed.items()] + [
        (k, row.get(col, "").strip(), col) for k, col in rule.qualifiers.items()
    ]
    for key, raw, column in pairs:
        if not raw:
            continue
        try:
            if key == "status":
                if raw not in rule.values:
                    raise ValueError(
                        f"value {raw!r} is not in the mapping's values {sorted(rule.values)}"
                    )
                out["status"] = rule.values[raw]
            elif key == "date":
                out["effective_date"], partial = partial_date(raw)
                if partial:
                    out[_NOTE] = f"{column}={partial}"
            elif key == "unit":
                out["unit"] = raw[:32]
            else:
                out[key] = _enum_value(key, raw, ctx.fields.get(column) if column else None)
        except ValueError as exc:
            ctx.problem(n, column or f"fixed.{key}", f"bad {key}: {exc}")
    return out


def _value_fields(
    item: DictionaryField, rule: FieldRule, raw: str, n: Where, ctx: _Context
) -> dict[str, Any] | None:
    code = _label_to_code(item, raw)
    try:
        if rule.kind is FieldKind.STATUS:
            if code not in rule.values:
                raise ValueError(
                    f"value {raw!r} is not in the mapping's values {sorted(rule.values)}"
                )
            return {"status": rule.values[code]}
        if rule.kind is FieldKind.NUMBER:
            return {"value_num": _parse_number(item, raw), "unit": rule.unit}
        if rule.kind is FieldKind.DATE:
            when, partial = partial_date(raw)
            return {"effective_date": when, _NOTE: f"{item.name}={partial}" if partial else None}
        if rule.kind is FieldKind.CODE:
            system, target = curie_to_code(raw)
            return {"system": system, "code": target}
        if item.choices and code not in item.choices:
            raise ValueError(f"value {raw!r} is not a choice of {item.name}")
        text = code if rule.text_from == "code" else item.choices.get(code, raw)
        return {"value_text": text[:2000]}
    except ValueError as exc:
        ctx.problem(n, item.name, str(exc))
        return None


def _checkbox_facts(
    item: DictionaryField,
    rule: FieldRule,
    row: dict[str, str],
    n: Where,
    ctx: _Context,
    base: dict[str, Any],
) -> list[Fact]:
    if item.form not in ctx.filled:
        if any(f"{item.name}___" in column for column in row):
            ctx.result.skipped[
                ("checkbox", "form not filled in on this row: unknown, not absent")
            ] += 1
        return []
    facts = []
    for column, (name, code) in ctx.checkbox_columns.items():
        raw = row.get(column)
        if name != item.name or raw is None:
            continue
        if raw.strip().lower() not in _TICKED | _UNTICKED:
            ctx.problem(n, column, f"checkbox value {raw!r} is not 0/1 or Checked/Unchecked")
            continue
        system, target = rule.choices.get(code, (rule.system, f"{rule.code}.{code}"))
        status = Status.PRESENT if raw.strip().lower() in _TICKED else Status.ABSENT
        facts.append(
            Fact(**base, system=system, code=target, status=status, value_text=item.choices[code])
        )
    return facts


def _field_facts(
    name: str,
    rule: FieldRule,
    row: dict[str, str],
    n: Where,
    ctx: _Context,
    base: dict[str, Any],
) -> list[Fact]:
    item = ctx.fields[name]
    base = base | {"provenance": f"{base['provenance']} field {name}"}
    qualifiers = _qualifiers(rule, row, n, ctx)
    if "effective_date" in qualifiers:  # the row's own date field wins over the form's
        base.pop(_NOTE, None)
    base = _with_note(base | qualifiers)
    if rule.kind is FieldKind.CHECKBOX:
        return _checkbox_facts(item, rule, row, n, ctx, base)
    raw = row.get(name, "").strip()
    if not raw:
        return []
    values = _value_fields(item, rule, raw, n, ctx)
    if values is None:
        return []
    if rule.kind is FieldKind.NUMBER and f"{name}{ULN_SUFFIX}" in ctx.fields:
        values["reference_high"] = _uln(item, f"{name}{ULN_SUFFIX}", row, n, ctx)
    merged = (
        {"system": rule.system, "code": rule.code}
        | base
        | {k: v for k, v in values.items() if v is not None or k == "effective_date"}
    )
    return [Fact(**_with_note(merged))]


def _with_note(fields: dict[str, Any]) -> dict[str, Any]:
    """Move a partial date's note (``dx_date=2019``) from ``fields`` into their provenance."""
    note = fields.pop(_NOTE, None)
    return fields | {"provenance": f"{fields['provenance']} {note}"} if note else fields


def _uln(item: DictionaryField, column: str, row: dict[str, str], n: Where, ctx: _Context) -> Any:
    """Return a number field's upper limit of normal from its ``<field>_uln`` field, or None."""
    raw = row.get(column, "").strip()
    if not raw:
        return None
    try:
        high = _parse_number(ctx.fields.get(column, item), raw)
    except ValueError:
        ctx.problem(n, column, f"upper limit of normal {raw!r} is not a number")
        return None
    if not math.isfinite(high) or high < 0:
        ctx.problem(n, column, f"upper limit of normal {raw!r} is not a number 0 or more")
        return None
    return high


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
    if instance and not (instance.isdigit() and int(instance) >= 1):
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


def _absent_everywhere(
    by_field: dict[str, list[Fact]], ctx: _Context, provenance: str
) -> tuple[dict[str, list[Fact]], list[tuple[Fact, tuple[Fact, ...]]]]:
    """Read the site fields of a concept that all say absent as one absence without a site.

    The export writes an absent fact without a site in every site field of its concept
    (:func:`~calciscope.interop.redcap.template.site_field_groups`); reading it back as one
    absence per site invented facts the registry never held (fixes15). Only a row whose every
    field of the group holds one absent fact, the facts alike but for their site, is folded.
    The folded fact is returned with the facts it stands for (``Batch.folded``): a registry
    that already holds them all (the file imported before fixes15) is given nothing (fixes16).
    """
    folded: list[tuple[Fact, tuple[Fact, ...]]] = []
    for group in ctx.site_groups:
        facts = [by_field.get(name, []) for name in group]
        if not all(len(f) == 1 and f[0].status is Status.ABSENT for f in facts):
            continue
        contents = {
            tuple((k, v) for k, v in f[0].__dict__.items() if k not in _PER_FIELD) for f in facts
        }
        if len(contents) != 1:
            continue
        where = f"{provenance} fields {', '.join(group)} (absent at every site)"
        changed = {"body_site": None, "fact_id": "", "provenance": where}
        one = Fact.model_validate(facts[0][0].__dict__ | changed)
        by_field = {k: v for k, v in by_field.items() if k not in group}
        folded.append((one, tuple(f[0] for f in facts)))
    return by_field, folded


#: What differs between the facts of one concept's site fields on one row.
_PER_FIELD = frozenset({"body_site", "provenance", "fact_id"})


def _form_date(
    item: DictionaryField, row: dict[str, str], n: Where, ctx: _Context
) -> dict[str, Any]:
    """Return the effective date the form's date field gives (and a partial date's note)."""
    column = ctx.mapping.form_dates.get(item.form, "")
    if not row.get(column, "").strip():
        return {"effective_date": None}
    try:
        when, partial = partial_date(row[column])
    except ValueError as exc:
        ctx.problem(n, column, str(exc))
        return {"effective_date": None}
    return {"effective_date": when, _NOTE: f"{column}={partial}" if partial else None}


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
    return read_record_rows(_rows(Path(records)), str(records), dictionary, mapping)


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
