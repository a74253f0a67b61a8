"""Facts keep their unit's code when a source names the unit in an ontology other than UCUM.

A phenopacket names a unit by an ontology class: RareLink's use the Units of Measurement
ontology (``UO:0000175``, label ``gram per liter``). calciscope kept only the label, so an export
wrote a unit of its own namespace and the UO id was lost (imports37). ``unit_code`` keeps it;
existing facts get none (null), so their behaviour and their ids are unchanged (hashed only
when set).

Revision ID: 0012_unit_code
Revises: 0011_user_sessions
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_unit_code"
down_revision = "0011_user_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facts") as batch:
        batch.add_column(sa.Column("unit_code", sa.String(64)))


def downgrade() -> None:
    # fix45: not a batch (on SQLite a batch copies the table and loses its generation
    # triggers of 0008, whose own downgrade then failed); SQLite >= 3.35 drops a column in place
    op.drop_column("facts", "unit_code")
