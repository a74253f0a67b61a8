"""The measurement region behind a reading's region row: its ROI and its deposits.

A region row of a reading may be backed by a measurement (``calciscope images measure``, the
viewer's *Measure region*, the demo's ``calciscope-measure``). The report's radiograph panel
draws that measurement over the thumbnail, so the row keeps

* ``roi_x0``, ``roi_y0``, ``roi_x1``, ``roi_y1``: the region of interest in the file's pixels
  (``x0 <= x < x1``, ``y0 <= y < y1``), and
* ``deposit_mask_png``: the measured deposits inside the ROI, a two-colour PNG (transparent
  background, red deposits), the ROI's size or reduced to at most 512 px on its long side.

All five may be empty: rows read before 0009, and readings without a measurement, keep none.

Revision ID: 0009_reading_roi
Revises: 0008_registry_generation
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_reading_roi"
down_revision = "0008_registry_generation"
branch_labels = None
depends_on = None

_ROI = ("roi_x0", "roi_y0", "roi_x1", "roi_y1")


def upgrade() -> None:
    with op.batch_alter_table("image_reading_regions") as batch:
        for name in _ROI:
            batch.add_column(sa.Column(name, sa.Integer))
        batch.add_column(sa.Column("deposit_mask_png", sa.LargeBinary))


def downgrade() -> None:
    with op.batch_alter_table("image_reading_regions") as batch:
        batch.drop_column("deposit_mask_png")
        for name in reversed(_ROI):
            batch.drop_column(name)
