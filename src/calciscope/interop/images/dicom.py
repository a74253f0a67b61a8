"""Read a DICOM radiograph: pixels for measuring, a display image, and the index metadata.

pydicom decodes the pixel data, with the pylibjpeg plugins for JPEG (lossless and baseline),
JPEG-LS and JPEG 2000. The measuring image applies the Modality LUT (rescale slope and
intercept, or a Modality LUT Sequence) and is turned so that calcium is bright (MONOCHROME1
inverted). The display image applies the VOI LUT (VOI LUT Sequence, or Window Center/Width;
the 0.5–99.5 percentile range when there is none). Pixel spacing comes from Pixel Spacing, else
Imager Pixel Spacing; zero or missing spacing means measurements in pixels, and the metadata
says so.

Every failure is a :class:`~calciscope.errors.Problem` naming the file and the reason (not a
DICOM file, no pixel data, a transfer syntax with no decoder installed, a decoder error, a
colour image, a dose grid or segmentation); nothing else is raised.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from calciscope.errors import MissingExtraError, Problem
from calciscope.model import Laterality, Modality

__all__ = ["ImageMeta", "LoadedImage", "read_dicom", "require_imaging"]

#: DICOM Modality (0008,0060) → calciscope modality. Any other modality (OT and NM secondary
#: captures, a scanned film, none given) is indexed as a radiograph, and the image's notes say so.
_MODALITIES = {
    "CR": Modality.RADIOGRAPH,
    "DX": Modality.RADIOGRAPH,
    "RG": Modality.RADIOGRAPH,
    "MG": Modality.RADIOGRAPH,
    "CT": Modality.CT,
    "MR": Modality.MRI,
    "US": Modality.ULTRASOUND,
    "XC": Modality.PHOTOGRAPH,
}
#: Modalities (PS3.3 C.7.3.1.1.1 defined terms) whose pixel data is no picture of the patient:
#: refused, since measuring one as a radiograph would give numbers about nothing.
_NOT_PICTURES = {
    "RTDOSE": "a radiotherapy dose grid",
    "SEG": "a segmentation (labels drawn over another image)",
}
_LATERALITY = {"R": Laterality.RIGHT, "L": Laterality.LEFT, "B": Laterality.BILATERAL}


def require_imaging() -> None:
    """Raise :class:`MissingExtraError` with the install hint when the imaging extra is absent."""
    for module, package in (("pydicom", "pydicom"), ("skimage", "scikit-image")):
        try:
            __import__(module)
        except ModuleNotFoundError:
            raise MissingExtraError(package, "imaging") from None


@dataclass(frozen=True)
class ImageMeta:
    """What the index keeps about one image file (all optional except the format)."""

    file_format: str
    modality: Modality
    patient_ref: str | None = None
    image_date: dt.date | None = None
    body_part: str | None = None
    laterality: Laterality | None = None
    pixel_spacing_mm: float | None = None
    spacing_source: str = "none"
    rows: int = 0
    columns: int = 0
    photometric: str | None = None
    transfer_syntax: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image: ``pixels`` for measuring (float32, calcium bright), ``display`` (uint8)."""

    path: Path
    meta: ImageMeta
    pixels: np.ndarray = field(repr=False)
    display: np.ndarray = field(repr=False)


#: DICOM DA (PS3.5 Table 6.2-1): YYYYMMDD, and YYYY.MM.DD, which PS3.5 asks readers to take
#: from systems older than DICOM 3.0
_DA = re.compile(r"(\d{4})\.?(\d{2})\.?(\d{2})")


def _date(value: Any, keyword: str = "", notes: list[str] | None = None) -> dt.date | None:
    """Return a DICOM date, or None; a value that is no date is said in ``notes``, not dropped.

    ``20200230`` or ``2020/01/31`` gave no date without a word (the next date attribute,
    AcquisitionDate or ContentDate, stood in for it unsaid); ``20200131xyz`` was read.
    """
    text = str(value or "").strip()
    if not text:
        return None
    match = _DA.fullmatch(text)
    try:
        if match is not None:
            return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    if notes is not None:
        notes.append(f"{keyword} {text!r} is not a date (YYYYMMDD): not used")
    return None


def _spacing(ds: Any) -> tuple[float | None, str, tuple[str, ...]]:
    notes: list[str] = []
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(keyword)
        if not value:
            continue
        try:
            row, col = (float(v) for v in value)
        except (TypeError, ValueError):
            notes.append(f"{keyword} {value!r} is not two numbers")
            continue
        if row <= 0 or col <= 0:
            notes.append(f"{keyword} {row:g}/{col:g} is not a size")
            continue
        if abs(row - col) > 0.01 * max(row, col):
            notes.append(f"{keyword} {row:g}/{col:g} is not square; areas use the mean")
        return (row + col) / 2, keyword, tuple(notes)
    notes.append("no usable pixel spacing: measurements in pixels")
    return None, "none", tuple(notes)


