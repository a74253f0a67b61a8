"""The image side of the registry: indexed files, thumbnails and readings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from calciscope.imaging.measure import Roi
from calciscope.imaging.reading import Reading
from calciscope.model import Fact, Image
from calciscope.storage import schema
from calciscope.storage.registry import BatchWriter, Registry

__all__ = ["ROI_COLUMNS", "ImageRepository", "StoredReading", "StoredRegion", "stored_roi"]

#: The columns of a region row's ROI (migration 0009).
ROI_COLUMNS = ("roi_x0", "roi_y0", "roi_x1", "roi_y1")


@dataclass(frozen=True)
class StoredRegion:
    """One region row of a stored reading, with its reading's image and reader."""

    image_id: str
    reader: str
    reading_date: Any
    body_site: str
    laterality: str
    presence: str
    morphology: str | None
    area_mm2: float | None
    sctc_global_grade: str | None


@dataclass(frozen=True)
class StoredReading:
    """One stored reading of an image with its region rows (as stored: plain strings)."""

    reading_id: str
    image_id: str
    reader: str
    reader_role: str
    reading_date: Any
    blinded: bool
    sctc_global_grade: str | None
    regions: tuple[dict[str, Any], ...]


class ImageRepository:
    """Reads and writes the image tables of one registry.

    Parameters
    ----------
    registry
        The open registry.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def write_files(self, writer: BatchWriter, rows: Sequence[dict[str, Any]]) -> None:
        """Upsert ``image_files`` rows inside an import's transaction (after the images)."""
        assert writer.conn is not None, "use Registry.bulk_import()"
        self.registry._upsert(writer.conn, schema.image_files, list(rows), "image_id", update=True)

    def image(self, image_id: str) -> Image | None:
        """Return one image, or None."""
        t = schema.images
        with self.registry.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.image_id == image_id)).mappings().first()
        return Image(**row) if row else None

    def images(self, ids: Sequence[str]) -> dict[str, Image]:
        """Return the images with the given ids, by id."""
        t = schema.images
        with self.registry.engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(t.c.image_id.in_(list(set(ids))))).mappings()
            return {row["image_id"]: Image(**row) for row in rows}

    def file(self, image_id: str) -> dict[str, Any] | None:
        """Return the ``image_files`` row of an image (with its thumbnail), or None."""
        t = schema.image_files
        with self.registry.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.image_id == image_id)).mappings().first()
        return dict(row) if row else None

    def indexed(self, ids: Sequence[str]) -> set[str]:
        """Return which of ``ids`` have an indexed file (and so a thumbnail)."""
        t = schema.image_files
        with self.registry.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.image_id).where(t.c.image_id.in_(list(set(ids)))))
            return {row[0] for row in rows}

    def write_readings(self, readings: Sequence[Reading], facts: Sequence[Fact]) -> None:
        """Store readings (replacing a reading with the same id) and their facts, in one go."""
        head, region = schema.image_readings, schema.image_reading_regions
        ids = [r.reading_id for r in readings]
        with self.registry.engine.begin() as conn:
            conn.execute(region.delete().where(region.c.reading_id.in_(ids)))
            conn.execute(head.delete().where(head.c.reading_id.in_(ids)))
            if readings:
                conn.execute(head.insert(), [_head_row(r) for r in readings])
                conn.execute(region.insert(), [row for r in readings for row in _region_rows(r)])
            self.registry._upsert(conn, schema.facts, _fact_rows(facts), "fact_id", update=False)

    def readings_of(self, image_id: str) -> list[StoredReading]:
        """Return the readings of one image (oldest first) with their region rows."""
        head, region = schema.image_readings, schema.image_reading_regions
        with self.registry.engine.connect() as conn:
            heads = [
                dict(h)
                for h in conn.execute(
                    sa.select(head)
                    .where(head.c.image_id == image_id)
                    .order_by(head.c.reading_date, head.c.reader)
                ).mappings()
            ]
            ids = [h["reading_id"] for h in heads]
            regions: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
            rows = conn.execute(
                sa.select(region)
                .where(region.c.reading_id.in_(ids))
                .order_by(region.c.body_site, region.c.laterality)
            ).mappings()
            for row in rows:
                regions[row["reading_id"]].append(dict(row))
        return [
            StoredReading(
                reading_id=h["reading_id"],
                image_id=h["image_id"],
                reader=h["reader"],
                reader_role=h["reader_role"],
                reading_date=h["reading_date"],
                blinded=bool(h["blinded"]),
                sctc_global_grade=h["sctc_global_grade"],
                regions=tuple(regions[h["reading_id"]]),
            )
            for h in heads
        ]

    def regions(self) -> list[StoredRegion]:
        """Return every stored region row with its reading's image, reader and grade."""
        head, region = schema.image_readings, schema.image_reading_regions
        q = sa.select(
            head.c.image_id,
            head.c.reader,
            head.c.reading_date,
            region.c.body_site,
            region.c.laterality,
            region.c.presence,
            region.c.morphology,
            region.c.area_mm2,
            head.c.sctc_global_grade,
        ).join(region, region.c.reading_id == head.c.reading_id)
        with self.registry.engine.connect() as conn:
            return [StoredRegion(**row) for row in conn.execute(q).mappings()]


def _head_row(reading: Reading) -> dict[str, Any]:
    grade = reading.sctc_global_grade
    return {
        "reading_id": reading.reading_id,
        "image_id": reading.image_id,
        "reader": reading.reader,
        "reader_role": reading.reader_role.value,
        "reading_date": reading.reading_date,
        "blinded": reading.blinded,
        "sctc_global_grade": grade.value if grade else None,
        "source": None,
    }


def _region_rows(reading: Reading) -> list[dict[str, Any]]:
    return [
        {
            "reading_id": reading.reading_id,
            "body_site": r.body_site.value,
            "laterality": r.laterality.value,
            "presence": r.presence.value,
            "florence": r.florence.value if r.florence else None,
            "morphology": r.morphology.value if r.morphology else None,
            "area_mm2": r.area_mm2,
            **_roi_columns(r.roi),
            "deposit_mask_png": r.deposit_mask_png,
        }
        for r in reading.regions
    ]


def _roi_columns(roi: Roi | None) -> dict[str, int | None]:
    corners = (roi.x0, roi.y0, roi.x1, roi.y1) if roi else (None,) * 4
    return dict(zip(ROI_COLUMNS, corners, strict=True))


def stored_roi(region: dict[str, Any]) -> Roi | None:
    """Return the ROI of a stored region row, or None (no measurement, or read before 0009)."""
    corners = [region.get(name) for name in ROI_COLUMNS]
    if any(c is None for c in corners):
        return None
    return Roi(*(int(c) for c in corners if c is not None))


def _fact_rows(facts: Sequence[Fact]) -> list[dict[str, Any]]:
    rows = []
    for fact in facts:
        row = {k: getattr(v, "value", v) for k, v in fact.__dict__.items()}
        rows.append(row | {"batch_id": None})
    return rows
