"""The STROBE-style flow diagram: registry → SSc → source population, exclusions with reasons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.patches import FancyBboxPatch

from calciscope.report.figure import PALETTE, new_figure
from calciscope.study import AttritionStep

__all__ = ["attrition_figure", "step_text"]


def step_text(step: AttritionStep) -> str:
    """Return the count line of one box: ``n = 102 (22.1% of source population)``."""
    text = f"n = {step.count:,}"
    share = step.shown_share()
    if share is not None:
        of = "source population" if share[1] == "population" else "the above"
        text += f"  ({100 * share[0]:.1f}% of {of})"
    return text


def _box(ax: object, x: float, y: float, w: float, h: float, colour: str) -> None:
    ax.add_patch(  # type: ignore[attr-defined]
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor="white",
            edgecolor=colour,
            linewidth=1.6,
        )
    )


def _arrow(ax: object, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(  # type: ignore[attr-defined]
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": "#444444", "lw": 1.2},
    )


#: Box height and the distance between the tops of two rows (figure units).
_BOX_H, _GAP = 0.95, 1.45
#: x ranges of the two columns: the chain (left), exclusions and branches (right)
_LEFT, _RIGHT = (0.3, 6.6), (7.2, 11.7)


def attrition_figure(steps: Sequence[AttritionStep]) -> object:
    """Draw the STROBE-style flow: the chain down the left, exclusions (with reasons) to the right.

    A step that comes from an earlier box than the one above (``parent``, e.g. the cases, which
    come from the source population and need not have dcSSc or overlap) is drawn in the right
    column with its own arrow from that box, not beneath a box it need not belong to.
    """
    rows: list[int] = []
    chain = 0
    for step in steps:
        if step.parent is None:
            rows.append(chain)
            chain += 1
        else:  # a branch: one row below the box it comes from, in the right column
            rows.append(rows[step.parent] + 1)
    height = _GAP * max(rows) + _BOX_H + 0.5
    tops = [height - 0.25 - _BOX_H - row * _GAP for row in rows]  # lower edge of each box
    fig, ax = new_figure(8.4, height)
    ax.set_xlim(0, 12)
    ax.set_ylim(0, height)
    ax.axis("off")
    lx = (_LEFT[0] + _LEFT[1]) / 2
    for i, step in enumerate(steps):
        y = tops[i]
        middle = _draw_step(ax, step, y)
        if i == 0:
            continue
        if step.parent is None:
            _arrow(ax, (lx, tops[i - 1] - 0.02), (lx, y + _BOX_H + 0.02))
        else:
            _arrow(ax, (_LEFT[1], tops[step.parent] + _BOX_H * 0.3), (middle, y + _BOX_H + 0.02))
        if step.excluded:
            _draw_exclusions(ax, step.excluded, y)
    return fig


def _draw_step(ax: Any, step: AttritionStep, y: float) -> float:
    """Draw one step's box (label and count) with its lower edge at ``y``; return its middle."""
    x0, x1 = _LEFT if step.parent is None else _RIGHT
    colour = PALETTE[0] if "Source population" in step.label else "#555555"
    if step.label.startswith("Cases"):
        colour = PALETTE[5]
    _box(ax, x0, y, x1 - x0, _BOX_H, colour)
    middle = (x0 + x1) / 2
    label = step.label.replace(": ", ":\n", 1)  # "Source population:\nSSc seen ..."
    ax.text(
        middle,
        y + _BOX_H * 0.64,
        label,
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        color=colour,
        linespacing=1.1,
    )
    ax.text(middle, y + _BOX_H * 0.2, step_text(step), ha="center", va="center", fontsize=8.5)
    return middle


def _draw_exclusions(ax: Any, excluded: Sequence[tuple[str, int]], y: float) -> None:
    """Draw the "Excluded" box (reasons and counts) to the right of the gap above ``y``."""
    lines = ["Excluded"] + [f"{reason}: n = {n:,}" for reason, n in excluded]
    eh = 0.2 + 0.19 * len(lines)
    ey = y + _BOX_H + (_GAP - _BOX_H) / 2 - eh / 2
    _box(ax, _RIGHT[0], ey, _RIGHT[1] - _RIGHT[0], eh, "#999999")
    ax.text(
        _RIGHT[0] + 0.15,
        ey + eh / 2,
        "\n".join(lines),
        ha="left",
        va="center",
        fontsize=8.5,
        color="#333333",
    )
    lx = (_LEFT[0] + _LEFT[1]) / 2
    _arrow(ax, (lx, ey + eh / 2), (_RIGHT[0] - 0.02, ey + eh / 2))
