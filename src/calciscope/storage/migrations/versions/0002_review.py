"""Review workspace: users, the append-only audit log, review decisions and fact supersession.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facts") as batch:
        batch.add_column(
            sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        )
        batch.add_column(sa.Column("superseded_by", sa.String(64)))
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(256), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_table(
        "review_decisions",
        sa.Column("decision_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(256), nullable=False),
        sa.Column("item_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(128), nullable=False),
        sa.Column("fact_id", sa.String(64)),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("previous_state", sa.String(16)),
        sa.Column("new_state", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("item_id", "item_version", name="uq_review_decisions_item_version"),
    )
    op.create_index("ix_review_decisions_patient", "review_decisions", ["patient_id"])
    op.create_table(
        "fact_revisions",
        sa.Column("revision_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fact_id", sa.String(64), nullable=False),
        sa.Column("supersedes", sa.String(64)),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_fact_revisions_fact", "fact_revisions", ["fact_id"])
    op.create_index("ix_fact_revisions_supersedes", "fact_revisions", ["supersedes"])


def downgrade() -> None:
    for name in ("fact_revisions", "review_decisions", "audit_log", "users"):
        op.drop_table(name)
    with op.batch_alter_table("facts") as batch:
        batch.drop_column("superseded_by")
        batch.drop_column("version")
