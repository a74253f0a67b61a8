"""The registry's as-of date: the one date its patients are evaluated at unless one is chosen.

``registry_state.as_of`` (one row, beside the generation): set by ``calciscope registry
set-as-of`` / :func:`calciscope.api.set_registry_as_of`, read by the web app's patient pages,
patient list and review queue, ``calciscope patients show --explain`` and the other commands
that evaluate at an index date unless ``--index-date`` chooses one. Empty (NULL) means not set:
the registry is then evaluated as of today (docs/web.md, *The as-of date*). Writing it is not a write to the
registry's data: no generation trigger is on ``registry_state``, so stored results stay current.

Revision ID: 0010_registry_as_of
Revises: 0009_reading_roi
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_registry_as_of"
down_revision = "0009_reading_roi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_state") as batch:
        batch.add_column(sa.Column("as_of", sa.Date))


def downgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table
    # would rename it back under the generation triggers on the data tables, which name
    # registry_state, and SQLite refuses that rename ("no such table: main.registry_state").
    op.drop_column("registry_state", "as_of")
