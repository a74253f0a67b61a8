"""Commands for images: ``import images``, ``images measure|read-import|agreement``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calciscope import api
from calciscope.cli.options import DbOption, JsonOption
from calciscope.cli.output import echo_json

__all__ = ["images_app", "register"]

console = Console()
images_app = typer.Typer(
    help="Radiographs and photographs: measure calcification, import readings, agreement.",
    no_args_is_help=True,
)


def import_images(
    folder: Annotated[
        Path, typer.Argument(help="Folder of DICOM files, and PNG/JPEG with sidecar.csv.")
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            exists=True,
            dir_okay=False,
            help="CSV dicom_patient_id,patient_id: DICOM PatientID to registry patient id.",
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Decoding processes.")] = 2,
    db: DbOption = None,
) -> None:
    """Index images where they lie: patient, date, region, side, modality, hash, thumbnail.

    All or nothing: one unreadable file, missing pixel data or unsupported transfer syntax
    stops the import, and every such file is listed with its reason.
    """
    with api.open_registry(db) as registry:
        summary = api.import_images(registry, folder, mapping=mapping, workers=jobs)
    console.print(
        f"indexed {summary.counts['images']} image(s) from {summary.source} into {registry.url} "
        f"(batch {summary.batch_id[:8]}); the files stay where they are"
    )


def _parse_roi(text: str) -> api.Roi:
    try:
        return api.Roi.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _image_path(image: str, db: str | None, roots: list[Path]) -> Path:
    path = Path(image)
    if path.is_file():
        return path
    with api.open_registry(db) as registry:
        return api.resolve_image_path(registry, image, roots)


@images_app.command("measure")
def measure(
    image: Annotated[
        str,
        typer.Argument(help="A DICOM, PNG or JPEG file, or the id of an indexed image (IMG-...)."),
    ],
    roi: Annotated[str, typer.Option("--roi", help="Region of interest X0,Y0,X1,Y1 in pixels.")],
    pixel_spacing: Annotated[
        float | None,
        typer.Option("--pixel-spacing", min=0.0001, help="Pixel size in mm (overrides the file)."),
    ] = None,
    as_json: JsonOption = False,
    overlay: Annotated[
        Path | None, typer.Option("--overlay", help="Write the ROI with deposits as PNG.")
    ] = None,
    image_root: Annotated[
        list[Path] | None,
        typer.Option(
            "--image-root",
            help="Folder an indexed image may be opened from (repeatable; also "
            "$CALCISCOPE_IMAGE_ROOTS).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Measure calcification in an ROI and SUGGEST a pattern (a suggestion, not a diagnosis).

    An indexed image is opened only from inside a configured image root.
    """
    path = _image_path(image, db, image_root or [])
    result = api.measure_image(
        path, _parse_roi(roi), pixel_spacing_mm=pixel_spacing, overlay=overlay
    )
    if as_json:
        # roi and deposit_mask are the readings.csv columns that keep the measurement
        reply = result.to_dict() | {"deposit_mask": result.deposit_mask_text()}
        typer.echo(json.dumps(reply, indent=2, ensure_ascii=False))
        return
    shape = result.shape
    table = Table(title=f"{path.name}, ROI {result.roi} ({result.spacing_note})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    width = shape.large_deposit_width
    unit = "mm" if result.unit == "mm²" else "px"
    rows = [
        ("calcified area", f"{result.calcified_area:.2f} {result.unit}"),
        ("area fraction of ROI", f"{result.area_fraction:.2%}"),
        ("deposits", str(shape.deposit_count)),
        ("largest deposit", f"{shape.largest_deposit:.2f} {result.unit}"),
        ("elongation (area-weighted)", f"{shape.elongation:.2f}"),
        ("solidity (area-weighted)", f"{shape.solidity:.2f}"),
        ("share in large connected sheets", f"{shape.sheet_share:.0%}"),
        ("mean width of large deposits", "-" if width is None else f"{width:.2f} {unit}"),
        ("holes in large deposits", str(shape.holes)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    console.print(f"[bold]SUGGESTION only, not a diagnosis[/]: {result.suggestion}")
    if overlay is not None:
        console.print(f"overlay written to {overlay}")


@images_app.command("read-import")
def read_import(
    readings: Annotated[
        Path, typer.Argument(help="readings.csv (one row per image, reader, region and side).")
    ],
    db: DbOption = None,
) -> None:
    """Import readings done elsewhere: each region becomes an image-derived calcinosis fact.

    A reader with the clinician role confirms; other readers' facts wait as suggestions.
    """
    with api.open_registry(db) as registry:
        done = api.import_readings(registry, readings)
    console.print(
        f"imported {done.readings} reading(s), {done.regions} region row(s): "
        f"{done.confirmed_facts} confirmed and {done.suggested_facts} suggested fact(s)"
    )


@images_app.command("agreement")
def agreement(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Between-reader agreement: kappa (presence, morphology), weighted kappa (grade), ICC (area)."""
    with api.open_registry(db) as registry:
        report = api.reader_agreement(registry)
    if as_json:
        echo_json(report)
        return
    if report.readers is None:
        console.print("no image was read by two readers")
        return
    table = Table(title=f"{report.readers[0]} vs {report.readers[1]}, {report.pairs} image(s)")
    for column in ("compared", "method", "estimate", "95% CI", "n"):
        table.add_column(column)
    for name, result in report.results.items():
        ci = f"{result.lower:.2f} to {result.upper:.2f}"
        table.add_row(name, result.method, f"{result.estimate:.2f}", ci, str(result.n))
    console.print(table)
    for name, why in report.skipped.items():
        console.print(f"{name}: not computed ({why})")


def register(app: typer.Typer) -> None:
    """Add ``import images`` and the ``images`` group to the root app."""
    from calciscope.cli.cohort import import_app

    import_app.command("images")(import_images)
    app.add_typer(images_app, name="images")
