"""Index a folder of images: who, when, where, what; content hash; thumbnail. All or nothing.

Every ``*.dcm`` file (and every file without a suffix that starts with the DICOM preamble) is
read as DICOM; every PNG/JPEG needs a ``sidecar.csv`` row. A DICOM's PatientID reaches the
registry only through the mapping file (``dicom_patient_id,patient_id``), so a hospital
identifier is never stored. Each image gets ``image_id`` = ``IMG-`` + the first 16 hex digits
of the file's SHA-256, its path relative to the folder (the image root) and a PNG thumbnail of
at most 256 px kept in the registry (``image_files.thumbnail_png``).

Thumbnails are made in up to two worker processes (the decode dominates).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from calciscope.errors import Problem, ValidationError
from calciscope.interop.csvtext import ANY_COLUMN, StrictDictReader
from calciscope.interop.images.dicom import ImageMeta, LoadedImage, read_dicom
from calciscope.interop.images.photo import (
    PHOTO_SUFFIXES,
    SIDECAR_NAME,
    SidecarRow,
    read_photo,
    read_sidecar,
)
from calciscope.model import BodyRegion, Image, after_today
from calciscope.textfile import open_text

__all__ = [
    "BODY_PARTS",
    "THUMBNAIL_PX",
    "ImageIndex",
    "IndexedFile",
    "file_sha256",
    "index_folder",
    "load_image",
    "read_mapping",
    "thumbnail_png",
]

THUMBNAIL_PX = 256

#: DICOM Body Part Examined (PS3.16 CID 4031 terms) → calciscope body region
BODY_PARTS = {
    "HAND": BodyRegion.HAND,
    "FINGER": BodyRegion.FINGERS,
    "THUMB": BodyRegion.FINGERS,
    "WRIST": BodyRegion.WRIST,
    "FOREARM": BodyRegion.FOREARM,
    "ELBOW": BodyRegion.ELBOW,
    "ARM": BodyRegion.UPPER_ARM,
    "HUMERUS": BodyRegion.UPPER_ARM,
    "SHOULDER": BodyRegion.SHOULDER,
    "CHEST": BodyRegion.CHEST,
    "ABDOMEN": BodyRegion.ABDOMEN,
    "HIP": BodyRegion.BUTTOCK_HIP,
    "PELVIS": BodyRegion.BUTTOCK_HIP,
    "FEMUR": BodyRegion.THIGH,
    "THIGH": BodyRegion.THIGH,
    "KNEE": BodyRegion.KNEE,
    "LEG": BodyRegion.LOWER_LEG,
    "ANKLE": BodyRegion.ANKLE_FOOT,
    "FOOT": BodyRegion.ANKLE_FOOT,
    "NECK": BodyRegion.NECK,
    "FACE": BodyRegion.FACE,
}


@dataclass(frozen=True)
class IndexedFile:
    """One image file as the index keeps it (no pixels)."""

    relative_path: str
    sha256: str
    meta: ImageMeta
    thumbnail: bytes = field(repr=False)

    @property
    def image_id(self) -> str:
        """``IMG-`` and the first 16 hex digits of the content hash."""
        return f"IMG-{self.sha256[:16]}"


@dataclass
class ImageIndex:
    """The records an image import writes, or the problems that stop it."""

    root: Path
    images: list[Image] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def thumbnail_png(display: np.ndarray, size: int = THUMBNAIL_PX) -> bytes:
    """Return a PNG of at most ``size`` px on the long side (Pillow, Lanczos)."""
    from PIL import Image as PilImage

    picture = PilImage.fromarray(display)
    # draft reduction first (a box filter to 2x the target) keeps Lanczos cheap on big films
    factor = max(1, min(picture.size) // (2 * size))
    if factor > 1:
        picture = picture.reduce(factor)
    picture.thumbnail((size, size), PilImage.Resampling.LANCZOS)
    out = io.BytesIO()
    # zlib level 1: a quarter of the default level's time for a few per cent more bytes
    picture.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def load_image(
    path: Path, sidecar: SidecarRow | None, *, preview: int | None = None
) -> tuple[LoadedImage | None, Problem | None]:
    """Read a DICOM, or a PNG/JPEG with its sidecar row (``preview``: see :func:`read_dicom`)."""
    if path.suffix.lower() in PHOTO_SUFFIXES:
        if sidecar is None:
            return None, Problem(str(path), "file", "sidecar", f"no row in {SIDECAR_NAME}")
        return read_photo(path, sidecar)
    return read_dicom(path, preview=preview)


def _index_one(args: tuple[Path, str, SidecarRow | None]) -> IndexedFile | Problem:
    path, relative, sidecar = args
    if path.suffix.lower() in PHOTO_SUFFIXES:
        image, problem = load_image(path, sidecar, preview=THUMBNAIL_PX)
        digest = file_sha256(path) if image is not None else ""
    else:  # a DICOM is read once: its bytes are hashed and parsed
        try:
            data = path.read_bytes()
        except OSError as exc:
            return Problem(str(path), "file", "-", f"cannot read the file: {exc}")
        digest = hashlib.sha256(data).hexdigest()
        image, problem = read_dicom(path, preview=THUMBNAIL_PX, data=data)
    if image is None:
        return problem  # type: ignore[return-value]
    return IndexedFile(relative, digest, image.meta, thumbnail_png(image.display))


#: How a data set written without the preamble starts: its first tag's group, little endian
#: (0002 the file meta information, 0008 the identifying elements; PS3.5 §7.1, PS3.10 §7.1).
_BARE_START = (b"\x02\x00", b"\x08\x00")


def _is_dicom(path: Path) -> bool:
    """Whether a file is taken as DICOM: ``.dcm`` / ``.dicom``, or no suffix and DICOM inside.

    A file without a suffix (``IM0001``, as on CDs) is DICOM with ``DICM`` at byte 128, or,
    written without the preamble, when it starts with a group 0002 or 0008 tag and pydicom
    finds a SOP Class UID in it (read up to that element only, never the pixels): any other
    file costs one read of 132 bytes.
    """
    if path.suffix.lower() in (".dcm", ".dicom"):
        return True
    if path.suffix:
        return False
    with path.open("rb") as handle:
        head = handle.read(132)
    if head[128:132] == b"DICM":
        return True
    return head[:2] in _BARE_START and _has_sop_class(path)


def _has_sop_class(path: Path) -> bool:
    try:
        import pydicom
    except ImportError:  # the imaging extra is missing: the file cannot be read anyway
        return False
    try:
        ds = pydicom.dcmread(
            path, force=True, stop_before_pixels=True, specific_tags=["SOPClassUID"]
        )
    except Exception:  # a forced read of a non-DICOM file fails in many ways
        return False
    meta = getattr(ds, "file_meta", None)
    return bool(ds.get("SOPClassUID") or (meta and meta.get("MediaStorageSOPClassUID")))


def _candidates(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.name.upper() == "DICOMDIR":
            continue  # the media directory of a DICOM CD (PS3.10 §8.6): an index, not an image
        if path.is_file() and (path.suffix.lower() in PHOTO_SUFFIXES or _is_dicom(path)):
            found.append(path)
    return found


def read_mapping(path: Path | None) -> tuple[dict[str, str], list[Problem]]:
    """Read ``dicom_patient_id,patient_id`` rows (the DICOM PatientID → pseudonymous id)."""
    if path is None:
        return {}, []
    try:
        with open_text(path) as handle:
            reader = StrictDictReader(handle, str(path), single_line=ANY_COLUMN)
            if not {"dicom_patient_id", "patient_id"} <= set(reader.fieldnames or []):
                return {}, [
                    Problem(str(path), "header", "dicom_patient_id,patient_id", "missing column(s)")
                ]
            return {
                r["dicom_patient_id"].strip(): r["patient_id"].strip()
                for r in reader
                if r.get("dicom_patient_id")
            }, []
    except ValidationError as exc:  # not UTF-8, a quote left open, stray quotes, a column twice
        return {}, list(exc.problems)
    except OSError as exc:
        return {}, [Problem(str(path), "file", "-", f"cannot read the mapping file: {exc}")]


def _scan(
    folder: Path, workers: int, progress: Callable[[int], None] | None
) -> tuple[ImageIndex, list[IndexedFile]]:
    index = ImageIndex(folder)
    sidecar, index.problems = read_sidecar(folder)
    relative = [(p, p.relative_to(folder).as_posix()) for p in _candidates(folder)]
    jobs = [(p, rel, sidecar.get(rel)) for p, rel in relative]
    results: Iterable[IndexedFile | Problem]
    if workers > 1 and len(jobs) > 4:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_index_one, jobs, chunksize=2))
    else:
        results = map(_index_one, jobs)
    done: list[IndexedFile] = []
    for number, result in enumerate(results, start=1):
        if isinstance(result, Problem):
            index.problems.append(result)
        else:
            done.append(result)
        if progress is not None:
            progress(number)
    if not jobs:
        index.problems.append(Problem(str(folder), "folder", "-", "no DICOM, PNG or JPEG files"))
    return index, done


class _Resolver:
    """Turns an indexed file into registry rows: patient, region, side, and no duplicates."""

    def __init__(self, mapping: dict[str, str], known: Callable[[Iterable[str]], set[str]]):
        self.mapping = mapping
        self.known = known
        self.seen: dict[str, str] = {}

    def patient(self, item: IndexedFile, sidecar: dict[str, SidecarRow]) -> str | Problem:
        where = item.relative_path
        if item.meta.file_format != "dicom":
            return sidecar[item.relative_path].patient_id
        ref = item.meta.patient_ref
        if ref is None:
            return Problem(where, "file", "PatientID", "no PatientID to map to a patient")
        if ref not in self.mapping:
            return Problem(where, "file", "PatientID", "PatientID has no row in the mapping file")
        return self.mapping[ref]

    def duplicate(self, item: IndexedFile) -> Problem | None:
        first = self.seen.setdefault(item.sha256, item.relative_path)
        if first != item.relative_path:
            return Problem(item.relative_path, "file", "sha256", f"same content as {first}")
        return None


def _region(meta: ImageMeta, sidecar: SidecarRow | None) -> BodyRegion | None:
    if sidecar is not None:
        return sidecar.body_site
    return BODY_PARTS.get((meta.body_part or "").upper())


def index_folder(
    folder: Path,
    *,
    mapping: dict[str, str],
    known_patients: Callable[[Iterable[str]], set[str]],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImageIndex:
    """Read every image under ``folder`` and return the rows to write, or every problem.

    Parameters
    ----------
    folder
        The image root; file references are kept relative to it.
    mapping
        DICOM PatientID → registry patient id.
    known_patients
        Returns which of the given patient ids are in the registry.
    workers
        Processes for decoding and thumbnails (default: up to 2).
    progress
        Called with the number of files read so far.
    """
    folder = Path(folder).resolve()
    workers = workers or min(2, os.cpu_count() or 1)
    index, done = _scan(folder, workers, progress)
    sidecar, _ = read_sidecar(folder)
    resolver = _Resolver(mapping, known_patients)
    rows: list[tuple[IndexedFile, str]] = []
    for item in done:
        patient = resolver.patient(item, sidecar)
        problem = patient if isinstance(patient, Problem) else resolver.duplicate(item)
        date = item.meta.image_date
        future = after_today(date, "a typing error?") if date is not None else None
        if problem is None and future:
            # the rule every importer applies to a fact's date (docs/interop.md, Dates)
            problem = Problem(item.relative_path, "file", "image_date", future)
        if problem is not None:
            index.problems.append(problem)
        else:
            rows.append((item, patient))  # type: ignore[arg-type]
    known = known_patients({p for _, p in rows})
    for item, patient in rows:
        if patient not in known:
            index.problems.append(
                Problem(
                    item.relative_path, "file", "patient_id", f"{patient} is not in the registry"
                )
            )
    index.images, index.files = _records(rows, sidecar, folder)
    return index


def _records(
    rows: list[tuple[IndexedFile, str]], sidecar: dict[str, SidecarRow], root: Path
) -> tuple[list[Image], list[dict[str, Any]]]:
    images, files = [], []
    for item, patient in rows:
        meta = item.meta
        side = sidecar.get(item.relative_path)
        images.append(
            Image(
                image_id=item.image_id,
                patient_id=patient,
                modality=meta.modality,
                body_site=_region(meta, side),
                laterality=meta.laterality or (side.laterality if side else None),
                image_date=meta.image_date,
                file_ref=item.relative_path,
            )
        )
        files.append(
            {
                "image_id": item.image_id,
                "root": str(root),
                "sha256": item.sha256,
                "file_format": meta.file_format,
                "rows": meta.rows,
                "columns": meta.columns,
                "pixel_spacing_mm": meta.pixel_spacing_mm,
                "spacing_source": meta.spacing_source,
                "photometric": meta.photometric,
                "transfer_syntax": meta.transfer_syntax,
                "body_part": meta.body_part,
                "notes": "; ".join(meta.notes) or None,
                "thumbnail_png": item.thumbnail,
            }
        )
    return images, files
