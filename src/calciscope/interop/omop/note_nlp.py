"""NOTE_NLP rows (OMOP CDM v5.3/v5.4) for facts calciscope derived from notes.

One row per fact with ``source_kind = note`` whose provenance is the JSON that
:mod:`calciscope.extract` writes (note id, character offsets, matched text, ConText modifiers).
``term_exists`` is ``Y`` for present, ``N`` for absent and for unknown (uncertain) facts, the
OHDSI reading ("negated, hypothetical, ruled out or uncertain: N"); the status and the fact's
qualifiers are spelled out in ``term_modifiers``. ``note_id`` must be an integer in the CDM
(32-bit in the official DDL): pass the CDM's ids, or a stable number from 1 to 2**31 - 1 is
derived from calciscope's note id (:func:`note_id_map` keeps them distinct).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from calciscope.interop.mappings import QUALIFIERS
from calciscope.model import Fact, SourceKind, Status

__all__ = ["MAX_CDM_ID", "NOTE_NLP_COLUMNS", "note_id_map", "note_nlp_rows", "stable_note_id"]

NOTE_NLP_COLUMNS = (
    "note_nlp_id",
    "note_id",
    "section_concept_id",
    "snippet",
    "offset",
    "lexical_variant",
    "note_nlp_concept_id",
    "note_nlp_source_concept_id",
    "nlp_system",
    "nlp_date",
    "nlp_datetime",
    "term_exists",
    "term_temporal",
    "term_modifiers",
)


#: The largest id an OMOP ``integer`` column holds (the official DDL's INTEGER is 32-bit).
MAX_CDM_ID = 2**31 - 1


def stable_note_id(note_id: str) -> int:
    """Return a stable integer from 1 to :data:`MAX_CDM_ID` for a calciscope note id."""
    number = int.from_bytes(hashlib.sha1(note_id.encode("utf-8")).digest()[:8], "big")
    return number % MAX_CDM_ID + 1


def note_id_map(note_ids: Iterable[str]) -> dict[str, int]:
    """Return a distinct CDM ``note_id`` for each calciscope note id.

    Each is :func:`stable_note_id`; the rare collision (31 bits) takes the next free number,
    in the order of the sorted ids, so the same notes get the same numbers in every export.
    """
    taken: set[int] = set()
    out: dict[str, int] = {}
    for note_id in sorted(set(note_ids)):
        number = stable_note_id(note_id)
        while number in taken:
            number = number % MAX_CDM_ID + 1
        taken.add(number)
        out[note_id] = number
    return out


def _provenance(fact: Fact) -> dict[str, Any] | None:
    try:
        record = json.loads(fact.provenance or "")
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and "note_id" in record else None


def _modifiers(fact: Fact, record: dict[str, Any]) -> str:
    parts = [f"status={fact.status.value}", f"calciscope={fact.system}:{fact.code}"]
    parts += [
        f"{name}={getattr(fact, name).value}"
        for name in QUALIFIERS
        if getattr(fact, name) is not None
    ]
    context = record.get("modifiers")
    if isinstance(context, dict):
        parts += [f"{k}={v}" for k, v in sorted(context.items())]
    elif isinstance(context, list):
        parts += [str(m) for m in context]
    return ", ".join(parts)[:2000]


def _row(
    number: int, fact: Fact, record: dict[str, Any], note_id: int, concept_id: int, when: dt.date
) -> dict[str, Any]:
    modifiers = _modifiers(fact, record)
    historical = "historical" in modifiers.lower()
    return {
        "note_nlp_id": number,
        "note_id": note_id,
        "section_concept_id": 0,
        "snippet": str(record.get("text", ""))[:250],
        "offset": str(record.get("start", "")),
        "lexical_variant": str(record.get("text", ""))[:250],
        "note_nlp_concept_id": concept_id,
        "note_nlp_source_concept_id": 0,
        "nlp_system": f"calciscope {record.get('engine', '')}".strip(),
        "nlp_date": fact.effective_date or when,
        "nlp_datetime": None,
        "term_exists": "Y" if fact.status is Status.PRESENT else "N",
        "term_temporal": "historical" if historical else "",
        "term_modifiers": modifiers,
    }


def note_nlp_rows(
    facts: Sequence[Fact],
    *,
    concept_ids: dict[tuple[str, str], int] | None = None,
    note_ids: dict[str, int] | None = None,
    nlp_date: dt.date | None = None,
) -> pa.Table:
    """Return the NOTE_NLP rows for the note-derived facts among ``facts``.

    Parameters
    ----------
    facts
        Facts; those not from notes, or without calciscope's JSON provenance, are left out.
    concept_ids
        OMOP concept id for each (system, code); 0 ("no matching concept") otherwise.
    note_ids
        The CDM's integer ``note_id`` for each calciscope note id (default: :func:`stable_note_id`).
    nlp_date
        Date written when a fact has no date (today by default).
    """
    rows: list[dict[str, Any]] = []
    for fact in facts:
        record = _provenance(fact) if fact.source_kind is SourceKind.NOTE else None
        if record is None:
            continue
        note_id = (note_ids or {}).get(str(record["note_id"])) or stable_note_id(
            str(record["note_id"])
        )
        concept = (concept_ids or {}).get((fact.system, fact.code), 0)
        rows.append(
            _row(len(rows) + 1, fact, record, note_id, concept, nlp_date or dt.date.today())
        )
    schema = pa.schema(
        [
            ("note_nlp_id", pa.int64()),
            ("note_id", pa.int64()),
            ("section_concept_id", pa.int64()),
            ("snippet", pa.string()),
            ("offset", pa.string()),
            ("lexical_variant", pa.string()),
            ("note_nlp_concept_id", pa.int64()),
            ("note_nlp_source_concept_id", pa.int64()),
            ("nlp_system", pa.string()),
            ("nlp_date", pa.date32()),
            ("nlp_datetime", pa.timestamp("s")),
            ("term_exists", pa.string()),
            ("term_temporal", pa.string()),
            ("term_modifiers", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)
