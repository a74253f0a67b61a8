"""Commands for other formats: ``import``/``export`` phenopackets, fhir, redcap, omop; ``redcap``.

``register_import`` and ``register_export`` add subcommands to the ``import`` and ``export``
groups of :mod:`calciscope.cli.cohort`; :func:`register` adds the ``redcap`` group (and the
import/export subcommands when the cohort module has not added them).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calciscope import api
from calciscope.cli.options import (
    DbOption,
    IndexDateOption,
    UpdatePatientsOption,
    parse_index_date,
)
from calciscope.cli.output import index_date_or_today, mark_read_only, progress

__all__ = ["redcap_app", "register", "register_export", "register_import"]

console = Console(stderr=True)
redcap_app = typer.Typer(
    help="REDCap: the calciscope project template and mapping files.", no_args_is_help=True
)

PathsArg = Annotated[list[Path], typer.Argument(help="JSON files or folders of them.", exists=True)]
PatientOption = Annotated[
    list[str] | None, typer.Option("--patient", help="Only this patient (repeatable).")
]
ConceptSetOption = Annotated[
    list[str],
    typer.Option(
        "--concept-set",
        help="NAME=FILE (an OHDSI concept-set JSON for a calciscope concept), or a folder of "
        "NAME.json files such as an export's concept_sets/ (repeatable).",
    ),
]


def _progress(label: str) -> AbstractContextManager[Callable[[int], None]]:
    return progress(console, label)


def _report(result: api.InteropImport, registry_url: str) -> None:
    table = Table("kind", "mapped", title="mapped")
    for kind, count in sorted(result.read.mapped.items()):
        table.add_row(kind, str(count))
    console.print(table)
    if result.read.skipped:
        skipped = Table("kind", "reason", "skipped", title="skipped (not imported)")
        for (kind, reason), count in sorted(result.read.skipped.items()):
            skipped.add_row(kind, reason, str(count))
        console.print(skipped)
    for warning in result.read.warnings[:20]:
        console.print(f"[yellow]warning[/] {warning}")
    if len(result.read.warnings) > 20:
        console.print(f"[yellow]... and {len(result.read.warnings) - 20} more warnings[/]")
    print_import_summary(result.summary.counts, result.summary.batch_id, registry_url)


def print_import_summary(counts: dict[str, int], batch_id: str, registry_url: str) -> None:
    """Print what an import carried, and what the registry's integrity checks did with it."""
    carried = ", ".join(f"{counts[k]} {k}" for k in ("patients", "facts", "notes", "images"))
    console.print(f"imported {carried} into {registry_url} (batch {batch_id[:8]})")
    notes = {
        "facts_already_in_registry": "facts were already in the registry (same statement): "
        "not added again",
        "patients_updated": "stored patients updated (--update-patients)",
        "patients_completed": "stored patients completed with values they lacked",
    }
    for key, text in notes.items():
        if counts.get(key):
            console.print(f"  {counts[key]} {text}")


def import_phenopackets(
    paths: PathsArg, db: DbOption = None, update_patients: UpdatePatientsOption = False
) -> None:
    """Import GA4GH Phenopacket v2 JSON files (lowerCamelCase or snake_case), all or nothing."""
    with api.open_registry(db) as registry, _progress("reading phenopackets") as progress:
        result = api.import_phenopackets(
            registry, paths, progress=progress, update_patients=update_patients
        )
    _report(result, registry.url)


def import_fhir(
    paths: PathsArg,
    db: DbOption = None,
    stub_patients: Annotated[
        bool,
        typer.Option(
            "--stub-patients", help="Map resources about a Patient/<id> outside the bundle."
        ),
    ] = False,
    update_patients: UpdatePatientsOption = False,
) -> None:
    """Import FHIR R4 bundles (any type) or Bulk Data NDJSON; print what was mapped and skipped."""
    with api.open_registry(db) as registry, _progress("reading FHIR bundles") as progress:
        result = api.import_fhir(
            registry,
            paths,
            stub_patients=stub_patients,
            progress=progress,
            update_patients=update_patients,
        )
    _report(result, registry.url)


def import_redcap(
    records: Annotated[
        Path,
        typer.Argument(
            help="Records export: data.csv (raw or label) or API JSON; or the project XML."
        ),
    ],
    dictionary: Annotated[
        Path | None,
        typer.Option(
            "--dictionary", help="The data dictionary CSV (not with a project XML, which has one)."
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help=(
                "Mapping YAML (default: the template's for a calciscope template project, "
                "else generated from the dictionary)."
            ),
        ),
    ] = None,
    db: DbOption = None,
    update_patients: UpdatePatientsOption = False,
) -> None:
    """Import a REDCap export (records and dictionary, or project XML) under a mapping file."""
    with api.open_registry(db) as registry, _progress(f"validating {records}"):
        result = api.import_redcap(
            registry, records, dictionary, mapping, update_patients=update_patients
        )
    _report(result, registry.url)


