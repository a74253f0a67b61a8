"""SYNTHETIC radiographs for the demo cohort: phantom films and a measurement-based reading.

For some radiograph rows of a generated cohort's ``images.csv`` (every film of a patient whose
answer-key morphology is sheet-like, reticular or mixed, and a few nodular ones), this writes a
phantom film (:mod:`calciscope.imaging.phantom`, labelled SYNTHETIC in its pixels, Patient's
Name ``SYNTHETIC^PHANTOM`` and Image Comments) showing the patient's true pattern, with the
row's date, region and side. It then measures each film's region and writes
``readings.csv``: the measurement's suggested pattern as the Florence type (nodular → stone,
reticular → net, sheet-like → plate), the measured area, by the reader ``calciscope-measure``
with the role ``other``. Imported with :func:`calciscope.api.import_readings`, its facts are
**suggestions** waiting in the review queue: a pattern the coded record may not hold is found
from the film, never confirmed without a clinician.

The generator's own files are not changed: the films, ``ids.csv`` and ``readings.csv`` go to
``<cohort>/radiographs/``.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calciscope.model import Morphology

__all__ = ["DemoFilms", "write_demo_radiographs"]

#: Florence type a measured pattern is entered as (the inverse of our Florence crosswalk).
_FLORENCE = {
    Morphology.NODULAR: "stone",
    Morphology.RETICULAR: "net",
    Morphology.SHEET_LIKE: "plate",
}
#: Phantom pattern drawn for a film's true morphology (no phantom draws mixed lesions).
_DRAWN = {
    "nodular": Morphology.NODULAR,
    "sheet_like": Morphology.SHEET_LIKE,
    "reticular": Morphology.RETICULAR,
}
_SIDES = {"right": "R", "left": "L", "bilateral": "B"}
READER = "calciscope-measure"


@dataclass(frozen=True)
class DemoFilms:
    """What :func:`write_demo_radiographs` wrote."""

    folder: Path
    mapping: Path
    readings: Path
    films: int
    suggested: dict[str, int]


def _dicom_part(region: str) -> str:
    from calciscope.interop.images.index import BODY_PARTS

    return next((code for code, r in BODY_PARTS.items() if r.value == region), "HAND")


def _chosen(cohort: Path, nodular: int) -> list[tuple[dict[str, str], Morphology]]:
    """Return the radiographs to draw, each with the pattern of the lesions in its region.

    The pattern comes from the generator's per-film truth (``image_key.csv``), so a film of a
    region with nodular lesions shows nodules even when the patient has sheet-like calcinosis
    elsewhere. Films of regions without calcinosis, or with mixed lesions (there is no mixed
    phantom), are not drawn.
    """
    with (cohort / "image_key.csv").open(newline="", encoding="utf-8") as handle:
        truth = {r["image_id"]: r["calcinosis_morphology"] for r in csv.DictReader(handle)}
    chosen, plain = [], 0
    with (cohort / "images.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pattern = _DRAWN.get(truth.get(row["image_id"], ""))
            if row["modality"] != "radiograph" or pattern is None:
                continue
            if pattern is Morphology.NODULAR:
                if plain >= nodular:
                    continue
                plain += 1
            chosen.append((row, pattern))
    return chosen


def write_demo_radiographs(cohort: Path, *, seed: int = 0, nodular: int = 6) -> DemoFilms:
    """Write SYNTHETIC phantom films and a measurement-based reading for a generated cohort.

    Parameters
    ----------
    cohort
        A folder written by :func:`calciscope.api.generate_demo_data`.
    seed
        Seed of the phantoms (with the row number).
    nodular
        How many films of patients with only nodular calcinosis to include.
    """
    from calciscope.imaging.measure import Roi, measure_calcification
    from calciscope.interop.images.readings import READING_COLUMNS

    folder = Path(cohort) / "radiographs"
    films = folder / "films"
    films.mkdir(parents=True, exist_ok=True)
    ids, readings = ["dicom_patient_id,patient_id"], []
    suggested: dict[str, int] = {}
    for number, (row, pattern) in enumerate(_chosen(Path(cohort), nodular)):
        phantom, path = _write_film(row, pattern, films, seed=seed * 100_000 + number)
        ids.append(f"SYNTHETIC-{phantom.seed},{row['patient_id']}")
        result = measure_calcification(
            phantom.pixels, Roi(*phantom.roi), pixel_spacing_mm=phantom.pixel_spacing_mm
        )
        found = result.suggestion.pattern
        key = found.value if found else "none"
        suggested[key] = suggested.get(key, 0) + 1
        readings.append(_reading_row(row, path, result))
    mapping = folder / "ids.csv"
    mapping.write_text("\n".join(ids) + "\n", encoding="utf-8")
    reading_file = folder / "readings.csv"
    with reading_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(READING_COLUMNS))
        writer.writeheader()
        writer.writerows(readings)
    return DemoFilms(films, mapping, reading_file, len(readings), suggested)


def _write_film(
    row: dict[str, str], pattern: Morphology, films: Path, *, seed: int
) -> tuple[Any, Path]:
    """Write the phantom of one ``images.csv`` row (its date, region and side); return both."""
    import pydicom

    from calciscope.imaging.phantom import make_phantom
    from calciscope.interop.images import write_phantom_dicom

    phantom = make_phantom(pattern, pixel_spacing_mm=0.15, seed=seed)
    date = dt.date.fromisoformat(row["image_date"])
    path = write_phantom_dicom(phantom, films / f"{row['image_id']}.dcm", study_date=date)
    ds = pydicom.dcmread(path)
    ds.BodyPartExamined = _dicom_part(row["body_site"])
    ds.ImageLaterality = _SIDES.get(row["laterality"], "")
    ds.save_as(path, enforce_file_format=True)
    return phantom, path


def _reading_row(row: dict[str, str], path: Path, result: Any) -> dict[str, str]:
    """Return the ``readings.csv`` row of a measured film: the suggestion, ROI and deposits."""
    from calciscope.interop.images import file_sha256

    found, area_mm2 = result.suggestion.pattern, result.calcified_area
    return {
        "image_id": "IMG-" + file_sha256(path)[:16],
        "reader": READER,
        "reader_role": "other",
        "reading_date": row["image_date"],
        "blinded": "yes",
        "body_site": row["body_site"],
        "laterality": row["laterality"] or "unspecified",
        "presence": "present" if found else "unknown",
        "florence": _FLORENCE.get(found, "") if found else "",
        "morphology": "",
        "sctc_global_grade": "",
        "area_mm2": f"{area_mm2:.1f}" if found else "",
        "roi": str(result.roi),
        "deposit_mask": result.deposit_mask_text(),
    }
