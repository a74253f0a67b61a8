"""Verbs for images: index a folder, measure an ROI, import readings, reader agreement."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calciscope.errors import Problem, ValidationError
from calciscope.imaging.measure import MeasurementResult, MeasureSettings, Roi
from calciscope.imaging.reading import Reading
from calciscope.model import Image
from calciscope.stats.agreement import AgreementResult
from calciscope.storage import ImportSummary, Registry
from calciscope.storage.images import StoredReading, StoredRegion

if TYPE_CHECKING:
    from calciscope.interop.images import LoadedImage
    from calciscope.interop.images.viewer import ViewerPixels

__all__ = [
    "IMAGE_ROOTS_ENV",
    "AgreementReport",
    "ReadingImport",
    "image_readings",
    "image_roots",
    "image_thumbnail",
    "import_images",
    "import_readings",
    "load_indexed_image",
    "measure_image",
    "reader_agreement",
    "record_reading",
    "resolve_image_path",
]

#: Environment variable with the image roots (separated by ``os.pathsep``).
IMAGE_ROOTS_ENV = "CALCISCOPE_IMAGE_ROOTS"


def _require() -> None:
    from calciscope.interop.images import require_imaging

    require_imaging()


def image_roots(extra: Sequence[Path] = ()) -> list[Path]:
    """Return the configured image roots: ``extra`` and ``$CALCISCOPE_IMAGE_ROOTS``, resolved."""
    env = [p for p in os.environ.get(IMAGE_ROOTS_ENV, "").split(os.pathsep) if p]
    return [Path(p).resolve() for p in [*(str(e) for e in extra), *env]]


def import_images(
    registry: Registry,
    folder: Path,
    *,
    mapping: Path | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Index every DICOM, PNG and JPEG under ``folder`` into the registry, all or nothing.

    Parameters
    ----------
    registry
        The registry; every image's patient must already be in it.
    folder
        The image root; files stay where they are, the registry keeps their path relative to
        it, their SHA-256 and a thumbnail.
    mapping
        CSV ``dicom_patient_id,patient_id`` mapping DICOM PatientIDs to registry ids.
    workers
        Processes for decoding (default up to 2).
    progress
        Called with the number of files read.

    Raises
    ------
    ValidationError
        Every unreadable file, missing pixel data, unsupported transfer syntax, unmapped
        patient or duplicate; nothing is written.
    """
    _require()
    from calciscope.interop.images import index_folder, read_mapping
    from calciscope.storage.images import ImageRepository

    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError([Problem(str(folder), "folder", "-", "not a folder")])
    ids, problems = read_mapping(mapping)
    index = index_folder(
        folder,
        mapping=ids,
        known_patients=registry.existing_patient_ids,
        workers=workers,
        progress=progress,
    )
    if problems or index.problems:
        raise ValidationError([*problems, *index.problems], summary="image import failed")
    from calciscope.storage import Batch

    source_hash = _hash_of(sorted(f["sha256"] for f in index.files))
    with registry.bulk_import(source=str(index.root), source_hash=source_hash) as writer:
        writer.write(Batch(images=index.images))
        ImageRepository(registry).write_files(writer, index.files)
    summary = ImportSummary(batch_id=writer.batch_id, source=str(index.root), counts=writer.counts)
    from calciscope.api.users import audit_import

    audit_import(registry, summary)
    return summary


