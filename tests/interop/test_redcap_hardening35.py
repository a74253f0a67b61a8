"""hardening35: stray quotes in a REDCap notes-only form whose record ids are digits.

Before, a form of the record id, one notes field and ``<form>_complete`` was never checked:
a stray '"' in record 2's note paired with one in record 4's, and record 3 became text of
record 2's note without a word (hardening34 checked lettered ids, and digit ids only with a
field between the id and the note). SYNTHETIC records.
"""

from __future__ import annotations

import pytest

from interop.test_hardening34_input import _NOTES_ONLY, _import_redcap


@pytest.mark.parametrize(
    ("records", "row"),
    [
        (
            'record_id,comments,visit_complete\n1,ok,2\n2,"Fingertip ulcer,2\n'
            '3,No calcinosis,2\n4,Stable",2\n',
            "'3,No calcinosis,2' (row 4)",
        ),
        (
            'record_id,comments,visit_complete\n10,ok,2\n11,"Fingertip ulcer,0\n'
            '12,No calcinosis,1\n13,Seen,2\n14,Stable",2\n',
            "'12,No calcinosis,1' (row 4)",
        ),
    ],
)
def test_a_digit_record_written_whole_inside_a_note_is_refused(tmp_path, records, row):
    said, code = _import_redcap(tmp_path, records, _NOTES_ONLY)
    assert code == 1, said
    assert f"{row} reads as a row of its own" in said
    assert "field 'comments'" in said


@pytest.mark.parametrize(
    "records",
    [
        # a person's lines: spaces after the commas, or no cell after the text shaped as a row's
        'record_id,comments,visit_complete\n1,"Digits:\n2, 3, 2\nhealing",2\n2,Stable,2\n',
        'record_id,comments,visit_complete\n1,"Seen\n12,3\nok",2\n2,Stable,2\n',
        'record_id,comments,visit_complete\n1,"Seen\nwell,2\nok",2\n2,Stable,2\n',
        # fix38 (review 38 M3): a correctly quoted note with a line of digits and commas
        'record_id,comments,visit_complete\n1,"mRSS by site:\n2,1,0\nstable",2\n2,Stable,2\n',
        'record_id,comments,visit_complete\n1,"Joints:\n2,1\nok",2\n2,Stable,2\n',
    ],
)
def test_a_person_s_lines_in_a_digit_id_note_are_read_as_written(tmp_path, records):
    said, code = _import_redcap(tmp_path, records, _NOTES_ONLY)
    assert code == 0, said
