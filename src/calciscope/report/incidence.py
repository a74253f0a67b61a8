"""Cumulative incidence curves (Aalen–Johansen) by subset and by overlap, with numbers at risk."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt

from calciscope.report.figure import PALETTE, STYLE
from calciscope.stats import CumulativeIncidenceResult

__all__ = ["incidence_figure"]

_TITLES = {"subset": "By cutaneous subset", "overlap": "By SSc–myositis overlap"}
_SHORT = {
    "sine": "ssSSc",
    "overlap": "SSc–myositis overlap",
    "no overlap": "No overlap",
    "overlap unknown": "Overlap unknown",
}
_RISK = {"overlap": "Overlap"}


def _panel(ax, risk_ax, result: CumulativeIncidenceResult, title: str, labels) -> None:
    horizon = max(result.times) if result.times else 20
    labels = {**labels, **_SHORT}
    top = (
        max(float(c["upper"].fillna(0).max()) for c in result.curves.values())
        if result.curves
        else 1
    )
    for i, (name, curve) in enumerate(result.curves.items()):
        colour = PALETTE[i % len(PALETTE)]
        ax.step(
            curve["time"],
            100 * curve["estimate"],
            where="post",
            color=colour,
            lw=1.8,
            label=labels.get(name, name),
        )
        ax.fill_between(
            curve["time"],
            100 * curve["lower"].fillna(0),
            100 * curve["upper"].fillna(0),
            step="post",
            color=colour,
            alpha=0.12,
            lw=0,
        )
    ax.set_xlim(0, horizon)
    ax.set_ylim(0, min(100, 10 * int(10 * top + 2)))
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel("Cumulative incidence of calcinosis (%)")
    if result.curves:  # no curve (an empty population): no legend to draw
        ax.legend(loc="upper left")
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.tick_params(labelbottom=True)
    ax.set_xlabel("Years from SSc onset")
    _risk_table(risk_ax, result, horizon, labels)


def _risk_table(ax, result: CumulativeIncidenceResult, horizon: float, labels) -> None:
    ax.set_xlim(0, horizon)
    rows = list(result.at_risk.index)
    ax.set_ylim(-0.5, max(len(rows), 1) - 0.5)  # one empty row when nobody is at risk
    for r, name in enumerate(rows):
        y = len(rows) - 1 - r
        for t, count in zip(result.times, result.at_risk.loc[name], strict=True):
            ax.text(
                t,
                y,
                str(count),
                ha="center",
                va="center",
                fontsize=9,
                color=PALETTE[r % len(PALETTE)],
            )
    names = [_RISK.get(n, labels.get(n, n)) for n in reversed(rows)]
    ax.set_yticks(range(len(rows)), names, fontsize=9)
    ax.set_xticks([])
    ax.set_title("Numbers at risk", loc="left", fontsize=9.5)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0, pad=22)


def incidence_figure(
    results: Mapping[str, CumulativeIncidenceResult], labels: Mapping[str, str]
) -> object:
    """Draw one panel per grouping (``subset``, ``overlap``) with a numbers-at-risk table below."""
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(11, 5.6))
        grid = fig.add_gridspec(2, len(results), height_ratios=[4, 1.15], hspace=0.45, wspace=0.45)
        for col, (by, result) in enumerate(results.items()):
            ax, risk = fig.add_subplot(grid[0, col]), fig.add_subplot(grid[1, col])
            _panel(ax, risk, result, _TITLES.get(by, by), labels)
    return fig
