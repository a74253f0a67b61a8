"""Classify a cohort again and again without compiling the rules again.

Compiling the feature table and the criteria and phenotype columns to SQL costs seconds of
Ibis work whatever the cohort's size; running that SQL on a few thousand patients costs a
fraction of a second. :class:`CohortClassifier` compiles once, for one index date, into an
in-memory DuckDB database, and then runs the same SQL on new copies of the facts and patients
(the review queue does this after every decision). The SQL is what
:func:`~calciscope.engine.compute_feature_table` and
:func:`~calciscope.engine.phenotype.classify_table` build: the same rules, compiled once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import pyarrow as pa

from calciscope.criteria.expression import Predicate
from calciscope.engine.features import compute_feature_table
from calciscope.engine.phenotype import classify_table, three_valued
from calciscope.engine.predicates import compile_predicate
from calciscope.model import ReviewState

__all__ = ["CohortClassifier", "rule_column"]


class CohortClassifier:
    """Features, criteria results and phenotypes for one index date, compiled once.

    Parameters
    ----------
    facts, patients
        Arrow tables in the registry's layout, used to create the tables the SQL reads (the
        schema must stay the same in later :meth:`run` calls).
    index_date
        The index date of the feature table and the at-risk prompt.
    states
        One tuple of review states per classification to produce (for example confirmed
        only, and confirmed with suggested).
    rules
        Further three-valued columns to add, by name: predicates over the classified row
        (the review queue's kinds), compiled with the same compiler as criteria and phenotypes.
    """

    def __init__(
        self,
        facts: pa.Table,
        patients: pa.Table,
        *,
        index_date: dt.date,
        states: Sequence[tuple[ReviewState, ...]],
        rules: Mapping[str, Predicate] | None = None,
    ) -> None:
        self.index_date = index_date
        self.con: Any = ibis.duckdb.connect()
        self._load(facts, patients)
        self._sql: list[tuple[str, str, str]] = []
        for n, chosen in enumerate(states):
            name = f"features_{n}"
            features = compute_feature_table(
                self.con.table("facts"),
                self.con.table("patients"),
                index_date=index_date,
                review_states=chosen,
            )
            feature_sql = str(self.con.compile(features))
            self.con.raw_sql(f"CREATE OR REPLACE TABLE {name} AS {feature_sql}")
            table = self.con.table(name)
            classified = table.join(classify_table(table, index_date=index_date), "patient_id")
            classified = classified.mutate(
                **{name: rule_column(rule, classified) for name, rule in (rules or {}).items()}
            )
            self._sql.append((name, feature_sql, str(self.con.compile(classified))))

    def _load(self, facts: pa.Table, patients: pa.Table) -> None:
        self.con.create_table("facts", facts, overwrite=True)
        self.con.create_table("patients", patients, overwrite=True)

    def run(self, facts: pa.Table, patients: pa.Table) -> list[pa.Table]:
        """Return one classified table (features and results, one row per patient) per state set."""
        self._load(facts, patients)
        out = []
        for name, feature_sql, classified_sql in self._sql:
            self.con.raw_sql(f"CREATE OR REPLACE TABLE {name} AS {feature_sql}")
            out.append(_arrow(self.con.con.sql(classified_sql)))
        return out

    def close(self) -> None:
        """Close the in-memory database."""
        self.con.disconnect()


def rule_column(rule: Predicate, table: Any) -> Any:
    """Return a compiled predicate as one true / false / null column."""
    return three_valued(compile_predicate(rule, table))


def _arrow(relation: Any) -> pa.Table:
    # a DuckDB relation: 2.x names it to_arrow_table, 1.x arrow
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    table: pa.Table = fetch()
    return table
