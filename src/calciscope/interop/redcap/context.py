"""The state of one REDCap records read: the dictionary's columns, the problems, the result.

Shared by :mod:`~calciscope.interop.redcap.records` (a row at a time) and
:mod:`~calciscope.interop.redcap.cells` (a row's cells to facts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from calciscope.errors import Problem
from calciscope.interop import ReadResult
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.mapping import Mapping
from calciscope.model import Patient

_REDCAP_COLUMNS = {
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
    "redcap_record_name",
}
_TICKED = {"1", "checked"}
_UNTICKED = {"0", "unchecked", ""}
#: Key under which a partial date's note travels to the fact's provenance.
_NOTE = "_partial_date"
#: Where a row is: its CSV/JSON row number, or a named location (project XML: record, event, lines).
Where = int | str


@dataclass
class _Context:
    source: str
    mapping: Mapping
    fields: dict[str, DictionaryField]
    checkbox_columns: dict[str, tuple[str, str]]
    problems: list[Problem] = field(default_factory=list)
    patients: dict[str, Patient] = field(default_factory=dict)
    patient_rows: dict[str, Where] = field(default_factory=dict)
    result: ReadResult = field(default_factory=ReadResult)
    filled: set[str] = field(default_factory=set)
    #: Where each (record, event, repeat instrument, repeat instance) was first read.
    row_keys: dict[tuple[str, ...], Where] = field(default_factory=dict)
    #: The site fields of each concept split by site (read back as one absence when all absent).
    site_groups: list[tuple[str, ...]] = field(default_factory=list)
    #: The missing data codes a cell may hold (code → label) and whether the project declared
    #: them (else REDCap's suggested list, :mod:`~calciscope.interop.redcap.missing`).
    missing: dict[str, str] = field(default_factory=dict)
    declared_missing: bool = False
    #: per checkbox field, the columns of its missing data codes (``field___unk``) to the code
    missing_columns: dict[str, dict[str, str]] = field(default_factory=dict)

    def problem(self, row: Where, column: str, message: str) -> None:
        """Record a problem at a CSV/JSON row number or a named location (project XML)."""
        where = f"row {row}" if isinstance(row, int) else row
        self.problems.append(Problem(self.source, where, column, message))


def _checkbox_columns(fields: list[DictionaryField]) -> dict[str, tuple[str, str]]:
    """Return every export column name a checkbox choice may have, to its field and code.

    REDCap names a choice's column ``field___code``, lower-cased, with ``-`` and ``.`` as ``_``
    (``-1`` -> ``field____1``, ``1.5`` -> ``field___1_5``); some versions drop an underscore of
    the code itself (``a_b`` -> ``field___ab``, the bug redcapAPI's ``syncUnderscoreCodings``
    documents). A code's own spelling always wins over another code's variant.
    """
    columns: dict[str, tuple[str, str]] = {}
    own: set[str] = set()
    for item in fields:
        if item.field_type == "checkbox":
            for code in item.choices:
                own.add(f"{item.name}___{code}")
                for variant in _code_variants(code):
                    column = f"{item.name}___{variant}"
                    if column not in own or variant == code:
                        columns[column] = (item.name, code)
    return columns


def _code_variants(code: str) -> tuple[str, ...]:
    low = code.lower()
    dashed = low.replace("-", "_").replace(".", "_")
    return (
        low,
        code.replace("-", "_"),
        dashed,
        low.replace("_", ""),
        code,
    )
