"""Facts carry the upper end of their reference range (the laboratory's upper limit of normal).

A measured fact (CK, LDH, AST, ALT, ...) may come with the reference range its laboratory
reported (FHIR ``Observation.referenceRange.high``, OMOP ``measurement.range_high``, the native
``reference_high`` column). When present it is the upper limit of normal the value is compared
with (the IIM 2017 enzyme item); without it the feature catalogue's default table is used.
Existing facts get no value (null), so their behaviour and their ids are unchanged.

Revision ID: 0006_reference_high
Revises: 0005_review_queue_index
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_reference_high"
down_revision = "0005_review_queue_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facts") as batch:
        batch.add_column(sa.Column("reference_high", sa.Float()))


def downgrade() -> None:
    with op.batch_alter_table("facts") as batch:
        batch.drop_column("reference_high")
