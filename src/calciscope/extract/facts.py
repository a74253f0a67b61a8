"""Turn mentions into *suggested* facts for the registry.

Policy (documented in docs/notes.md):

* a negated mention gives a fact with status ``absent``;
* an uncertain, hypothetical or family mention gives **no** fact: "?calcinosis", "if
  calcinosis develops" and "her sister has calcinosis" say nothing about the patient's own
  finding, and a suggested ``unknown`` fact would only add review work;
* a historical mention gives a ``present`` fact (it happened);
* one finding named twice in a sentence gives one fact: a calcinosis or calcification mention
  with nothing linked to it (no site, morphology, extent or tissue) gives no fact when another
  mention of its sentence counts toward the same concept with the same status ("Sheets of soft
  tissue calcification, abdominal wall, in keeping with calcinosis": the fact of the first,
  with its site and morphology), and of several such bare mentions only the first does;
* every fact is ``review_state = suggested`` with ``source_kind = note`` and a JSON provenance
  (note id, offsets, matched text, target rule, modifier rules, engine and rule versions), so
  re-running extraction yields the same fact ids and never touches a confirmed or rejected fact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
from collections.abc import Iterable, Iterator, Sequence
from enum import Enum
from typing import Any, NamedTuple

from calciscope.extract.mention import Category, Mention, counted_concepts
from calciscope.features import Concept, load_catalogue
from calciscope.model import (
    BodyRegion,
    Fact,
    Laterality,
    Method,
    Morphology,
    Note,
    NoteType,
    ReviewState,
    SourceKind,
    Status,
)
from calciscope.model.records import HASHED_WHEN_SET, fact_id_of_values

__all__ = [
    "ROW_COLUMNS",
    "NoteRef",
    "fact_row",
    "mentions_to_facts",
    "mentions_to_rows",
    "mentions_to_values",
    "morphology_of",
    "said_key",
    "status_of",
    "without_decided",
]


class NoteRef(NamedTuple):
    """What suggested facts need of a note: a stored note's fields, without building a model.

    (``notes extract`` reads notes already validated when they were stored; a pydantic
    :class:`~calciscope.model.Note` per note cost its workers more than the tuple.)
    """

    note_id: str
    patient_id: str
    note_type: str
    note_date: dt.date | None
    text: str


_RESULT_STATUS = {
    "positive": Status.PRESENT,
    "weakly_positive": Status.PRESENT,
    "negative": Status.ABSENT,
}
_FINDINGS = frozenset(
    {
        Category.CALCINOSIS,
        Category.CALCIFICATION,
        Category.SSC_SUBSET,
        Category.MYOSITIS,
        Category.OVERLAP,
        Category.ANTIBODY,
        Category.CK_VALUE,
    }
)


def status_of(mention: Mention) -> Status | None:
    """Return the status a mention supports, or None when it gives no fact."""
    if mention.is_uncertain or mention.is_hypothetical or mention.is_family:
        return None
    result = mention.links.get("result")
    if result is not None:
        return _RESULT_STATUS.get(result)
    return Status.ABSENT if mention.is_negated else Status.PRESENT


def morphology_of(mention: Mention) -> Morphology:
    """Return the morphology linked to a calcinosis mention (several different -> mixed)."""
    found = {Morphology(m) for m in mention.links.get("morphology", [])}
    if Morphology.MIXED in found or len(found) > 1:
        return Morphology.MIXED
    return found.pop() if found else Morphology.UNSPECIFIED


def _method(mention: Mention, note: Note | NoteRef, note_method: Method | None) -> Method | None:
    methods = mention.links.get("method") or []
    if methods:
        return Method(methods[0])
    return note_method if note.note_type == NoteType.RADIOLOGY_REPORT else None


def _provenance(note: Note | NoteRef, mention: Mention, version: str) -> str:
    """Return the provenance JSON of a fact from a mention (keys sorted, as ``json.dumps``).

    Written out by hand, with the JSON string encoder: ``json.dumps`` of the same record gives
    the very same text, at a few times the cost (it is paid for every suggested fact).
    """
    return (
        f'{{"end": {int(mention.end)}, "engine": {_STRING(version)}, '
        f'"modifiers": [{", ".join(map(_STRING, mention.modifiers))}], '
        f'"note_id": {_STRING(note.note_id)}, "rule": {_STRING(mention.rule_id)}, '
        f'"start": {int(mention.start)}, "text": {_STRING(mention.text[:120])}}}'
    )[:2000]


#: JSON string literal of a str (``json.dumps(text, ensure_ascii=False)``).
_STRING = json.encoder.encode_basestring


def _primary_code(concept: Concept) -> tuple[str, str]:
    """``concept.primary_code``, computed once per concept name (it is asked for every fact)."""
    found = _PRIMARY_CODES.get(concept.name)
    if found is None or found[0] is not concept:
        found = _PRIMARY_CODES[concept.name] = (concept, concept.primary_code)
    return found[1]


_PRIMARY_CODES: dict[str, tuple[Concept, tuple[str, str]]] = {}


def mentions_to_facts(
    note: Note, mentions: Iterable[Mention], *, version: str, note_method: Method | None = None
) -> list[Fact]:
    """Return the suggested facts a note's mentions support.

    Parameters
    ----------
    note
        The note the mentions were found in (patient, date, id, type).
    mentions
        The note's mentions (:meth:`NoteExtractor.extract`).
    version
        Engine and rule versions, recorded in each fact's provenance.
    note_method
        How findings in this note were made when a mention says nothing (for a radiology
        report, the modality named in the report; radiograph by default).
    """
    return [Fact(**fields) for fields in _fields(note, mentions, version, note_method)]


def mentions_to_rows(
    note: Note | NoteRef,
    mentions: Iterable[Mention],
    *,
    version: str,
    note_method: Method | None = None,
) -> list[dict[str, Any]]:
    """Return the same facts as :func:`mentions_to_facts`, as ``facts`` table rows.

    A row holds every field (enum members as their values, dates as dates) and the
    ``fact_id`` the :class:`~calciscope.model.Fact` would have. Building and pickling a
    validated ``Fact`` per suggestion costs as much as the extraction, so ``notes extract``
    moves rows instead. They are checked all the same: the first fact of each *shape* (its
    code, the values rules give it, the fields set) is validated in full and its row compared
    with the one built here; a shape that differs is validated every time.
    """
    return list(_checked_rows(_fields(note, mentions, version, note_method)))


def mentions_to_values(
    note: Note | NoteRef,
    mentions: Iterable[Mention],
    *,
    version: str,
    note_method: Method | None = None,
) -> list[tuple[Any, ...]]:
    """Return the rows of :func:`mentions_to_rows` as tuples of stored values (a worker's job).

    One tuple per fact, its values in :data:`ROW_COLUMNS` order, as the ``facts`` table stores
    them (the effective date as ISO text): ``notes extract`` inserts them as they come back from
    its workers, with no conversion in between.
    """
    pick = _ROW_VALUES
    values = []
    day = note.note_date
    iso = None if day is None else day.isoformat()  # every fact of a note has its date
    for fields in _fields(note, mentions, version, note_method):
        row = _checked_row(fields)
        stored = row["effective_date"]
        if stored is not None:
            row["effective_date"] = iso if stored is day else stored.isoformat()
        values.append(pick(row))
    return values


def _checked_rows(facts: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield the ``facts`` row of each fact's fields (see :func:`mentions_to_rows`)."""
    return map(_checked_row, facts)


def _checked_row(fields: dict[str, Any]) -> dict[str, Any]:
    """Return the ``facts`` row of a fact's fields (see :func:`mentions_to_rows`)."""
    get = fields.get
    shape = (
        fields["system"],
        fields["code"],
        get("value_text"),
        get("unit"),
        tuple(fields),
        type(get("value_num")),
        type(get("effective_date")),
    )
    trusted = _SHAPES.get(shape)
    if trusted:
        return _row(fields)
    validated = fact_row(Fact(**fields))  # raises on bad values, as mentions_to_facts does
    if trusted is None:
        _SHAPES[shape] = _row(fields) == validated
    return validated


#: Whether a shape of fact (see :func:`mentions_to_rows`) gives the validated row unvalidated.
_SHAPES: dict[tuple[Any, ...], bool] = {}
_NOT_HASHED = frozenset({"fact_id", "review_state"})  # as calciscope.model.records
_FACT_DEFAULTS = {name: field.default for name, field in Fact.model_fields.items()}


def fact_row(fact: Fact) -> dict[str, Any]:
    """Return a fact as a ``facts`` table row (enum members as values, dates as dates)."""
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in fact.__dict__.items()}


