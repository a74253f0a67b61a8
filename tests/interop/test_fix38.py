"""fix38: re-importing a FHIR bundle after reader changes (SYNTHETIC data only)."""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir_bundle
from calciscope.interop.fhir.markup import attachment_text
from calciscope.storage import Registry

_HTML = "<p>SYNTHETIC: calcinosis&nbsp;at the&#160;elbow.</p>"


def _bundle(html: str) -> dict[str, object]:
    data = base64.b64encode(html.encode()).decode()
    document = {
        "resourceType": "DocumentReference",
        "id": "d1",
        "status": "current",
        "subject": {"reference": "Patient/p1"},
        "date": "2021-03-04T10:00:00Z",
        "content": [{"attachment": {"contentType": "text/html", "data": data}}],
    }
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960"}
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": document}],
    }


def _notes(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select note_id, text from notes").fetchall()


def test_a_note_stored_before_hardening35_re_imported_after_adds_nothing(tmp_path):
    """H1: a note stored with U+00A0 (before &nbsp; read as a space) is the same note."""
    db = tmp_path / "r.db"
    registry = Registry(f"sqlite:///{db}")
    batch = read_fhir_bundle(_bundle(_HTML), source="n.json").batch
    (note,) = batch.notes
    assert note.text == "SYNTHETIC: calcinosis at the elbow."
    old = note.model_copy(update={"text": "SYNTHETIC: calcinosis\xa0at the\xa0elbow."})
    registry.import_batch(replace(batch, notes=[old]), source="n.json", source_hash="a")
    stored = _notes(db)
    registry.import_batch(batch, source="n.json", source_hash="b")
    assert _notes(db) == stored == [("d1", old.text)]  # kept as stored, offsets unchanged


def test_a_note_whose_words_differ_is_still_refused(tmp_path):
    db = tmp_path / "r.db"
    registry = Registry(f"sqlite:///{db}")
    registry.import_batch(
        read_fhir_bundle(_bundle(_HTML), source="n.json").batch, source="n", source_hash="a"
    )
    changed = read_fhir_bundle(_bundle(_HTML.replace("elbow", "knee!")), source="n.json").batch
    with pytest.raises(ValidationError, match="differs from the registry's note"):
        registry.import_batch(changed, source="n", source_hash="b")
    assert _notes(db) == [("d1", "SYNTHETIC: calcinosis at the elbow.")]


# --- M7: a <meta charset> does not beat bytes that are valid UTF-8 ------------------------------

_PAGE = '<html><head><meta charset="windows-1252"></head><body><p>{}</p></body></html>'
_WORDS = "SYNTHETIC: Calcinose au coude, revue à 3 mois."


def test_valid_utf8_under_a_windows_1252_meta_is_read_as_utf8():
    """Before: decoded as windows-1252, "à" stored as "Ã" without a word."""
    assert attachment_text("text/html", _PAGE.format(_WORDS).encode()) == _WORDS


def test_bytes_that_are_not_utf8_are_read_in_the_meta_charset():
    assert attachment_text("text/html", _PAGE.format(_WORDS).encode("cp1252")) == _WORDS


def test_the_content_type_charset_still_comes_first():
    """A charset the sender named is the sender's word, UTF-8 bytes or not."""
    text = attachment_text("text/html; charset=windows-1252", _PAGE.format(_WORDS).encode())
    assert text == _WORDS.replace("à", "Ã")  # b"\xc3\xa0": "Ã" and a (no-break) space
