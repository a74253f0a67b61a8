"""The pseudonymised export: ids replaced, dates shifted per patient, small cells suppressed.

* Identifiers become ``S-`` + 10 hex digits of an HMAC-SHA256 under a key drawn for the export
  and not stored (so the mapping cannot be rebuilt from the export).
* Every date of one patient moves by the same number of days (−180…+180, from the same HMAC),
  keeping intervals within a patient.
* Counts from 1 to ``min_cell − 1`` are suppressed; then complementary suppression hides the next
  smallest count in any row or column left with a single suppressed cell, so that totals cannot
  reveal it (repeated until stable).

References
----------
Office for National Statistics. Statistical disclosure control: primary and secondary
(complementary) cell suppression. ONS Disclosure Control Guidance for Tables, 2019.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable

import pandas as pd

__all__ = ["SUPPRESSED", "Pseudonymiser", "suppress_small_cells"]

#: What a suppressed cell shows.
SUPPRESSED = "<5"


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
        The counts as text, suppressed cells shown as :data:`SUPPRESSED`.
    """
    counts = counts.astype(int)
    hidden = _primary(counts, min_cell)
    while _complement_once(counts, hidden):
        pass
    shown = counts.astype(str).mask(hidden, SUPPRESSED.replace("5", str(min_cell)))
    return shown
