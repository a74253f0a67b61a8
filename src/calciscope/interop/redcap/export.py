"""Write calciscope facts as a REDCap records CSV (raw) under a dictionary and mapping.

The inverse of :mod:`~calciscope.interop.redcap.records` for the rules a mapping makes
invertible (a fact fits a field when its code means the field's catalogue concept): ``status`` (value from ``values``), ``number``, ``date`` and ``text`` fields on the
patient's row, and ``status`` rules with qualifier fields as one repeating-instrument instance
per fact (the calcinosis lesions and radiographs of the template). A non-repeating field holds one value, so
only the latest fact is written there; every fact not written is counted with its reason.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from calciscope.features import load_catalogue
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.mapping import FieldKind, FieldRule, Mapping
from calciscope.model import Fact, Patient, Status

__all__ = ["write_records"]

_QUALIFIER_ATTRS = ("body_site", "laterality", "morphology", "method")


def _same_concept(rule: FieldRule, fact: Fact) -> bool:
    if (rule.system, rule.code) == (fact.system, fact.code):
        return True
    catalogue = load_catalogue()
    ours = set(catalogue.concepts_for_code(rule.system, rule.code))
    return bool(ours & set(catalogue.concepts_for_code(fact.system, fact.code)))


def _matches(rule: FieldRule, fact: Fact) -> bool:
    """Whether a rule's field holds a fact: same concept (any of its codes) and fixed qualifiers."""
    if not _same_concept(rule, fact):
        return False
    return all(
        getattr(getattr(fact, key), "value", None) == value for key, value in rule.fixed.items()
    )


def _cell(rule: FieldRule, fact: Fact) -> str | None:
    if rule.kind is FieldKind.NUMBER and fact.value_num is not None:
        return f"{fact.value_num:g}"
    if rule.kind is FieldKind.DATE and fact.status is Status.PRESENT and fact.effective_date:
        return fact.effective_date.isoformat()
    if rule.kind is FieldKind.TEXT and fact.value_text:
        return fact.value_text
    if rule.kind is FieldKind.STATUS and fact.value_num is None:
        inverse = {status: raw for raw, status in rule.values.items()}
        return inverse.get(fact.status)
    return None


def _instance(rule: FieldRule, name: str, fact: Fact) -> dict[str, str] | None:
    inverse = {status: raw for raw, status in rule.values.items()}
    if fact.status not in inverse:
        return None
    row = {name: inverse[fact.status]}
    for key, column in rule.qualifiers.items():
        value = (
            fact.effective_date.isoformat()
            if key == "date" and fact.effective_date
            else (getattr(getattr(fact, key, None), "value", None))
        )
        if value:
            row[column] = value
    return row


Instance = tuple[str, dict[str, str]]


def _place(
    fact: Fact, mapping: Mapping, main: dict[str, tuple[Any, str]], instances: list[Instance]
) -> bool:
    placed = False
    for name, rule in mapping.fields.items():
        if rule.kind is FieldKind.IGNORE or not _matches(rule, fact):
            continue
        if rule.qualifiers:
            row = _instance(rule, name, fact)
            if row is not None:
                instances.append((name, row))
                placed = True
            continue
        cell = _cell(rule, fact)
        if cell is not None:
            key = (fact.effective_date is not None, fact.effective_date)
            if name not in main or main[name][0] <= key:
                main[name] = (key, cell)
            placed = True
    return placed


def _instance_rows(
    instances: list[Instance], forms: dict[str, str], record: dict[str, str]
) -> list[dict[str, str]]:
    rows, numbers = [], Counter[str]()
    for name, row in instances:
        form = forms[name]
        numbers[form] += 1
        rows.append(
            row
            | record
            | {"redcap_repeat_instrument": form, "redcap_repeat_instance": str(numbers[form])}
        )
    return rows


def _patient_row(
    patient: Patient, mapping: Mapping, main: dict[str, tuple[Any, str]]
) -> dict[str, str]:
    row = {name: cell for name, (_, cell) in main.items()} | {mapping.record_id: patient.patient_id}
    for key, column in mapping.patient.items():
        value = getattr(patient, key, None)
        if isinstance(value, bool):
            row[column] = "1" if value else "0"
        elif value is not None:
            row[column] = str(getattr(value, "value", value))
    return row


def write_records(
    patients: list[Patient], facts: list[Fact], dictionary: list[DictionaryField], mapping: Mapping
) -> tuple[str, Counter[str]]:
    """Return (CSV text, counts of facts not written by reason) for a REDCap records import."""
    columns = [f.name for f in dictionary] + ["redcap_repeat_instrument", "redcap_repeat_instance"]
    forms = {f.name: f.form for f in dictionary}
    by_patient: dict[str, list[Fact]] = {p.patient_id: [] for p in patients}
    for fact in facts:
        by_patient.setdefault(fact.patient_id, []).append(fact)
    out, skipped = io.StringIO(), Counter[str]()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for patient in patients:
        main: dict[str, tuple[Any, str]] = {}
        instances: list[Instance] = []
        for fact in by_patient[patient.patient_id]:
            if not _place(fact, mapping, main, instances):
                skipped["no field of the mapping holds this fact"] += 1
        writer.writerow(_patient_row(patient, mapping, main))
        writer.writerows(_instance_rows(instances, forms, {mapping.record_id: patient.patient_id}))
    return out.getvalue(), skipped
