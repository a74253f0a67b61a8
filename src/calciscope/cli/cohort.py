"""Commands for the cohort: ``demo-data``, ``import demo``, ``patients list|show``, ``features``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.console import Console
from rich.table import Table

from calciscope import api
from calciscope.cli.criteria import render_explanation
from calciscope.cli.options import (
    DbOption,
    JsonOption,
    RegistryDateOption,
    UpdatePatientsOption,
    parse_index_date,
)
from calciscope.cli.output import echo_json, mark_read_only, progress, registry_index_date

__all__ = ["export_app", "import_app", "register"]

#: Wide enough for the patient table when output is piped (Rich assumes 80 columns then).
console = Console(width=max(shutil.get_terminal_size((120, 24)).columns, 100))
#: progress bars and notes go to standard error, so that standard output holds only the data
err_console = Console(stderr=True)
import_app = typer.Typer(
    help="Import records into the registry (all or nothing).", no_args_is_help=True
)
export_app = typer.Typer(help="Export the registry or a study's cases.", no_args_is_help=True)
patients_app = typer.Typer(help="List and show patients in the registry.", no_args_is_help=True)

#: Columns of ``patients list`` and their short headers.
_LIST_COLUMNS = {
    "patient_id": "id",
    "sex": "sex",
    "birth_year": "born",
    "ssc_diagnosis": "SSc dx",
    "subset_recorded": "subset",
    "overlap_recorded": "overlap dx",
    "calcinosis_any": "calcinosis",
    "calcinosis_sheet_like": "sheet-like",
    "calcinosis_sheet_like_regions": "sheet regions",
    "last_visit_date": "last visit",
}


def demo_data(
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write the synthetic cohort to.")
    ] = Path("demo"),
    patients: Annotated[
        int | None,
        typer.Option(
            "--patients", help="Number of patients (default: the anchor-calibrated size)."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")
    ] = 0,
    notes: Annotated[
        bool,
        typer.Option("--notes/--no-notes", help="Also write clinic letters and radiology reports."),
    ] = True,
) -> None:
    """Write the SYNTHETIC demo cohort: structured records, notes, radiology reports, answer key."""
    total = patients or api.DEFAULT_PATIENTS
    with progress(err_console, "generating synthetic patients") as update:
        update(-total)
        manifest = api.generate_demo_data(
            out, patients=patients, seed=seed, notes=notes, progress=update
        )
    console.print(
        f"[bold]SYNTHETIC[/] demo cohort written to {out}: {manifest.patients} patients, {manifest.facts} facts, "
        f"{manifest.notes} notes, {manifest.images} images (seed {seed}). Not real patients."
    )


def import_demo(
    folder: Annotated[
        Path,
        typer.Argument(help="A directory written by `calciscope demo-data` (calciscope format)."),
    ],
    db: DbOption = None,
    update_patients: UpdatePatientsOption = False,
) -> None:
    """Import a calciscope-format directory (the demo cohort, or a registry extract)."""
    from calciscope.cli.interop import print_import_summary

    with api.open_registry(db) as registry, progress(err_console, f"importing {folder}") as update:
        summary = api.import_directory(
            registry, folder, progress=update, update_patients=update_patients
        )
    print_import_summary(summary.counts, summary.batch_id, registry.url)


def _cell(value: Any) -> str:
    if value is None:
        return "[dim]unknown[/]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _render_rows(data: pa.Table, columns: dict[str, str], title: str) -> None:
    table = Table(title=title)
    for header in columns.values():
        table.add_column(header)
    for row in data.select(list(columns)).to_pylist():
        table.add_row(*(_cell(row[c]) for c in columns))
    console.print(table)


def list_(
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where", help="Filter NAME=VALUE on a feature (repeatable), e.g. subset=dcssc."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Rows to show (the counts cover all).")
    ] = 50,
    db: DbOption = None,
    index_date: RegistryDateOption = None,
    as_json: JsonOption = False,
) -> None:
    """List patients with their key features, and how many match the filters."""
    mark_read_only()
    chosen = parse_index_date(index_date)
    with api.open_registry(db) as registry:
        when, when_text = registry_index_date(registry, chosen)
        data, total = api.list_patients(
            registry, where=where or [], columns=list(_LIST_COLUMNS), index_date=when
        )
    shown = data.slice(0, limit)
    if as_json:
        counts = {"matching": data.num_rows, "total": total, "shown": shown.num_rows}
        echo_json(
            {"index_date": when, "where": where or [], **counts, "patients": shown.to_pylist()}
        )
        return
    _render_rows(shown, _LIST_COLUMNS, f"patients ({', '.join(where or []) or 'all'}), {when_text}")
    verb = "matches" if data.num_rows == 1 else "match"
    console.print(
        f"{api.number(data.num_rows)} of {api.counted(total, 'patient')} {verb}; "
        f"showing {api.number(shown.num_rows)}."
    )


def _concept_name(system: str, code: str) -> str:
    names = api.load_catalogue().concepts_for_code(system, code)
    return ", ".join(names) if names else "-"


def _facts_table(record: api.PatientRecord, *, provenance: bool) -> Table:
    table = Table(title=f"facts for {record.patient.patient_id} ({len(record.facts)})")
    headers = [
        "date",
        "concept",
        "code",
        "status",
        "value",
        "site",
        "morphology",
        "source",
        "review",
    ]
    for column in [*headers, *(["provenance"] if provenance else [])]:
        table.add_column(column)
    for fact in record.facts:
        value = fact.value_text or (
            "" if fact.value_num is None else f"{fact.value_num:g} {fact.unit or ''}"
        )
        code = fact.code if ":" in fact.code else f"{fact.system}:{fact.code}"
        cells = [
            str(fact.effective_date or ""),
            _concept_name(fact.system, fact.code),
            code,
            fact.status.value,
            value.strip(),
            " ".join(x for x in (fact.laterality, fact.body_site) if x),
            fact.morphology or "",
            fact.source_kind.value,
            fact.review_state.value,
        ]
        table.add_row(*cells, *([fact.provenance or ""] if provenance else []))
    return table


def show(
    patient_id: Annotated[str, typer.Argument(help="The patient's pseudonymous id, e.g. P0001.")],
    explain: Annotated[
        bool, typer.Option("--explain", help="Explain every criteria result for this patient.")
    ] = False,
    provenance: Annotated[
        bool, typer.Option("--provenance", help="Show where each fact came from.")
    ] = False,
    db: DbOption = None,
    index_date: RegistryDateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one patient's facts over time, with their sources, notes and images."""
    mark_read_only()
    chosen = parse_index_date(index_date)
    with api.open_registry(db) as registry:
        # the registry's as-of date unless chosen: the date the web app's patient page shows
        when, when_text = registry_index_date(registry, chosen)
        record = api.patient_record(registry, patient_id)
        explanation = (
            api.explain_patient(registry, patient_id, index_date=when) if explain else None
        )
    if as_json:
        echo_json(_record_json(record, explanation))
        return
    _show(record, provenance=provenance)
    if explanation is not None:
        console.print(when_text)
        render_explanation(console, explanation)


