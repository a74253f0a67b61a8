"""The feature table's facts staged in a temporary table on PostgreSQL.

Written into the feature table's query, the facts that count are one common table expression
that every concept group's aggregate, its latest-value pass and the default limits read.
PostgreSQL materialises such an expression whole (every column, without statistics) and scans
it once per reference: at a million patients 50 M rows written to some 12 GB of temporary files
and read eleven times, three quarters of the study's time (docs/scale.md, branch ``scale11``).
And with the groups' aggregates over them capped at :data:`~calciscope.engine.aggregates.MAX_GROUPS`
(for DuckDB's memory and SQLite's join limit), the facts of some fifty rare concepts are one
merged group, each of whose rows evaluates a hundred ``CASE`` aggregates, which PostgreSQL
does row by row: a third of the query's time at 20,000 patients.

So on PostgreSQL the study stages them first (:class:`PostgresFactStage`): the facts of the
features' concepts, only the columns the aggregates read, written once into a temporary table
in (system, code) order with an index on (system, code) and analysed, and the feature table
made from it with one group per set of concepts (no merged group): each group reads only its
codes' contiguous pages through the index, the planner knows every group's size, and a fact
evaluates only its own concepts' aggregates. The result is the same table (the engines'
equality tests); the temporary table lives on the study's connection and is dropped as soon as
the feature table is materialised.
"""

from __future__ import annotations

import uuid
from typing import Any

import ibis.expr.types as ir

__all__ = ["PG_MAX_GROUPS", "PostgresFactStage", "stages_facts"]

#: The concept groups of a feature table made from staged facts on PostgreSQL: no merging (the
#: default catalogue has 58 groups; PostgreSQL joins them one after the other, each by patient).
PG_MAX_GROUPS = 1000


def stages_facts(con: Any) -> bool:
    """Return whether the feature table on ``con`` reads staged facts (PostgreSQL)."""
    return getattr(con, "name", None) == "postgres"


class PostgresFactStage:
    """Stage the feature table's facts in an analysed temporary table (a :data:`FactStage`).

    Call it with the facts' expression; :meth:`drop` drops every table it made (the study does
    once the feature table is materialised; PostgreSQL drops temporary tables with the
    connection in any case).
    """

    def __init__(self, con: Any) -> None:
        self.con = con
        self.names: list[str] = []

    def __call__(self, facts: ir.Table) -> ir.Table:
        """Write ``facts`` into a new temporary table, index and analyse it, and return it."""
        name = f"calciscope_staged_facts_{uuid.uuid4().hex[:12]}"
        self.names.append(name)
        # in (system, code) order: a concept's facts on contiguous pages, read through the index
        staged = self.con.create_table(name, facts.order_by("system", "code"), temp=True)
        cur = self.con.raw_sql(f'CREATE INDEX ON "{name}" (system, code)')
        cur.close()
        cur = self.con.raw_sql(f'ANALYZE "{name}"')  # autovacuum never analyses temporary tables
        cur.close()
        return staged

    def drop(self) -> None:
        """Drop the temporary tables made so far."""
        while self.names:
            self.con.drop_table(self.names.pop(), force=True)
