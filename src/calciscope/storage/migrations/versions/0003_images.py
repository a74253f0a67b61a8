"""Images: the indexed file (hash, spacing, thumbnail) and structured readings per region/side.

Revision ID: 0003_images
Revises: 0001
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_images"
# lead: re-point to 0002_review at merge
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_files",
        sa.Column("image_id", sa.String(128), sa.ForeignKey("images.image_id"), primary_key=True),
        sa.Column("root", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_format", sa.String(16), nullable=False),
        sa.Column("rows", sa.Integer),
        sa.Column("columns", sa.Integer),
        sa.Column("pixel_spacing_mm", sa.Float),
        sa.Column("spacing_source", sa.String(32)),
        sa.Column("photometric", sa.String(32)),
        sa.Column("transfer_syntax", sa.String(64)),
        sa.Column("body_part", sa.String(64)),
        sa.Column("notes", sa.Text),
        sa.Column("thumbnail_png", sa.LargeBinary),
    )
    op.create_index("ix_image_files_sha256", "image_files", ["sha256"])
    op.create_table(
        "image_readings",
        sa.Column("reading_id", sa.String(64), primary_key=True),
        sa.Column("image_id", sa.String(128), sa.ForeignKey("images.image_id"), nullable=False),
        sa.Column("reader", sa.String(128), nullable=False),
        sa.Column("reader_role", sa.String(32), nullable=False),
        sa.Column("reading_date", sa.Date, nullable=False),
        sa.Column("blinded", sa.Boolean, nullable=False),
        sa.Column("sctc_global_grade", sa.String(16)),
        sa.Column("source", sa.Text),
    )
    op.create_index("ix_image_readings_image", "image_readings", ["image_id"])
    op.create_table(
        "image_reading_regions",
        sa.Column(
            "reading_id",
            sa.String(64),
            sa.ForeignKey("image_readings.reading_id"),
            primary_key=True,
        ),
        sa.Column("body_site", sa.String(32), primary_key=True),
        sa.Column("laterality", sa.String(16), primary_key=True),
        sa.Column("presence", sa.String(16), nullable=False),
        sa.Column("florence", sa.String(16)),
        sa.Column("morphology", sa.String(16)),
        sa.Column("area_mm2", sa.Float),
    )


def downgrade() -> None:
    op.drop_table("image_reading_regions")
    op.drop_index("ix_image_readings_image", table_name="image_readings")
    op.drop_table("image_readings")
    op.drop_index("ix_image_files_sha256", table_name="image_files")
    op.drop_table("image_files")
