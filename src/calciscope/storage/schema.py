"""Registry tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them.

The text columns of a record's fields are as long as the model's ``max_length`` of the field
(:func:`_text`): the bound is written once, so a value that passes validation fits its column.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlalchemy import (
    JSON,
    BigInteger,
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
    UniqueConstraint,
    text,
)

from calciscope.model import Fact, Image, Note, Patient
from calciscope.model.records import max_length

__all__ = [
    "arrow_schema",
    "audit_log",
    "classification_results",
    "fact_revisions",
    "facts",
    "image_files",
    "image_reading_regions",
    "image_readings",
    "images",
    "import_batches",
    "metadata",
    "notes",
    "patient_source_ids",
    "patients",
    "registry_state",
    "review_decisions",
    "users",
]

metadata = MetaData()


def _text(model: type[Patient | Fact | Note | Image], name: str) -> String | Text:
    """Return the column type of a model's text field: ``String`` of its bound, or ``Text``."""
    limit = max_length(model, name)
    return Text() if limit is None else String(limit)


#: The patient id column's type, in every table that refers to a patient.
_PATIENT_ID = _text(Patient, "patient_id")

patients = Table(
    "patients",
    metadata,
    Column("patient_id", _PATIENT_ID, primary_key=True),
    Column("sex", String(16), nullable=False),
    Column("birth_date", Date),
    Column("birth_year", Integer),
    Column("centre", _text(Patient, "centre")),
    Column("synthetic", Boolean, nullable=False, default=False),
)

facts = Table(
    "facts",
    metadata,
    Column("fact_id", _text(Fact, "fact_id"), primary_key=True),
    Column("patient_id", _PATIENT_ID, ForeignKey("patients.patient_id"), nullable=False),
    Column("system", String(16), nullable=False),
    Column("code", _text(Fact, "code"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("effective_date", Date),
    Column("value_num", Float),
    Column("value_text", Text),
    Column("unit", _text(Fact, "unit")),
    Column("body_site", String(32)),
    Column("laterality", String(16)),
    Column("morphology", String(16)),
    Column("method", String(32)),
    Column("source_kind", String(16), nullable=False),
    Column("provenance", Text),
    Column("review_state", String(16), nullable=False),
    Column("batch_id", String(64)),
    # 0002_review: a decision or correction bumps the version (optimistic concurrency); a
    # corrected fact keeps its row and points at the fact that replaced it
    Column("version", Integer, nullable=False, server_default="1"),
    Column("superseded_by", String(64)),
    # 0006_reference_high: the upper end of the laboratory's reference range of value_num
    Column("reference_high", Float),
    # 0012_unit_code: a unit's code in an ontology other than UCUM (UO), its label in unit
    Column("unit_code", _text(Fact, "unit_code")),
    Index("ix_facts_patient", "patient_id"),
    Index("ix_facts_code", "system", "code"),
    # 0005: the review queue pages through the open suggested facts in this order
    Index(
        "ix_facts_open_suggested",
        "patient_id",
        "effective_date",
        "code",
        "fact_id",
        sqlite_where=text("review_state = 'suggested' AND superseded_by IS NULL"),
        postgresql_where=text("review_state = 'suggested' AND superseded_by IS NULL"),
    ),
)

notes = Table(
    "notes",
    metadata,
    Column("note_id", _text(Note, "note_id"), primary_key=True),
    Column("patient_id", _PATIENT_ID, ForeignKey("patients.patient_id"), nullable=False),
    Column("note_type", String(32), nullable=False),
    Column("note_date", Date),
    Column("text", Text, nullable=False),
    Column("synthetic", Boolean, nullable=False, default=False),
    Index("ix_notes_patient", "patient_id"),
)

images = Table(
    "images",
    metadata,
    Column("image_id", _text(Image, "image_id"), primary_key=True),
    Column("patient_id", _PATIENT_ID, ForeignKey("patients.patient_id"), nullable=False),
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
    Column("patient_id", _PATIENT_ID, ForeignKey("patients.patient_id"), primary_key=True),
    Column("criteria_set", String(64), primary_key=True),
    Column("index_date", Date, primary_key=True),
    Column("criteria_version", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("result", JSON, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    # 0006: what the result was computed from; reused only while both still match
    Column("definitions_version", String(64)),
    Column("data_version", String(64)),
    # 0008: the registry's generation the results were computed at (see registry_state)
    Column("generation", BigInteger),
)

# --- 0008: one row; database triggers bump ``generation`` on every write to patients, facts,
# notes, images and patient_source_ids (any writer), so one integer tells whether they changed
registry_state = Table(
    "registry_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
    # 0010: the registry's as-of date (NULL: not set, evaluated as of today); no trigger
    Column("as_of", Date),
)

# --- 0002_review: users, the append-only audit log, review decisions, fact revisions ------

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # 0011: moved on at each sign-out; a web session holds the number it was signed in at,
    # so a session cookie copied before the sign-out is refused after it
    Column("session_epoch", Integer, nullable=False, server_default="0"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(256), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
    Column("detail", Text),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_actor", "actor"),
)

review_decisions = Table(
    "review_decisions",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(256), nullable=False),
    Column("item_version", Integer, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("patient_id", _PATIENT_ID, nullable=False),
    Column("fact_id", String(64)),
    Column("decision", String(16), nullable=False),
    Column("previous_state", String(16)),
    Column("new_state", String(16), nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    # two reviewers deciding the same version of an item: the second insert fails
    UniqueConstraint("item_id", "item_version", name="uq_review_decisions_item_version"),
    Index("ix_review_decisions_patient", "patient_id"),
)

fact_revisions = Table(
    "fact_revisions",
    metadata,
    Column("revision_id", Integer, primary_key=True, autoincrement=True),
    Column("fact_id", String(64), nullable=False),
    Column("supersedes", String(64)),
    Column("action", String(16), nullable=False),
    Column("author", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_fact_revisions_fact", "fact_id"),
    Index("ix_fact_revisions_supersedes", "supersedes"),
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
    # 0009: the measurement behind the row (ROI in file pixels, deposits as a two-colour PNG)
    Column("roi_x0", Integer),
    Column("roi_y0", Integer),
    Column("roi_x1", Integer),
    Column("roi_y1", Integer),
    Column("deposit_mask_png", LargeBinary),
)

# --- 0004: the ids other systems gave a patient (``Case 4``), which became its id (``Case_4``) --

patient_source_ids = Table(
    "patient_source_ids",
    metadata,
    Column("patient_id", _PATIENT_ID, ForeignKey("patients.patient_id"), primary_key=True),
    Column("source_id", String(512), primary_key=True),
    Column("batch_id", String(64), nullable=False),
)


def _arrow_type(column: Column[Any]) -> pa.DataType:
    kind = column.type
    if isinstance(kind, Boolean):
        return pa.bool_()
    if isinstance(kind, Integer):
        return pa.int64()
    if isinstance(kind, Float):
        return pa.float64()
    if isinstance(kind, DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, Date):
        return pa.date32()
    if isinstance(kind, LargeBinary):
        return pa.binary()
    return pa.string()  # String, Text, JSON (stored as JSON text)


def arrow_schema(name: str) -> pa.Schema:
    """Return the Arrow schema of a registry table (JSON columns as text)."""
    return pa.schema([(c.name, _arrow_type(c)) for c in metadata.tables[name].columns])
