"""Verbs for images: index a folder, measure an ROI, import readings, reader agreement."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from calciscope.errors import Problem, ValidationError
from calciscope.imaging.measure import MeasurementResult, MeasureSettings, Roi
from calciscope.stats.agreement import AgreementResult
from calciscope.storage import ImportSummary, Registry
from calciscope.storage.images import StoredRegion

__all__ = [
    "IMAGE_ROOTS_ENV",
    "AgreementReport",
    "ReadingImport",
    "image_roots",
    "import_images",
    "import_readings",
    "measure_image",
    "reader_agreement",
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
    return ImportSummary(batch_id=writer.batch_id, source=str(index.root), counts=writer.counts)


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
    from calciscope.interop.images import SidecarRow, load_image
    from calciscope.interop.images.overlay import write_overlay
    from calciscope.model import Modality

    row = SidecarRow("-", None, None, None, Modality.RADIOGRAPH, pixel_spacing_mm)
    image, problem = load_image(Path(path), row)
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


@dataclass(frozen=True)
class ReadingImport:
    """What a readings import wrote."""

    readings: int
    regions: int
    confirmed_facts: int
    suggested_facts: int


def import_readings(registry: Registry, path: Path) -> ReadingImport:
    """Import readings done elsewhere; they become image-derived calcinosis facts.

    A reader with the clinician role confirms; every other reader's facts wait as suggestions.

    Raises
    ------
    ValidationError
        Every bad row or field, and every reading of an image not in the registry.
    """
    from calciscope.imaging.reading import reading_facts
    from calciscope.interop.images.readings import read_readings
    from calciscope.model import ReviewState
    from calciscope.storage.images import ImageRepository

    readings, problems = read_readings(Path(path))
    repo = ImageRepository(registry)
    images = repo.images([r.image_id for r in readings])
    problems += [
        Problem(str(path), r.image_id, "image_id", "no such image in the registry")
        for r in readings
        if r.image_id not in images
    ]
    if problems:
        raise ValidationError(problems, summary="readings import failed")
    facts = [f for r in readings for f in reading_facts(r, images[r.image_id])]
    repo.write_readings(readings, facts)
    confirmed = sum(f.review_state is ReviewState.CONFIRMED for f in facts)
    return ReadingImport(
        len(readings), sum(len(r.regions) for r in readings), confirmed, len(facts) - confirmed
    )


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
    """Compute Cohen's kappa (presence, morphology, SCTC grade) and ICC(2,1) (area).

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
    from calciscope.stats.agreement import cohen_kappa, intraclass_correlation

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
        "sctc_global_grade": lambda: cohen_kappa(
            [x for x, _ in grades.values()], [y for _, y in grades.values()]
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
