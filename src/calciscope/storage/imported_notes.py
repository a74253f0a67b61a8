"""The notes of an import: what makes two notes one, and the check that none replaces another.

Notes are written by id (:class:`~calciscope.storage.batch_writer.BatchWriter`), so a second
note of one id would replace the first without a word. :class:`ImportedNotes` keeps the notes
an import brought and refuses one that another note of the import, or a stored note, gives
other content. A note stored raw as RTF whose plain text the import brings is replaced
(hardening36), and :func:`drop_rtf_suggestions` deletes the undecided suggestions read from
its RTF. This is the one place notes are compared.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from calciscope.errors import Problem
from calciscope.model import Note
from calciscope.model.spaces import fold_no_break
from calciscope.rtftext import is_rtf, rtf_note_text
from calciscope.storage import schema
from calciscope.storage.batch import CHUNK
from calciscope.storage.bulk_sql import one_of

__all__ = ["ImportedNotes", "drop_rtf_suggestions", "note_content", "same_note"]

#: What makes a note the same note: the synthetic flag may change with a re-import's option.
NOTE_CONTENT = ("patient_id", "note_type", "note_date", "text")


def note_content(note: Note) -> tuple[Any, ...]:
    """Return what makes ``note`` the note it is (:data:`NOTE_CONTENT`)."""
    return tuple(getattr(note, name) for name in NOTE_CONTENT)


def same_note(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two note contents are one note, no-break spaces read as spaces on both sides.

    A note stored before hardening35 holds U+00A0 where the FHIR reader now gives " " (one
    character each: offsets unchanged); re-importing its bundle is the same note (fix38).
    """
    return a == b or _folded(a) == _folded(b)


def _raw_rtf_of(stored: tuple[Any, ...], content: tuple[Any, ...]) -> bool:
    """Whether a stored note holds, as raw RTF, the plain text of the note an import brings."""
    at = NOTE_CONTENT.index("text")
    text = stored[at]
    if not isinstance(text, str) or not is_rtf(text):
        return False
    plain = rtf_note_text(text, "registry", "stored note", "text")
    if isinstance(plain, Problem):
        return False
    return same_note((*stored[:at], plain, *stored[at + 1 :]), content)


