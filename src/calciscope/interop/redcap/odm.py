"""REDCap project XML (CDISC ODM 1.3.1 with ``redcap:`` extensions) as dictionary fields and rows.

REDCap's "Download project XML" (API ``exportProjectXml``) and its ODM records export hold the
metadata (``MetaDataVersion``: forms, item groups, items, code lists, events; repeating
instruments in ``GlobalVariables``) before the data (``ClinicalData``). This module turns them
into what :func:`~calciscope.interop.redcap.records.read_record_rows` reads from a CSV export:
the data dictionary's fields, and one row per record, event and repeat instance with raw values,
``field___code`` checkbox columns, ``redcap_event_name``, ``redcap_repeat_instrument``,
``redcap_repeat_instance`` and ``<form>_complete``. One set of mapping rules, checks and error
reports thus applies to every REDCap input.

The file is parsed incrementally, fed at most a line at a time so that every location carries
a line number; each record's elements are dropped once its rows are made. The standard
library's expat does not fetch external entities and limits entity expansion.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from calciscope.errors import Problem, ValidationError
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.odm_metadata import (
    EVENT,
    INSTANCE,
    INSTRUMENT,
    ODM_NS,
    ODM_TAG,
    REDCAP_NS,
    REDCAP_TAG,
    SUMMARY,
    OdmProject,
    read_metadata,
)

__all__ = ["ODM_NS", "REDCAP_NS", "OdmProject", "Rows", "is_xml", "read_odm", "read_odm_dictionary"]

_O, _R = ODM_TAG, REDCAP_TAG
_DAG = "redcap_data_access_group"
_LINE_BYTES = 1 << 16

_Events = Generator[tuple[str, ET.Element, int], None, None]
#: Rows as a raw CSV export has them, each with its location (record, event, instance, lines).
Rows = Generator[tuple[str, dict[str, str]], None, None]


def is_xml(path: Path) -> bool:
    """Whether a file starts like XML (after a byte-order mark and blanks): ``<``."""
    try:
        with Path(path).open("rb") as handle:
            start = handle.read(512)
    except OSError:
        return False  # the reader of the other format reports it
    return start.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _events(path: Path) -> _Events:
    """Start and end events, each with the line it was read on."""
    parser: ET.XMLPullParser = ET.XMLPullParser(events=("start", "end"))
    line = 1
    with Path(path).open("rb") as handle:
        while chunk := handle.readline(_LINE_BYTES):
            parser.feed(chunk)
            yield from _read(parser, line)
            line += chunk.count(b"\n")
        parser.close()
        yield from _read(parser, line)


def _read(parser: ET.XMLPullParser, line: int) -> _Events:
    for event in parser.read_events():
        if len(event) == 2 and isinstance(event[1], ET.Element):  # only start/end are asked for
            yield event[0], event[1], line


def _parse_problem(source: str, exc: ET.ParseError) -> Problem:
    line, column = exc.position
    return Problem(source, f"line {line} column {column + 1}", "", f"not well-formed XML: {exc}")


def _value(elem: ET.Element) -> str | None:
    """Return an ItemData's raw value (a file's content is ``[document]``, as in a CSV export)."""
    if elem.tag == f"{_O}ItemData":
        return "" if elem.get("IsNull") == "Yes" else elem.get("Value", elem.text or "")
    if elem.tag == f"{_O}ItemDataBase64Binary":
        return "[document]"
    return (elem.text or "").strip() if elem.tag.startswith(f"{_O}ItemData") else None


@dataclass
class _Row:
    values: dict[str, str]
    first: int
    last: int


@dataclass
class _Subject:
    """One record (``SubjectData``) becoming rows keyed by (event, repeat instrument, instance)."""

    project: OdmProject
    source: str
    record: str
    starts: dict[ET.Element, int]
    ends: dict[ET.Element, int]
    problems: list[Problem]
    rows: dict[tuple[str, str, str], _Row] = field(default_factory=dict)

    def where(self, key: tuple[str, str, str], lines: str) -> str:
        event, form, instance = key
        parts = [f"record {self.record}"] + ([f"event {event}"] if event else [])
        parts += [f"{form or 'event'} instance {instance}"] if instance else []
        return ", ".join([*parts, lines])

    def problem(self, key: tuple[str, str, str], elem: ET.Element, name: str, message: str) -> None:
        lines = f"line {self.starts.get(elem, '?')}"
        self.problems.append(Problem(self.source, self.where(key, lines), name, message))

    def blocks(self, subject: ET.Element) -> Iterator[tuple[ET.Element, str, str]]:
        """(element holding FormData, unique event name, event repeat key)."""
        if self.project.events and subject.find(f"{_O}FormData") is not None:
            self.problem(
                ("", "", ""),
                subject,
                "StudyEventData",
                "forms outside an event of a longitudinal project",
            )
        yield subject, "", ""
        for data in subject.iter(f"{_O}StudyEventData"):
            event = data.get(f"{_R}UniqueEventName") or self.project.events.get(
                data.get("StudyEventOID", ""), ""
            )
            if event not in self.project.events.values():
                self.problem(
                    ("", "", ""), data, data.get("StudyEventOID", ""), "no such StudyEventDef"
                )
                continue
            yield data, event, data.get("StudyEventRepeatKey", "1")

    def key(
        self, event: str, event_repeat: str, form: str, data: ET.Element
    ) -> tuple[str, str, str]:
        repeat = data.get("FormRepeatKey", "1")
        if event in self.project.repeating_events:
            return event, "", event_repeat
        if (event, form) in self.project.repeating_forms:
            return event, form, repeat
        if repeat != "1":
            self.problem(
                (event, form, repeat),
                data,
                form,
                f"FormRepeatKey {repeat}, but this form does not repeat",
            )
        return event, "", ""

    def form(self, data: ET.Element, event: str, event_repeat: str) -> None:
        form = self.project.forms.get(data.get("FormOID", ""))
        if form is None:
            self.problem((event, "", ""), data, data.get("FormOID", ""), "no such FormDef")
            return
        key = self.key(event, event_repeat, form, data)
        first, last = self.starts.get(data, 0), self.ends.get(data, 0)
        row = self.rows.setdefault(key, _Row({}, first, last))
        row.first, row.last = min(row.first, first), max(row.last, last)
        for elem in data.iter():
            value = _value(elem)
            if value is not None:
                self.item(elem, value, form, key, row)

    def item(
        self, elem: ET.Element, value: str, form: str, key: tuple[str, str, str], row: _Row
    ) -> None:
        oid = elem.get("ItemOID", "")
        owner = self.project.item_forms.get(oid)
        if owner is None:
            self.problem(key, elem, oid, "no such ItemDef in the metadata")
        elif owner != form and oid != self.project.record_id and not oid.startswith("redcap_"):
            self.problem(key, elem, oid, f"an item of form {owner} in the FormData of {form}")
        else:
            row.values[oid] = value

    def located_rows(self) -> Rows:
        dag = next((r.values[_DAG] for r in self.rows.values() if r.values.get(_DAG)), "")
        for key, row in self.rows.items():
            values = dict.fromkeys(self.project.columns, "") | row.values
            values[self.project.record_id] = self.record
            event, form, instance = key
            values |= {EVENT: event} if self.project.events else {}
            values |= {INSTRUMENT: form, INSTANCE: instance} if instance else {}
            values |= {_DAG: dag} if dag else {}
            yield self.where(key, f"lines {row.first}-{row.last}"), values


def _subject_rows(subject: ET.Element, state: _Subject) -> Rows:
    if not state.record:
        state.problem(("", "", ""), subject, "SubjectKey", "a SubjectData without a SubjectKey")
        return
    for holder, event, event_repeat in state.blocks(subject):
        for data in holder.findall(f"{_O}FormData"):
            state.form(data, event, event_repeat)
    yield from state.located_rows()


def _records(events: _Events, project: OdmProject, source: str) -> Rows:
    """Rows of every record, one record at a time; problems are raised together at the end."""
    problems: list[Problem] = []
    starts: dict[ET.Element, int] = {}
    ends: dict[ET.Element, int] = {}
    parent: ET.Element | None = None
    try:
        for kind, elem, line in events:
            if kind == "start":
                starts[elem] = line
                parent = elem if elem.tag == f"{_O}ClinicalData" else parent
            elif elem.tag == f"{_O}FormData":
                ends[elem] = line
            elif elem.tag == f"{_O}SubjectData":
                state = _Subject(
                    project, source, elem.get("SubjectKey", ""), starts, ends, problems
                )
                yield from _subject_rows(elem, state)
                starts.clear()
                ends.clear()
                elem.clear()
                if parent is not None:
                    del parent[:]
    except ET.ParseError as exc:
        problems.append(_parse_problem(source, exc))
    if problems:
        raise ValidationError(problems, summary="REDCap import failed")


def read_odm(path: Path) -> tuple[OdmProject, Rows]:
    """Read a project XML's metadata now, and return it with its rows (read as they are taken).

    Each row is a raw CSV export's row (every column, ``""`` when empty) with its location
    (record, event, repeat instance, lines). Taking the rows raises a :class:`ValidationError`
    at the end if a record did not fit the metadata or the XML broke off.

    Raises
    ------
    ValidationError
        If the file is not well-formed XML, not CDISC ODM, or its metadata is unusable.
    """
    source = str(path)
    events = _events(Path(path))
    try:
        project = read_metadata(events, source)
    except ET.ParseError as exc:
        events.close()
        raise ValidationError([_parse_problem(source, exc)], summary=SUMMARY) from None
    except ValidationError:
        events.close()
        raise
    return project, _records(events, project, source)


def read_odm_dictionary(path: Path) -> list[DictionaryField]:
    """Return the data dictionary fields of a project XML (its data is not read)."""
    project, rows = read_odm(path)
    rows.close()
    return project.fields