def _modality(ds: Any, notes: list[str]) -> Modality:
    given = str(ds.get("Modality") or "").strip().upper()
    modality = _MODALITIES.get(given)
    if modality is None:
        said = f"Modality {given!r} is not" if given else "no Modality, so not"
        notes.append(
            f"{said} a known one (CR, DX, RG, MG, CT, MR, US, XC): indexed as a radiograph"
        )
    return modality or Modality.RADIOGRAPH


def _meta(ds: Any) -> ImageMeta:
    spacing, source, spacing_notes = _spacing(ds)
    notes = list(spacing_notes)
    modality = _modality(ds, notes)
    side = str(ds.get("ImageLaterality") or ds.get("Laterality") or "").strip().upper()
    # the first of these that is a date; one that is not is named in the notes
    date = None
    for keyword in ("StudyDate", "AcquisitionDate", "ContentDate"):
        date = _date(ds.get(keyword), keyword, notes)
        if date is not None:
            break
    frames = _frames(ds)
    if frames > 1:
        notes.append(f"{frames} frames: the first is indexed and measured")
    return ImageMeta(
        file_format="dicom",
        modality=modality,
        patient_ref=str(ds.get("PatientID") or "").strip() or None,
        image_date=date,
        body_part=str(ds.get("BodyPartExamined") or "").strip() or None,
        laterality=_LATERALITY.get(side),
        pixel_spacing_mm=spacing,
        spacing_source=source,
        rows=int(ds.get("Rows", 0)),
        columns=int(ds.get("Columns", 0)),
        photometric=str(ds.get("PhotometricInterpretation", "")) or None,
        transfer_syntax=str(ds.file_meta.get("TransferSyntaxUID", "")) or None,
        notes=tuple(notes),
    )


def _frames(ds: Any) -> int:
    try:
        return int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        return 1


def _linear_window(values: np.ndarray, ds: Any) -> np.ndarray | None:
    """Apply the first Window Center/Width (LINEAR VOI LUT function) on a 0–1 scale, or None.

    DICOM PS3.3 C.11.2.1.2.1: below c − 0.5 − (w − 1)/2 the lowest output, above
    c − 0.5 + (w − 1)/2 the highest, linear between. The display is rescaled to its own range
    afterwards, so the output range (pydicom's: the stored bits) does not matter; in float32
    on the pixels at hand, several times cheaper than pydicom's float64 ``apply_voi_lut``.
    None (pydicom decides) for a VOI LUT Sequence, another function or an odd value.
    """
    if "VOILUTSequence" in ds or str(ds.get("VOILUTFunction") or "LINEAR").upper() != "LINEAR":
        return None
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    try:
        first = [float(v[0] if hasattr(v, "__len__") and not isinstance(v, str) else v)
                 for v in (center, width)]  # fmt: skip
    except (TypeError, ValueError, IndexError):
        return None
    c, w = first
    if w < 1:
        return None
    scale = np.float32(1.0 / max(w - 1.0, 1e-6))
    windowed = (values - np.float32(c - 0.5)) * scale + np.float32(0.5)
    return np.clip(windowed, 0.0, 1.0, out=windowed)


def _display(modality_values: np.ndarray, ds: Any, monochrome1: bool) -> np.ndarray:
    from pydicom.pixels import apply_voi_lut

    shown, low, high = modality_values, 0.0, 0.0
    if "VOILUTSequence" in ds or "WindowCenter" in ds:
        windowed = _linear_window(modality_values, ds)
        if windowed is None:
            windowed = np.asarray(apply_voi_lut(modality_values, ds), dtype=np.float32)
        low, high = (float(v) for v in np.percentile(windowed[::4, ::4], (0.5, 99.5)))
        if high > low:  # a window that misses the pixel range leaves one grey: not used
            shown, low, high = windowed, float(windowed.min()), float(windowed.max())
    if shown is modality_values:
        low, high = (float(v) for v in np.percentile(shown[::4, ::4], (0.5, 99.5)))
    scaled = np.clip((shown - low) / max(high - low, 1e-6), 0.0, 1.0)
    if monochrome1:
        scaled = 1.0 - scaled
    return (scaled * 255.0 + 0.5).astype(np.uint8)


_J2K_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"})


