"""Turn mentions into *suggested* facts for the registry.

Policy (documented in docs/notes.md):

* a negated mention gives a fact with status ``absent``;
* an uncertain, hypothetical or family mention gives **no** fact: "?calcinosis", "if
  calcinosis develops" and "her sister has calcinosis" say nothing about the patient's own
  finding, and a suggested ``unknown`` fact would only add review work;
* a historical mention gives a ``present`` fact (it happened);
* every fact is ``review_state = suggested`` with ``source_kind = note`` and a JSON provenance
  (note id, offsets, matched text, target rule, modifier rules, engine and rule versions), so
  re-running extraction yields the same fact ids and never touches a confirmed or rejected fact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

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

__all__ = ["mentions_to_facts", "morphology_of", "status_of"]

_RESULT_STATUS = {
    "positive": Status.PRESENT,
    "weakly_positive": Status.PRESENT,
    "negative": Status.ABSENT,
}
_FINDINGS = frozenset(
    {Category.CALCINOSIS, Category.CALCIFICATION, Category.SSC_SUBSET, Category.MYOSITIS,
     Category.OVERLAP, Category.ANTIBODY, Category.CK_VALUE}
)  # fmt: skip


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


def _method(mention: Mention, note: Note, note_method: Method | None) -> Method | None:
    methods = mention.links.get("method") or []
    if methods:
        return Method(methods[0])
    return note_method if note.note_type == NoteType.RADIOLOGY_REPORT else None


def _provenance(note: Note, mention: Mention, version: str) -> str:
    record = {
        "note_id": note.note_id, "start": mention.start, "end": mention.end,
        "text": mention.text[:120], "rule": mention.rule_id, "modifiers": mention.modifiers,
        "engine": version,
    }  # fmt: skip
    return json.dumps(record, ensure_ascii=False, sort_keys=True)[:2000]


def _calcinosis_facts(mention: Mention, status: Status, base: dict[str, Any]) -> Iterator[Fact]:
    if status is Status.PRESENT:
        base = base | {"morphology": morphology_of(mention)}
    regions = mention.links.get("regions") or [None]
    for entry in regions:
        site: dict[str, Any] = {}
        if entry is not None:
            site["body_site"] = BodyRegion(entry["region"])
            if entry.get("laterality"):
                site["laterality"] = Laterality(entry["laterality"])
        yield Fact(**base, **site)


def _fact_fields(mention: Mention, concept: Concept, status: Status) -> dict[str, Any] | None:
    system, code = concept.primary_code
    fields: dict[str, Any] = {"system": system, "code": code, "status": status}
    if mention.category == Category.SSC_SUBSET:
        fields["value_text"] = mention.metadata.get("value")
    elif mention.category == Category.CK_VALUE:
        if mention.value is None:
            return None
        fields["value_num"] = float(mention.value.replace(",", ""))
        fields["unit"] = mention.metadata.get("unit", "U/L")
    return fields


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
    catalogue = load_catalogue()
    facts: list[Fact] = []
    for mention in mentions:
        if mention.links.get("label"):
            continue
        status = status_of(mention) if mention.category in _FINDINGS else None
        if status is None:
            continue
        for name in counted_concepts(mention):
            if name in catalogue.concepts:
                facts.extend(_facts_for(note, mention, catalogue.concepts[name], status, version,
                                        note_method))  # fmt: skip
    return facts


def _facts_for(
    note: Note,
    mention: Mention,
    concept: Concept,
    status: Status,
    version: str,
    note_method: Method | None,
) -> list[Fact]:
    fields = _fact_fields(mention, concept, status)
    if fields is None:
        return []
    base = fields | {
        "patient_id": note.patient_id, "effective_date": note.note_date,
        "source_kind": SourceKind.NOTE, "review_state": ReviewState.SUGGESTED,
        "provenance": _provenance(note, mention, version),
    }  # fmt: skip
    if mention.category in (Category.CALCINOSIS, Category.CALCIFICATION):
        base["method"] = _method(mention, note, note_method)
        return list(_calcinosis_facts(mention, status, base))
    return [Fact(**base)]
