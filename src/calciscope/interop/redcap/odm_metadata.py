"""The metadata of a REDCap project XML (CDISC ODM 1.3.1 ``MetaDataVersion``) as dictionary fields.

Forms (``FormDef``), their item groups and items (``ItemDef`` with ``redcap:Variable``,
``redcap:FieldType``, ``redcap:TextValidationType``, …), code lists (choices; a checkbox's
options in ``redcap:CheckboxChoices``), events (``StudyEventDef``, ``redcap:UniqueEventName``)
and repeating instruments and events (``redcap:RepeatingInstrumentsAndEvents``) become the
data dictionary's fields and the columns of a raw CSV export, in REDCap's order.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

from calciscope.errors import Problem, ValidationError
from calciscope.interop.redcap.dictionary import (
    CHOICE_TYPES,
    FIELD_TYPES,
    DictionaryField,
    parse_choices,
)
from calciscope.interop.redcap.missing import parse_codes

__all__ = [
    "EVENT",
    "INSTANCE",
    "INSTRUMENT",
    "ODM_NS",
    "ODM_TAG",
    "REDCAP_NS",
    "REDCAP_TAG",
    "SUMMARY",
    "OdmProject",
    "invalid",
    "read_metadata",
]

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
REDCAP_NS = "https://projectredcap.org"
ODM_TAG, REDCAP_TAG = f"{{{ODM_NS}}}", f"{{{REDCAP_NS}}}"
_O, _R = ODM_TAG, REDCAP_TAG
#: The columns a CSV export adds for longitudinal projects and repeat instances.
EVENT, INSTRUMENT, INSTANCE = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
)
SUMMARY = "REDCap project XML is invalid"
#: ODM's field types and validations where the data dictionary spells them differently.
_FIELD_TYPES = {"select": "dropdown", "textarea": "notes"}
_VALIDATIONS = {"int": "integer", "float": "number"}


@dataclass
class OdmProject:
    """The metadata of a project XML: dictionary fields, record columns, forms and events."""

    fields: list[DictionaryField]
    columns: list[str]
    record_id: str
    forms: dict[str, str] = field(default_factory=dict)
    item_forms: dict[str, str] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)
    repeating_forms: set[tuple[str, str]] = field(default_factory=set)
    repeating_events: set[str] = field(default_factory=set)
    #: ``redcap:MissingDataCodes`` of the project's global variables (None: empty or absent)
    missing_data_codes: dict[str, str] | None = None


def invalid(source: str, location: str, name: str, message: str) -> ValidationError:
    """Return the error of one problem with a project XML."""
    return ValidationError([Problem(source, location, name, message)], summary=SUMMARY)


def _text(elem: ET.Element | None, path: str) -> str:
    found = elem.find(path) if elem is not None else None
    return (found.text or "") if found is not None else ""


def _item_choices(
    item: ET.Element, field_type: str, code_lists: dict[str, ET.Element]
) -> dict[str, str]:
    ref = item.find(f"{_O}CodeListRef")
    codes = code_lists.get(ref.get("CodeListOID", "")) if ref is not None else None
    if codes is None or field_type in ("yesno", "truefalse"):
        return parse_choices("", field_type)
    if field_type == "checkbox":
        return parse_choices(codes.get(f"{_R}CheckboxChoices", ""), field_type)
    return {
        c.get("CodedValue", ""): _text(c, f"{_O}Decode/{_O}TranslatedText")
        for c in codes.iter(f"{_O}CodeListItem")
    }


def _range(item: ET.Element, comparator: str) -> str:
    for check in item.iter(f"{_O}RangeCheck"):
        if check.get("Comparator") == comparator:
            return _text(check, f"{_O}CheckValue")
    return ""


def _field(item: ET.Element, form: str, code_lists: dict[str, ET.Element]) -> DictionaryField:
    field_type = item.get(f"{_R}FieldType", "")
    field_type = _FIELD_TYPES.get(field_type, field_type)
    validation = item.get(f"{_R}TextValidationType", "")
    return DictionaryField(
        name=item.get(f"{_R}Variable") or item.get("Name") or "",
        form=form,
        field_type=field_type,
        label=_text(item, f"{_O}Question/{_O}TranslatedText"),
        choices=_item_choices(item, field_type, code_lists),
        validation=_VALIDATIONS.get(validation, validation),
        identifier=item.get(f"{_R}Identifier", "").lower() == "y",
        section=item.get(f"{_R}SectionHeader", ""),
        note=item.get(f"{_R}FieldNote", ""),
        minimum=_range(item, "GE"),
        maximum=_range(item, "LE"),
        required=item.get(f"{_R}RequiredField", "").lower() == "y",
        annotation=item.get(f"{_R}FieldAnnotation", ""),
    )


def _is_field(item: ET.Element, form: str) -> bool:
    """Whether an item is a dictionary field (not a form status, timestamp, DAG or survey id)."""
    name = item.get(f"{_R}Variable") or item.get("Name", "")
    return bool(item.get(f"{_R}FieldType")) and name != f"{form}_complete"


@dataclass
class _Builder:
    source: str
    lines: dict[ET.Element, int]
    problems: list[Problem] = field(default_factory=list)

    def problem(self, elem: ET.Element, what: str, name: str, message: str) -> None:
        where = f"{what}, line {self.lines.get(elem, '?')}"
        self.problems.append(Problem(self.source, where, name, message))


def _form_items(
    metadata: ET.Element, build: _Builder
) -> Iterator[tuple[str, str, ET.Element | None]]:
    """(form name, item OID, ItemDef) for every item of every form, in REDCap's order."""
    groups = {g.get("OID"): g for g in metadata.iter(f"{_O}ItemGroupDef")}
    items = {i.get("OID"): i for i in metadata.iter(f"{_O}ItemDef")}
    for form_def in metadata.iter(f"{_O}FormDef"):
        form = form_def.get(f"{_R}FormName") or form_def.get("OID", "").removeprefix("Form.")
        for ref in form_def.iter(f"{_O}ItemGroupRef"):
            group = groups.get(ref.get("ItemGroupOID"))
            if group is None:
                build.problem(
                    ref, "ItemGroupRef", ref.get("ItemGroupOID", ""), "no such ItemGroupDef"
                )
                continue
            for item_ref in group.iter(f"{_O}ItemRef"):
                oid = item_ref.get("ItemOID", "")
                if items.get(oid) is None:
                    build.problem(item_ref, "ItemRef", oid, "no such ItemDef")
                yield form, oid, items.get(oid)


