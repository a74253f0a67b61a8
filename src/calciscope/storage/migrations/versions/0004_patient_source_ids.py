"""Patient source ids: the ids other systems gave a patient before they became a calciscope id.

Two imports whose different source ids become the same calciscope id (``Case 4`` and ``Case/4``
both become ``Case_4``) must not be merged into one patient; this table remembers which source
ids a patient already came with.

Revision ID: 0004
Revises: 0003_images
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003_images"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_source_ids",
        sa.Column(
            "patient_id", sa.String(128), sa.ForeignKey("patients.patient_id"), primary_key=True
        ),
        sa.Column("source_id", sa.String(512), primary_key=True),
        sa.Column("batch_id", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("patient_source_ids")