def _j2k_header(codestream: bytes) -> tuple[int, int] | None:
    """Decomposition levels and sample precision (bits) of a JPEG 2000 codestream, or None.

    The main header is a run of marker segments (marker, 2-byte length) from SIZ up to the first
    tile part (SOT, 0xFF90). ISO/IEC 15444-1 Annex A.5.1 puts the first component's precision
    minus one in the low 7 bits of SIZ's Ssiz (byte 42 of the stream), A.6.1 the level count in
    COD's SPcod.
    """
    if len(codestream) < 43 or codestream[2:4] != b"\xff\x51":
        return None
    precision = (codestream[42] & 0x7F) + 1
    at = 2  # after SOC
    while at + 4 <= len(codestream):
        marker, length = codestream[at : at + 2], int.from_bytes(codestream[at + 2 : at + 4])
        if marker == b"\xff\x90" or length < 2:
            return None
        if marker == b"\xff\x52" and at + 9 < len(codestream):
            return codestream[at + 9], precision
        at += 2 + length
    return None


def _j2k_preview(ds: Any, target: int) -> np.ndarray | None:
    """Decode a JPEG 2000 frame at reduced resolution (Pillow/OpenJPEG), or None if it cannot.

    JPEG 2000 keeps its resolution levels apart, so a thumbnail needs only the coarse levels:
    8-60 times less work than a full decode on the shared radiographs. The reduction is the
    largest the codestream's levels allow that keeps ``target`` px on the long side (then smaller
    ones, which Pillow reads where it refuses the largest); bytes after the end-of-codestream
    marker (DICOM's even-length padding) are dropped, as Pillow refuses some streams with them.
    """
    import io

    from PIL import Image as PilImage
    from pydicom.encaps import generate_frames

    if str(ds.file_meta.get("TransferSyntaxUID")) not in _J2K_SYNTAXES:
        return None
    if int(ds.get("NumberOfFrames", 1) or 1) != 1 or int(ds.get("PixelRepresentation", 0)):
        return None
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    end = frame.rfind(b"\xff\xd9")
    if end >= len(frame) - 4:
        frame = frame[: end + 2]
    longest = max(int(ds.get("Rows", 0)), int(ds.get("Columns", 0)), 1)
    header = _j2k_header(frame)
    if header is None:
        return None
    levels, precision = header
    for reduce in range(min(levels, max(0, int(np.log2(longest / target)))), 0, -1):
        try:
            with PilImage.open(io.BytesIO(frame)) as picture:
                picture.reduce = reduce  # type: ignore[method-assign,assignment]
                picture.load()
                array = np.asarray(picture)
        except (OSError, ValueError):
            continue  # OpenJPEG in Pillow refuses some reductions of some streams: try less
        # Pillow scales samples up to fill 8 or 16 bits (x << (bits - precision)): undo it
        shift = 8 * array.dtype.itemsize - precision
        return array >> shift if 0 < shift < 16 else array
    return None  # Pillow cannot read this codestream: pydicom decodes it in full


#: decoders preferred where installed: CharLS (pyjpegls) reads JPEG-LS about three times faster
#: than libjpeg (pylibjpeg), which pydicom would try first
_PREFERRED_PLUGINS = ("pyjpegls",)


def _full_decode(ds: Any, decoder: Any) -> np.ndarray:
    from pydicom.pixels import pixel_array

    plugins = decoder.available_plugins if decoder is not None else ()
    plugin = next((p for p in _PREFERRED_PLUGINS if p in plugins), "")
    return pixel_array(ds, decoding_plugin=plugin) if plugin else ds.pixel_array


