"""The measured deposits of a region row, kept as a small two-colour PNG for the overlay.

A measurement's deposit mask is as large as its ROI (5 million pixels for a 2,500 × 2,000
ROI). A reading keeps it reduced to at most :data:`MASK_MAX_SIDE` pixels on the long side, by
whole blocks, a block marked when any of its pixels is a deposit (so a thin strand stays
visible), as a PNG with two palette colours: transparent background and red deposits. It is a
few kilobytes, travels as base64 in ``readings.csv`` and the reading form, and the report lays
it over the thumbnail as it is.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import struct

import numpy as np

__all__ = [
    "MASK_MAX_SIDE",
    "decode_mask_text",
    "deposit_mask_png",
    "mask_text",
    "png_size",
]

#: Longest side of a stored deposit mask, in pixels (the report's thumbnail is 256 px).
MASK_MAX_SIDE = 512
#: Red of the deposits, as in the measurement's overlay PNG.
_RED = (255, 40, 40)
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def deposit_mask_png(mask: np.ndarray, max_side: int = MASK_MAX_SIDE) -> bytes:
    """Return the mask as a two-colour PNG (transparent, red), reduced to ``max_side`` at most.

    The reduction factor is the smallest whole number that brings the long side to
    ``max_side``; a block is red when any pixel of it is a deposit.
    """
    from PIL import Image

    mask = np.asarray(mask, dtype=bool)
    factor = max(1, math.ceil(max(mask.shape) / max_side))
    if factor > 1:
        rows, cols = (-(-n // factor) * factor for n in mask.shape)
        padded = np.zeros((rows, cols), dtype=bool)
        padded[: mask.shape[0], : mask.shape[1]] = mask
        blocks = padded.reshape(rows // factor, factor, cols // factor, factor)
        mask = np.asarray(blocks.any(axis=(1, 3)))
    picture = Image.fromarray(mask.astype(np.uint8), mode="P")
    picture.putpalette([0, 0, 0, *_RED])
    out = io.BytesIO()
    picture.save(out, format="PNG", bits=1, transparency=0, optimize=True)
    return out.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) of a PNG from its header; raise ValueError when it is not one."""
    if len(data) < 24 or not data.startswith(_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def mask_text(png: bytes) -> str:
    """Return a stored deposit mask as text (base64), for a CSV cell or a form field."""
    return base64.b64encode(png).decode("ascii")


def decode_mask_text(text: str, roi_size: tuple[int, int]) -> bytes:
    """Return the PNG bytes of a deposit mask given as base64 text, checked against its ROI.

    Raises
    ------
    ValueError
        The text is not base64 of a PNG, or the PNG is not the ROI's size reduced by a whole
        factor to at most :data:`MASK_MAX_SIDE` pixels.
    """
    try:
        data = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64 text") from None
    width, height = png_size(data)
    cols, rows = roi_size
    factor = max(1, math.ceil(max(cols, rows) / MASK_MAX_SIDE))
    expected = (-(-cols // factor), -(-rows // factor))
    if (width, height) != expected:
        raise ValueError(
            f"the mask is {width} x {height} px; the {cols} x {rows} ROI gives {expected[0]} x "
            f"{expected[1]} (reduced by {factor})"
        )
    return data
