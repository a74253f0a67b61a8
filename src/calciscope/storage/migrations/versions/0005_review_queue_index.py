"""Review queue: a partial index on the open suggested facts, in the queue's order.

The queue pages through the suggested facts that nobody has decided (``review_state =
'suggested'``, not superseded) by patient, date, code and id; without this index every page and
every count scanned and sorted the whole facts table.

Revision ID: 0005_review_queue_index
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_review_queue_index"
down_revision = "0004"
branch_labels = None
depends_on = None

_OPEN = sa.text("review_state = 'suggested' AND superseded_by IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_facts_open_suggested",
        "facts",
        ["patient_id", "effective_date", "code", "fact_id"],
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_facts_open_suggested", table_name="facts")