def _decode(
    ds: Any, path: Path, preview: int | None = None
) -> tuple[np.ndarray | None, Problem | None]:
    from pydicom.pixels import get_decoder

    name = str(path)
    if "PixelData" not in ds:
        # pydicom reads a file cut short in its encapsulated pixel data as an empty data set
        why = (
            "no pixel data, though the file describes an image or holds no data set after "
            "its header: the file may be cut short"
            if "Rows" in ds or len(ds) == 0
            else "no pixel data (not an image object)"
        )
        return None, Problem(name, "file", "PixelData", why)
    given = str(ds.get("Modality") or "").strip().upper()
    if given in _NOT_PICTURES:
        kind = getattr(ds.get("SOPClassUID"), "name", "")
        what = f"Modality {given}{f' ({kind})' if kind else ''}"
        return None, Problem(
            name, "file", "Modality", f"{what} is {_NOT_PICTURES[given]}, not an image to measure"
        )
    syntax = ds.file_meta.get("TransferSyntaxUID")
    try:
        decoder = get_decoder(syntax) if syntax is not None else None
    except NotImplementedError:
        decoder = None
    if syntax is not None and (decoder is None or not decoder.is_available):
        return None, Problem(
            name,
            "file",
            "TransferSyntaxUID",
            f"unsupported transfer syntax {syntax.name} ({syntax})",
        )
    if int(ds.get("SamplesPerPixel", 1)) != 1:
        return None, Problem(name, "file", "SamplesPerPixel", "colour DICOM is not a radiograph")
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    if photometric and photometric not in ("MONOCHROME1", "MONOCHROME2"):
        # PALETTE COLOR holds indices into a colour table, not intensities (PS3.3 C.7.6.3.1.2)
        return None, Problem(
            name,
            "file",
            "PhotometricInterpretation",
            f"{photometric} is a colour image, not a radiograph (MONOCHROME1 or MONOCHROME2)",
        )
    try:
        reduced = _j2k_preview(ds, preview) if preview else None
        array = reduced if reduced is not None else _full_decode(ds, decoder)
    except Exception as exc:  # pydicom and the plugins raise many kinds; each becomes a Problem
        return None, Problem(name, "file", "PixelData", f"cannot decode pixel data: {exc}")
    if array.ndim == 3:
        array = array[0]  # multi-frame: the first frame is the one indexed and measured
    return array, None


def read_dicom(
    path: Path, *, preview: int | None = None, data: bytes | None = None
) -> tuple[LoadedImage | None, Problem | None]:
    """Read one DICOM file; warnings from pydicom and the decoders become notes of the image.

    Parameters
    ----------
    path
        The file.
    preview
        When given, a JPEG 2000 image may be decoded at a reduced resolution still at least
        this many pixels on its long side (for thumbnails); ``meta`` keeps the full size.
    data
        The file's bytes when the caller has read them already (the index hashes them): the
        file is then not read again.

    Returns
    -------
    tuple
        ``(image, None)`` when it reads, else ``(None, problem)`` naming the file and reason.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image, problem = _read_dicom(path, preview, data)
    said = tuple(dict.fromkeys(f"reader warning: {w.message}" for w in caught))
    if image is not None and said:
        meta = ImageMeta(**{**image.meta.__dict__, "notes": image.meta.notes + said})
        image = LoadedImage(image.path, meta, image.pixels, image.display)
    return image, problem


def _without_preamble(path: Path, data: bytes | None) -> Any | None:
    """Return a DICOM data set written without the 128-byte preamble and ``DICM``, or None.

    Older systems write the data set alone (PS3.10 §7.1 asks for the preamble, PS3.5 data sets
    are readable without it). It is taken only when it is an image: rows and pixel data;
    anything else read with ``force`` would be noise.
    """
    import io

    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    try:
        ds = pydicom.dcmread(path if data is None else io.BytesIO(data), force=True)
    except Exception:  # a forced read of a non-DICOM file fails in many ways
        return None
    if "PixelData" not in ds or "Rows" not in ds:
        return None
    meta = ds.file_meta
    if "TransferSyntaxUID" not in meta:
        implicit = bool(getattr(ds, "original_encoding", (True, True))[0])
        meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    return ds


def _read_dicom(
    path: Path, preview: int | None, data: bytes | None
) -> tuple[LoadedImage | None, Problem | None]:
    import io

    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import apply_modality_lut

    ds: Any
    try:
        ds = pydicom.dcmread(path if data is None else io.BytesIO(data))
    except InvalidDicomError:
        ds = _without_preamble(path, data)
        if ds is None:
            message = (
                "not a DICOM file: no 'DICM' prefix at byte 128, and not a DICOM data set "
                "with pixel data either"
            )
            return None, Problem(str(path), "file", "-", message)
    except (OSError, ValueError, EOFError) as exc:
        return None, Problem(str(path), "file", "-", f"not a readable DICOM file: {exc}")
    array, problem = _decode(ds, path, preview)
    if array is None:
        return None, problem
    if preview and min(array.shape) > 2 * preview:
        # a thumbnail needs no more than twice its size: the LUTs run on a strided copy
        stride = min(array.shape) // (2 * preview)
        array = array[::stride, ::stride]
    values = np.asarray(apply_modality_lut(array, ds), dtype=np.float32)
    monochrome1 = str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1"
    display = _display(values, ds, monochrome1)
    pixels = (float(values.max()) - values) if monochrome1 else values
    meta = _meta(ds)
    if array.shape != (meta.rows, meta.columns) and not preview:
        meta = ImageMeta(**{**meta.__dict__, "rows": array.shape[0], "columns": array.shape[1]})
    return LoadedImage(path, meta, pixels, display), None