def import_omop(
    cdm: Annotated[str, typer.Argument(help="CDM folder (CSV/Parquet) or database URL.")],
    concept_set: ConceptSetOption,
    db: DbOption = None,
    patient_ids: Annotated[
        api.PatientIdColumn,
        typer.Option("--patient-ids", help="PERSON column read as the patient id."),
    ] = api.PatientIdColumn.PERSON_ID,
    synthetic: Annotated[
        bool | None,
        typer.Option(
            "--synthetic/--not-synthetic",
            help="Mark the records synthetic (default: when cdm_source says SYNTHETIC).",
        ),
    ] = None,
    update_patients: UpdatePatientsOption = False,
) -> None:
    """Copy the persons with concept-set events of a small OMOP CDM (and their visits, deaths, notes)."""
    with api.open_registry(db) as registry, _progress("reading the OMOP CDM"):
        result = api.import_omop(
            registry,
            cdm,
            api.concept_set_files(concept_set),
            patient_ids=patient_ids,
            synthetic=synthetic,
            update_patients=update_patients,
        )
    _report(result, registry.url)


def _export_report(report: api.ExportReport) -> None:
    written = ", ".join(f"{n} {k}" for k, n in sorted(report.written.items()))
    console.print(
        f"wrote {written} to {', '.join(map(str, report.files[:3]))}"
        + (" ..." if len(report.files) > 3 else "")
    )
    for reason, count in sorted(report.skipped.items()):
        console.print(f"[yellow]not written[/] {count}: {reason}")
    for warning in report.warnings[:20]:
        console.print(f"[yellow]warning[/] {warning}")


def export_phenopackets(
    out: Annotated[Path, typer.Argument(help="Folder to write <patient_id>.json into.")],
    db: DbOption = None,
    patient: PatientOption = None,
) -> None:
    """Export one validated Phenopacket v2 per patient."""
    with api.open_registry(db) as registry, _progress("writing phenopackets"):
        report = api.export_phenopackets(registry, out, patient_ids=patient)
    _export_report(report)


def export_fhir(
    out: Annotated[
        Path,
        typer.Argument(help="Bundle file to write (JSON), or a folder (calciscope-bundle.json)."),
    ],
    db: DbOption = None,
    patient: PatientOption = None,
    group: Annotated[
        str | None, typer.Option("--group", help="Add a FHIR Group (cohort) of this name.")
    ] = None,
) -> None:
    """Export patients as one FHIR R4 collection Bundle, validated with fhir.resources."""
    with api.open_registry(db) as registry, _progress("writing FHIR bundle"):
        report = api.export_fhir(registry, out, patient_ids=patient, group_name=group)
    _export_report(report)


def export_redcap(
    out: Annotated[
        Path, typer.Argument(help="Folder for dictionary.csv, mapping.yaml and data.csv.")
    ],
    db: DbOption = None,
    patient: PatientOption = None,
) -> None:
    """Export records in the calciscope REDCap template (dictionary, mapping and records)."""
    with api.open_registry(db) as registry, _progress("writing REDCap files"):
        report = api.export_redcap(registry, out, patient_ids=patient)
    _export_report(report)


def export_omop(
    out: Annotated[
        str,
        typer.Argument(
            help="Folder for the CDM CSV files, or the URL of a database without CDM tables."
        ),
    ],
    db: DbOption = None,
    patient: PatientOption = None,
    concept_sets: Annotated[
        Path | None,
        typer.Option(
            "--concept-sets",
            help="Folder for the concept sets (default OUT/concept_sets, ./concept_sets for a URL).",
        ),
    ] = None,
    vocabulary: Annotated[
        Path | None,
        typer.Option(
            "--vocabulary",
            help="Athena CONCEPT.csv: use its standard SNOMED CT / LOINC / ICD-10 concepts.",
            exists=True,
        ),
    ] = None,
) -> None:
    """Export the registry as an OMOP CDM v5.4 (CSV files or database tables) with concept sets."""
    with api.open_registry(db) as registry, _progress("writing the OMOP CDM"):
        report = api.export_omop(
            registry, out, patient_ids=patient, vocabulary=vocabulary, concept_sets=concept_sets
        )
    _export_report(report)


