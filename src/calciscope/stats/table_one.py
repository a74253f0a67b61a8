"""Table 1: patient characteristics, Overall and by group, with a per-individual listing for small groups.

Categorical and yes/no variables as n (%) of those with a known value; continuous variables as
median [IQR] (pandas quantiles, linear interpolation, R's type 7); missing values counted on
their own row and never in a denominator.

References
----------
Hayes-Larson E, Kezios KL, Mooney SJ, Lovasi G. Who is in this study, anyway? Guidelines for a
useful Table 1. J Clin Epidemiol 2019;114:125–32. DOI 10.1016/j.jclinepi.2019.06.011.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

import pandas as pd

from calciscope.stats.result import StatResult

__all__ = ["SMALL_GROUP", "TableOneResult", "Variable", "VariableKind", "level_counts", "table_one"]

#: Groups smaller than this are also listed patient by patient.
SMALL_GROUP = 10


class VariableKind(StrEnum):
    """How a Table 1 variable is summarised."""

    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"
    CONTINUOUS = "continuous"


@dataclass(frozen=True)
class Variable:
    """One Table 1 row: a column, its label and how to summarise it."""

    column: str
    label: str
    kind: VariableKind


@dataclass(frozen=True)
class TableOneResult(StatResult):
    """Table 1 (``summary``) and the per-individual ``listing`` of groups under :data:`SMALL_GROUP`."""

    listing: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    group_sizes: dict[str, int] = field(default_factory=dict)


def _n_pct(n: int, known: int) -> str:
    return f"{n} ({100 * n / known:.1f})" if known else "0 (–)"


def _continuous(values: pd.Series) -> str:
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return "–"
    q1, med, q3 = v.quantile([0.25, 0.5, 0.75])
    return f"{med:.1f} [{q1:.1f}–{q3:.1f}]"


def level_counts(values: pd.Series) -> dict[Any, int]:
    """Return the patients by value (None: missing), the form :func:`table_one`'s ``counts`` take."""
    counts = values.value_counts(dropna=False)
    return {None if pd.isna(cast(Any, k)) else k: int(n) for k, n in counts.items()}


def _cells(
    var: Variable, values: pd.Series, levels: Mapping[Any, int] | None
) -> list[tuple[str, str]]:
    if var.kind is VariableKind.CONTINUOUS:
        return [("median [IQR]", _continuous(values)), ("missing", str(int(values.isna().sum())))]
    levels = level_counts(values) if levels is None else levels
    known = {k: n for k, n in levels.items() if k is not None}
    total = sum(known.values())
    if var.kind is VariableKind.BOOLEAN:
        rows = [("n (%)", _n_pct(sum(n for k, n in known.items() if bool(k)), total))]
    else:
        by_level: dict[str, int] = {}
        for k, n in known.items():
            by_level[str(k)] = by_level.get(str(k), 0) + n
        rows = [(level, _n_pct(by_level[level], total)) for level in sorted(by_level)]
    return [*rows, ("missing", str(levels.get(None, 0)))]


def table_one(
    data: pd.DataFrame,
    variables: Sequence[Variable],
    *,
    group: str | None = None,
    id_column: str = "patient_id",
    counts: Mapping[str, Mapping[str, Mapping[Any, int]]] | None = None,
) -> TableOneResult:
    """Build Table 1 with an Overall column and one column per value of ``group``.

    Parameters
    ----------
    data
        One row per patient.
    variables
        The rows of the table, in order.
    group
        Column whose values give the group columns (omitted: Overall only).
    id_column
        Identifier shown in the listing of small groups.
    counts
        Patients by value (None: missing) of the categorical and yes/no variables, by column
        (``Overall`` or a group) and variable column, counted where the data is; a variable
        not given is counted from ``data``.
    """
    parts = {"Overall": data}
    if group is not None:
        for name in sorted(data[group].dropna().astype(str).unique()):
            parts[name] = data[data[group].astype(str) == name]
    columns = []
    for name, part in parts.items():
        given = (counts or {}).get(name, {})
        cells = {
            (v.label, level): value
            for v in variables
            for level, value in _cells(v, part[v.column], given.get(v.column))
        }
        columns.append((f"{name} (n={len(part)})", cells))
    keys = list(columns[0][1])  # the Overall column has every level
    table = pd.DataFrame(keys, columns=["Variable", "Level"])
    for heading, cells in columns:
        table[heading] = [cells.get(k, "0 (0.0)") for k in keys]
    small = [n for n, p in parts.items() if n != "Overall" and 0 < len(p) < SMALL_GROUP]
    cols = [id_column] + [v.column for v in variables]
    names = {v.column: v.label for v in variables}
    if small:
        listing = pd.concat([parts[n][cols].assign(group=n) for n in small], ignore_index=True)
    else:
        listing = pd.DataFrame(columns=[*cols, "group"])
    listing = listing.rename(columns=names)
    sizes = {n: len(p) for n, p in parts.items()}
    note = "n (%) of patients with a known value; median [IQR]; missing counted apart"
    return TableOneResult("Table 1", table, note, listing, sizes)
