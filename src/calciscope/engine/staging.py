"""The feature table's facts staged in a temporary table on PostgreSQL.

Written into the feature table's query, the facts that count are one common table expression
that every concept group's aggregate, its latest-value pass and the default limits read.
PostgreSQL materialises such an expression whole (every column of the facts, provenance text
included, without statistics) and scans it once per reference: at a million patients 50 M rows
written to some 12 GB of temporary files and read eleven times, most of the study's time
(docs/scale.md, branch ``scale11``).

So on PostgreSQL the study stages them first (:class:`PostgresFactStage`): the facts of the
features' concepts, only the columns the aggregates read, written once into a temporary table
in (system, code) order, with an index on (system, code), and analysed. Each concept group then
reads only its codes' contiguous pages through the index, and the planner knows every group's
size. The feature table is the same (the engines' equality tests); the temporary table belongs
to the study's connection and is dropped as soon as the feature table is materialised.
"""

from __future__ import annotations

import uuid
from typing import Any

import ibis.expr.types as ir

__all__ = ["FEATURE_SETTINGS", "PostgresFactStage", "stages_facts"]

#: The session settings of the study's PostgreSQL connection while it stages the facts and
#: materialises the feature table (set by :class:`PostgresFactStage`, put back by its
#: :meth:`~PostgresFactStage.drop`; every other query of the connection keeps the server's).
#:
#: * ``enable_hashagg = off``: each concept group's ``GROUP BY patient_id`` as a sort and a
#:   streaming aggregate, not a hash table. The largest group's hash table (one row per
#:   patient of some 200 aggregate states) is far larger than ``work_mem``; PostgreSQL then
#:   re-spills it batch after batch (117 batches, 419 MB written, a third of the feature
#:   table's time at 200,000 patients, more than linearly worse at a million), while a sort
#:   spills its input once and the aggregate after it holds one patient's states. The groups
#:   with ``count(DISTINCT ...)`` were sorted already.
#: * ``work_mem = 64MB``: fewer runs for the sorts that spill. Bounded: PostgreSQL gives each sort
#:   or hash node of a query its own ``work_mem``; the feature table's query has some 25 of
#:   them (eleven grouped aggregates, the joins of the groups to the patients), and a node
#:   holds it only while it runs or keeps its output, so the backend holds a few hundred MB at
#:   most, not 25 x 64 MB at once (docs/scale.md, branch ``pg17``).
FEATURE_SETTINGS = {"enable_hashagg": "off", "work_mem": "64MB"}


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
        self.settings: dict[str, str] = {}  # the session's own values, to put back

    def _set(self, name: str, value: str) -> None:
        cur = self.con.raw_sql(f"SELECT current_setting('{name}')")
        try:
            self.settings.setdefault(name, cur.fetchone()[0])
        finally:
            cur.close()
        self.con.raw_sql(f"SET {name} = '{value}'").close()

    def __call__(self, facts: ir.Table) -> ir.Table:
        """Write ``facts`` into a new temporary table, index and analyse it, and return it."""
        for setting, value in FEATURE_SETTINGS.items():  # until drop()
            self._set(setting, value)
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
        """Put the session's settings back, then drop the temporary tables made so far.

        The settings go back first, so a failing drop cannot leave them on the connection.
        """
        try:
            while self.settings:
                name, value = self.settings.popitem()
                self.con.raw_sql(f"SET {name} = '{value}'").close()
        finally:
            while self.names:
                self.con.drop_table(self.names.pop(), force=True)
