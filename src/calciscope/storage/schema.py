"""Registry tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "classification_results",
    "facts",
    "image_files",
    "image_reading_regions",
    "image_readings",
    "images",
    "import_batches",
    "metadata",
    "notes",
    "patients",
]

metadata = MetaData()

patients = Table(
    "patients",
    metadata,
    Column("patient_id", String(128), primary_key=True),
    Column("sex", String(16), nullable=False),
    Column("birth_date", Date),
    Column("birth_year", Integer),
    Column("centre", String(128)),
    Column("synthetic", Boolean, nullable=False, default=False),
)

facts = Table(
    "facts",
    metadata,
    Column("fact_id", String(64), primary_key=True),
    Column("patient_id", String(128), ForeignKey("patients.patient_id"), nullable=False),
    Column("system", String(16), nullable=False),
    Column("code", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("effective_date", Date),
    Column("value_num", Float),
    Column("value_text", Text),
    Column("unit", String(32)),
    Column("body_site", String(32)),
    Column("laterality", String(16)),
    Column("morphology", String(16)),
    Column("method", String(32)),
    Column("source_kind", String(16), nullable=False),
    Column("provenance", Text),
    Column("review_state", String(16), nullable=False),
    Column("batch_id", String(64)),
    Index("ix_facts_patient", "patient_id"),
    Index("ix_facts_code", "system", "code"),
)

notes = Table(
    "notes",
    metadata,
    Column("note_id", String(128), primary_key=True),
    Column("patient_id", String(128), ForeignKey("patients.patient_id"), nullable=False),
    Column("note_type", String(32), nullable=False),
    Column("note_date", Date),
    Column("text", Text, nullable=False),
    Column("synthetic", Boolean, nullable=False, default=False),
    Index("ix_notes_patient", "patient_id"),
)

images = Table(
    "images",
    metadata,
    Column("image_id", String(128), primary_key=True),
    Column("patient_id", String(128), ForeignKey("patients.patient_id"), nullable=False),
    Column("modality", String(16), nullable=False),
    Column("body_site", String(32)),
    Column("laterality", String(16)),
    Column("image_date", Date),
    Column("file_ref", Text),
    Index("ix_images_patient", "patient_id"),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("source", Text, nullable=False),
    Column("source_hash", String(64), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("counts", JSON, nullable=False),
)

classification_results = Table(
    "classification_results",
    metadata,
    Column("patient_id", String(128), ForeignKey("patients.patient_id"), primary_key=True),
    Column("criteria_set", String(64), primary_key=True),
    Column("index_date", Date, primary_key=True),
    Column("criteria_version", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("result", JSON, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)

# --- images: the indexed file, and readings (migration 0003_images) -----------------------
image_files = Table(
    "image_files",
    metadata,
    Column("image_id", String(128), ForeignKey("images.image_id"), primary_key=True),
    Column("root", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("file_format", String(16), nullable=False),
    Column("rows", Integer),
    Column("columns", Integer),
    Column("pixel_spacing_mm", Float),
    Column("spacing_source", String(32)),
    Column("photometric", String(32)),
    Column("transfer_syntax", String(64)),
    Column("body_part", String(64)),
    Column("notes", Text),
    Column("thumbnail_png", LargeBinary),
    Index("ix_image_files_sha256", "sha256"),
)

image_readings = Table(
    "image_readings",
    metadata,
    Column("reading_id", String(64), primary_key=True),
    Column("image_id", String(128), ForeignKey("images.image_id"), nullable=False),
    Column("reader", String(128), nullable=False),
    Column("reader_role", String(32), nullable=False),
    Column("reading_date", Date, nullable=False),
    Column("blinded", Boolean, nullable=False),
    Column("sctc_global_grade", String(16)),
    Column("source", Text),
    Index("ix_image_readings_image", "image_id"),
)

image_reading_regions = Table(
    "image_reading_regions",
    metadata,
    Column("reading_id", String(64), ForeignKey("image_readings.reading_id"), primary_key=True),
    Column("body_site", String(32), primary_key=True),
    Column("laterality", String(16), primary_key=True),
    Column("presence", String(16), nullable=False),
    Column("florence", String(16)),
    Column("morphology", String(16)),
    Column("area_mm2", Float),
)
