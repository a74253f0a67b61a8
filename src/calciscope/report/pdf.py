"""The PDF twin of the report: text pages and the figures, with matplotlib's PdfPages (no extra needed)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages

from calciscope.report.figure import STYLE, SavedFigure
from calciscope.report.text import methods_paragraphs, results_paragraphs
from calciscope.study import StudyAnalysis

__all__ = ["write_pdf"]

_A4 = (8.27, 11.69)


def _text_page(pdf: PdfPages, title: str, blocks: Sequence[tuple[str, Sequence[str]]]) -> None:
    fig = plt.figure(figsize=_A4)
    y = 0.95
    fig.text(0.08, y, title, fontsize=14, fontweight="bold", va="top")
    y -= 0.05
    for heading, paragraphs in blocks:
        fig.text(0.08, y, heading, fontsize=12, fontweight="bold", va="top")
        y -= 0.03
        for p in paragraphs:
            lines = textwrap.wrap(p, 95)
            fig.text(0.08, y, "\n".join(lines), fontsize=9, va="top", linespacing=1.4)
            y -= 0.0165 * len(lines) + 0.015
    pdf.savefig(fig)
    plt.close(fig)


def _figure_page(pdf: PdfPages, number: int, figure: SavedFigure) -> None:
    fig = figure.figure
    caption = textwrap.fill(f"Figure {number}. {figure.title}. {figure.caption}", 120)
    fig.suptitle(caption, x=0.02, y=0.0, ha="left", va="top", fontsize=8.5)
    pdf.savefig(fig, bbox_inches="tight")


def write_pdf(a: StudyAnalysis, figures: Sequence[SavedFigure], path: Path) -> Path:
    """Write methods, results and every figure to ``path`` and return it."""
    banner = (
        ["SYNTHETIC DATA: the synthetic demo cohort; no number here describes real patients."]
        if a.headline.synthetic
        else [f"SYNTHETIC DATA MIXED IN: the registry {a.headline.synthetic_mixed}, counted here."]
        if a.headline.synthetic_mixed
        else []
    )
    with (
        plt.rc_context(STYLE),
        PdfPages(path, metadata={"Title": a.study.title, "CreationDate": None}) as pdf,
    ):
        _text_page(
            pdf,
            a.study.title,
            [("Note", banner)] * bool(banner)
            + [("Methods", methods_paragraphs(a)), ("Results", results_paragraphs(a))],
        )
        for i, figure in enumerate(figures, 1):
            _figure_page(pdf, i, figure)
    return path
