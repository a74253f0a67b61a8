"""Initial registry: patients, facts, notes, images, import batches, classification results.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("patient_id", sa.String(128), primary_key=True),
        sa.Column("sex", sa.String(16), nullable=False),
        sa.Column("birth_date", sa.Date),
        sa.Column("birth_year", sa.Integer),
        sa.Column("centre", sa.String(128)),
        sa.Column("synthetic", sa.Boolean, nullable=False),
    )
    op.create_table(
        "facts",
        sa.Column("fact_id", sa.String(64), primary_key=True),
        sa.Column(
            "patient_id", sa.String(128), sa.ForeignKey("patients.patient_id"), nullable=False
        ),
        sa.Column("system", sa.String(16), nullable=False),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("effective_date", sa.Date),
        sa.Column("value_num", sa.Float),
        sa.Column("value_text", sa.Text),
        sa.Column("unit", sa.String(32)),
        sa.Column("body_site", sa.String(32)),
        sa.Column("laterality", sa.String(16)),
        sa.Column("morphology", sa.String(16)),
        sa.Column("method", sa.String(32)),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("provenance", sa.Text),
        sa.Column("review_state", sa.String(16), nullable=False),
        sa.Column("batch_id", sa.String(64)),
    )
    op.create_index("ix_facts_patient", "facts", ["patient_id"])
    op.create_index("ix_facts_code", "facts", ["system", "code"])
    op.create_table(
        "notes",
        sa.Column("note_id", sa.String(128), primary_key=True),
        sa.Column(
            "patient_id", sa.String(128), sa.ForeignKey("patients.patient_id"), nullable=False
        ),
        sa.Column("note_type", sa.String(32), nullable=False),
        sa.Column("note_date", sa.Date),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
    )
    op.create_index("ix_notes_patient", "notes", ["patient_id"])
    op.create_table(
        "images",
        sa.Column("image_id", sa.String(128), primary_key=True),
        sa.Column(
            "patient_id", sa.String(128), sa.ForeignKey("patients.patient_id"), nullable=False
        ),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("body_site", sa.String(32)),
        sa.Column("laterality", sa.String(16)),
        sa.Column("image_date", sa.Date),
        sa.Column("file_ref", sa.Text),
    )
    op.create_index("ix_images_patient", "images", ["patient_id"])
    op.create_table(
        "import_batches",
        sa.Column("batch_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_hash", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
    )
    op.create_table(
        "classification_results",
        sa.Column(
            "patient_id", sa.String(128), sa.ForeignKey("patients.patient_id"), primary_key=True
        ),
        sa.Column("criteria_set", sa.String(64), primary_key=True),
        sa.Column("index_date", sa.Date, primary_key=True),
        sa.Column("criteria_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "classification_results",
        "import_batches",
        "images",
        "notes",
        "facts",
        "patients",
    ):
        op.drop_table(name)
