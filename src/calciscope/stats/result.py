"""The result object every statistic returns: a ``summary`` DataFrame and ``to_html()``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["StatResult"]


@dataclass(frozen=True)
class StatResult:
    """Base of every ``*Result``: the method's name, its summary table and a note.

    Parameters
    ----------
    method
        The method as it should be named in a methods section.
    summary
        One row per estimate (or per group), columns named for the reader.
    note
        A sentence for the reader (what the interval is, what was assumed).
    """

    method: str
    summary: pd.DataFrame = field(repr=False)
    note: str = ""

    def to_html(self, **kwargs: Any) -> str:
        """Return the summary as an HTML table (pandas ``to_html``, no index by default)."""
        kwargs.setdefault("index", False)
        kwargs.setdefault("border", 0)
        kwargs.setdefault("classes", "stat-table")
        kwargs.setdefault("na_rep", "")
        return str(self.summary.to_html(**kwargs))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: method, note and the summary rows."""
        rows = self.summary.astype(object).where(self.summary.notna(), None).to_dict("records")
        return {"method": self.method, "note": self.note, "rows": rows}
