"""SYNTHETIC radiograph phantoms with known calcified area and pattern.

Each phantom is a soft-tissue background (smooth gradient, low-frequency texture, Gaussian
noise) with a bone edge, and calcification of one pattern drawn into the soft tissue:

- nodular: small dense disks (radius 0.8–2.5 mm), apart from each other;
- sheet-like: one or two broad, thin (low-contrast: 6–10 noise SDs) plaques, 3–8 mm wide and 16–40 mm long,
  with a few small nodules beside them;
- reticular: a net of 0.8–1.4 mm lines, 3–6 mm apart, over 15–30 mm.

The truth is the drawn mask at the phantom's own pixel grid (its pixel count times the pixel
area), so a perfect measurement reproduces it exactly. The image is blurred (a point-spread
function of 0.6 px) before noise is added. The word SYNTHETIC is drawn into a band at the top
of the pixels, outside the measurement region :attr:`Phantom.roi`, and every phantom carries
``synthetic=True``. Pure NumPy/SciPy: no file is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.random import Generator
from scipy import ndimage

from calciscope.model import Morphology

__all__ = ["PHANTOM_PATTERNS", "PHANTOM_SPACINGS_MM", "Phantom", "make_phantom", "phantom_series"]

#: The patterns a phantom can show (the three the measurement suggests).
PHANTOM_PATTERNS: tuple[Morphology, ...] = (
    Morphology.NODULAR,
    Morphology.SHEET_LIKE,
    Morphology.RETICULAR,
)
#: Pixel spacings (mm) the validation series cycles through (CR/DX hand films are 0.1–0.2 mm).
PHANTOM_SPACINGS_MM: tuple[float, ...] = (0.1, 0.125, 0.15, 0.175, 0.2)

_LABEL_BAND_MM = 4.0
_NOISE_SD = 0.02
_PSF_PX = 0.6


@dataclass(frozen=True)
class Phantom:
    """One SYNTHETIC phantom radiograph and its truth.

    Parameters
    ----------
    pixels
        Image, higher = denser (as a MONOCHROME2 radiograph), float32.
    truth_mask
        The drawn calcification (bool), same shape as ``pixels``.
    pattern
        The drawn pattern.
    pixel_spacing_mm
        Square pixel size.
    roi
        ``(x0, y0, x1, y1)`` of the region to measure (everything below the SYNTHETIC band).
    seed
        The random seed that reproduces the phantom.
    """

    pixels: np.ndarray = field(repr=False)
    truth_mask: np.ndarray = field(repr=False)
    pattern: Morphology
    pixel_spacing_mm: float
    roi: tuple[int, int, int, int]
    seed: int
    synthetic: bool = True

    @property
    def truth_area_mm2(self) -> float:
        """The drawn calcified area in mm²."""
        return float(self.truth_mask.sum()) * self.pixel_spacing_mm**2


class _Canvas:
    """Pixel grid of one phantom in mm, with the soft tissue, bone and free space."""

    def __init__(self, rng: Generator, size_mm: tuple[float, float], spacing: float) -> None:
        self.rng = rng
        self.spacing = spacing
        self.shape = (round(size_mm[0] / spacing), round(size_mm[1] / spacing))
        rows, cols = np.indices(self.shape, dtype=np.float32)
        self.y, self.x = rows * spacing, cols * spacing
        self.height, self.width = size_mm
        self.top = _LABEL_BAND_MM
        self.bone = self._bone()
        # calcification keeps 1.5 mm from bone and from the label band
        away = ndimage.distance_transform_edt(~self.bone) * spacing > 1.5
        # and 2 mm from the ROI's edges, as a reader draws a ROI around the deposits
        inside = (self.y > self.top + 2.0) & (self.y < self.height - 2.0)
        self.free = away & inside & (self.x > 2.0) & (self.x < self.width - 2.0)

    def _bone(self) -> np.ndarray:
        # a half-plane entering from the right or the bottom, at a slant (a bone shaft's edge)
        angle = self.rng.uniform(-0.35, 0.35)
        if self.rng.random() < 0.5:
            edge = self.width * self.rng.uniform(0.75, 0.85)
            return (self.x - (self.y - self.height / 2) * np.tan(angle)) > edge
        edge = self.height * self.rng.uniform(0.78, 0.86)
        return (self.y - (self.x - self.width / 2) * np.tan(angle)) > edge

    def background(self) -> np.ndarray:
        """Soft tissue with a gradient and low-frequency texture, plus the bone."""
        rng = self.rng
        gx, gy = rng.uniform(-0.0015, 0.0015, size=2)
        tissue = 0.30 + gx * self.x + gy * self.y
        # smooth texture (features ~20 mm): coarse noise on a 10 mm grid, cubic-interpolated
        coarse = rng.normal(0.0, 1.0, (int(self.height / 10) + 2, int(self.width / 10) + 2))
        zoomed = ndimage.zoom(coarse, 10.0 / self.spacing, order=3)
        texture = zoomed[: self.shape[0], : self.shape[1]].astype(np.float32)
        tissue += 0.02 * texture / max(float(texture.std()), 1e-6)
        return (tissue + 0.35 * self.bone).astype(np.float32)

    def point(self, margin_mm: float) -> tuple[float, float]:
        """Return a random free (y, x) in mm at least ``margin_mm`` from the edges."""
        for _ in range(200):
            y = self.rng.uniform(self.top + margin_mm, self.height - margin_mm)
            x = self.rng.uniform(margin_mm, self.width - margin_mm)
            if self.free[int(y / self.spacing), int(x / self.spacing)]:
                return y, x
        return (self.top + self.height) / 2, self.width / 3


def _disks(canvas: _Canvas, count: int, radii: tuple[float, float]) -> np.ndarray:
    # room: distance (mm) from each pixel to anything a disk must keep 1.5 mm away from
    room = ndimage.distance_transform_edt(canvas.free) * canvas.spacing
    placed: list[tuple[float, float, float]] = []
    for _ in range(count):
        r = canvas.rng.uniform(*radii)
        for _attempt in range(30):
            cy, cx = canvas.point(r + 1.0)
            clear = room[int(cy / canvas.spacing), int(cx / canvas.spacing)] > r + 0.5
            if clear and all(np.hypot(cy - y, cx - x) > r + q + 1.5 for y, x, q in placed):
                placed.append((cy, cx, r))
                break
    mask = np.zeros(canvas.shape, dtype=bool)
    for cy, cx, r in placed:
        mask |= (canvas.y - cy) ** 2 + (canvas.x - cx) ** 2 <= r * r
    return mask


def _keep_away(canvas: _Canvas, mask: np.ndarray, mm: float) -> None:
    canvas.free &= ndimage.distance_transform_edt(~mask) * canvas.spacing > mm


def _sheet(canvas: _Canvas) -> np.ndarray:
    rng = canvas.rng
    a, b = rng.uniform(8.0, 20.0), rng.uniform(1.5, 4.0)
    cy, cx = canvas.point(a * 0.6)
    theta = rng.uniform(0, np.pi)
    u = (canvas.x - cx) * np.cos(theta) + (canvas.y - cy) * np.sin(theta)
    v = -(canvas.x - cx) * np.sin(theta) + (canvas.y - cy) * np.cos(theta)
    # a gentle bend and a wavy rim make it a plaque rather than an ellipse
    v = v - rng.uniform(-0.08, 0.08) * u**2 / a
    rim = 1.0 + 0.12 * np.sin(u / a * np.pi * rng.uniform(1.5, 3.0) + rng.uniform(0, 6.3))
    return ((u / a) ** 2 + (v / (b * rim)) ** 2 <= 1.0) & canvas.free


def _net(canvas: _Canvas) -> np.ndarray:
    rng = canvas.rng
    extent = rng.uniform(15.0, 30.0) / 2
    cy, cx = canvas.point(extent * 0.7)
    period, width = rng.uniform(3.0, 6.0), rng.uniform(0.8, 1.4)
    theta = rng.uniform(0, np.pi / 2)
    u = (canvas.x - cx) * np.cos(theta) + (canvas.y - cy) * np.sin(theta)
    v = -(canvas.x - cx) * np.sin(theta) + (canvas.y - cy) * np.cos(theta)
    wobble = rng.uniform(0.3, 0.8)
    uu = u + wobble * np.sin(v / rng.uniform(3.0, 6.0))
    vv = v + wobble * np.sin(u / rng.uniform(3.0, 6.0))
    lines = (np.abs((uu % period) - period / 2) > (period - width) / 2) | (
        np.abs((vv % period) - period / 2) > (period - width) / 2
    )
    outline = (u / extent) ** 2 + (v / (extent * rng.uniform(0.6, 1.0))) ** 2 <= 1.0
    return lines & outline & canvas.free


def _label_band(shape: tuple[int, int], band_px: int) -> np.ndarray:
    """Return a mask spelling SYNTHETIC in the top band (Pillow's built-in font)."""
    from PIL import Image, ImageDraw

    text = Image.new("L", (shape[1], band_px), 0)
    ImageDraw.Draw(text).text((2, max(0, band_px // 2 - 5)), "SYNTHETIC", fill=255)
    mask = np.zeros(shape, dtype=bool)
    mask[:band_px] = np.asarray(text) > 0
    return mask


def make_phantom(
    pattern: Morphology,
    *,
    pixel_spacing_mm: float = 0.15,
    size_mm: tuple[float, float] = (54.0, 60.0),
    seed: int = 0,
) -> Phantom:
    """Draw one SYNTHETIC phantom of the given pattern.

    Parameters
    ----------
    pattern
        ``nodular``, ``sheet_like`` or ``reticular``.
    pixel_spacing_mm
        Square pixel size in mm.
    size_mm
        Height and width of the whole image in mm (the SYNTHETIC band takes the top 4 mm).
    seed
        Random seed; the same arguments give the same phantom.
    """
    if pattern not in PHANTOM_PATTERNS:
        raise ValueError(f"no phantom for pattern {pattern!r}")
    canvas = _Canvas(np.random.default_rng(seed), size_mm, pixel_spacing_mm)
    rng = canvas.rng
    if pattern is Morphology.NODULAR:
        mask, contrast = _disks(canvas, int(rng.integers(4, 16)), (0.8, 2.5)), (0.25, 0.5)
    elif pattern is Morphology.SHEET_LIKE:
        mask = _sheet(canvas)
        if rng.random() < 0.4:
            _keep_away(canvas, mask, 3.0)
            mask |= _sheet(canvas)
        _keep_away(canvas, mask, 2.0)
        mask |= _disks(canvas, int(rng.integers(0, 3)), (0.8, 1.5))
        contrast = (0.12, 0.2)
    else:
        mask, contrast = _net(canvas), (0.15, 0.3)
    image = canvas.background() + rng.uniform(*contrast) * mask
    band_px = round(_LABEL_BAND_MM / pixel_spacing_mm)
    image[_label_band(canvas.shape, band_px)] += 0.4
    image = ndimage.gaussian_filter(image, sigma=_PSF_PX)
    image += rng.normal(0.0, _NOISE_SD, canvas.shape).astype(np.float32)
    roi = (0, band_px, canvas.shape[1], canvas.shape[0])
    return Phantom(image.astype(np.float32), mask, pattern, pixel_spacing_mm, roi, seed)


def phantom_series(count: int, *, seed: int = 0) -> list[tuple[Morphology, float, int]]:
    """Return ``count`` (pattern, pixel spacing, seed) triples cycling patterns and spacings.

    The validation benchmark draws 300; the test suite a few dozen.
    """
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**31 - 1, size=count)
    return [
        (
            PHANTOM_PATTERNS[i % len(PHANTOM_PATTERNS)],
            PHANTOM_SPACINGS_MM[(i // len(PHANTOM_PATTERNS)) % len(PHANTOM_SPACINGS_MM)],
            int(seeds[i]),
        )
        for i in range(count)
    ]
