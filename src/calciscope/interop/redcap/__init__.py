"""REDCap: the calciscope project template, and dictionary-and-mapping-driven record import.

Records come as a CSV or API JSON export with its data dictionary, or as the project XML
(CDISC ODM), which :mod:`~calciscope.interop.redcap.odm` turns into the same fields and rows.
"""

from __future__ import annotations

from dataclasses import replace
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
from calciscope.interop.redcap.odm import is_xml, read_odm, read_odm_dictionary
from calciscope.interop.redcap.records import read_record_rows, read_records
from calciscope.interop.redcap.template import redcap_template

__all__ = [
    "COLUMNS",
    "DictionaryField",
    "FieldKind",
    "FieldRule",
    "Mapping",
    "dump_mapping",
    "generate_mapping",
    "is_xml",
    "load_mapping",
    "read_dictionary",
    "read_odm_dictionary",
    "read_records",
    "read_redcap",
    "read_redcap_odm",
    "write_dictionary",
]


def _missing(*paths: Path) -> None:
    for path in paths:
        if not Path(path).is_file():
            raise ValidationError(
                [Problem(str(path), "file", "", "file not found")], summary="REDCap import failed"
            )


def _mapping(mapping: Path | Mapping | None, fields: list[DictionaryField]) -> Mapping:
    """Return the mapping given, else the template's for its dictionary, else a generated one.

    A project built from ``calciscope redcap template`` (every template field in its
    dictionary) is read by the template's mapping: the generated one read its ``sex`` as a
    fact and its status fields' "Unknown" and "Absent" answers as present facts of
    ``redcap.<field>``, so the patients came in with sex and birth date unknown (fixes22).
    """
    if isinstance(mapping, Path | str):
        return load_mapping(Path(mapping))
    if mapping:
        return mapping
    template_fields, template_mapping = redcap_template()
    template_names = {f.name for f in template_fields}
    if not template_names <= {f.name for f in fields}:
        return generate_mapping(fields)
    extra = [f.name for f in fields[1:] if f.name not in template_names]
    if not extra:
        return template_mapping
    # the project's own fields beside the template's are read as the generated mapping reads
    # them (``redcap.<field>``), never dropped without a word (review 24)
    generated = generate_mapping(fields)
    return replace(
        template_mapping,
        fields={**template_mapping.fields, **{n: generated.fields[n] for n in extra}},
        form_dates={**generated.form_dates, **template_mapping.form_dates},
    )


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
    _missing(records, dictionary)
    if is_xml(Path(records)):
        raise ValidationError(
            [
                Problem(
                    str(records),
                    "file",
                    "",
                    "a project XML carries its own metadata: read it without a data dictionary",
                )
            ],
            summary="REDCap import failed",
        )
    fields = read_dictionary(Path(dictionary))
    return read_records(Path(records), fields, _mapping(mapping, fields))


def read_redcap_odm(path: Path, mapping: Path | Mapping | None = None) -> ReadResult:
    """Read a REDCap project XML (CDISC ODM: metadata and data) under a mapping.

    Parameters
    ----------
    path
        The project XML ("Download project XML", API ``exportProjectXml``) or an ODM records
        export, metadata included.
    mapping
        A mapping (or YAML file); by default one is generated from the XML's metadata.

    Raises
    ------
    ValidationError
        Naming the file, location (record, event, instance, lines) and field of every problem.
    """
    _missing(path)
    if not is_xml(Path(path)):
        raise ValidationError(
            [
                Problem(
                    str(path),
                    "line 1",
                    "",
                    "not XML: a CSV or JSON records export needs its data dictionary",
                )
            ],
            summary="REDCap import failed",
        )
    project, rows = read_odm(Path(path))
    try:
        chosen = _mapping(mapping, project.fields)
        if chosen.missing_data_codes is None and project.missing_data_codes:
            # the project's own missing data codes, unless the mapping declares its own
            chosen = replace(chosen, missing_data_codes=project.missing_data_codes)
        return read_record_rows(rows, str(path), project.fields, chosen)
    finally:
        rows.close()
