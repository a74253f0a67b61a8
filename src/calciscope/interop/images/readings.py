"""Read ``readings.csv``: structured readings done elsewhere, one row per image, reader, region.

Columns (``florence``, ``morphology``, ``sctc_global_grade``, ``area_mm2``, ``roi`` and
``deposit_mask`` may be empty or left out)::

    image_id,reader,reader_role,reading_date,blinded,body_site,laterality,presence,
    florence,morphology,sctc_global_grade,area_mm2,roi,deposit_mask

``roi`` (``X0,Y0,X1,Y1`` in the file's pixels) and ``deposit_mask`` (base64 of the
two-colour PNG of :mod:`calciscope.imaging.mask`) are the measurement behind a region row;
the report draws them over the thumbnail. A mask needs its ROI.

Rows with the same image, reader and reading date form one reading. Every bad row and field is
a :class:`~calciscope.errors.Problem`; a file with any problem imports nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from calciscope.errors import Problem, ValidationError
from calciscope.imaging.mask import decode_mask_text
from calciscope.imaging.measure import Roi
from calciscope.imaging.reading import (
    Florence,
    ReaderRole,
    Reading,
    RegionReading,
    SctcGlobalGrade,
    morphology_for,
)
from calciscope.interop.csvtext import ANY_COLUMN, StrictDictReader
from calciscope.model import BodyRegion, Laterality, Morphology, Status
from calciscope.textfile import open_text

__all__ = ["READING_COLUMNS", "read_readings", "readings_from_rows"]

READING_COLUMNS = (
    "image_id",
    "reader",
    "reader_role",
    "reading_date",
    "blinded",
    "body_site",
    "laterality",
    "presence",
    "florence",
    "morphology",
    "sctc_global_grade",
    "area_mm2",
    "roi",
    "deposit_mask",
)
_REQUIRED = READING_COLUMNS[:8]
_YES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


class _Row:
    """Parses one CSV row, collecting a Problem for every bad field."""

    def __init__(self, raw: dict[str, str], source: str, number: int) -> None:
        self.raw = {k: (v or "").strip() for k, v in raw.items() if k}
        self.where = (source, f"row {number}")
        self.problems: list[Problem] = []

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(*self.where, name, message))

    def enum(self, name: str, kind: type[StrEnum], *, required: bool = False) -> Any:
        value = self.raw.get(name, "").lower()
        if not value:
            if required:
                self.fail(name, "missing")
            return None
        try:
            return kind(value)
        except ValueError:
            self.fail(name, f"{value!r} is not one of {', '.join(m.value for m in kind)}")
            return None

    def text(self, name: str) -> str:
        value = self.raw.get(name, "")
        if not value:
            self.fail(name, "missing")
        return value

    def date(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.raw.get("reading_date", ""))
        except ValueError:
            self.fail("reading_date", f"{self.raw.get('reading_date')!r} is not YYYY-MM-DD")
            return None

    def area(self) -> float | None:
        value = self.raw.get("area_mm2", "")
        try:
            area = float(value) if value else None
        except ValueError:
            area = -1.0
        if area is not None and area < 0:
            self.fail("area_mm2", f"{value!r} is not an area (a number >= 0)")
            return None
        return area

    def blinded(self) -> bool:
        value = self.raw.get("blinded", "").lower()
        if value not in _YES:
            self.fail("blinded", f"{value!r} is not yes or no")
        return _YES.get(value, False)

    def region(self) -> RegionReading | None:
        site = self.enum("body_site", BodyRegion, required=True)
        side = self.enum("laterality", Laterality) or Laterality.UNSPECIFIED
        presence = self.enum("presence", Status, required=True)
        florence = self.enum("florence", Florence)
        morphology = self.enum("morphology", Morphology)
        try:
            morphology = morphology_for(florence, morphology)
        except ValueError as exc:
            self.fail("morphology", str(exc))
        if presence is not Status.PRESENT and (florence or morphology):
            self.fail("presence", "a morphology is given for calcinosis that is not present")
        area = self.area()
        roi, mask = self.measured_region()
        if self.problems:
            return None
        return RegionReading(site, side, presence, florence, morphology, area, roi, mask)

    def measured_region(self) -> tuple[Roi | None, bytes | None]:
        """Return the ROI and deposit mask of the measurement behind the row (both optional)."""
        text, mask_text = self.raw.get("roi", ""), self.raw.get("deposit_mask", "")
        roi = mask = None
        if text:
            try:
                roi = Roi.parse(text)
            except ValueError as exc:
                self.fail("roi", str(exc))
        if mask_text and not text:
            self.fail("deposit_mask", "a deposit mask needs the roi it was measured in")
        if mask_text and roi is not None:
            try:
                mask = decode_mask_text(mask_text, (roi.x1 - roi.x0, roi.y1 - roi.y0))
            except ValueError as exc:
                self.fail("deposit_mask", str(exc))
        return roi, mask


def _header_problems(source: str, fields: list[str] | None) -> list[Problem]:
    missing = [c for c in _REQUIRED if c not in (fields or [])]
    return [Problem(source, "header", ",".join(missing), "missing column(s)")] if missing else []


def read_readings(path: Path) -> tuple[list[Reading], list[Problem]]:
    """Read a readings CSV into :class:`Reading` objects, or every problem found."""
    source = str(path)
    try:
        with open_text(path) as handle:
            # strict: a quote left open, stray quotes paired over rows or a column named
            # twice in the header is a problem naming its rows (or the column)
            reader = StrictDictReader(handle, source, single_line=ANY_COLUMN)
            return readings_from_rows(reader, source, list(reader.fieldnames or []))
    except ValidationError as exc:
        return [], list(exc.problems)
    except OSError as exc:
        return [], [Problem(source, "file", "-", f"cannot read: {exc}")]


def readings_from_rows(
    rows: Iterable[dict[str, str]], source: str, fields: list[str] | None = None
) -> tuple[list[Reading], list[Problem]]:
    """Group rows in the CSV's columns into readings, or return every problem found.

    The CSV import and the web app's reading form both come through here, so a reading is
    checked the same way wherever it is entered. Rows are numbered as in a CSV file (the
    first data row is row 2).
    """
    return _ReadingGroups(source).read(rows, fields)


class _ReadingGroups:
    """Groups CSV rows into readings (same image, reader and date), checking each row."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.regions: dict[tuple, list[RegionReading]] = defaultdict(list)
        self.heads: dict[tuple, tuple] = {}
        self.problems: list[Problem] = []

    def read(
        self, rows: Iterable[dict[str, str]], fields: list[str] | None
    ) -> tuple[list[Reading], list[Problem]]:
        if fields is not None:
            self.problems += _header_problems(self.source, fields)
        if self.problems:
            return [], self.problems
        for number, raw in enumerate(rows, start=2):
            self._add(_Row(raw, self.source, number))
        readings = [
            Reading(
                head[0],
                head[1],
                self.heads[head][0],
                head[2],
                self.heads[head][1],
                tuple(regions),
                self.heads[head][2],
            )
            for head, regions in self.regions.items()
        ]
        return readings, self.problems

    def _add(self, row: _Row) -> None:
        head = (row.text("image_id"), row.text("reader"), row.date())
        extra = (
            row.enum("reader_role", ReaderRole, required=True),
            row.blinded(),
            row.enum("sctc_global_grade", SctcGlobalGrade),
        )
        region = row.region()
        if region is not None and self.heads.setdefault(head, extra) != extra:
            row.fail("reader_role", "role, blinding or grade differ within one reading")
        taken = {(r.body_site, r.laterality) for r in self.regions.get(head, [])}
        if region is not None and (region.body_site, region.laterality) in taken:
            row.fail("body_site", "this region and side is already in this reading")
        if row.problems or region is None:
            self.problems += row.problems
            return
        self.regions[head].append(region)
