"""Write a SYNTHETIC phantom (``calciscope.imaging.phantom``) as a DICOM radiograph file.

The file says SYNTHETIC in its pixels (the phantom's label band, Burned In Annotation YES) and
its metadata (Patient's Name ``SYNTHETIC^PHANTOM``, Patient ID ``SYNTHETIC-<seed>``, Image
Comments with the pattern and the true area). Pixels are stored as 16-bit MONOCHROME2 with a
Rescale Slope, so the Modality LUT gives back the phantom's values.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from calciscope.imaging.phantom import Phantom

__all__ = ["write_phantom_dicom"]

_SLOPE = 0.00025


def write_phantom_dicom(phantom: Phantom, path: Path, *, study_date: dt.date | None = None) -> Path:
    """Write ``phantom`` to ``path`` (Explicit VR Little Endian, modality DX, body part HAND)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import (
        DigitalXRayImageStorageForPresentation,
        ExplicitVRLittleEndian,
        generate_uid,
    )

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DigitalXRayImageStorageForPresentation
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = (
        meta.MediaStorageSOPClassUID,
        meta.MediaStorageSOPInstanceUID,
    )
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID = "SYNTHETIC^PHANTOM", f"SYNTHETIC-{phantom.seed}"
    ds.Modality, ds.BodyPartExamined, ds.ImageLaterality = "DX", "HAND", "R"
    ds.StudyDate = (study_date or dt.date(2024, 1, 1)).strftime("%Y%m%d")
    ds.BurnedInAnnotation = "YES"
    ds.ImageComments = (
        f"SYNTHETIC phantom, not a patient: pattern {phantom.pattern.value}, "
        f"true calcified area {phantom.truth_area_mm2:.2f} mm2, ROI {phantom.roi}"
    )
    stored = np.clip(np.round(phantom.pixels / _SLOPE), 0, 65535).astype(np.uint16)
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = f"{_SLOPE:g}", "0", "US"
    spacing = f"{phantom.pixel_spacing_mm:g}"
    ds.PixelSpacing = ds.ImagerPixelSpacing = [spacing, spacing]
    ds.PixelData = stored.tobytes()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return Path(path)
