"""Input files that are not UTF-8, or hold stray quotes, are refused by every reader alike.

SYNTHETIC files typed here. Every CSV / text reader opens its file through
``calciscope.textfile.open_text`` (UTF-16 / UTF-32 and bytes that are not UTF-8 are a problem naming
the file, line and byte, and how to convert it; before, Python's codec message) and parses it
through ``interop.csvtext`` (strict: a quote left open names its row; two stray quotes paired
over rows name the rows where a cell of a column with no free text holds a line break; before,
the rows were merged into one cell without a word). hardening23.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.csvtext import StrictDictReader
from calciscope.interop.images.index import read_mapping
from calciscope.interop.images.photo import read_sidecar
from calciscope.interop.images.readings import read_readings
from calciscope.interop.omop.vocabulary import load_vocabulary
from calciscope.interop.redcap.dictionary import read_dictionary
from calciscope.interop.redcap.mapping import load_mapping
from calciscope.textfile import check_utf8_bytes, open_text

UTF16 = "UTF-16 text, not UTF-8"


def _said(result) -> str:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def _utf16(path: Path, text: str, *, bom: bool = True) -> Path:
    path.write_bytes(text.encode("utf-16" if bom else "utf-16-le"))
    return path


# --- the shared pieces ---------------------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_is_named_with_how_to_convert_it(tmp_path, bom):
    path = _utf16(tmp_path / "patients.csv", "patient_id,sex\nP1,female\n", bom=bom)
    with pytest.raises(ValidationError) as info, open_text(path) as handle:
        handle.read()
    [problem] = info.value.problems
    assert problem.source == str(path) and problem.location == "line 1"
    assert UTF16 in problem.message
    name = "UTF-16" if bom else "UTF-16LE"  # iconv reads a byte order mark itself
    assert f"iconv -f {name} -t UTF-8 'patients.csv' > 'patients-utf8.csv'" in problem.message


def test_utf32_and_a_latin1_byte_are_named(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("x,y\n1,2\n".encode("utf-32"))
    with pytest.raises(ValidationError, match="UTF-32 text, not UTF-8"):
        check_utf8_bytes(path.read_bytes(), str(path))
    path.write_bytes(b"x,y\n1,2\nP\xe9,3\n")
    with pytest.raises(ValidationError) as info, open_text(path) as handle:
        handle.read()
    [problem] = info.value.problems
    assert problem.location == "line 3"
    assert "byte 0xe9 is not UTF-8 (byte 10 of the file;" in problem.message
    assert "iconv -f WINDOWS-1252 -t UTF-8" in problem.message


def _strict(text: str, single_line=lambda c: c != "text"):  # type: ignore[no-untyped-def]
    from io import StringIO

    return list(StrictDictReader(StringIO(text, newline=""), "f.csv", single_line=single_line))


def test_stray_quotes_paired_over_rows_name_the_rows():
    text = 'id,code,text\n1,"a,x\n2,b,y\n3,c",z\n4,d,w\n'
    with pytest.raises(ValidationError) as info:
        _strict(text)
    [problem] = info.value.problems
    assert (problem.source, problem.location, problem.field) == ("f.csv", "row 2", "code")
    assert "runs from row 2 to row 4" in problem.message
    assert "stray '\"' in row 2 pairs with one in row 4" in problem.message


def test_a_line_break_where_free_text_is_allowed_is_read():
    rows = _strict('id,code,text\n1,a,"two\nlines"\n2,b,one\n')
    assert [r["text"] for r in rows] == ["two\nlines", "one"]
    assert rows[0]["code"] == "a"


def test_a_quote_left_open_names_the_row_it_opens_in():
    with pytest.raises(ValidationError) as info:
        _strict('id,code,text\n1,a,x\n2,b,"open\n3,c,y\n')
    [problem] = info.value.problems
    assert problem.location == "row 3" and "a quoted cell is never closed" in problem.message


# --- every reader ---------------------------------------------------------------------------


def _import_demo(tmp_path: Path, name: str, write) -> str:  # type: ignore[no-untyped-def]
    folder = tmp_path / "d"
    folder.mkdir(exist_ok=True)
    (folder / "patients.csv").write_text("patient_id,sex\nX1,female\nX2,male\n", encoding="utf-8")
    write(folder / name)
    url = f"sqlite:///{tmp_path}/registry.db"
    result = CliRunner().invoke(app, ["import", "demo", str(folder), "--db", url])
    assert result.exit_code == 1 and api.open_registry(url).counts()["patients"] == 0
    return _said(result)


_FACTS = "patient_id,system,code,status,effective_date,value_text\n"


@pytest.mark.parametrize("name", ["patients.csv", "facts.csv", "images.csv", "notes.jsonl"])
def test_native_import_refuses_utf16(tmp_path, name):
    said = _import_demo(tmp_path, name, lambda p: _utf16(p, "patient_id\nX1\n"))
    assert f"{name}, line 1" in said and UTF16 in said


@pytest.mark.parametrize(
    ("name", "text", "column"),
    [
        (
            "facts.csv",  # the pyarrow fast path hands the file to the row-by-row reader
            _FACTS + 'X1,HP,"HP:0003761,present,2020-01-01,a\n'
            'X2,HP,HP:0001072,present,2020-01-01,b\nX1,HP,HP:0011838",present,2020-01-01,c\n',
            "code",
        ),
        ("patients.csv", 'patient_id,sex\nX1,"female\nX2,male\nX3",male\n', "sex"),
    ],
)
def test_native_import_refuses_stray_quotes_paired_over_rows(tmp_path, name, text, column):
    said = _import_demo(tmp_path, name, lambda p: p.write_text(text, encoding="utf-8"))
    assert f"{name}, row 2, field '{column}'" in said and "from row 2 to row 4" in said


def test_a_fact_with_a_line_break_in_its_text_is_still_imported(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nX1,female\n", encoding="utf-8")
    (folder / "facts.csv").write_text(
        _FACTS + 'X1,HP,HP:0003761,present,2020-01-01,"two\nlines"\n', encoding="utf-8"
    )
    registry = api.open_registry(f"sqlite:///{tmp_path}/r.db")
    api.import_directory(registry, folder)
    assert registry.counts()["facts"] == 1


def test_image_readers_refuse_utf16_open_quotes_and_stray_pairs(tmp_path):
    header = "image_id,reader,reader_role,reading_date,blinded,body_site,laterality,presence\n"
    row = "I{n},R1,rheumatologist,2024-01-01,yes,hand,left,present\n"
    readings = tmp_path / "readings.csv"
    _utf16(readings, header + row.format(n=1))
    [problem] = read_readings(readings)[1]
    assert UTF16 in problem.message
    readings.write_text(header + 'I1,"R1' + row.format(n=2)[2:], encoding="utf-8")
    [problem] = read_readings(readings)[1]
    assert problem.location == "row 2" and "never closed" in problem.message
    readings.write_text(
        header + 'I1,"R1,x,2024-01-01,yes,hand,left,present\nI2,R1",x,2024-01-01,yes,hand,left,'
        "present\n",
        encoding="utf-8",
    )
    [problem] = read_readings(readings)[1]
    assert (problem.location, problem.field) == ("row 2", "reader")
    # the photo sidecar and the DICOM id mapping
    (tmp_path / "sidecar.csv").write_text(
        'file,patient_id,date,body_site,laterality\n"a.png,P1,2024-01-01,hand,left\n'
        'b.png,P2",2024-01-01,hand,left\n',
        encoding="utf-8",
    )
    rows, [problem] = read_sidecar(tmp_path)
    assert rows == {} and (problem.location, problem.field) == ("row 2", "file")
    mapping = _utf16(tmp_path / "map.csv", "dicom_patient_id,patient_id\nA,P1\n")
    assert UTF16 in read_mapping(mapping)[1][0].message
    mapping.write_text('dicom_patient_id,patient_id\n"A,P1\nB",P2\n', encoding="utf-8")
    assert read_mapping(mapping)[1][0].field == "dicom_patient_id"


_CONCEPT = "concept_id,concept_name,domain_id,vocabulary_id,standard_concept,concept_code\n"


def test_concept_csv(tmp_path):
    path = tmp_path / "CONCEPT.csv"
    _utf16(path, _CONCEPT + "1,Calcinosis,Condition,SNOMED,S,1\n")
    with pytest.raises(ValidationError, match=UTF16):
        load_vocabulary(path)
    path.write_text(_CONCEPT + '1,"Calcinosis,Condition,SNOMED,S,1\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="never closed"):
        load_vocabulary(path)
    path.write_text(
        _CONCEPT + '1,"Calcinosis,Condition,SNOMED,S,1\n2,Other",Condition,SNOMED,S,2\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match="from row 2 to row 3"):
        load_vocabulary(path)
    # Athena's tab-separated files are not quoted: a name may begin with a quote
    athena = _CONCEPT.replace(",", "\t") + '1\t"Gray" syndrome\tCondition\tSNOMED\tS\t1\n'
    path.write_text(athena + "2\tOther\tCondition\tSNOMED\tS\t2\n", encoding="utf-8")
    names = sorted(c.name for c in load_vocabulary(path).values())
    assert names == ['"Gray" syndrome', "Other"]


def test_redcap_dictionary_mapping_and_records(tmp_path):
    result = CliRunner().invoke(app, ["redcap", "template"])
    dictionary = tmp_path / "dict.csv"
    dictionary.write_text(result.output, encoding="utf-8")
    assert read_dictionary(dictionary)  # the template reads
    dict16 = _utf16(tmp_path / "dict16.csv", result.output)
    with pytest.raises(ValidationError, match=UTF16):
        read_dictionary(dict16)
    mapping = _utf16(tmp_path / "m.yaml", "record_id: record_id\n")
    with pytest.raises(ValidationError, match=UTF16):
        load_mapping(mapping)
    records = tmp_path / "rec.csv"
    records.write_text(
        'record_id,sex,birth_date\n"R1,1,1960-01-01\nR2",2,1970-01-01\nR3,1,1980-01-01\n',
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path}/r.db"
    args = ["import", "redcap", str(records), "--dictionary", str(dictionary), "--db", url]
    said = _said(CliRunner().invoke(app, args))
    assert "rec.csv, row 2, field 'record_id'" in said and "from row 2 to row 3" in said
    _utf16(records, "record_id,sex\nR1,1\n")
    said = _said(CliRunner().invoke(app, args))
    assert "rec.csv, line 1" in said and UTF16 in said


def test_notes_files_and_the_spreadsheet_calculator(tmp_path):
    letter = _utf16(tmp_path / "letter.txt", "Calcinosis at the left index finger.\n")
    said = _said(CliRunner().invoke(app, ["notes", "extract-file", str(letter)]))
    assert "letter.txt, line 1" in said and UTF16 in said
    notes = tmp_path / "notes.csv"
    notes.write_text('note_id,text\n"N1,Calcinosis.\nN2",No calcinosis.\n', encoding="utf-8")
    said = _said(CliRunner().invoke(app, ["notes", "extract-file", str(notes)]))
    assert "notes.csv, row 2, field 'note_id'" in said
    sheet = _utf16(tmp_path / "sheet.csv", "patient_id,sclerodactyly\nP1,yes\n")
    said = _said(CliRunner().invoke(app, ["criteria", "score", str(sheet)]))
    assert "sheet.csv, line 1" in said and UTF16 in said
    sheet.write_text('patient_id,sclerodactyly\n"P1,yes\nP2",no\n', encoding="utf-8")
    said = _said(CliRunner().invoke(app, ["criteria", "score", str(sheet)]))
    assert "sheet.csv, row 2, field 'patient_id'" in said


@pytest.mark.parametrize("bom", [True, False])
def test_an_omop_cdm_table_in_utf16_is_named(tmp_path, bom):
    from calciscope.interop.omop.cdm import _why_unreadable  # read after DuckDB fails

    path = _utf16(tmp_path / "person.csv", "person_id,gender_concept_id\n1,8532\n", bom=bom)
    location, message = _why_unreadable(path) or ("", "")
    assert location == "line 1" and UTF16 in message
