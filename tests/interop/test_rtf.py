"""RTF notes read as plain text (hardening36). All data SYNTHETIC."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.model import Fact, Note, Patient, ReviewState, SourceKind
from calciscope.rtftext import RtfError, is_rtf, rtf_to_text
from calciscope.storage import Batch, Registry

LETTER = (
    r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}{\colortbl;\red0\green0\blue0;}"
    "\r\n"
    r"{\*\generator Riched20;}{\info{\author SYNTHETIC}}\uc1\pard\f0\fs20 "
    r"SYNTHETIC letter: calcinosis of the right index finger, caf\'e9 au lait\par"
    "\r\n"
    r"CK 420 U/L \endash  no myositis \u8212\'97 stable\line "
    r"{\field{\*\fldinst HYPERLINK x}{\fldrslt see report}}\tab end \{ok\}\par}"
)
PLAIN = (
    "SYNTHETIC letter: calcinosis of the right index finger, café au lait\n"
    "CK 420 U/L \u2013 no myositis \u2014 stable\nsee report\tend {ok}"
)


def test_a_simple_rtf_letter_reads_as_its_plain_text():
    assert is_rtf("  " + LETTER) and not is_rtf("SYNTHETIC {\\rtf")
    assert rtf_to_text(LETTER) == PLAIN


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (r"{\rtf1 SYNTHETIC", "not closed"),
        (r"{\rtf1 SYNTHETIC}}", "closing brace"),
        (r"{\rtf1 \bin3 abc}", "binary data"),
        (r"{\rtf1 \'zz}", "two hex digits"),
        (r"{\rtf1 \'a", "two hex digits"),
        (r"{\rtf1\ansicpg99999 x}", "code page"),
        ("SYNTHETIC", "does not begin"),
        (r"{\rtf1 \u9999999999?}", "no Unicode character"),
        (r"{\rtf1 \u1114112?}", "no Unicode character"),
        (r"{\rtf1 \u-99999?}", "no Unicode character"),
    ],
)
def test_what_it_cannot_read_is_refused_saying_why(text, message):
    with pytest.raises(RtfError, match=message):
        rtf_to_text(text)


def test_unicode_with_a_negative_number_and_a_longer_fallback():
    assert rtf_to_text(r"{\rtf1\uc2 a\u-3913 XYb}") == "a\uf0b7b"


def test_a_surrogate_pair_is_one_character_and_a_lone_surrogate_u_fffd():
    """fix42 (review 42 M6): Word writes a character above U+FFFF as two \\uN."""
    assert rtf_to_text(r"{\rtf1 \u-10179?\u-8704? SYNTHETIC}") == "\U0001f600 SYNTHETIC"
    assert rtf_to_text(r"{\rtf1 a\u-10179?b}") == "a\ufffdb"
    assert rtf_to_text(r"{\rtf1 a\u-8704?b}") == "a\ufffdb"
    assert rtf_to_text(r"{\rtf1 a\u-10179?}") == "a\ufffd"


def test_characters_typed_in_the_text_are_kept_and_bytes_read_in_the_code_page():
    """fix42 (review 42 M7): a document handed over as text keeps its characters."""
    from calciscope.rtftext import rtf_bytes_to_text

    text = "{\\rtf1\\ansi\\ansicpg1251 caf\u00e9 \u2014 \u041f \u20ac}"
    assert rtf_to_text(text) == "caf\u00e9 \u2014 \u041f \u20ac"
    # bytes (an attachment): a raw byte above 127 is a byte of the code page
    assert rtf_bytes_to_text(b"{\\rtf1\\ansi\\ansicpg1251 \xcf}") == "\u041f"


def test_deleted_and_hidden_text_is_left_out():
    """fix42 (review 42 M8): tracked deletions and hidden text are no words of the note."""
    text = (
        r"{\rtf1 SYNTHETIC {\deleted no }calcinosis{\v  hidden} of the"
        r" \deleted left\deleted0 right hand \v secret\plain  index}"
    )
    assert rtf_to_text(text) == "SYNTHETIC calcinosis of the right hand  index"


def _folder(tmp_path, text: str):
    folder = tmp_path / "cohort"
    folder.mkdir(exist_ok=True)
    (folder / "patients.csv").write_text("patient_id,sex\nP1,female\n", encoding="utf-8")
    note = {"note_id": "N1", "patient_id": "P1", "note_date": "2021-03-04", "text": text}
    (folder / "notes.jsonl").write_text(json.dumps(note) + "\n", encoding="utf-8")
    return folder


def test_a_native_rtf_note_is_stored_as_plain_text_and_a_bad_one_refused(tmp_path):
    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    api.import_directory(registry, _folder(tmp_path, LETTER))
    assert [n.text for n in registry.notes_for("P1")] == [PLAIN]
    with pytest.raises(ValidationError) as caught:
        api.import_directory(registry, _folder(tmp_path, r"{\rtf1 \bin2 xx}"))
    [problem] = caught.value.problems
    assert problem.source.endswith("notes.jsonl")
    assert (problem.location, problem.field) == ("line 1", "text")
    assert "binary data" in problem.message


def test_a_note_stored_raw_is_flagged_and_replaced_by_a_re_import(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    registry = Registry(url)
    raw = Note(note_id="N1", patient_id="P1", note_date=dt.date(2021, 3, 4), text=LETTER)
    suggestion = Fact(
        patient_id="P1",
        system="HP",
        code="HP:0003761",
        source_kind=SourceKind.NOTE,
        review_state=ReviewState.SUGGESTED,
        provenance='{"end": 9, "engine": "calciscope-notes/x", "modifiers": [], '
        '"note_id": "N1", "rule": "r", "start": 0, "text": "\\\\rtf1"}',
    )
    # as an import before hardening35/36 stored it: control words and all
    registry.import_batch(
        Batch(patients=[Patient(patient_id="P1")], notes=[raw], facts=[suggestion]),
        source="old",
        source_hash="x",
    )
    assert [n.note_id for n in api.rtf_notes(registry)] == ["N1"]
    result = CliRunner().invoke(app, ["notes", "rtf", "--db", url])
    assert result.exit_code == 1 and "N1\tP1\t2021-03-04" in result.output
    summary = api.import_directory(registry, _folder(tmp_path, LETTER))
    assert summary.counts["notes_rtf_replaced"] == 1
    assert summary.counts["note_suggestions_dropped"] == 1
    # fix42 (review 42 M9): each dropped suggestion leaves an audit row naming it and its note
    import sqlalchemy as sa

    from calciscope.storage import schema

    with registry.engine.connect() as conn:
        a = schema.audit_log
        audits = conn.execute(
            sa.select(a.c.target, a.c.before).where(a.c.action == "fact.rtf_suggestion_dropped")
        ).all()
    assert [(row.target, row.before["note_id"]) for row in audits] == [
        (f"fact:{suggestion.fact_id}", "N1")
    ]
    assert [n.text for n in registry.notes_for("P1")] == [PLAIN]
    assert api.rtf_notes(registry) == []
    assert CliRunner().invoke(app, ["notes", "rtf", "--db", url]).exit_code == 0
    registry.close()
