"""Classification results: the definitions and the patient data each was computed from.

``definitions_version`` is a hash of the packaged criteria sets, phenotypes and feature
catalogue (and the options); ``data_version`` a hash of the patient's rows. A stored result is
reused (``explain``, the web app) only while both still match; older rows have neither and are
never reused.

Revision ID: 0007_result_versions
Revises: 0006_reference_high
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_result_versions"
down_revision = "0006_reference_high"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classification_results") as batch:
        batch.add_column(sa.Column("definitions_version", sa.String(64)))
        batch.add_column(sa.Column("data_version", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("classification_results") as batch:
        batch.drop_column("data_version")
        batch.drop_column("definitions_version")
