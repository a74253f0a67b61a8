"""``calciscope demo``: the README's main job on the embedded default.

Generates the SYNTHETIC demo cohort, imports it into the embedded SQLite registry and prints
the headline counts with their denominators.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from calciscope import api
from calciscope.cli.cohort import console, import_demo
from calciscope.cli.options import DbOption

__all__ = ["register"]


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the synthetic cohort files.")
    ] = Path("calciscope-demo"),
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the synthetic cohort.")] = 0,
    db: DbOption = None,
) -> None:
    """Build the SYNTHETIC demo cohort, import it into the registry and summarise it."""
    from calciscope.datasets import DEFAULT_INDEX_DATE

    with console.status("generating the synthetic demo cohort"):
        manifest = api.generate_demo_data(out, seed=seed)
    console.print(
        f"[bold red]SYNTHETIC[/] demo cohort: {manifest.patients} patients written to {out}"
    )
    import_demo(out, db=db)
    with api.open_registry(db) as registry:
        summary = api.summarise_cohort(registry, index_date=DEFAULT_INDEX_DATE)
    _print_summary(summary)


def _print_summary(s: api.CohortSummary) -> None:
    def pct(n: int, d: int) -> str:
        return f"{n} of {d} ({100 * n / d:.1f}%)" if d else f"{n} of 0"

    console.print(
        f"\n[bold]Summary at index date {s.index_date}[/] (synthetic: {s.synthetic} of {s.patients} patients)"
    )
    console.print(
        f"  SSc (clinician diagnosis) seen in the {s.window_years} years before: {s.ssc_seen_in_window}"
    )
    console.print(f"  dcSSc among them: {pct(s.dcssc_seen_in_window, s.ssc_seen_in_window)}")
    console.print(f"  any calcinosis: {pct(s.calcinosis_seen_in_window, s.ssc_seen_in_window)}")
    console.print(
        "  sheet-like calcinosis in 2 or more body regions: "
        f"{pct(s.sheet_like_two_regions_seen_in_window, s.ssc_seen_in_window)}"
    )
    console.print(
        "Next: calciscope patients list --where subset=dcssc; calciscope classify; calciscope features"
    )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo)
