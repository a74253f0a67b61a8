"""fix42: review 42's findings (all data SYNTHETIC)."""

from __future__ import annotations

_DICTIONARY_HEADER = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,"
    "Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,"
    "Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation\n"
)


def _sites(tmp_path, choices: str, rows: str):
    from calciscope.interop.redcap import read_redcap

    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(
        _DICTIONARY_HEADER + "record_id,demo,,text,Record ID,,,,,,,,,,,,,\n"
        f'sites,demo,,checkbox,Sites,"{choices}",,,,,,,,,,,,\n',
        encoding="utf-8",
    )
    data = tmp_path / "data.csv"
    data.write_text(rows, encoding="utf-8")
    return read_redcap(data, dictionary)


def test_a_real_checkbox_choice_coded_like_a_missing_data_code_wins(tmp_path):
    # SYNTHETIC: "oth" is a real choice (lower case) although OTH is a missing data code
    result = _sites(
        tmp_path,
        "1, hand | 2, foot | oth, other site",
        "record_id,sites___1,sites___2,sites___oth,demo_complete\nR1,1,0,1,2\n",
    )
    got = {(f.code, f.status.value) for f in result.batch.facts}
    assert got == {
        ("redcap.sites.1", "present"),
        ("redcap.sites.2", "absent"),
        ("redcap.sites.oth", "present"),
    }
    assert not any(key.startswith("missing data code") for key in result.mapped)


def test_a_real_option_ticked_beside_a_code_column_is_kept_and_the_code_counted(tmp_path):
    result = _sites(
        tmp_path,
        "1, hand | 2, foot",
        "record_id,sites___1,sites___2,sites___unk,demo_complete\nR1,1,0,1,2\n",
    )
    got = {(f.code, f.status.value) for f in result.batch.facts}
    assert got == {("redcap.sites.1", "present"), ("redcap.sites.2", "absent")}
    assert result.mapped["missing data code UNK"] == 1
