"""Draw a measurement overlay: the ROI, the deposits in red, and the word SUGGESTION."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from calciscope.imaging.measure import MeasurementResult

__all__ = ["write_overlay"]


def write_overlay(display: np.ndarray, result: MeasurementResult, path: Path) -> Path:
    """Write a PNG of the ROI (display grey levels) with the measured deposits tinted red.

    Parameters
    ----------
    display
        The display image (uint8, grey or RGB) the ROI refers to.
    result
        The measurement.
    path
        Where to write the PNG.
    """
    from PIL import Image, ImageDraw

    roi = result.roi
    crop = display[roi.y0 : roi.y1, roi.x0 : roi.x1]
    rgb = np.repeat(crop[..., None], 3, axis=2) if crop.ndim == 2 else crop[..., :3].copy()
    rgb = rgb.astype(np.float32)
    red = np.array([255.0, 40.0, 40.0], dtype=np.float32)
    rgb[result.mask] = 0.45 * rgb[result.mask] + 0.55 * red
    picture = Image.fromarray(rgb.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, picture.width - 1, picture.height - 1), outline=(255, 210, 0), width=2)
    pattern = result.suggestion.pattern
    label = (
        f"SUGGESTION, not a diagnosis: {pattern.value if pattern else 'none'}; "
        f"{result.calcified_area:.1f} {result.unit}"
    )
    draw.rectangle((0, 0, min(picture.width, 8 + 6 * len(label)), 14), fill=(0, 0, 0))
    draw.text((4, 2), label, fill=(255, 210, 0))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    picture.save(path, format="PNG")
    return Path(path)
