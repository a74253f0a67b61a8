"""Image files: DICOM radiographs (pydicom + pylibjpeg) and PNG/JPEG photographs with a sidecar.

Needs the ``imaging`` extra (``pip install 'calciscope[imaging]'``); the modules import pydicom
and Pillow only when a file is read.
"""

from calciscope.interop.images.dicom import ImageMeta, LoadedImage, read_dicom, require_imaging
from calciscope.interop.images.index import (
    THUMBNAIL_PX,
    ImageIndex,
    IndexedFile,
    file_sha256,
    index_folder,
    load_image,
    read_mapping,
    thumbnail_png,
)
from calciscope.interop.images.phantom_dicom import write_phantom_dicom
from calciscope.interop.images.photo import SIDECAR_NAME, SidecarRow, read_photo, read_sidecar

__all__ = [
    "SIDECAR_NAME",
    "THUMBNAIL_PX",
    "ImageIndex",
    "ImageMeta",
    "IndexedFile",
    "LoadedImage",
    "SidecarRow",
    "file_sha256",
    "index_folder",
    "load_image",
    "read_dicom",
    "read_mapping",
    "read_photo",
    "read_sidecar",
    "require_imaging",
    "thumbnail_png",
    "write_phantom_dicom",
]
