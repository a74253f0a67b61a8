"""The pseudonymised export: ids replaced, dates shifted per patient, small cells suppressed.

* Identifiers become ``S-`` + 10 hex digits of an HMAC-SHA256 under a key drawn for the export
  and not stored (so the mapping cannot be rebuilt from the export).
* Every date of one patient moves by the same number of days (−180…+180, from the same HMAC),
  keeping intervals within a patient.
* Counts from 1 to ``min_cell − 1`` are suppressed (shown ``<5``); then complementary suppression
  hides the next smallest count in any row or column left with a single suppressed cell, so that
  totals cannot reveal it (repeated until stable). A complementary cell may hold any count, so it
  has its own mark (``*``), never ``<5``.
* A chain of nested counts (an attrition flow: each step a subset of the one before) is not an
  additive table: the difference between two shown steps is itself a count. A step is hidden when
  it is small or when it differs from the last shown step by 1 to ``min_cell − 1``.
* Row-level tables are k-anonymous against the population they were drawn from: quasi-identifiers
  are generalised one step at a time (age bands widen, then antibodies, subset, overlap and sex
  are withheld) until every exported combination is shared by at least ``k`` patients of that
  population; a row that still stands out has every quasi-identifier withheld.

References
----------
Office for National Statistics. Statistical disclosure control: primary and secondary
(complementary) cell suppression. ONS Disclosure Control Guidance for Tables, 2019.
Sweeney L. k-anonymity: a model for protecting privacy. Int J Uncertain Fuzziness Knowl-Based
Syst 2002;10:557–70. DOI 10.1142/S0218488502001648.
El Emam K, Dankar FK. Protecting privacy using k-anonymity. J Am Med Inform Assoc
2008;15:627–37. DOI 10.1197/jamia.M2716.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "COMPLEMENTARY",
    "SUPPRESSED",
    "WITHHELD",
    "Generalisation",
    "Pseudonymiser",
    "age_and_withholding_steps",
    "k_anonymise",
    "small_cell_mark",
    "suppress_chain",
    "suppress_small_cells",
]

#: What a cell suppressed for being small shows (with the default ``min_cell`` of 5).
SUPPRESSED = "<5"
#: What a cell hidden only so that totals cannot reveal a small one shows (any size).
COMPLEMENTARY = "*"
#: What a withheld quasi-identifier shows in a row-level table.
WITHHELD = "withheld"


def small_cell_mark(min_cell: int) -> str:
    """Return the mark of a primary-suppressed count: ``<min_cell``."""
    return f"<{min_cell}"


class Pseudonymiser:
    """Pseudonyms and date shifts for one export (key random unless given, e.g. in tests)."""

    def __init__(self, key: bytes | None = None, *, max_shift_days: int = 180) -> None:
        self._key = key if key is not None else os.urandom(32)
        self.max_shift_days = max_shift_days

    def _digest(self, patient_id: str) -> bytes:
        return hmac.new(self._key, patient_id.encode("utf-8"), hashlib.sha256).digest()

    def pseudonym(self, patient_id: str) -> str:
        """Return the pseudonym of a patient id."""
        return "S-" + self._digest(patient_id).hex()[:10]

    def shift_days(self, patient_id: str) -> int:
        """Return the patient's date shift in days (the same for every date of the patient)."""
        value = int.from_bytes(self._digest(patient_id)[-4:], "big")
        return value % (2 * self.max_shift_days + 1) - self.max_shift_days

    def frame(
        self, data: pd.DataFrame, date_columns: Iterable[str], id_column: str = "patient_id"
    ) -> pd.DataFrame:
        """Return a copy with ids pseudonymised and the given date columns shifted."""
        out = data.copy()
        if out.empty:
            return out  # no rows, perhaps not even columns (a study with no cases)
        shifts = pd.to_timedelta(out[id_column].map(self.shift_days), unit="D")
        for col in date_columns:
            if col in out:
                out[col] = (pd.to_datetime(out[col]) + shifts).dt.date
        out[id_column] = out[id_column].map(self.pseudonym)
        return out