def _check_field(item: ET.Element, made: DictionaryField, build: _Builder) -> None:
    oid = item.get("OID", "")
    if made.field_type not in FIELD_TYPES:
        build.problem(item, f"ItemDef {oid}", made.name, f"unknown field type {made.field_type!r}")
    elif made.field_type in CHOICE_TYPES and not made.choices:
        build.problem(item, f"ItemDef {oid}", made.name, f"{made.field_type} field has no choices")


def _fields(
    metadata: ET.Element, build: _Builder
) -> tuple[list[DictionaryField], list[str], dict[str, str]]:
    """Return the dictionary fields, every record column (item OIDs) and each item's form."""
    code_lists = {c.get("OID", ""): c for c in metadata.iter(f"{_O}CodeList")}
    fields: dict[str, DictionaryField] = {}
    columns: list[str] = []
    item_forms: dict[str, str] = {}
    for form, oid, item in _form_items(metadata, build):
        if item is None or oid in item_forms:
            continue
        columns.append(oid)
        item_forms[oid] = form
        if _is_field(item, form):
            made = _field(item, form, code_lists)
            if made.name not in fields:
                _check_field(item, made, build)
                fields[made.name] = made
    return list(fields.values()), columns, item_forms


def _repeats(study: ET.Element | None, longitudinal: bool) -> tuple[set[tuple[str, str]], set[str]]:
    """Repeating (event, form) pairs (event ``""`` in a classic project) and repeating events."""
    forms, events = set(), set()
    for elem in study.iter(f"{_R}RepeatingInstrument") if study is not None else ():
        event = elem.get(f"{_R}UniqueEventName", "") if longitudinal else ""
        forms.add((event, elem.get(f"{_R}RepeatInstrument", "")))
    for elem in study.iter(f"{_R}RepeatingEvent") if study is not None else ():
        events.add(elem.get(f"{_R}UniqueEventName", ""))
    return forms, events


def _project(metadata: ET.Element, study: ET.Element | None, build: _Builder) -> OdmProject:
    fields, columns, item_forms = _fields(metadata, build)
    if not fields:
        build.problem(metadata, "MetaDataVersion", "ItemDef", "no REDCap fields (redcap:FieldType)")
        raise ValidationError(build.problems, summary=SUMMARY)
    record_id = metadata.get(f"{_R}RecordIdField") or fields[0].name
    if record_id not in {f.name for f in fields}:
        build.problem(metadata, "MetaDataVersion", "redcap:RecordIdField", f"no field {record_id}")
    fields.sort(key=lambda f: f.name != record_id)  # the record id first, as in a dictionary
    events = {
        e.get("OID", ""): e.get(f"{_R}UniqueEventName", "")
        for e in metadata.iter(f"{_O}StudyEventDef")
    }
    repeating_forms, repeating_events = _repeats(study, bool(events))
    repeating_events |= {
        e.get(f"{_R}UniqueEventName", "")
        for e in metadata.iter(f"{_O}StudyEventDef")
        if e.get("Repeating") == "Yes"
    }
    forms = {
        f.get("OID", ""): f.get(f"{_R}FormName") or f.get("OID", "").removeprefix("Form.")
        for f in metadata.iter(f"{_O}FormDef")
    }
    extra = [EVENT] if events else []
    extra += [INSTRUMENT, INSTANCE] if repeating_forms or repeating_events else []
    columns = [record_id, *extra, *(c for c in columns if c != record_id)]
    if build.problems:
        raise ValidationError(build.problems, summary=SUMMARY)
    declared = _text(study, f"{_O}GlobalVariables/{_R}MissingDataCodes").strip()
    return OdmProject(
        fields,
        columns,
        record_id,
        forms,
        item_forms,
        events,
        repeating_forms,
        repeating_events,
        parse_codes(declared) if declared else None,
    )


def read_metadata(events: Iterator[tuple[str, ET.Element, int]], source: str) -> OdmProject:
    """Read up to the end of ``MetaDataVersion`` (the data that follows stays unread)."""
    lines: dict[ET.Element, int] = {}
    study: ET.Element | None = None
    for kind, elem, line in events:
        if kind == "start":
            lines[elem] = line
            if len(lines) == 1 and elem.tag != f"{_O}ODM":
                raise invalid(
                    source, f"line {line}", elem.tag, f"not CDISC ODM: the root is not {_O}ODM"
                )
            study = elem if elem.tag == f"{_O}Study" and study is None else study
            if elem.tag == f"{_O}ClinicalData":
                break
        elif elem.tag == f"{_O}MetaDataVersion":
            return _project(elem, study, _Builder(source, lines))
    raise invalid(source, "file", "MetaDataVersion", "no REDCap metadata before the data")
