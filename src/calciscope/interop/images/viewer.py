"""Pixels for the web viewer: the measured grey levels as 16-bit integers, window/level intact.

The browser's viewer applies window and level to these values itself, so the full dynamic
range of a 12- or 16-bit radiograph reaches the screen (an 8-bit PNG would have fixed the
window on the server). Large films are reduced by whole-pixel block means to at most
``max_side`` pixels on the long side; ``scale`` says by how much, so a region drawn on the
screen maps back to the file's pixels.

A colour photograph (an RGB display image) is sent as its red, green and blue levels, three
16-bit values per pixel (``channels`` = 3), so the viewer shows it in colour; window and level
then act on each channel alike, as brightness and contrast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calciscope.interop.images.dicom import LoadedImage

__all__ = ["VIEWER_MAX_SIDE", "ViewerPixels", "viewer_pixels"]

#: Long side of the image sent to the viewer (a 2,048 px film is 8 MB as 16-bit).
VIEWER_MAX_SIDE = 2048


@dataclass(frozen=True)
class ViewerPixels:
    """Little-endian uint16 pixels (row-major) and how to turn them back into image values.

    ``value = low + stored * (high - low) / 65535``; ``window_center`` and ``window_width`` are
    the starting window in image values (the 0.5-99.5 percentile range). ``channels`` is 1
    (grey levels) or 3 (red, green, blue of each pixel in turn, a colour photograph).
    """

    data: bytes
    width: int
    height: int
    scale: int
    low: float
    high: float
    window_center: float
    window_width: float
    original_width: int
    original_height: int
    channels: int = 1


def _block_mean(pixels: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return pixels
    rows, cols = (pixels.shape[0] // factor) * factor, (pixels.shape[1] // factor) * factor
    cropped = pixels[:rows, :cols]
    shape = (rows // factor, factor, cols // factor, factor, *pixels.shape[2:])
    return cropped.reshape(shape).mean(axis=(1, 3))


def viewer_pixels(image: LoadedImage, max_side: int = VIEWER_MAX_SIDE) -> ViewerPixels:
    """Return the measured values (calcium bright), or a colour photograph's RGB, as 16 bits."""
    colour = image.display.ndim == 3
    pixels = np.asarray(image.display if colour else image.pixels, dtype=np.float32)
    factor = max(1, -(-max(pixels.shape[:2]) // max_side))
    reduced = _block_mean(pixels, factor)
    low, high = float(reduced.min()), float(reduced.max())
    span = high - low or 1.0
    stored = np.rint((reduced - low) * (65535.0 / span)).astype("<u2")
    sample = reduced[:: max(1, reduced.shape[0] // 512), :: max(1, reduced.shape[1] // 512)]
    p_low, p_high = (float(v) for v in np.percentile(sample, [0.5, 99.5]))
    if p_high <= p_low:
        p_low, p_high = low, high
    return ViewerPixels(
        data=stored.tobytes(),
        width=int(stored.shape[1]),
        height=int(stored.shape[0]),
        scale=factor,
        low=low,
        high=low + span,
        window_center=(p_low + p_high) / 2,
        window_width=max(p_high - p_low, span / 65535.0),
        original_width=int(pixels.shape[1]),
        original_height=int(pixels.shape[0]),
        channels=3 if colour else 1,
    )