def _folded(content: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(fold_no_break(v) if isinstance(v, str) else v for v in content)


def _first_difference(a: tuple[Any, ...], b: tuple[Any, ...]) -> str:
    return next(name for name, x, y in zip(NOTE_CONTENT, a, b, strict=True) if x != y)


class ImportedNotes:
    """The notes one import brought, by id, and the stored notes whose raw RTF they replace."""

    def __init__(self) -> None:
        #: each note id of this import and its content, to find two notes of one id
        self.seen: dict[str, tuple[Any, ...]] = {}
        #: notes stored raw as RTF whose plain text this import brings (:func:`_raw_rtf_of`)
        self.rtf_replaced: dict[str, str] = {}  # note id -> its patient

    def check(
        self,
        notes: list[Note],
        stored: Mapping[str, tuple[Any, ...]],
        source: str,
        problems: list[Problem],
    ) -> list[Note]:
        """Refuse a note that another note of the import, or a stored note, gives other content.

        Notes are written by id, and a second one replaced the first without a word: within an
        import (two lines of ``notes.jsonl`` with one ``note_id``), or a stored note whose text
        the facts read from it point into (offsets, matched text). The same note again is no
        problem (re-importing is a no-op). Texts that differ only in no-break spaces
        (:func:`same_note`) are the same note, and the stored text is kept as it is (fix38).
        ``stored`` holds the content (:func:`note_content`) of the stored notes of their ids;
        a replacing note's problem, naming ``source``, is added to ``problems``. Returns the
        notes to write.
        """
        kept: list[Note] = []
        for note in notes:
            content = note_content(note)
            earlier = self.seen.setdefault(note.note_id, content)
            before = stored.get(note.note_id)
            if not same_note(earlier, content):
                differs, where = _first_difference(earlier, content), "another note of this import"
            elif before is not None and _raw_rtf_of(before, content):
                # a note stored raw as RTF (before hardening35) whose plain text this import
                # brings: the text replaces the RTF (hardening36, calciscope.rtftext)
                self.rtf_replaced[note.note_id] = note.patient_id
                kept.append(note)
                continue
            elif before is not None and not same_note(before, content):
                differs, where = _first_difference(before, content), "the registry's note"
            else:
                if before is not None and before != content:
                    note = note.model_copy(update={"text": before[NOTE_CONTENT.index("text")]})
                kept.append(note)
                continue
            problems.append(
                Problem(
                    source,
                    f"note {note.note_id}",
                    differs,
                    f"note {note.note_id!r} differs from {where} of that id in {differs}: a "
                    "note is not replaced by another (the facts read from it point into its "
                    "text); give it another note_id",
                )
            )
            kept.append(note)
        return kept


def _cited_note(provenance: str | None) -> str | None:
    """Return the note id a note suggestion's JSON provenance cites (None if it cites none)."""
    try:
        where = json.loads(provenance or "")
    except ValueError:
        return None
    note_id = where.get("note_id") if isinstance(where, dict) else None
    return note_id if isinstance(note_id, str) else None


def drop_rtf_suggestions(
    conn: Connection, replaced: Mapping[str, str], *, source: str, batch_id: str, dialect: str
) -> int:
    """Delete the undecided suggestions read from notes whose raw RTF an import replaced.

    Their offsets and words were the RTF's (control words and all); ``notes extract`` reads
    the plain text again. Suggestions a person decided on stay (version above 1, or confirmed
    or rejected). Each dropped suggestion gets an audit row (``fact.rtf_suggestion_dropped``,
    fix42). Found by the note id their JSON provenance cites, among the suggestions of the
    notes' patients.

    Parameters
    ----------
    conn
        The import's connection (inside its transaction).
    replaced
        The notes replaced (:attr:`ImportedNotes.rtf_replaced`): note id -> its patient.
    source, batch_id
        The import's source and batch, named in the audit rows.
    dialect
        The registry's dialect.

    Returns
    -------
    int
        How many suggestions were dropped.
    """
    t, dropped = schema.facts, 0
    patients = sorted(set(replaced.values()))
    now = dt.datetime.now(dt.UTC)
    for start in range(0, len(patients), CHUNK):
        q = sa.select(t.c.fact_id, t.c.patient_id, t.c.provenance).where(
            one_of(t.c.patient_id, patients[start : start + CHUNK], dialect),
            t.c.source_kind == "note",
            t.c.review_state == "suggested",
            t.c.version == 1,
            t.c.superseded_by.is_(None),
        )
        gone: list[dict[str, str]] = []
        for fact_id, patient_id, provenance in conn.execute(q):
            note_id = _cited_note(provenance)  # the suggestion's JSON provenance
            if note_id is not None and replaced.get(note_id) == patient_id:
                gone.append({"gone": fact_id, "note": note_id})
        if not gone:
            continue
        conn.execute(t.delete().where(t.c.fact_id == sa.bindparam("gone")), gone)
        conn.execute(schema.audit_log.insert(), _audit_rows(gone, now, source, batch_id))
        dropped += len(gone)
    return dropped


def _audit_rows(
    gone: list[dict[str, str]], now: dt.datetime, source: str, batch_id: str
) -> list[dict[str, Any]]:
    """Return the audit rows of the suggestions :func:`drop_rtf_suggestions` deletes."""
    return [
        {
            "at": now,
            "actor": "import",
            "action": "fact.rtf_suggestion_dropped",
            "target": f"fact:{row['gone']}"[:256],
            "before": {"review_state": "suggested", "note_id": row["note"]},
            "after": None,
            "detail": f"read from the raw RTF of note {row['note']}, whose plain text "
            f"{source} (batch {batch_id}) brought: notes extract reads it "
            "again",
        }
        for row in gone
    ]