def export_omop_cohort(
    cdm: Annotated[str, typer.Argument(help="CDM folder (CSV/Parquet) or database URL.")],
    concept_set: ConceptSetOption,
    feature: Annotated[
        str, typer.Option("--feature", help="Persons with this feature true form the cohort.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Cohort CSV to write (OHDSI cohort table layout).")
    ],
    cohort_id: Annotated[
        int, typer.Option("--cohort-id", help="cohort_definition_id to write.")
    ] = 1,
    index_date: IndexDateOption = None,
) -> None:
    """Screen an OMOP CDM in place and write the OHDSI cohort table of persons with a feature."""
    when, when_text = index_date_or_today(parse_index_date(index_date))
    with _progress("screening the OMOP CDM inside its database"):
        rows = api.write_omop_cohort(
            cdm,
            api.concept_set_files(concept_set),
            feature,
            out,
            cohort_definition_id=cohort_id,
            index_date=when,
        )
    console.print(
        f"wrote {rows} cohort rows (cohort_definition_id {cohort_id}, {when_text}) to {out}"
    )


def export_note_nlp(
    out: Annotated[Path, typer.Argument(help="CSV file for the OMOP NOTE_NLP rows.")],
    db: DbOption = None,
    patient: PatientOption = None,
) -> None:
    """Export facts read from notes as OMOP NOTE_NLP rows (rejected suggestions left out)."""
    with api.open_registry(db) as registry, _progress("writing NOTE_NLP rows"):
        report = api.export_note_nlp(registry, out, patient_ids=patient)
    _export_report(report)


def redcap_template(
    mapping_out: Annotated[
        Path | None,
        typer.Option("--mapping-out", help="Also write the template's default mapping YAML here."),
    ] = None,
) -> None:
    """Print the calciscope REDCap data dictionary (18 columns) to standard output."""
    if mapping_out is None:
        mark_read_only()
    dictionary, mapping = api.redcap_template()
    sys.stdout.write(dictionary)
    if mapping_out is not None:
        mapping_out.write_text(mapping, encoding="utf-8")


def redcap_mapping(
    dictionary: Annotated[
        Path, typer.Argument(help="A REDCap data dictionary CSV, or a project XML.")
    ],
) -> None:
    """Print a generated mapping (YAML) for any REDCap dictionary or project XML, to edit and pass to `import redcap`."""
    mark_read_only()
    sys.stdout.write(api.redcap_mapping(dictionary))


def redcap_pull(
    url: Annotated[str, typer.Argument(help="The REDCap API URL (https://.../api/).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for data.csv and dictionary.csv.")],
    token_env: Annotated[
        str,
        typer.Option(
            "--token-env",
            help="Environment variable holding the API token (never on the command line).",
        ),
    ] = "REDCAP_TOKEN",
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Records per API request.")] = 500,
) -> None:
    """Download a REDCap project's records and dictionary through its API (PyCap), in chunks."""
    token = os.environ.get(token_env)
    if not token:
        raise typer.BadParameter(f"set the API token in ${token_env}", param_hint="--token-env")
    with _progress(f"pulling {url}"):
        records, dictionary = api.pull_redcap(url, token, out, chunk_size=chunk_size)
    console.print(
        f"wrote {records} and {dictionary}; import with: calciscope import redcap {records} --dictionary {dictionary}"
    )


_IMPORTS: dict[str, Callable[..., None]] = {
    "phenopackets": import_phenopackets,
    "fhir": import_fhir,
    "redcap": import_redcap,
    "omop": import_omop,
}
_EXPORTS: dict[str, Callable[..., None]] = {
    "phenopackets": export_phenopackets,
    "fhir": export_fhir,
    "redcap": export_redcap,
    "omop": export_omop,
    "omop-cohort": export_omop_cohort,
    "note-nlp": export_note_nlp,
}


def _add(group: typer.Typer, commands: dict[str, Callable[..., None]]) -> None:
    present = {info.name for info in group.registered_commands}
    for name, command in commands.items():
        if name not in present:
            group.command(name)(command)


def register_import(import_app: typer.Typer) -> None:
    """Add ``import phenopackets|fhir|redcap|omop`` to the ``import`` group."""
    _add(import_app, _IMPORTS)


def register_export(export_app: typer.Typer) -> None:
    """Add ``export phenopackets|fhir|redcap|omop`` to the ``export`` group."""
    _add(export_app, _EXPORTS)


def register(app: typer.Typer) -> None:
    """Add the ``redcap`` group, and the import/export subcommands (once)."""
    from calciscope.cli import cohort

    register_import(cohort.import_app)
    register_export(cohort.export_app)
    redcap_app.command("template")(redcap_template)
    redcap_app.command("mapping")(redcap_mapping)
    redcap_app.command("pull")(redcap_pull)
    app.add_typer(redcap_app, name="redcap")
