"""The registry's generation: a counter every write to the registry's data moves on.

``registry_state`` holds one row; its ``generation`` is bumped by database triggers on every
insert, update and delete of ``patients``, ``facts``, ``notes``, ``images`` and
``patient_source_ids``, whoever writes (calciscope's imports, ``executemany``, PostgreSQL
``COPY``, another process, a hand-written SQL statement). ``classification_results`` records
the generation its results were computed at: while the registry's generation is the same, no
input of the classification has changed, and reading one integer tells.

SQLite has only row triggers (one bump per row written, inside the writer's transaction); on
PostgreSQL a statement trigger bumps once per statement (``COPY`` and ``TRUNCATE`` included).
The bump runs before the statement, so a writer takes the row's lock before any row of the
data: writers to these tables take turns (as they always did on SQLite), and never deadlock on
it.

Revision ID: 0008_registry_generation
Revises: 0007_result_versions
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_registry_generation"
down_revision = "0007_result_versions"
branch_labels = None
depends_on = None

#: the registry's data: what a classification, a feature table or a study reads
TABLES = ("patients", "facts", "notes", "images", "patient_source_ids")
_BUMP = "UPDATE registry_state SET generation = generation + 1"
_FUNCTION = "calciscope_bump_generation"


def upgrade() -> None:
    op.create_table(
        "registry_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO registry_state (id, generation) VALUES (1, 1)")
    with op.batch_alter_table("classification_results") as batch:
        batch.add_column(sa.Column("generation", sa.BigInteger))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_generation BEFORE INSERT OR UPDATE OR DELETE OR "
                f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
            )
        return
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_generation_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_generation ON {table}")
        op.execute(f"DROP FUNCTION {_FUNCTION}()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_generation_{event}")
    with op.batch_alter_table("classification_results") as batch:
        batch.drop_column("generation")
    op.drop_table("registry_state")
