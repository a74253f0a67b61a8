"""A user's session number: a sign-out ends every web session signed in before it.

``users.session_epoch`` (0 for every user) is moved on by :func:`calciscope.api.end_sessions`
(the web app's *Sign out*). A web session keeps the number it was signed in at and is refused
once the user's number has moved on, so a session cookie copied before the sign-out no longer
opens anything (webattack35: the signed cookie alone kept working for its 8 hours).

Revision ID: 0011_user_sessions
Revises: 0010_registry_as_of
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_user_sessions"
down_revision = "0010_registry_as_of"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0")
    )


def downgrade() -> None:
    # batch mode, as 0002/0006/0007: SQLite before 3.35 has no DROP COLUMN (fix38)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
