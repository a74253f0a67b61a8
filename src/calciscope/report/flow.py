"""The attrition flow diagram: registry → SSc → source population → dcSSc → overlap → cases."""

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


def attrition_figure(steps: Sequence[AttritionStep]) -> object:
    """Draw one box per step, top to bottom, joined by arrows; the source population is highlighted."""
    height = 1.05 * len(steps) + 0.3
    fig, ax = new_figure(7.2, height)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, height)
    ax.axis("off")
    box_h, gap = 0.72, 1.05
    for i, step in enumerate(steps):
        y = height - 0.2 - box_h - i * gap
        colour = PALETTE[0] if "Source population" in step.label else "#555555"
        if step.label.startswith("Cases"):
            colour = PALETTE[5]
        ax.add_patch(
            FancyBboxPatch(
                (0.6, y), 8.8, box_h, boxstyle="round,pad=0.02,rounding_size=0.12",
                facecolor="white", edgecolor=colour, linewidth=1.6,
            )
        )  # fmt: skip
        ax.text(5, y + box_h * 0.66, step.label, ha="center", va="center", fontsize=10,
                fontweight="bold", color=colour)  # fmt: skip
        ax.text(5, y + box_h * 0.27, step_text(step), ha="center", va="center", fontsize=9.5)
        if i:
            ax.annotate("", xy=(5, y + box_h + 0.02), xytext=(5, y + gap - 0.02),
                        arrowprops={"arrowstyle": "-|>", "color": "#444444", "lw": 1.2})  # fmt: skip
    return fig
