"""Turn the cells of one REDCap record row into facts under the mapping's field rules.

Choices given by label or code, numbers (a decimal comma where the field says so), partial
dates, qualifiers, a number's upper limit of normal, checkboxes (unknown, not absent, when
their form was not filled in on the row) and the site fields of a concept that all say absent
(one absence). Every bad cell is a problem of the read's context, named by row and field.
"""

from __future__ import annotations

import math
from typing import Any

from calciscope.interop.mappings import QUALIFIER_ENUMS, curie_to_code, partial_date
from calciscope.interop.redcap.context import _NOTE, _TICKED, _UNTICKED, Where, _Context
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.mapping import ULN_SUFFIX, FieldKind, FieldRule
from calciscope.model import Fact, Status


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


def _is_missing_code(item: DictionaryField, rule: FieldRule, raw: str, ctx: _Context) -> bool:
    """Whether a cell holds a missing data code (:mod:`~calciscope.interop.redcap.missing`).

    A field's own choice or mapped value is never one; with REDCap's suggested list (no codes
    declared) a free-text field keeps its text.
    """
    if raw not in ctx.missing or raw in item.choices or raw in rule.values:
        return False
    free_text = rule.kind is FieldKind.TEXT and not item.choices
    return ctx.declared_missing or not free_text


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
    missing = _checkbox_missing_code(item, row, ctx)
    if missing is not None:
        # REDCap ticks a column of the code (``field___unk``) and leaves the options blank
        ctx.result.mapped[f"missing data code {missing}"] += 1
        if not _any_option_ticked(item, row, ctx):
            return []
        # a real option ticked beside the code column: the real answers are kept
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


def missing_code_columns(item: DictionaryField, ctx: _Context) -> dict[str, str]:
    """Return the columns REDCap exports for a checkbox's missing data codes, to their code."""
    known = ctx.missing_columns.get(item.name)
    if known is not None:
        return known
    columns = ctx.missing_columns[item.name] = {}
    # a real choice always wins over a missing data code, whatever the case of either
    choices = {code.lower() for code in item.choices}
    for code in ctx.missing:
        low = code.lower()
        if low in choices:
            continue
        for variant in (low, low.replace("-", "_").replace(".", "_"), code):
            column = f"{item.name}___{variant}"
            if column not in ctx.checkbox_columns:
                columns[column] = code
    return columns


def _any_option_ticked(item: DictionaryField, row: dict[str, str], ctx: _Context) -> bool:
    for column, (name, _code) in ctx.checkbox_columns.items():
        if name == item.name and row.get(column, "").strip().lower() in _TICKED:
            return True
    return False


def _checkbox_missing_code(item: DictionaryField, row: dict[str, str], ctx: _Context) -> str | None:
    for column, code in missing_code_columns(item, ctx).items():
        if row.get(column, "").strip().lower() in _TICKED:
            return code
    return None


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
    if _is_missing_code(item, rule, raw, ctx):
        ctx.result.mapped[f"missing data code {raw}"] += 1
        if rule.kind in (FieldKind.DATE, FieldKind.CODE):
            return []  # no date, no code: nothing is stated
        label = ctx.missing[raw]
        text = raw if label == raw else f"{raw}: {label}"
        fields = {"system": rule.system, "code": rule.code} | base | {"value_text": text}
        return [Fact(**_with_note(fields | {"status": Status.UNKNOWN}))]
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
