"""Write calciscope facts as a REDCap records CSV (raw) under a dictionary and mapping.

The inverse of :mod:`~calciscope.interop.redcap.records` for the rules a mapping makes
invertible (a fact fits a field when its code means the field's catalogue concept): ``status``
(value from ``values``), ``number``, ``date`` and ``text`` fields on the patient's row, and
``status`` rules with qualifier fields as one repeating-instrument instance per fact (the
calcinosis lesions and radiographs of the template). A non-repeating field holds one value. For
a field of the template, which stands for one feature (its ``redcap`` name), that is the value
the feature reads: the earliest date for a ``first_date`` feature, the highest value for
``max_value``, present if any fact is present (else absent, else unknown) for ``status``;
otherwise, and for fields of other mappings, the latest fact (ties: the highest value or text).
A ``number`` field's value carries its upper limit of normal (``reference_high``) in the
field ``<field>_uln`` when the dictionary has one (the template has one for laboratory values).
A template field holds the facts its feature reads: at any of its body sites (they come back at
its first), and an absent fact without a site in every site field of its concept (the reader
reads a row whose every site field of a concept says absent back as that one absence without a
site: :func:`~calciscope.interop.redcap.template.site_field_groups`).
Only facts confirmed by a person are written (a REDCap record cannot say "suggested"; every
field reads back as confirmed). Every fact not written is counted with its reason, and so is
what a one-value field cannot hold (:func:`_settle`): a side alone of a both-sides concept, a
number field's other values, and the date of the one it keeps.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from calciscope.features import DerivationKind, Feature, load_catalogue
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.mapping import ULN_SUFFIX, FieldKind, FieldRule, Mapping
from calciscope.interop.redcap.template import template_features
from calciscope.model import Fact, Laterality, Patient, ReviewState, Status

__all__ = ["write_records"]


def _same_concept(rule: FieldRule, fact: Fact) -> bool:
    if (rule.system, rule.code) == (fact.system, fact.code):
        return True
    catalogue = load_catalogue()
    ours = set(catalogue.concepts_for_code(rule.system, rule.code))
    return bool(ours & set(catalogue.concepts_for_code(fact.system, fact.code)))


def _read_by(feature: Feature, fact: Fact) -> bool:
    """Whether a feature reads a fact of its concept at its sites and side (as the engine does).

    An absent fact without a site says "absent" for every site of a status feature; an absent
    fact of a part of a concept (a subtype: ``whole_codes``) says nothing of the whole, so a
    field standing for the whole does not hold it (fixes19: "no dermatomyositis" is not
    ``iim_dx`` 0).
    """
    derive = feature.derive
    if fact.status is Status.ABSENT:
        catalogue = load_catalogue()
        concepts = set(catalogue.concepts_for_code(fact.system, fact.code)) & set(derive.concepts)
        if concepts and not any(
            catalogue.concepts[c].rules_out(fact.system, fact.code) for c in concepts
        ):
            return False
    siteless_absence = fact.status is Status.ABSENT and fact.body_site is None
    if derive.kind is DerivationKind.STATUS and siteless_absence:
        return True
    return (not derive.sites or fact.body_site in derive.sites) and (
        not derive.laterality or fact.laterality in derive.laterality
    )


def _matches(rule: FieldRule, fact: Fact, feature: Feature | None = None) -> bool:
    """Whether a rule's field holds a fact: same concept (any of its codes) and qualifiers.

    A template field holds the facts its feature reads (any of the feature's sites: they come
    back at its first); another field the facts with its fixed qualifiers.
    """
    if not _same_concept(rule, fact):
        return False
    if feature is not None and not feature.derive.morphology:
        return _read_by(feature, fact)
    return all(
        getattr(getattr(fact, key), "value", None) == value for key, value in rule.fixed.items()
    )


_STATUS_RANK = {Status.PRESENT: 2, Status.ABSENT: 1, Status.UNKNOWN: 0}
Rank = Callable[[Fact], tuple[Any, ...]]


def _latest(fact: Fact) -> tuple[Any, ...]:
    value = fact.value_num if fact.value_num is not None else -math.inf
    return fact.effective_date or dt.date.min, value, fact.value_text or ""


#: Which fact a template field holds, by the kind of the feature it stands for (larger wins).
_RANKS: dict[DerivationKind, Rank] = {
    DerivationKind.FIRST_DATE: lambda f: (-(f.effective_date or dt.date.max).toordinal(),),
    DerivationKind.MAX_VALUE: lambda f: (f.value_num if f.value_num is not None else -math.inf,),
    DerivationKind.STATUS: lambda f: (_STATUS_RANK[f.status], *_latest(f)),
}


def _rank(feature: Feature | None) -> Rank:
    """Return how a field standing for ``feature`` picks its one fact (larger wins).

    A text the feature passes over (``skip_values``: a clinician's "undetermined" subset) loses
    to any other, as the feature reads it (edge13).
    """
    if feature is None:
        return _latest
    skip = feature.derive.skip_values
    if skip:
        return lambda f: ((f.value_text or "").strip().lower() not in skip, *_latest(f))
    return _RANKS.get(feature.derive.kind, _latest)


def _number(value: float) -> str:
    """Return a number as REDCap number fields take it: positional, every digit kept."""
    return str(np.format_float_positional(value, trim="-"))


def _cell(rule: FieldRule, fact: Fact) -> str | None:
    # number, date and text fields read back as present facts: only present ones go there
    present = fact.status is Status.PRESENT
    if rule.kind is FieldKind.NUMBER and present and fact.value_num is not None:
        return _number(fact.value_num)
    if rule.kind is FieldKind.DATE and present and fact.effective_date:
        return fact.effective_date.isoformat()
    if rule.kind is FieldKind.TEXT and present and fact.value_text:
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
Main = dict[str, tuple[Any, str | None]]

#: Reasons counted for what a one-value field cannot hold (docs/interop.md, REDCap export).
ONE_SIDE = "one side only: {field} means both sides (left with right, or bilateral)"
NUMBER_SUPERSEDED = "not kept: {field} holds one value per record"
NUMBER_UNDATED = "date not kept: {field} holds its value without a date"


def _one_side(feature: Feature | None, fact: Fact) -> bool:
    """Whether a present fact of one side waits for the other side ("of both hands")."""
    return (
        feature is not None
        and feature.derive.both_sides
        and fact.status is Status.PRESENT
        and fact.laterality in (Laterality.LEFT, Laterality.RIGHT)
    )


def _offer(main: Main, name: str, key: Any, cell: str, fact: Fact) -> None:
    """Keep a cell in a one-value field if it ranks above the one there."""
    if name not in main or main[name][0] < key:
        main[name] = (key, cell)
        # the value's upper limit of normal goes beside it (<field>_uln), or nowhere
        uln = None if fact.reference_high is None else _number(fact.reference_high)
        main[f"{name}{ULN_SUFFIX}"] = (key, uln)


def _place(
    fact: Fact,
    mapping: Mapping,
    features: dict[str, Feature],
    main: Main,
    instances: list[Instance],
    held: dict[str, list[Fact]],
) -> bool:
    placed = False
    for name, rule in mapping.fields.items():
        feature = features.get(name)
        if rule.kind is FieldKind.IGNORE or not _matches(rule, fact, feature):
            continue
        if rule.qualifiers:
            row = _instance(rule, name, fact)
            if row is not None:
                instances.append((name, row))
                placed = True
            continue
        cell = _cell(rule, fact)
        if cell is not None:
            held.setdefault(name, []).append(fact)
            if not _one_side(feature, fact):  # a side alone is decided per patient (_settle)
                rank = _rank(feature)
                _offer(main, name, rank(fact), cell, fact)
            placed = True
    return placed


def _settle(
    mapping: Mapping,
    features: dict[str, Feature],
    main: Main,
    held: dict[str, list[Fact]],
    skipped: Counter[str],
) -> None:
    """Decide what one-value fields could not hold, and count it (never silently).

    A field of a concept that names both sides (``both_sides``: skin thickening of the fingers
    of *both* hands) is present from a left and a right fact together; a side alone is not
    written (the feature leaves it unknown) and is counted. A number field holds one value per
    record, without a date: the other values are counted as not kept, and a kept value's date
    as lost (a feature that reads the age at the test, such as the sex- and age-banded upper
    limit of normal of ``muscle_enzymes_elevated``, can change).
    """
    for name, facts in held.items():
        rule, feature = mapping.fields[name], features.get(name)
        sided = [f for f in facts if _one_side(feature, f)]
        if sided and {f.laterality for f in sided} >= {Laterality.LEFT, Laterality.RIGHT}:
            latest = max(sided, key=_RANKS[DerivationKind.STATUS])
            cell = _cell(rule, latest)
            assert cell is not None  # a present status fact has a cell
            _offer(main, name, _RANKS[DerivationKind.STATUS](latest), cell, latest)
        elif sided:
            skipped[ONE_SIDE.format(field=name)] += len(sided)
        if rule.kind is FieldKind.NUMBER:
            rank = _rank(feature)
            if len(facts) > 1:
                skipped[NUMBER_SUPERSEDED.format(field=name)] += len(facts) - 1
            if max(facts, key=rank).effective_date is not None:
                skipped[NUMBER_UNDATED.format(field=name)] += 1


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
    patient: Patient,
    mapping: Mapping,
    main: Main,
    columns: list[str],
    skipped: Counter[str],
) -> dict[str, str]:
    row = {name: cell for name, (_, cell) in main.items() if cell is not None}
    for name in [n for n in row if n.endswith(ULN_SUFFIX) and n not in columns]:
        del row[name]
        skipped[f"reference_high not kept (the dictionary has no {ULN_SUFFIX} field)"] += 1
    row[mapping.record_id] = patient.patient_id
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
    features = template_features(mapping)
    out, skipped = io.StringIO(), Counter[str]()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for patient in patients:
        main: Main = {}
        instances: list[Instance] = []
        held: dict[str, list[Fact]] = {}
        for fact in by_patient[patient.patient_id]:
            if fact.review_state is not ReviewState.CONFIRMED:
                skipped["not confirmed (suggested or rejected)"] += 1
            elif not _place(fact, mapping, features, main, instances, held):
                skipped["no field of the mapping holds this fact"] += 1
        _settle(mapping, features, main, held, skipped)
        writer.writerow(_patient_row(patient, mapping, main, columns, skipped))
        writer.writerows(_instance_rows(instances, forms, {mapping.record_id: patient.patient_id}))
    return out.getvalue(), skipped