_ROW_DEFAULTS = {k: (v.value if isinstance(v, Enum) else v) for k, v in _FACT_DEFAULTS.items()}


def _row(fields: dict[str, Any]) -> dict[str, Any]:
    row = _ROW_DEFAULTS | fields  # the fields hold plain values (see _fields)
    # What Fact hashes for its id (make_fact_id): the fields but fact_id and review_state, by
    # name, dates as ISO text. Every row has every field, so the names are sorted once. The
    # shape check in mentions_to_rows compares the result with the validated Fact's id.
    if row["reference_high"] is None:  # always, for facts from notes: one fixed layout
        values = _HASHED_COMMON(row)
        # str.format writes a date as its ISO text and a float as str() does, as make_fact_id
        text = _LAYOUT_COMMON.format(*["" if v is None else v for v in values])
        row["fact_id"] = "F" + _sha1(text.encode("utf-8")).hexdigest()[:20]
        return row
    listed = list(map(row.__getitem__, _HASHED))
    for i in _DATES:
        if isinstance(listed[i], dt.date):
            listed[i] = listed[i].isoformat()
    row["fact_id"] = fact_id_of_values(_HASHED, listed)
    return row


_HASHED = tuple(sorted(k for k in _ROW_DEFAULTS if k not in _NOT_HASHED))
#: Where the date fields are in ``_HASHED`` (no other field can hold a date).
_DATES = tuple(
    i for i, k in enumerate(_HASHED) if "date" in str(Fact.model_fields[k].annotation).lower()
)
#: The hashed fields of a fact without the fields hashed only when set (see
#: :func:`calciscope.model.records.fact_id_of_values`), and the text they are hashed as.
_COMMON = tuple(k for k in _HASHED if k not in HASHED_WHEN_SET)
_HASHED_COMMON = operator.itemgetter(*_COMMON)
_LAYOUT_COMMON = "|".join(k.replace("{", "{{").replace("}", "}}") + "={}" for k in _COMMON)
_sha1 = hashlib.sha1