def _primary(counts: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    return (counts > 0) & (counts < min_cell)


def _complement_once(counts: pd.DataFrame, hidden: pd.DataFrame) -> bool:
    changed = False
    for axis_frame, flip in ((hidden, False), (hidden.T, True)):
        values = counts.T if flip else counts
        for label, row in axis_frame.iterrows():
            if int(row.sum()) != 1:
                continue
            line = values.loc[label]  # type: ignore[call-overload]
            candidates = line[~row & (line > 0)]
            if candidates.empty:
                continue
            target = candidates.idxmin()
            if flip:
                hidden.loc[target, label] = True
            else:
                hidden.loc[label, target] = True
            changed = True
    return changed


def suppress_small_cells(counts: pd.DataFrame, min_cell: int = 5) -> pd.DataFrame:
    """Suppress counts below ``min_cell`` (primary) and complementary cells (rows and columns).

    Parameters
    ----------
    counts
        Non-negative integer counts (rows and columns are the margins a reader could total).
    min_cell
        Smallest count shown.

    Returns
    -------
    DataFrame
        The counts as text: small cells shown as ``<min_cell``, complementary cells as
        :data:`COMPLEMENTARY`.
    """
    counts = counts.astype(int)
    primary = _primary(counts, min_cell)
    hidden = primary.copy()
    while _complement_once(counts, hidden):
        pass
    shown = counts.astype(str).mask(hidden, COMPLEMENTARY)
    return shown.mask(primary, small_cell_mark(min_cell))


def suppress_chain(counts: Sequence[int], min_cell: int = 5) -> list[str]:
    """Suppress a chain of nested counts (each a subset of the one before, e.g. attrition).

    A step is shown only when it is 0 or at least ``min_cell`` and it differs from the last
    shown step by 0 or at least ``min_cell``, so no shown count and no difference between shown
    counts is small. A hidden small step shows ``<min_cell``; a step hidden only because of its
    difference shows :data:`COMPLEMENTARY`.
    """
    shown: list[str] = []
    last: int | None = None
    for n in counts:
        small = 0 < n < min_cell
        gap = None if last is None else last - n
        if small:
            shown.append(small_cell_mark(min_cell))
        elif gap is not None and 0 < abs(gap) < min_cell:
            shown.append(COMPLEMENTARY)
        else:
            shown.append(str(n))
            last = n
    return shown


@dataclass(frozen=True)
class Generalisation:
    """One step of generalisation: how it recodes one quasi-identifier column."""

    column: str
    recode: Callable[[pd.Series], pd.Series]


def _band(width: int) -> Callable[[pd.Series], pd.Series]:
    def recode(values: pd.Series) -> pd.Series:
        numbers = pd.to_numeric(values, errors="coerce")
        low = (numbers // width * width).astype("Int64")
        text = low.astype(str) + "–" + (low + width - 1).astype(str)
        return text.where(numbers.notna(), "unknown")

    return recode


def _withhold(values: pd.Series) -> pd.Series:
    return pd.Series(WITHHELD, index=values.index)


def age_and_withholding_steps(age: str, withheld_order: Sequence[str]) -> list[Generalisation]:
    """Return the default steps: age in 5-, 10-, 20-year bands, then withhold columns in order."""
    steps = [Generalisation(age, _band(w)) for w in (5, 10, 20)]
    steps.append(Generalisation(age, _withhold))
    steps.extend(Generalisation(c, _withhold) for c in withheld_order)
    return steps


def _as_text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "unknown").astype(str)


def _class_sizes(rows: pd.DataFrame, population: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Return how many population patients share each row's recoded quasi-identifiers."""
    sizes = population.groupby(columns, dropna=False).size()
    keys = pd.MultiIndex.from_frame(rows[columns]) if len(columns) > 1 else rows[columns[0]]
    return pd.Series(sizes.reindex(keys).fillna(0).to_numpy(), index=rows.index)


def k_anonymise(
    rows: pd.DataFrame,
    population: pd.DataFrame,
    steps: Sequence[Generalisation],
    *,
    k: int = 5,
) -> pd.DataFrame:
    """Generalise the quasi-identifiers of ``rows`` until each is shared by ``k`` of ``population``.

    Parameters
    ----------
    rows
        The row-level table to export (its quasi-identifier columns as in ``population``).
    population
        Everyone the rows were drawn from (what an attacker with the registry could match on).
    steps
        Generalisations applied cumulatively, in order, to rows and population alike.
    k
        Smallest number of population patients any exported combination may match.

    Returns
    -------
    DataFrame
        ``rows`` with quasi-identifiers recoded; rows still matching fewer than ``k`` patients
        after every step have every quasi-identifier :data:`WITHHELD`.
    """
    columns = list(dict.fromkeys(step.column for step in steps))
    out, pop = rows.copy(), population[columns].copy()
    for c in columns:
        out[c], pop[c] = _as_text(out[c]), _as_text(pop[c])
    for step in [None, *steps]:
        if step is not None:  # each step recodes the original values (bands do not nest)
            out[step.column] = _as_text(step.recode(rows[step.column]))
            pop[step.column] = _as_text(step.recode(population[step.column]))
        if (_class_sizes(out, pop, columns) >= k).all():
            return out
    for c in columns:
        out[c] = WITHHELD
    return out
