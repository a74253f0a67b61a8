"""A study report's images with their thumbnails and readings (the radiograph panel, methods)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from calciscope.storage import Registry
from calciscope.storage.images import StoredReading, stored_roi

if TYPE_CHECKING:
    from ibis.backends import BaseBackend


def _with_readings(
    registry: Registry | str | BaseBackend, images: pd.DataFrame | None
) -> pd.DataFrame | None:
    """Add each image's thumbnail and readings (for the report's radiograph panel and methods).

    On a database URL that is not a registry (a DuckDB file of its tables) the images are
    listed without thumbnails or readings.

    The between-reader agreement (:func:`calciscope.api.reader_agreement`) is kept in
    ``images.attrs["agreement"]`` when two readers read the same films.
    """
    from calciscope.api.imaging import reader_agreement
    from calciscope.storage.images import ImageRepository

    if images is None:
        return None
    repo = ImageRepository(registry) if isinstance(registry, Registry) else None
    indexed = repo.indexed(list(images["image_id"])) if repo is not None and len(images) else set()
    thumbs, texts, readers, counts, blinded = [], [], [], [], []
    sizes, overlays = [], []
    for image_id in images["image_id"]:
        row = repo.file(image_id) if repo is not None and image_id in indexed else None
        readings = repo.readings_of(image_id) if repo is not None and image_id in indexed else []
        thumbs.append(bytes(row["thumbnail_png"]) if row and row["thumbnail_png"] else None)
        sizes.append((row["columns"], row["rows"]) if row and row["rows"] else None)
        overlays.append(tuple(_measured_regions(readings)))
        texts.append("\n".join(_reading_text(r) for r in readings) or None)
        readers.append(tuple(sorted({f"{r.reader} ({r.reader_role})" for r in readings})))
        counts.append(len(readings))
        blinded.append(sum(r.blinded for r in readings))
    columns = {
        "thumbnail_png": thumbs,
        "reading": texts,
        "readers": readers,
        "readings": counts,
        "blinded_readings": blinded,
        "image_size": sizes,
        "overlays": overlays,
    }
    images = images.assign(
        **{k: pd.Series(v, index=images.index, dtype=object) for k, v in columns.items()}
    )
    report = reader_agreement(registry) if indexed and isinstance(registry, Registry) else None
    if report is not None and report.readers is not None and report.results:
        images.attrs["agreement"] = {
            "readers": report.readers,
            "pairs": report.pairs,
            "results": {
                name: {
                    "method": r.method,
                    "estimate": r.estimate,
                    "lower": r.lower,
                    "upper": r.upper,
                    "n": r.n,
                }
                for name, r in report.results.items()
                if r.estimate is not None
            },
        }
    return images


def _measured_regions(readings: Sequence[StoredReading]) -> Iterator[dict[str, Any]]:
    """Yield the measured regions of the readings (ROI, deposits) for the report's overlay."""
    for reading in readings:
        for region in reading.regions:
            roi = stored_roi(region)
            if roi is None:
                continue
            side = "" if region["laterality"] == "unspecified" else f" {region['laterality']}"
            mask = region.get("deposit_mask_png")
            yield {
                "roi": roi,
                "deposit_mask_png": bytes(mask) if mask is not None else None,
                "label": f"{reading.reader}, {region['body_site']}{side}",
            }


def _reading_text(reading: Any) -> str:
    regions = "; ".join(
        f"{g['body_site']} {'' if g['laterality'] == 'unspecified' else g['laterality']} "
        f"{g['presence']}"
        + (f", Florence {g['florence']}" if g["florence"] else "")
        + (f", {g['morphology']}" if g["morphology"] else "")
        + (f", {g['area_mm2']:g} mm²" if g["area_mm2"] is not None else "")
        for g in reading.regions
    )
    grade = f", SCTC {reading.sctc_global_grade}" if reading.sctc_global_grade else ""
    blind = "blinded" if reading.blinded else "not blinded"
    return f"{reading.reader} ({reading.reader_role}, {reading.reading_date}, {blind}{grade}): {regions}"