def _hash_of(parts: Sequence[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(parts).encode("ascii")).hexdigest()


def resolve_image_path(registry: Registry, image_id: str, roots: Sequence[Path] = ()) -> Path:
    """Return the file of an indexed image, only if it lies inside a configured image root.

    Raises
    ------
    ValidationError
        When the image is unknown, no root is configured, or the stored reference points
        outside every root (``..``, an absolute path, a link out).
    """
    from calciscope.storage.images import ImageRepository

    row = ImageRepository(registry).file(image_id)
    image = ImageRepository(registry).image(image_id)
    if row is None or image is None or not image.file_ref:
        raise ValidationError([Problem("registry", image_id, "image_id", "no indexed file")])
    allowed = image_roots(roots)
    if not allowed:
        raise ValidationError(
            [
                Problem(
                    "registry",
                    image_id,
                    "file_ref",
                    f"no image root configured (--image-root or ${IMAGE_ROOTS_ENV})",
                )
            ]
        )
    path = (Path(row["root"]) / image.file_ref).resolve()
    if not any(path.is_relative_to(root) for root in allowed):
        raise ValidationError(
            [
                Problem(
                    "registry",
                    image_id,
                    "file_ref",
                    "the stored reference points outside the configured image roots",
                )
            ]
        )
    return path


def measure_image(
    path: Path,
    roi: Roi,
    *,
    pixel_spacing_mm: float | None = None,
    overlay: Path | None = None,
    settings: MeasureSettings | None = None,
) -> MeasurementResult:
    """Measure calcification inside ``roi`` of a DICOM, PNG or JPEG file.

    Parameters
    ----------
    path
        The image file.
    roi
        The region of interest in pixels.
    pixel_spacing_mm
        Overrides the file's spacing (a PNG has none); without any, areas are in px.
    overlay
        Where to write the overlay PNG, if wanted.
    settings
        Measurement tuning.

    Raises
    ------
    ValidationError
        The file cannot be read, or the ROI lies outside it.
    """
    _require()
    from calciscope.imaging.measure import measure_calcification
    from calciscope.interop.images.overlay import write_overlay

    image, problem = _load_for_measuring(Path(path))
    if image is None:
        raise ValidationError([problem] if problem else [], summary="cannot measure")
    spacing = pixel_spacing_mm or image.meta.pixel_spacing_mm
    try:
        result = measure_calcification(
            image.pixels, roi, pixel_spacing_mm=spacing, settings=settings
        )
    except ValueError as exc:
        raise ValidationError([Problem(str(path), str(roi), "roi", str(exc))]) from None
    if overlay is not None:
        write_overlay(image.display, result, overlay)
    return result


def _load_for_measuring(path: Path) -> tuple[Any, Any]:
    """Read a file to measure; a PNG/JPEG needs no sidecar (its row is used when there is one).

    Without a sidecar row a PNG/JPEG is a photograph (a colour one keeps its colour in the
    overlay; a grey export of a film stays grey) with no patient, date or spacing.
    """
    from calciscope.interop.images import SidecarRow, load_image, read_sidecar
    from calciscope.interop.images.photo import PHOTO_SUFFIXES
    from calciscope.model import Modality

    row = None
    if path.suffix.lower() in PHOTO_SUFFIXES:
        rows, _ = read_sidecar(path.parent)  # a broken sidecar does not stop a measurement
        row = rows.get(path.name) or SidecarRow("-", None, None, None, Modality.PHOTOGRAPH, None)
    image, problem = load_image(path, row)
    return image, problem


@dataclass(frozen=True)
class ReadingImport:
    """What a readings import wrote."""

    readings: int
    regions: int
    confirmed_facts: int
    suggested_facts: int


def import_readings(registry: Registry, path: Path, *, actor: str | None = None) -> ReadingImport:
    """Import readings done elsewhere; they become image-derived calcinosis facts.

    A reader with the clinician role confirms; every other reader's facts wait as suggestions.
    Each reading is an audit row (``image_reading``) by ``actor`` (default: the OS user).

    Raises
    ------
    ValidationError
        Every bad row or field, and every reading of an image not in the registry.
    """
    from calciscope.interop.images.readings import read_readings

    readings, problems = read_readings(Path(path))
    return _store_readings(registry, readings, problems, str(path), actor)


def record_reading(
    registry: Registry,
    image_id: str,
    *,
    reader: str,
    reader_role: str,
    reading_date: str,
    blinded: str,
    regions: Sequence[Mapping[str, str]],
    sctc_global_grade: str = "",
    actor: str | None = None,
) -> ReadingImport:
    """Record one reader's reading of one image (the web app's reading form).

    The fields are those of ``readings.csv`` and are checked by the same code as
    :func:`import_readings`; ``regions`` holds one mapping per region row (``body_site``,
    ``laterality``, ``presence``, ``florence``, ``morphology``, ``area_mm2``). Regions read as
    unknown may be left out: they state nothing.

    Raises
    ------
    ValidationError
        A bad field (named with its region row), no region read present or absent, or an
        image not in the registry; nothing is written.
    """
    from calciscope.interop.images.readings import readings_from_rows

    head = {
        "image_id": image_id,
        "reader": reader,
        "reader_role": reader_role,
        "reading_date": reading_date,
        "blinded": blinded,
        "sctc_global_grade": sctc_global_grade,
    }
    source = f"reading of {image_id}"
    rows = [dict(head) | {k: str(v) for k, v in region.items()} for region in regions]
    if not any(r.get("presence", "").strip().lower() in ("present", "absent") for r in rows):
        problem = Problem(source, "form", "presence", "no region read as present or absent")
        raise ValidationError([problem], summary="nothing to record")
    readings, problems = readings_from_rows(rows, source)
    return _store_readings(registry, readings, problems, source, actor)


def _store_readings(
    registry: Registry,
    readings: list[Reading],
    problems: list[Problem],
    source: str,
    actor: str | None,
) -> ReadingImport:
    """Check the images, write readings and their facts, and audit each reading."""
    from calciscope.api.users import default_actor, record_audit
    from calciscope.imaging.reading import reading_facts, sctc_grade_problem
    from calciscope.model import ReviewState
    from calciscope.storage.images import ImageRepository

    repo = ImageRepository(registry)
    images = repo.images([r.image_id for r in readings])
    problems = problems + [
        Problem(source, r.image_id, "image_id", "no such image in the registry")
        for r in readings
        if r.image_id not in images
    ]
    problems += _roi_problems(repo, [r for r in readings if r.image_id in images], source)
    problems += [
        Problem(source, f"{r.image_id} {r.reader} {r.reading_date}", "sctc_global_grade", why)
        for r in readings
        if r.image_id in images and (why := sctc_grade_problem(r, images[r.image_id]))
    ]
    if problems:
        raise ValidationError(problems, summary="readings import failed")
    by_reading = {r.reading_id: reading_facts(r, images[r.image_id]) for r in readings}
    facts = [f for r in readings for f in by_reading[r.reading_id]]
    repo.write_readings(readings, facts)
    for reading in readings:
        written = by_reading[reading.reading_id]
        record_audit(
            registry,
            actor=actor or default_actor(),
            action="image_reading",
            target=reading.reading_id,
            after={
                "image_id": reading.image_id,
                "reader": reading.reader,
                "reader_role": reading.reader_role.value,
                "reading_date": reading.reading_date.isoformat(),
                "regions": len(reading.regions),
                "facts": [f.fact_id for f in written],
                "review_state": written[0].review_state.value if written else None,
            },
            detail=source,
        )
    confirmed = sum(f.review_state is ReviewState.CONFIRMED for f in facts)
    return ReadingImport(
        len(readings), sum(len(r.regions) for r in readings), confirmed, len(facts) - confirmed
    )


def _roi_problems(repo: Any, readings: Sequence[Reading], source: str) -> list[Problem]:
    """Return a problem for each measured region outside its image (when its size is indexed)."""
    problems = []
    for reading in readings:
        size = repo.file(reading.image_id) or {}
        for region in reading.regions:
            if region.roi is None or size.get("rows") is None or size.get("columns") is None:
                continue
            try:
                region.roi.check((size["rows"], size["columns"]))
            except ValueError as exc:
                where = f"{reading.image_id} {region.body_site.value} {region.laterality.value}"
                problems.append(Problem(source, where, "roi", str(exc)))
    return problems


def load_indexed_image(
    registry: Registry, image_id: str, roots: Sequence[Path] = ()
) -> LoadedImage:
    """Decode an indexed image from its file (inside a configured image root).

    Raises
    ------
    ValidationError
        The image is unknown, lies outside the roots, or its file no longer reads.
    """
    _require()
    from calciscope.interop.images import SidecarRow, load_image
    from calciscope.model import Modality
    from calciscope.storage.images import ImageRepository

    path = resolve_image_path(registry, image_id, roots)
    repository = ImageRepository(registry)
    stored = repository.file(image_id) or {}
    spacing = stored.get("pixel_spacing_mm")
    # the indexed modality decides the display: a photograph keeps its colour, a film is grey
    indexed = repository.image(image_id)
    modality = indexed.modality if indexed is not None else Modality.RADIOGRAPH
    row = SidecarRow("-", None, None, None, modality, spacing)
    image, problem = load_image(path, row)
    if image is None:
        raise ValidationError([problem] if problem else [], summary="cannot open the image")
    return image


def image_thumbnail(registry: Registry, image_id: str) -> bytes:
    """Return the stored PNG thumbnail of an image.

    Raises
    ------
    ValidationError
        When the image has no indexed file (and so no thumbnail).
    """
    from calciscope.storage.images import ImageRepository

    row = ImageRepository(registry).file(image_id)
    if row is None or not row.get("thumbnail_png"):
        raise ValidationError([Problem("registry", image_id, "image_id", "no thumbnail")])
    return bytes(row["thumbnail_png"])


def image_readings(registry: Registry, image_id: str) -> list[StoredReading]:
    """Return the readings of one image, oldest first, with their region rows."""
    from calciscope.storage.images import ImageRepository

    return ImageRepository(registry).readings_of(image_id)


@dataclass(frozen=True)
class AgreementReport:
    """Between-reader agreement over images read by two readers.

    ``results`` maps what was compared (presence, morphology, SCTC grade, area) to its
    coefficient; a comparison with too few paired ratings is left out and named in ``skipped``.
    """

    pairs: int
    readers: tuple[str, str] | None
    results: dict[str, AgreementResult]
    skipped: dict[str, str]


def reader_agreement(registry: Registry) -> AgreementReport:
    """Compute Cohen's kappa (presence, morphology), weighted kappa (SCTC grade), ICC(2,1) (area).

    The two readers with the most images in common are compared, region by region (image,
    body site, side); when a reader read an image twice, the latest reading counts.
    """
    from calciscope.storage.images import ImageRepository

    by_reader: dict[str, dict[tuple[str, str, str], StoredRegion]] = defaultdict(dict)
    for row in sorted(ImageRepository(registry).regions(), key=lambda r: r.reading_date):
        by_reader[row.reader][(row.image_id, row.body_site, row.laterality)] = row
    pair = _best_pair(by_reader)
    if pair is None:
        return AgreementReport(0, None, {}, {"all": "no image was read by two readers"})
    keys = sorted(set(by_reader[pair[0]]) & set(by_reader[pair[1]]))
    rows = [(by_reader[pair[0]][k], by_reader[pair[1]][k]) for k in keys]
    results: dict[str, AgreementResult] = {}
    skipped: dict[str, str] = {}
    for name, compute in _comparisons(rows).items():
        try:
            results[name] = compute()
        except ValueError as exc:
            skipped[name] = str(exc)
    return AgreementReport(len({k[0] for k in keys}), pair, results, skipped)


def _comparisons(
    rows: list[tuple[StoredRegion, StoredRegion]],
) -> dict[str, Callable[[], AgreementResult]]:
    from calciscope.imaging.reading import SctcGlobalGrade
    from calciscope.stats.agreement import cohen_kappa, intraclass_correlation, weighted_kappa

    morph = [(x.morphology, y.morphology) for x, y in rows if x.morphology and y.morphology]
    grades = {
        x.image_id: (x.sctc_global_grade, y.sctc_global_grade)
        for x, y in rows
        if x.sctc_global_grade and y.sctc_global_grade
    }
    areas = [
        (x.area_mm2, y.area_mm2)
        for x, y in rows
        if x.area_mm2 is not None and y.area_mm2 is not None
    ]
    return {
        "presence": lambda: cohen_kappa(
            [x.presence for x, _ in rows], [y.presence for _, y in rows]
        ),
        "morphology": lambda: cohen_kappa([x for x, _ in morph], [y for _, y in morph]),
        # ordered grades: a weighted kappa, as Chung et al. (2015) used for the simple score
        "sctc_global_grade": lambda: weighted_kappa(
            [x for x, _ in grades.values()],
            [y for _, y in grades.values()],
            [g.value for g in SctcGlobalGrade],
        ),
        "area_mm2": lambda: intraclass_correlation(areas),
    }


def _best_pair(
    by_reader: dict[str, dict[tuple[str, str, str], StoredRegion]],
) -> tuple[str, str] | None:
    readers = sorted(by_reader)
    best, pair = 0, None
    for i, one in enumerate(readers):
        for other in readers[i + 1 :]:
            common = len({k[0] for k in by_reader[one]} & {k[0] for k in by_reader[other]})
            if common > best:
                best, pair = common, (one, other)
    return pair


@dataclass(frozen=True)
class DemoFilms:
    """What :func:`add_demo_radiographs` drew and imported (all SYNTHETIC)."""

    folder: Path
    films: int
    #: suggested pattern -> films measured with it
    suggested: dict[str, int]
    suggested_facts: int


def add_demo_radiographs(registry: Registry, out: Path, seed: int) -> DemoFilms:
    """Draw SYNTHETIC phantom films for some demo patients, index them and import their readings.

    The readings are measurements by ``calciscope-measure``: their facts are suggestions that
    wait in the review queue.

    Raises
    ------
    MissingExtraError
        Without the imaging extra.
    """
    _require()
    from calciscope.datasets.radiographs import write_demo_radiographs

    films = write_demo_radiographs(out, seed=seed)
    import_images(registry, films.folder, mapping=films.mapping)
    done = import_readings(registry, films.readings, actor="calciscope demo")
    return DemoFilms(
        films.folder.resolve(), films.films, dict(films.suggested), done.suggested_facts
    )


def indexed_image(registry: Registry, image_id: str) -> Image | None:
    """Return an image's registry row, or None when there is no such image."""
    from calciscope.storage.images import ImageRepository

    return ImageRepository(registry).image(image_id)


def indexed_image_file(registry: Registry, image_id: str) -> dict[str, Any]:
    """Return what indexing stored about an image's file (hash, spacing, size), or {}."""
    from calciscope.storage.images import ImageRepository

    return ImageRepository(registry).file(image_id) or {}


def indexed_image_ids(registry: Registry, image_ids: Sequence[str]) -> set[str]:
    """Return which of the images have an indexed file (and so a thumbnail)."""
    from calciscope.storage.images import ImageRepository

    return set(ImageRepository(registry).indexed(list(image_ids)))


def image_viewer_pixels(image: LoadedImage) -> ViewerPixels:
    """Return a decoded image's grey levels as 16-bit pixels for the web viewer's window/level."""
    from calciscope.interop.images.viewer import viewer_pixels

    return viewer_pixels(image)


def measure_loaded_image(image: LoadedImage, roi: Roi, *, image_id: str) -> MeasurementResult:
    """Measure calcification inside ``roi`` of an image already decoded (the viewer's cache).

    Raises
    ------
    ValidationError
        The ROI lies outside the image.
    """
    from calciscope.imaging.measure import measure_calcification

    try:
        return measure_calcification(
            image.pixels, roi, pixel_spacing_mm=image.meta.pixel_spacing_mm
        )
    except ValueError as exc:
        raise ValidationError([Problem("request", image_id, "roi", str(exc))]) from None
