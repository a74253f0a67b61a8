"""Body map of calcinosis regions: cases beside the other patients with calcinosis (a schematic)."""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.pyplot as plt
import pandas as pd

from calciscope.report.figure import PALETTE, STYLE

__all__ = ["REGION_XY", "bodymap_counts", "bodymap_figure", "counted_regions", "region_counts"]

#: Schematic position of each body region (front view; bilateral arm regions on the figure's
#: right, leg regions on its left).
REGION_XY: dict[str, tuple[float, float]] = {
    "face": (0.0, 9.05),
    "neck": (0.0, 8.45),
    "shoulder": (1.25, 8.05),
    "upper_arm": (1.6, 7.2),
    "elbow": (1.85, 6.4),
    "forearm": (2.05, 5.6),
    "wrist": (2.2, 4.95),
    "hand": (2.35, 4.45),
    "fingers": (2.45, 3.85),
    "chest": (0.45, 7.55),
    "back": (-0.45, 7.0),
    "abdomen": (0.0, 6.3),
    "buttock_hip": (-0.75, 5.35),
    "thigh": (-0.7, 4.3),
    "knee": (-0.75, 3.1),
    "lower_leg": (-0.78, 2.0),
    "ankle_foot": (-0.82, 0.7),
}
_SEGMENTS = [  # body outline as thick round-capped strokes
    ((0.0, 0.0), (8.3, 5.6)),
    ((-1.25, 1.25), (8.05, 8.05)),
    ((1.25, 2.45), (8.05, 3.9)),
    ((-1.25, -2.45), (8.05, 3.9)),
    ((0.7, 0.82), (5.4, 0.6)),
    ((-0.7, -0.82), (5.4, 0.6)),
]


def region_counts(facts: pd.DataFrame, patients: Iterable[str]) -> pd.Series:
    """Return the number of ``patients`` with a present calcinosis fact in each region."""
    ids = set(patients)
    present = facts[
        facts["patient_id"].isin(ids)
        & (facts["concept"] == "calcinosis")
        & (facts["status"] == "present")
    ]
    per = present.dropna(subset=["body_site"]).drop_duplicates(["patient_id", "body_site"])
    return per["body_site"].value_counts().reindex(list(REGION_XY), fill_value=0)


def bodymap_counts(
    facts: pd.DataFrame, cases: Iterable[str], others: Iterable[str]
) -> pd.DataFrame:
    """Return the body map's counts from facts: :func:`region_counts` of each group.

    One row per region of :data:`REGION_XY` (in its order), columns ``cases`` and ``others``.
    """
    return pd.DataFrame(
        {"cases": region_counts(facts, cases), "others": region_counts(facts, others)}
    )


def counted_regions(grouped: pd.DataFrame) -> pd.DataFrame:
    """Return the body map's counts from counts made in the database.

    ``grouped`` holds ``case`` (the group: cases, or the other patients with calcinosis),
    ``body_site`` and ``n`` (patients), as
    :meth:`calciscope.engine.study.StudyQuery.bodymap_counts` returns; the result is that of
    :func:`bodymap_counts` (sites outside :data:`REGION_XY` left out).
    """
    out = {}
    for name, flag in (("cases", True), ("others", False)):
        part = grouped[grouped["case"].astype(bool) == flag]
        n = pd.Series(part["n"].to_numpy(dtype="int64"), index=part["body_site"].to_numpy())
        out[name] = n.reindex(list(REGION_XY), fill_value=0)
    return pd.DataFrame(out)


def _silhouette(ax) -> None:
    ax.add_patch(plt.Circle((0, 9.05), 0.55, color="#e4e4e4", zorder=0))
    ax.add_patch(plt.Rectangle((-1.0, 5.4), 2.0, 2.75, color="#e4e4e4", zorder=0))
    for xs, ys in _SEGMENTS:
        ax.plot(xs, ys, color="#e4e4e4", lw=16, solid_capstyle="round", zorder=0)


_LEFT = frozenset(
    {"face", "neck", "back", "abdomen", "buttock_hip", "thigh", "knee", "lower_leg", "ankle_foot"}
)
_NAMES = {
    "buttock_hip": "buttock/hip",
    "ankle_foot": "ankle/foot",
    "upper_arm": "upper arm",
    "lower_leg": "lower leg",
    "back": "back (posterior)",
}


def _column(ax, shown: list[tuple[str, int]], total: int, colour: str, left: bool) -> None:
    shown = sorted(shown, key=lambda rc: -REGION_XY[rc[0]][1])
    last_y = 99.0
    for region, count in shown:
        x, y = REGION_XY[region]
        label_y = min(y, last_y - 0.55)
        last_y = label_y
        pct = 100 * count / total if total else 0
        ax.scatter([x], [y], s=40 + 6 * pct, color=colour, alpha=0.75, edgecolor="white", zorder=2)
        ax.annotate(
            f"{_NAMES.get(region, region)}  {count} ({pct:.0f}%)",
            (x, y),
            xytext=(-2.9 if left else 3.1, label_y),
            fontsize=8.5,
            va="center",
            ha="right" if left else "left",
            arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6},
        )


def _labels(ax, counts: pd.Series, total: int, colour: str) -> None:
    shown = [(str(r), int(c)) for r, c in counts.items() if c > 0]
    _column(ax, [rc for rc in shown if rc[0] in _LEFT], total, colour, left=True)
    _column(ax, [rc for rc in shown if rc[0] not in _LEFT], total, colour, left=False)


def bodymap_figure(regions: pd.DataFrame, cases: int, others: int) -> object:
    """Draw two schematic figures: regions of the cases, and of the other calcinosis patients.

    ``regions`` is :func:`bodymap_counts` (or :func:`counted_regions`); ``cases`` and ``others``
    are the sizes of the two groups.
    """
    panels = [
        (f"Cases (n={cases})", regions["cases"], cases, PALETTE[5]),
        (f"Other patients with calcinosis (n={others})", regions["others"], others, PALETTE[0]),
    ]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(12, 5.0))
        for ax, (title, counts, total, colour) in zip(axes, panels, strict=True):
            _silhouette(ax)
            _labels(ax, counts, total, colour)
            ax.set_title(title, fontweight="bold")
            ax.set_xlim(-6.2, 6.4)
            ax.set_ylim(0.1, 9.7)
            ax.set_aspect("equal")
            ax.axis("off")
    return fig
