"""Read PNG and JPEG files (photographs, or exported radiographs) and their sidecar CSV.

A folder of photographs carries ``sidecar.csv`` with one row per file::

    file,patient_id,date,body_site,laterality,modality,pixel_spacing_mm
    hand_r.jpg,P0001,2024-03-01,hand,right,photograph,
    xr_hand.png,P0002,2024-05-02,hand,left,radiograph,0.15

``file`` is relative to the folder; ``modality`` defaults to photograph; ``pixel_spacing_mm``
is optional (measurements in px without it). A photograph's pixels for measuring are its
luminance (ITU-R 601); a 16-bit greyscale PNG keeps its 16 bits. The display image (thumbnail,
viewer, report) of a colour photograph is RGB; a file whose modality is radiograph is shown in
grey whatever its channels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from calciscope.errors import Problem, ValidationError
from calciscope.interop.csvtext import ANY_COLUMN, StrictDictReader
from calciscope.interop.images.dicom import ImageMeta, LoadedImage
from calciscope.model import BodyRegion, Laterality, Modality
from calciscope.textfile import open_text

__all__ = ["PHOTO_SUFFIXES", "SIDECAR_NAME", "SidecarRow", "read_photo", "read_sidecar"]

PHOTO_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})
SIDECAR_NAME = "sidecar.csv"
_COLUMNS = ("file", "patient_id", "date", "body_site", "laterality")


@dataclass(frozen=True)
class SidecarRow:
    """One row of ``sidecar.csv``."""

    patient_id: str
    image_date: dt.date | None
    body_site: BodyRegion | None
    laterality: Laterality | None
    modality: Modality
    pixel_spacing_mm: float | None


def _enum(
    kind: type[StrEnum], value: str, name: str, where: tuple[str, str]
) -> tuple[Any, list[Problem]]:
    if not value:
        return None, []
    try:
        return kind(value), []
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        return None, [Problem(where[0], where[1], name, f"{value!r} is not one of {choices}")]


def _row(raw: dict[str, str], where: tuple[str, str]) -> tuple[SidecarRow | None, list[Problem]]:
    problems: list[Problem] = []
    date = None
    if raw.get("date"):
        try:
            date = dt.date.fromisoformat(raw["date"])
        except ValueError:
            problems.append(Problem(*where, "date", f"{raw['date']!r} is not YYYY-MM-DD"))
    site, p1 = _enum(BodyRegion, raw.get("body_site", ""), "body_site", where)
    side, p2 = _enum(Laterality, raw.get("laterality", ""), "laterality", where)
    modality, p3 = _enum(Modality, raw.get("modality", "") or "photograph", "modality", where)
    spacing = None
    if raw.get("pixel_spacing_mm"):
        try:
            spacing = float(raw["pixel_spacing_mm"])
            if spacing <= 0:
                raise ValueError
        except ValueError:
            problems.append(Problem(*where, "pixel_spacing_mm", "must be a positive number"))
    if not raw.get("patient_id"):
        problems.append(Problem(*where, "patient_id", "missing"))
    problems += p1 + p2 + p3
    if problems:
        return None, problems
    return SidecarRow(raw["patient_id"], date, site, side, modality, spacing), []


def read_sidecar(folder: Path) -> tuple[dict[str, SidecarRow], list[Problem]]:
    """Read ``folder/sidecar.csv`` into ``{relative file: row}``; no file gives ``{}``."""
    path = folder / SIDECAR_NAME
    if not path.is_file():
        return {}, []
    rows: dict[str, SidecarRow] = {}
    problems: list[Problem] = []
    try:
        with open_text(path) as handle:
            # strict: a quote left open, stray quotes paired over rows or a column named
            # twice in the header is a problem naming its rows (or the column)
            reader = StrictDictReader(handle, str(path), single_line=ANY_COLUMN)
            missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                return {}, [Problem(str(path), "header", ",".join(missing), "missing column(s)")]
            for number, raw in enumerate(reader, start=2):
                clean = {k: (v or "").strip() for k, v in raw.items() if k}
                row, found = _row(clean, (str(path), f"row {number}"))
                problems += found
                if row is not None:
                    rows[Path(clean["file"]).as_posix()] = row
    except ValidationError as exc:
        return {}, [*problems, *exc.problems]
    return rows, problems


def read_photo(path: Path, row: SidecarRow) -> tuple[LoadedImage | None, Problem | None]:
    """Read a PNG or JPEG; the sidecar row gives its patient, date, site and spacing."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            grey = image if image.mode in ("L", "I;16", "I") else image.convert("L")
            pixels = np.asarray(grey, dtype=np.float32)
            colour = image.mode not in ("1", "L", "LA", "I;16", "I", "F")
            # a photograph keeps its colour for the eye; a radiograph (grey film) is shown grey
            keep = colour and row.modality is not Modality.RADIOGRAPH
            display = np.asarray(image.convert("RGB")) if keep else np.asarray(grey)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        return None, Problem(str(path), "file", "-", f"not a readable PNG/JPEG image: {exc}")
    if display.dtype != np.uint8:
        low, high = float(display.min()), float(display.max())
        display = ((display - low) / max(high - low, 1.0) * 255).astype(np.uint8)
    meta = ImageMeta(
        file_format=path.suffix.lower().lstrip(".").replace("jpg", "jpeg"),
        modality=row.modality,
        image_date=row.image_date,
        body_part=row.body_site.value if row.body_site else None,
        laterality=row.laterality,
        pixel_spacing_mm=row.pixel_spacing_mm,
        spacing_source="sidecar" if row.pixel_spacing_mm else "none",
        rows=pixels.shape[0],
        columns=pixels.shape[1],
        notes=() if row.pixel_spacing_mm else ("no pixel spacing: measurements in pixels",),
    )
    return LoadedImage(path, meta, pixels, display), None
