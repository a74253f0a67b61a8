"""REDCap data dictionaries: the 18-column CSV that REDCap imports and exports.

Columns are recognised by position (REDCap's own order), so a non-standard header (RareLink's
first cell is ``1``) or a byte-order mark does not matter. Choices are parsed from
``1, Label | 2, Label``; checkbox options appear in records as ``field___code`` columns.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from calciscope.errors import Problem, ValidationError
from calciscope.interop.jsontext import decode_utf8

__all__ = [
    "CHOICE_TYPES",
    "COLUMNS",
    "FIELD_TYPES",
    "DictionaryField",
    "parse_choices",
    "read_dictionary",
    "write_dictionary",
]

#: REDCap's 18 data-dictionary columns, in order.
COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
#: REDCap field types whose field lists its choices, and every field type REDCap knows.
CHOICE_TYPES = frozenset({"radio", "dropdown", "checkbox"})
FIELD_TYPES = frozenset(
    {
        "text",
        "notes",
        "calc",
        "dropdown",
        "radio",
        "checkbox",
        "yesno",
        "truefalse",
        "file",
        "slider",
        "descriptive",
        "sql",
    }
)


@dataclass(frozen=True)
class DictionaryField:
    """One row of a data dictionary."""

    name: str
    form: str
    field_type: str
    label: str = ""
    choices: dict[str, str] = field(default_factory=dict)
    validation: str = ""
    identifier: bool = False
    section: str = ""
    note: str = ""
    minimum: str = ""
    maximum: str = ""
    required: bool = False
    annotation: str = ""


def parse_choices(text: str, field_type: str) -> dict[str, str]:
    """Return a field's choices (code → label) from its choices cell, as REDCap reads them."""
    if field_type == "yesno":
        return {"1": "Yes", "0": "No"}
    if field_type == "truefalse":
        return {"1": "True", "0": "False"}
    if field_type not in CHOICE_TYPES or not text.strip():
        return {}
    pairs = [part.split(",", 1) for part in text.split("|")]
    return {code.strip(): label.strip() for code, *rest in pairs for label in (rest or [""])}


def _row_field(
    row: list[str], source: str, number: int, problems: list[Problem]
) -> DictionaryField | None:
    cells = (row + [""] * 18)[:18]
    name, form, field_type = cells[0].strip(), cells[1].strip(), cells[3].strip().lower()
    where = f"row {number}"
    if not name:
        problems.append(Problem(source, where, COLUMNS[0], "empty field name"))
        return None
    if field_type not in FIELD_TYPES:
        problems.append(
            Problem(source, where, COLUMNS[3], f"unknown field type {cells[3]!r} for {name}")
        )
        return None
    choices = parse_choices(cells[5], field_type)
    if field_type in CHOICE_TYPES and not choices:
        problems.append(
            Problem(source, where, COLUMNS[5], f"{field_type} field {name} has no choices")
        )
    return DictionaryField(
        name=name,
        form=form,
        field_type=field_type,
        label=cells[4],
        choices=choices,
        validation=cells[7].strip(),
        identifier=cells[10].strip().lower() == "y",
        section=cells[2],
        note=cells[6],
        minimum=cells[8],
        maximum=cells[9],
        required=cells[12].strip().lower() == "y",
        annotation=cells[17],
    )


def read_dictionary(path: Path) -> list[DictionaryField]:
    """Read a REDCap data dictionary CSV.

    Raises
    ------
    ValidationError
        Naming the file, row and column of every bad row (and a missing or empty file).
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(
            [Problem(source, "file", "", f"cannot read data dictionary: {exc}")]
        ) from None
    text = decode_utf8(raw, source)  # a problem naming the line of a byte that is not UTF-8
    # not strict: real dictionaries hold a quote inside a quoted label followed by text
    # (rarelink's row 818), which the lax parser keeps as text (hardening23 tried strict)
    rows = list(csv.reader(io.StringIO(text)))
    problems: list[Problem] = []
    if len(rows) < 2 or len(rows[0]) < 4:
        raise ValidationError(
            [Problem(source, "row 1", "header", "not a REDCap data dictionary (18 columns)")]
        )
    fields = [
        f
        for n, row in enumerate(rows[1:], start=2)
        if any(c.strip() for c in row)
        if (f := _row_field(row, source, n, problems)) is not None
    ]
    seen: set[str] = set()
    for number, item in enumerate(fields, start=2):
        if item.name in seen:
            problems.append(
                Problem(source, f"row {number}", COLUMNS[0], f"duplicate field name {item.name}")
            )
        seen.add(item.name)
    if problems:
        raise ValidationError(problems, summary="REDCap data dictionary is invalid")
    return fields


def write_dictionary(fields: list[DictionaryField]) -> str:
    """Return the 18-column CSV text of a data dictionary (what REDCap's upload accepts)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in fields:
        choices = " | ".join(f"{code}, {label}" for code, label in f.choices.items())
        if f.field_type in ("yesno", "truefalse"):
            choices = ""
        writer.writerow(
            [
                f.name,
                f.form,
                f.section,
                f.field_type,
                f.label,
                choices,
                f.note,
                f.validation,
                f.minimum,
                f.maximum,
                "y" if f.identifier else "",
                "",
                "y" if f.required else "",
                "",
                "",
                "",
                "",
                f.annotation,
            ]
        )
    return out.getvalue()
