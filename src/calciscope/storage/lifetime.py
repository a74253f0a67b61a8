"""Facts dated before the patient's birth: the check every importer's facts go through.

The bulk writer (:meth:`calciscope.storage.BatchWriter.write_fact_rows`) runs it on each fact
table once the import's patients are written, so the birth date compared with is the one the
registry holds at the end of the import (the stored patient, completed or updated by this
import). It is vectorised (pyarrow): a table of a native ``facts.csv`` block is checked whole.
The rule and its words are the model's (:func:`calciscope.model.before_birth`); a row it finds
becomes a :class:`~calciscope.errors.Problem` naming the file, the row and ``effective_date``,
and the import fails whole (nothing is written).

Where a row was read comes from the fact table's optional columns :data:`ORIGIN_COLUMNS` (the
native reader fills them: ``facts.csv``, ``row 12``); otherwise from the fact's provenance,
which the other readers start with its location (a FHIR entry, a phenopacket element, a REDCap
row and field, an OMOP table row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from calciscope.errors import Problem
from calciscope.model import before_birth

__all__ = ["ORIGIN_COLUMNS", "Birth", "BirthCheck", "with_origins"]

#: Optional columns of a fact table saying where each row was read (file, then row); never
#: stored. The sinks write only :data:`~calciscope.storage.bulk.FACT_COLUMNS`.
ORIGIN_COLUMNS = ("origin_source", "origin_location")

#: A patient's date of birth and year of birth (either may be unknown).
Birth = tuple[dt.date | None, int | None]

#: Problems listed per import: a wholly misdated file names its first rows, then counts the rest.
_LISTED = 1000


def with_origins(
    table: pa.Table, source: str, locations: Sequence[str] | pa.Array | pa.ChunkedArray
) -> pa.Table:
    """Return a fact table with :data:`ORIGIN_COLUMNS` (``source`` for every row)."""
    where = (
        locations
        if isinstance(locations, pa.Array | pa.ChunkedArray)
        else pa.array(list(locations), pa.string())
    )
    return table.append_column(
        ORIGIN_COLUMNS[0], pa.repeat(pa.scalar(source, pa.string()), table.num_rows)
    ).append_column(ORIGIN_COLUMNS[1], where)


@dataclass
class BirthCheck:
    """Finds the facts of a fact table dated before their patient's birth.

    Parameters
    ----------
    source
        The import's source, named when a row carries no origin.
    problems
        Where the problems go (the import's, raised when it ends).
    """

    source: str
    problems: list[Problem]
    more: int = 0

    def rows_born(self, rows: pa.Table, births: Mapping[str, Birth]) -> pa.Table:
        """Return the rows not dated before birth; add a problem for each of the others."""
        before = self._before(rows, births)
        if before is None:
            return rows
        positions = pc.indices_nonzero(before)
        for row in rows.take(positions).to_pylist():
            self._add(row, births[row["patient_id"]])
        return rows.filter(pc.invert(before))

    def _before(self, rows: pa.Table, births: Mapping[str, Birth]) -> pa.Array | None:
        """Return the mask of rows dated before birth, or None when there is none."""
        known = {pid: b for pid, b in births.items() if b != (None, None)}
        dates = rows.column("effective_date")
        if not known or dates.null_count == rows.num_rows:
            return None
        ids = pa.array(list(known), pa.string())
        where = pc.index_in(rows.column("patient_id"), value_set=ids)
        born = pc.take(pa.array([b[0] for b in known.values()], pa.date32()), where)
        year = pc.take(pa.array([b[1] for b in known.values()], pa.int64()), where)
        # the model's rule (before_birth), a column at a time: a date before the day of birth,
        # or, with the year alone, a date in an earlier year
        by_day = pc.fill_null(pc.less(dates, born), False)
        by_year = pc.fill_null(pc.and_(pc.is_null(born), pc.less(pc.year(dates), year)), False)
        before = pc.or_(by_day, by_year)
        return before if pc.any(before).as_py() else None

    def _add(self, row: Mapping[str, object], birth: Birth) -> None:
        date = row["effective_date"]
        assert isinstance(date, dt.date)
        message = before_birth(date, *birth)
        assert message is not None  # the vectorised mask and the model's rule agree
        if len(self.problems) >= _LISTED:
            self.more += 1
            return
        source = row.get(ORIGIN_COLUMNS[0]) or self.source
        location = row.get(ORIGIN_COLUMNS[1]) or row.get("provenance") or f"fact {row['fact_id']}"
        self.problems.append(
            Problem(
                str(source),
                str(location),
                "effective_date",
                f"{message} (patient {row['patient_id']!r}, code {_code(row)})",
            )
        )

    def finish(self) -> None:
        """Count the problems not listed (a wholly misdated file), as one more problem."""
        if self.more:
            message = f"{self.more} more facts dated before their patient's birth (not listed)"
            self.problems.append(Problem(self.source, "-", "effective_date", message))
            self.more = 0


def _code(row: Mapping[str, object]) -> str:
    """Return a fact's code as written with its system (``HP:0003761``, ``ICD10 M34.8``)."""
    system, code = str(row["system"]), str(row["code"])
    return code if code.startswith(f"{system}:") else f"{system} {code}"
