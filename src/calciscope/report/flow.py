"""The STROBE-style flow diagram: registry → SSc → source population, exclusions with reasons."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.patches import FancyBboxPatch

from calciscope.report.figure import PALETTE, new_figure
from calciscope.study import AttritionStep

__all__ = ["attrition_figure", "step_text"]


def step_text(step: AttritionStep) -> str:
    """Return the count line of one box: ``n = 102 (22.1% of source population)``."""
    text = f"n = {step.count:,}"
    if step.of_population is not None and step.of_population < 1:
        text += f"  ({100 * step.of_population:.1f}% of source population)"
    elif step.of_previous is not None and step.of_population is None:
        text += f"  ({100 * step.of_previous:.1f}% of the above)"
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


def attrition_figure(steps: Sequence[AttritionStep]) -> object:
    """Draw the STROBE-style flow: the chain down the left, exclusions (with reasons) to the right.

    A step that comes from an earlier box than the one above (``parent``, e.g. the cases, which
    come from the source population and need not have dcSSc or overlap) is drawn in the right
    column with its own arrow from that box, not beneath a box it need not belong to.
    """
    rows: dict[int, int] = {}
    row = 0
    for i, step in enumerate(steps):
        if step.parent is None:
            rows[i], row = row, row + 1
        else:
            rows[i] = rows[step.parent] + 1
    box_h, gap = 0.95, 1.45
    height = gap * max(rows.values()) + box_h + 0.5
    fig, ax = new_figure(8.4, height)
    ax.set_xlim(0, 12)
    ax.set_ylim(0, height)
    ax.axis("off")
    left, right = (0.3, 6.6), (7.2, 11.7)  # x ranges of the two columns

    def top(i: int) -> float:
        return height - 0.25 - box_h - rows[i] * gap

    for i, step in enumerate(steps):
        y = top(i)
        x0, x1 = left if step.parent is None else right
        colour = PALETTE[0] if "Source population" in step.label else "#555555"
        if step.label.startswith("Cases"):
            colour = PALETTE[5]
        _box(ax, x0, y, x1 - x0, box_h, colour)
        middle = (x0 + x1) / 2
        label = step.label.replace(": ", ":\n", 1)  # "Source population:\nSSc seen ..."
        ax.text(
            middle,
            y + box_h * 0.64,
            label,
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            color=colour,
            linespacing=1.1,
        )
        ax.text(middle, y + box_h * 0.2, step_text(step), ha="center", va="center", fontsize=8.5)
        if i == 0:
            continue
        if step.parent is None:
            above = top(i - 1)
            lx = (left[0] + left[1]) / 2
            _arrow(ax, (lx, above - 0.02), (lx, y + box_h + 0.02))
        else:
            source = top(step.parent)
            _arrow(ax, (left[1], source + box_h * 0.3), (middle, y + box_h + 0.02))
        if step.excluded:
            lines = ["Excluded"] + [f"{reason}: n = {n:,}" for reason, n in step.excluded]
            eh = 0.2 + 0.19 * len(lines)
            ey = y + box_h + (gap - box_h) / 2 - eh / 2
            _box(ax, right[0], ey, right[1] - right[0], eh, "#999999")
            ax.text(
                right[0] + 0.15,
                ey + eh / 2,
                "\n".join(lines),
                ha="left",
                va="center",
                fontsize=8.5,
                color="#333333",
            )
            lx = (left[0] + left[1]) / 2
            _arrow(ax, (lx, ey + eh / 2), (right[0] - 0.02, ey + eh / 2))
    return fig