#: The fields of a ``facts`` row, in the order of :func:`mentions_to_values`' tuples.
ROW_COLUMNS: tuple[str, ...] = tuple(_ROW_DEFAULTS)


_ROW_VALUES = operator.itemgetter(*ROW_COLUMNS)


#: What a suggested fact says, apart from who made it and how: the row without its id,
#: provenance and review state, with the note and the span from the provenance. Two
#: extractor versions that read the same finding in the same words give the same key.
_SAID = operator.itemgetter(
    *(i for i, k in enumerate(ROW_COLUMNS) if k not in ("fact_id", "provenance", "review_state"))
)
_PROVENANCE = ROW_COLUMNS.index("provenance")


def said_key(row: Sequence[Any]) -> tuple[Any, ...]:
    """Return what a ``facts`` row of a note fact (``ROW_COLUMNS`` order) says; see ``_SAID``.

    Dates are compared as ISO text and numbers as floats (a stored row and a new one differ
    there by driver only).
    """
    said = tuple(
        v.isoformat() if isinstance(v, dt.date) else float(v) if isinstance(v, int) else v
        for v in _SAID(row)
    )
    try:
        where = json.loads(row[_PROVENANCE] or "{}")
    except ValueError:
        where = {}
    if not isinstance(where, dict):
        where = {}
    return (*said, where.get("note_id"), where.get("start"), where.get("end"))


