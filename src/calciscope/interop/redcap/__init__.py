"""REDCap: the calciscope project template, and dictionary-and-mapping-driven record import."""

from __future__ import annotations

from pathlib import Path

from calciscope.errors import Problem, ValidationError
from calciscope.interop import ReadResult
from calciscope.interop.redcap.dictionary import (
    COLUMNS,
    DictionaryField,
    read_dictionary,
    write_dictionary,
)
from calciscope.interop.redcap.mapping import (
    FieldKind,
    FieldRule,
    Mapping,
    dump_mapping,
    generate_mapping,
    load_mapping,
)
from calciscope.interop.redcap.records import read_records

__all__ = [
    "COLUMNS",
    "DictionaryField",
    "FieldKind",
    "FieldRule",
    "Mapping",
    "dump_mapping",
    "generate_mapping",
    "load_mapping",
    "read_dictionary",
    "read_records",
    "read_redcap",
    "write_dictionary",
]


def read_redcap(
    records: Path, dictionary: Path, mapping: Path | Mapping | None = None
) -> ReadResult:
    """Read a REDCap export: records file (CSV or JSON), its data dictionary, and a mapping.

    Parameters
    ----------
    records
        ``data.csv`` (raw or label export) or an API JSON export.
    dictionary
        The project's data dictionary CSV.
    mapping
        A mapping (or YAML file); by default one is generated from the dictionary.

    Raises
    ------
    ValidationError
        Naming the file, row and field of every problem (a missing file included).
    """
    for path in (records, dictionary):
        if not Path(path).is_file():
            raise ValidationError(
                [Problem(str(path), "file", "", "file not found")], summary="REDCap import failed"
            )
    fields = read_dictionary(Path(dictionary))
    if isinstance(mapping, Path | str):
        mapping = load_mapping(Path(mapping))
    return read_records(Path(records), fields, mapping or generate_mapping(fields))
