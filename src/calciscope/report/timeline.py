"""Per-case swimmer timeline: years from SSc onset, with the dated events of each case."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.lines import Line2D

from calciscope.model import DAYS_PER_YEAR
from calciscope.report.figure import PALETTE, new_figure

__all__ = ["swimmer_figure"]

_SITE_NAMES = {"buttock_hip": "buttock/hip", "ankle_foot": "ankle/foot"}
_AB_SHORT = {"anti_scl70": "Scl70", "anti_pm_scl": "PM/Scl"}
_MARKERS = {
    "raynaud": ("v", PALETTE[4], "Raynaud onset"),
    "ssc": ("D", PALETTE[0], "SSc onset (first non-Raynaud symptom)"),
    "myositis": ("s", PALETTE[2], "Myositis onset"),
    "calcinosis": ("o", PALETTE[5], "Calcinosis (region, morphology)"),
    "antibody": ("^", PALETTE[3], "Antibody results (filled: any positive)"),
    "radiograph": ("x", "#666666", "Radiograph"),
    "death": ("X", "#000000", "Death"),
    "last": ("|", "#000000", "Last visit"),
}


def _years(date: Any, origin: Any) -> float | None:
    if date is None or pd.isna(date) or origin is None or pd.isna(origin):
        return None
    return float((pd.Timestamp(date) - pd.Timestamp(origin)).days / DAYS_PER_YEAR)


def _mark(ax, x: float | None, y: float, kind: str, filled: bool = True) -> None:
    if x is None:
        return
    marker, colour, _ = _MARKERS[kind]
    face = colour if filled else "white"
    ax.plot([x], [y], marker=marker, ms=8, color=colour, mfc=face, mew=1.4, zorder=3, ls="none")


def _calcinosis_labels(ax, facts: pd.DataFrame, origin: Any, y: float) -> None:
    present = facts[(facts["concept"] == "calcinosis") & (facts["status"] == "present")]
    for k, (date, group) in enumerate(present.groupby("effective_date")):
        x = _years(date, origin)
        _mark(ax, x, y, "calcinosis")
        sites = sorted(
            {_SITE_NAMES.get(str(s), str(s).replace("_", " ")) for s in group["body_site"].dropna()}
        )
        morph = sorted({str(m).replace("_", "-") for m in group["morphology"].dropna()})
        text = ", ".join(sites) + (f" ({', '.join(morph)})" if morph else "")
        if x is not None and text:
            ax.annotate(
                text,
                (x, y),
                xytext=(0, 24 + 11 * (k % 2)),
                textcoords="offset points",
                ha="center",
                fontsize=8.5,
                color=PALETTE[5],
            )


def _antibodies(ax, facts: pd.DataFrame, origin: Any, y: float) -> None:
    """One marker per test date (filled when any result is positive), labelled with every result."""
    abs_ = facts[facts["concept"].isin(list(_AB_SHORT))]
    for k, (date, group) in enumerate(abs_.groupby("effective_date")):
        x = _years(date, origin)
        results = sorted(
            f"{_AB_SHORT[c]}{'+' if st == 'present' else '−'}"
            for c, st in zip(group["concept"], group["status"], strict=True)
            if st in ("present", "absent")
        )
        positive = bool((group["status"] == "present").any())
        _mark(ax, x, y - 0.18, "antibody", filled=positive)
        if x is not None and results:
            ax.annotate(
                " ".join(results),
                (x, y - 0.18),
                xytext=(0, -14 - 9 * (k % 2)),
                textcoords="offset points",
                ha="center",
                fontsize=8.5,
                color=PALETTE[3],
            )


def _lane(ax, row: pd.Series, facts: pd.DataFrame, y: float) -> None:
    origin = row["ssc_onset_date"]
    end_date = row["death_date"] if pd.notna(row["death_date"]) else row["last_visit_date"]
    start, end = _years(row["raynaud_onset_date"], origin), _years(end_date, origin)
    myositis = _years(row["myositis_onset_date"], origin)
    first = min(x for x in (0.0, start, myositis) if x is not None)
    ax.plot([first, end or 0.0], [y, y], color="#bbbbbb", lw=5, zorder=1, solid_capstyle="butt")
    _mark(ax, start, y, "raynaud")
    _mark(ax, 0.0, y, "ssc")
    _mark(ax, myositis, y, "myositis")
    for date in facts.loc[facts["concept"] == "radiograph", "effective_date"].drop_duplicates():
        _mark(ax, _years(date, origin), y + 0.18, "radiograph")
    _calcinosis_labels(ax, facts, origin, y)
    _antibodies(ax, facts, origin, y)
    _mark(ax, end, y, "death" if pd.notna(row["death_date"]) else "last")


def swimmer_figure(cases: pd.DataFrame, facts: pd.DataFrame, names: Mapping[str, str]) -> object:
    """Draw one lane per case, from Raynaud onset (or SSc onset) to death or the last visit."""
    n = max(len(cases), 1)
    fig, ax = new_figure(11, 1.25 * n + 1.6)
    labels = []
    for i, (_, row) in enumerate(cases.iterrows()):
        y = n - i
        own = facts[facts["patient_id"] == row["patient_id"]]
        _lane(ax, row, own, y)
        sex = "F" if row["sex"] == "female" else "M"
        labels.append(
            f"{names.get(row['patient_id'], row['patient_id'])}\n{sex}, {row['age_at_ssc_diagnosis']:.0f} y at diagnosis"
        )
    ax.set_yticks(range(n, 0, -1), labels or [""])
    ax.set_ylim(0.3, n + 0.75)
    ax.margins(x=0.04)
    ax.axvline(0, color="#999999", lw=0.8, ls=":")
    ax.set_xlabel("Years from SSc onset (first non-Raynaud symptom)")
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    handles = [
        Line2D([], [], marker=m, color=c, ls="none", ms=7, label=t) for m, c, t in _MARKERS.values()
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8.5
    )
    return fig
