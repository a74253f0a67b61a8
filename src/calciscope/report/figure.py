"""Saving figures: SVG and PNG files plus the inline copies the self-contained HTML embeds."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["PALETTE", "STYLE", "SavedFigure", "close_figures", "new_figure", "save_figure"]

#: Publication style: sans-serif 10 pt, no top/right spines, text kept as text in SVG.
STYLE: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "calciscope",
    "figure.dpi": 100,
}

#: Colour-blind-safe palette (Okabe & Ito 2008).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class SavedFigure:
    """A figure written as ``<name>.svg`` and ``<name>.png``, with the SVG text to inline."""

    name: str
    title: str
    caption: str
    svg_path: Path
    png_path: Path
    svg_inline: str
    png_base64: str
    figure: Any = None


def new_figure(width: float, height: float) -> tuple[Any, Any]:
    """Return ``(figure, axes)`` in :data:`STYLE`."""
    with plt.rc_context(STYLE):
        return plt.subplots(figsize=(width, height))


def save_figure(fig: Any, out_dir: Path, name: str, title: str, caption: str) -> SavedFigure:
    """Write the figure as SVG and PNG (150 dpi) into ``out_dir`` (the caller closes it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    svg, png = out_dir / f"{name}.svg", out_dir / f"{name}.png"
    with plt.rc_context(STYLE):
        # the tight box once, for both files (bbox_inches="tight" would draw twice per file)
        box = fig.get_tightbbox().padded(0.1)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches=box, metadata={"Date": None})
        svg.write_text(buffer.getvalue(), encoding="utf-8")
        fig.savefig(png, format="png", dpi=150, bbox_inches=box)
    text = svg.read_text(encoding="utf-8")
    inline = text[text.index("<svg") :]
    encoded = base64.b64encode(png.read_bytes()).decode("ascii")
    return SavedFigure(name, title, caption, svg, png, inline, encoded, fig)


def close_figures(figures: list[SavedFigure]) -> None:
    """Close the matplotlib figures behind saved figures."""
    for saved in figures:
        plt.close(saved.figure)