def without_decided(
    rows: list[tuple[Any, ...]], decided: set[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Return the new suggested rows that say nothing a person has already decided on.

    ``decided`` holds the :func:`said_key` of each note fact confirmed, rejected or
    corrected. A new rules version gives a finding a new fact id (the id hashes the
    provenance), so without this it would wait in the queue again beside the decision.
    """
    patients = {key[0] for key in decided}
    return [r for r in rows if r[0] not in patients or said_key(r) not in decided]


def _fields(
    note: Note | NoteRef, mentions: Iterable[Mention], version: str, note_method: Method | None
) -> Iterator[dict[str, Any]]:
    """Yield the fields of each suggested fact, enum members as their values.

    (A ``Fact`` accepts the values, and a ``facts`` row then needs no conversion.)
    """
    concepts = load_catalogue().concepts
    common = {  # the same for every fact of the note
        "patient_id": note.patient_id,
        "effective_date": note.note_date,
        "source_kind": _NOTE,
        "review_state": _SUGGESTED,
    }
    mentions = list(mentions)
    restated = _restated(mentions)
    for n, mention in enumerate(mentions):
        if mention.category not in _FINDINGS or mention.links.get("label") or n in restated:
            continue
        status = status_of(mention)
        if status is None:
            continue
        provenance = None
        for name in counted_concepts(mention):
            concept = concepts.get(name)
            fields = None if concept is None else _fact_fields(mention, concept, status)
            if fields is None:
                continue
            if provenance is None:
                provenance = _provenance(note, mention, version)
            fields.update(common)
            fields["provenance"] = provenance
            if mention.category in _ANCHORS:
                yield from _calcinosis_facts(mention, note, note_method, status, fields)
            else:
                yield fields


#: What makes a calcinosis or calcification mention say more than its name.
_DESCRIBED_BY = ("regions", "morphology", "extent", "tissue")
_CALCIFIC = frozenset({Category.CALCINOSIS, Category.CALCIFICATION})


def _restated(mentions: list[Mention]) -> set[int]:
    """Return the positions of bare mentions restating a finding of their sentence.

    A calcinosis or calcification mention with nothing linked to it, in a sentence where
    another mention counts toward the same concept with the same status, names the same
    finding again (its fact would be a duplicate, with less in it): a mention that describes
    the finding is kept over it, and of bare ones only the first.
    """
    groups: dict[tuple[Any, ...], list[tuple[int, bool]]] = {}
    for n, m in enumerate(mentions):
        if m.category in _CALCIFIC and not m.links.get("label") and m.concept is not None:
            key = (m.sentence, m.concept, status_of(m))
            groups.setdefault(key, []).append((n, any(m.links.get(k) for k in _DESCRIBED_BY)))
    dropped: set[int] = set()
    for found in groups.values():
        bare = [n for n, described in found if not described]
        if len(found) > 1 and bare:
            dropped.update(bare if len(bare) < len(found) else bare[1:])
    return dropped


def _fact_fields(mention: Mention, concept: Concept, status: Status) -> dict[str, Any] | None:
    system, code = _primary_code(concept)
    if status is Status.ABSENT and concept.name == mention.concept:
        part = mention.metadata.get("absent_code")
        if part:  # a subtype's rule: "no dermatomyositis" is DM absent, not the whole class
            system, code = part
    fields: dict[str, Any] = {"system": system, "code": code, "status": status._value_}
    if mention.category == Category.SSC_SUBSET:
        fields["value_text"] = mention.metadata.get("value")
    elif mention.category == Category.CK_VALUE:
        if mention.value is None:
            return None
        fields["value_num"] = float(mention.value.replace(",", ""))
        fields["unit"] = mention.metadata.get("unit", "U/L")
    return fields


def _calcinosis_facts(
    mention: Mention,
    note: Note | NoteRef,
    note_method: Method | None,
    status: Status,
    fields: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    """Yield a calcinosis or calcification fact per linked region (one without a region)."""
    method = _method(mention, note, note_method)
    fields["method"] = None if method is None else method._value_
    if status is Status.PRESENT:
        fields["morphology"] = morphology_of(mention)._value_
    regions = mention.links.get("regions")
    if not regions:
        yield fields
        return
    for entry in regions:
        site = fields | {"body_site": _value_of(BodyRegion, entry["region"])}
        side = entry.get("laterality")
        if side:
            site["laterality"] = _value_of(Laterality, side)
        yield site


def _value_of(kind: type[Enum], value: Any) -> Any:
    """``kind(value)._value_``, looked up in a table for the members' own values."""
    found = _ENUM_VALUES[kind].get(value) if isinstance(value, str) else None
    return kind(value)._value_ if found is None else found


_ENUM_VALUES: dict[type[Enum], dict[str, Any]] = {
    kind: {str(m._value_): m._value_ for m in kind} for kind in (BodyRegion, Laterality)
}


_NOTE = SourceKind.NOTE.value
_SUGGESTED = ReviewState.SUGGESTED.value
_ANCHORS = frozenset({Category.CALCINOSIS, Category.CALCIFICATION})