def _record_json(
    record: api.PatientRecord, explanation: api.PatientExplanation | None
) -> dict[str, Any]:
    # notes are summarised as in the table: their text stays in the registry
    notes = [
        n.model_dump(mode="json", exclude={"text"}) | {"characters": len(n.text)}
        for n in record.notes
    ]
    data: dict[str, Any] = {"patient": record.patient, "facts": record.facts}
    data |= {"notes": notes, "images": record.images}
    if explanation is not None:
        data["explanation"] = explanation
    return data


def _show(record: api.PatientRecord, *, provenance: bool) -> None:
    p = record.patient
    tag = " [bold red]SYNTHETIC[/]" if p.synthetic else ""
    console.print(
        f"[bold]{p.patient_id}[/]{tag}  sex {p.sex.value}, born {p.birth_date or p.birth_year or 'unknown'}, centre {p.centre or '-'}"
    )
    console.print(_facts_table(record, provenance=provenance))
    for note in record.notes:
        console.print(
            f"note {note.note_id} {note.note_date or ''} {note.note_type.value}: {len(note.text)} characters"
        )
    for image in record.images:
        console.print(
            f"image {image.image_id} {image.image_date or ''} {image.modality.value} {image.body_site or ''}"
        )


def features(
    out: Annotated[Path, typer.Option("--out", help="Output file: .parquet or .csv.")] = Path(
        "features.parquet"
    ),
    include_suggested: Annotated[
        bool,
        typer.Option("--include-suggested", help="Count facts suggested from notes/images too."),
    ] = False,
    db: DbOption = None,
    index_date: RegistryDateOption = None,
) -> None:
    """Write the feature table: one row per patient, each feature true/false/unknown (null)."""
    chosen = parse_index_date(index_date)
    with (
        api.open_registry(db) as registry,
        progress(err_console, "computing features in the database"),
    ):
        when, when_text = registry_index_date(registry, chosen)
        rows, columns = api.write_feature_table(
            registry, out, index_date=when, include_suggested=include_suggested
        )
    console.print(f"wrote {rows} patients x {columns} columns to {out} ({when_text})")


def register(app: typer.Typer) -> None:
    """Add the cohort commands to the root app."""
    app.command("demo-data")(demo_data)
    import_app.command("demo")(import_demo)
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    patients_app.command("list")(list_)
    patients_app.command("show")(show)
    app.add_typer(patients_app, name="patients")
    app.command("features")(features)
