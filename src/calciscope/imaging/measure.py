"""Measure calcification inside a region of interest and suggest its pattern.

The method, step by step (all inside the ROI):

1. **Background** (rolling-ball style): a grey-level opening with a square as wide as
   ``background_window_mm`` (12 mm by default; Sternberg 1983) removes every bright structure
   narrower than the window (deposits) and keeps broader ones (bone, soft-tissue gradients);
   the residual is the image minus that background.
2. **Detection** by local background + k·SD: the residual's robust noise SD (1.4826 × MAD),
   hysteresis thresholds at 5 SD (seed) and 2.5 SD (grow) on a lightly smoothed residual
   (Canny 1986 hysteresis), deposits smaller than ``min_deposit_mm2`` or with a contrast under
   ``min_cnr`` times the unsmoothed noise SD (Rose 1948) dropped.
3. **Edges at half maximum**: each deposit's edge is placed where the unsmoothed residual falls
   to half the deposit's own contrast (the median residual over its seed pixels), the
   full-width-at-half-maximum rule, so the area does not grow or shrink with contrast or blur.
4. **Shape**: connected deposits (8-connectivity), their area, elongation (major / minor axis of
   the inertia ellipse), solidity (area / convex area), holes (1 − Euler number) and mean width
   (2 × area / perimeter), via scikit-image ``regionprops``.

The suggested pattern is read from the numbers: when less than half the calcified area lies in
large deposits (≥ ``large_deposit_mm2``) it is *nodular*; otherwise large deposits made of thin
strands (mean width under ``reticular_max_width_mm``) are *reticular*, wider ones *sheet-like*. It is a
suggestion for the reader, never a diagnosis: structures broader than the background window
(bone, very large plaques) count as background, and deposits over bone are not separated from it.

References
----------
Sternberg SR. Biomedical image processing. Computer 1983;16(1):22–34.
DOI 10.1109/MC.1983.1654163 (the rolling-ball background).
Rose A. The sensitivity performance of the human eye on an absolute scale. J Opt Soc Am
1948;38(2):196–208. DOI 10.1364/JOSA.38.000196 (the contrast-to-noise floor).
Canny J. A computational approach to edge detection. IEEE Trans Pattern Anal Mach Intell
1986;8(6):679–98. DOI 10.1109/TPAMI.1986.4767851 (hysteresis thresholding).
van der Walt S, et al. scikit-image: image processing in Python. PeerJ 2014;2:e453.
DOI 10.7717/peerj.453.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from calciscope.model import Morphology

__all__ = [
    "DepositShape",
    "MeasureSettings",
    "MeasurementResult",
    "PatternSuggestion",
    "Roi",
    "measure_calcification",
    "suggest_pattern",
]


@dataclass(frozen=True)
class Roi:
    """A rectangular region of interest in pixel coordinates, ``x0 <= x < x1``, ``y0 <= y < y1``."""

    x0: int
    y0: int
    x1: int
    y1: int

    @classmethod
    def parse(cls, text: str) -> Roi:
        """Parse ``X0,Y0,X1,Y1``; raise ValueError when it is not four integers in order."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 4 or not all(p.lstrip("-").isdigit() for p in parts):
            raise ValueError(f"ROI {text!r} is not X0,Y0,X1,Y1 (four whole numbers)")
        roi = cls(*(int(p) for p in parts))
        if roi.x1 <= roi.x0 or roi.y1 <= roi.y0 or min(roi.x0, roi.y0) < 0:
            raise ValueError(f"ROI {text!r} must have 0 <= X0 < X1 and 0 <= Y0 < Y1")
        return roi

    def check(self, shape: tuple[int, ...]) -> None:
        """Raise ValueError when the ROI does not lie inside an image of ``shape`` (rows, cols)."""
        rows, cols = shape[:2]
        if self.x1 > cols or self.y1 > rows:
            raise ValueError(f"ROI {self} reaches outside the {cols} x {rows} image")
        if self.x1 - self.x0 < 8 or self.y1 - self.y0 < 8:
            raise ValueError(f"ROI {self} is smaller than 8 x 8 pixels")

    def __str__(self) -> str:
        return f"{self.x0},{self.y0},{self.x1},{self.y1}"


@dataclass(frozen=True)
class MeasureSettings:
    """Tuning of the measurement; the defaults are the validated ones (docs/imaging.md).

    Parameters
    ----------
    background_window_mm
        Width of the square opening that estimates the background.
    seed_sd, grow_sd
        Hysteresis thresholds in robust noise SDs above the local background.
    smoothing_px
        Gaussian sigma applied before detection (not before the half-maximum edges).
    min_deposit_mm2
        Deposits smaller than this are noise.
    large_deposit_mm2
        A deposit at least this large is a "large connected sheet" for the pattern.
    reticular_max_width_mm
        Large deposits whose mean width (2 × area / perimeter) is under this are strands of a
        net (reticular); wider ones are sheets.
    nominal_spacing_mm
        Pixel size assumed for the mm-based settings when the image has none (said in the result).
    min_cnr
        Least contrast-to-noise ratio of a deposit (its mean contrast over the unsmoothed noise
        SD); Rose's criterion puts the detectable object at 3–5.
    """

    background_window_mm: float = 12.0
    seed_sd: float = 5.0
    grow_sd: float = 2.5
    smoothing_px: float = 0.8
    min_deposit_mm2: float = 0.2
    large_deposit_mm2: float = 25.0
    reticular_max_width_mm: float = 1.75
    nominal_spacing_mm: float = 0.15
    min_cnr: float = 4.0


@dataclass(frozen=True)
class DepositShape:
    """Shape descriptors of the calcified area (areas in the result's unit)."""

    deposit_count: int
    largest_deposit: float
    elongation: float
    solidity: float
    sheet_share: float
    holes: int
    large_deposit_width: float | None


@dataclass(frozen=True)
class PatternSuggestion:
    """A suggested pattern with the numbers and the rule behind it (never a diagnosis)."""

    pattern: Morphology | None
    reason: str

    def __str__(self) -> str:
        name = self.pattern.value if self.pattern else "none"
        return f"suggested pattern: {name} ({self.reason})"


@dataclass(frozen=True)
class MeasurementResult:
    """What :func:`measure_calcification` found inside one ROI.

    Areas are in mm² when the pixel spacing is known, else in px (``unit`` says which).
    """

    roi: Roi
    unit: str
    pixel_spacing_mm: float | None
    spacing_note: str
    calcified_area: float
    area_fraction: float
    shape: DepositShape
    suggestion: PatternSuggestion
    threshold: dict[str, float]
    mask: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (without the mask)."""
        return {
            "roi": [self.roi.x0, self.roi.y0, self.roi.x1, self.roi.y1],
            "unit": self.unit,
            "pixel_spacing_mm": self.pixel_spacing_mm,
            "spacing_note": self.spacing_note,
            "calcified_area": round(self.calcified_area, 3),
            "area_fraction": round(self.area_fraction, 5),
            **{k: _rounded(v) for k, v in self.shape.__dict__.items()},
            "suggested_pattern": self.suggestion.pattern.value if self.suggestion.pattern else None,
            "suggestion_reason": self.suggestion.reason,
            "suggestion_only": True,
            "threshold": {k: _rounded(v) for k, v in self.threshold.items()},
        }


def _rounded(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def _noise_sd(image: np.ndarray, lag: int = 3) -> float:
    """Robust noise SD from differences of pixels ``lag`` apart along rows.

    Differences cancel the smooth background (soft tissue, gradients) that a plain SD of the
    residual would count as noise; the median absolute difference ignores deposit edges.
    """
    rows = image[:: max(1, image.shape[0] // 256)]
    diff = (rows[:, lag:] - rows[:, :-lag]).ravel()
    return 1.4826 * float(np.median(np.abs(diff - np.median(diff)))) / math.sqrt(2.0)


def _median(image: np.ndarray) -> float:
    # every n-th pixel (about 250,000 of them) gives the same median at a fraction of the cost
    flat = image.ravel()
    return float(np.median(flat[:: max(1, flat.size // 250_000)]))


def _label_means(
    values: np.ndarray, labels: np.ndarray, count: int, within: np.ndarray | None = None
) -> np.ndarray:
    """Mean of ``values`` per label (over the pixels of ``within`` only, when given)."""
    where = np.flatnonzero(labels if within is None else within)
    sums = np.bincount(labels.ravel()[where], values.ravel()[where], minlength=count + 1)
    sizes = np.bincount(labels.ravel()[where], minlength=count + 1)
    return sums / np.maximum(sizes, 1)


_EIGHT = np.ones((3, 3), dtype=bool)


def _opening(image: np.ndarray, window: int) -> np.ndarray:
    """Grey opening with a ``window``-wide square, the background of step 1.

    The image is padded by a window (edge values), so a bone edge that leaves the ROI at a
    slant keeps the squares that fit it outside, as in the whole image. For windows over 48 px
    the opening runs on k x k block minima (k <= 4) and is brought back with one block of
    dilation and a cap at the image itself: the block grid then cannot put a bone edge's step
    in the wrong pixel (the cap restores the bright side, the dilation the dark side), and the
    four min/max passes cost k² times less.
    """
    k = min(4, max(1, window // 24))
    pad = window // 2 + 2 * k
    rows, cols = image.shape
    extra = (-(rows + 2 * pad) % k, -(cols + 2 * pad) % k)
    padded = np.pad(image, ((pad, pad + extra[0]), (pad, pad + extra[1])), mode="edge")
    if k > 1:
        padded = _block_minima(padded, k)
    size = max(3, round(window / k) | 1)
    opened = ndimage.maximum_filter(ndimage.minimum_filter(padded, size), size)
    if k == 1:
        return opened[pad : pad + rows, pad : pad + cols]
    opened = ndimage.maximum_filter(opened, 3)
    start = pad // k
    block = opened[start : -(-(pad + rows) // k) + 1, start : -(-(pad + cols) // k) + 1]
    full = np.repeat(np.repeat(block, k, axis=0), k, axis=1)
    offset = pad - start * k
    return np.minimum(full[offset : offset + rows, offset : offset + cols], image)


def _block_minima(image: np.ndarray, k: int) -> np.ndarray:
    """Minima of k x k blocks by k strided minimum passes per axis.

    The same values as ``reshape(h // k, k, w // k, k).min(axis=(1, 3))`` at a fraction of its
    cost (NumPy reduces short inner axes slowly).
    """
    rows = image[0::k]
    for i in range(1, k):
        rows = np.minimum(rows, image[i::k])
    out = rows[:, 0::k]
    for j in range(1, k):
        out = np.minimum(out, rows[:, j::k])
    return out


class _Segmenter:
    """Steps 1–3 of the method on one ROI crop."""

    def __init__(self, crop: np.ndarray, spacing: float, settings: MeasureSettings) -> None:
        self.settings = settings
        self.min_px = max(3, math.ceil(settings.min_deposit_mm2 / spacing**2))
        self.window = window = max(3, round(settings.background_window_mm / spacing) | 1)
        smooth = ndimage.gaussian_filter(crop, settings.smoothing_px)
        background = _opening(smooth, window)
        # the opening sits a little below the mean background; the median residual is that offset
        self.residual = smooth - background
        self.residual -= _median(self.residual)
        self.raw = crop - background
        self.raw -= _median(self.raw)
        floor = 1e-6 * (float(np.ptp(crop)) or 1.0)
        self.sd = max(_noise_sd(smooth), floor)
        self.raw_sd = max(_noise_sd(crop), floor)
        self.seed_mask = self.residual > settings.seed_sd * self.sd

    def detect(self) -> tuple[np.ndarray, int]:
        """Hysteresis: grow regions above grow_sd that hold a seed above seed_sd and are big."""
        s = self.settings
        labels, count = ndimage.label(self.residual > s.grow_sd * self.sd, structure=_EIGHT)
        seeds = labels[self.seed_mask]
        keep = np.bincount(seeds, minlength=count + 1) > 0
        keep &= np.bincount(labels.ravel(), minlength=count + 1) >= self.min_px
        keep[0] = False
        kept = (np.cumsum(keep) * keep).astype(np.int32)  # renumber the kept regions 1..n
        return kept[labels], int(keep.sum())

    def half_maximum(self, labels: np.ndarray, count: int) -> np.ndarray:
        """Place each deposit's edge where the residual falls to half its own contrast."""
        if count == 0:
            return np.zeros(labels.shape, dtype=bool)
        contrast = _label_means(self.raw, labels, count, self.seed_mask)
        # Rose criterion: a deposit whose contrast is under min_cnr noise SDs of the unsmoothed
        # image is noise (clumps where the opening sits low, as along a slanting bone edge)
        half = (0.5 * contrast).astype(np.float32)
        half[0] = np.inf
        half[contrast < self.settings.min_cnr * self.raw_sd] = np.inf
        # each pixel within 3 px of a deposit takes the lowest half-maximum around it
        threshold = ndimage.minimum_filter(half[labels], size=7)
        mask = self.raw >= threshold
        return _fill_small_holes(mask, self.min_px)


def _fill_small_holes(mask: np.ndarray, min_px: int) -> np.ndarray:
    holes, count = ndimage.label(~mask)
    small = np.bincount(holes.ravel(), minlength=count + 1) < min_px
    small[0] = False
    return mask | small[holes]


def _inertia_axes(labels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Major and minor axis lengths of every label's inertia ellipse, in one pass (bincount)."""
    where = np.flatnonzero(labels)
    lab = labels.ravel()[where]
    y, x = np.divmod(where, labels.shape[1])
    n = np.bincount(lab, minlength=count + 1).astype(float)
    n[0] = 1.0

    def mean(v: np.ndarray) -> np.ndarray:
        return np.bincount(lab, v.astype(float), minlength=count + 1) / n

    my, mx = mean(y), mean(x)
    cyy = mean(y * y) - my**2 + 1 / 12
    cxx = mean(x * x) - mx**2 + 1 / 12
    cxy = mean(x * y) - mx * my
    root = np.sqrt(np.maximum(((cxx - cyy) / 2) ** 2 + cxy**2, 0.0))
    major = 4 * np.sqrt(np.maximum((cxx + cyy) / 2 + root, 0.0))
    minor = 4 * np.sqrt(np.maximum((cxx + cyy) / 2 - root, 0.0))
    return major[1:], minor[1:]


def _deposits(mask: np.ndarray, min_px: int) -> tuple[np.ndarray, int]:
    """Label the deposits (8-connectivity), dropping those under ``min_px`` pixels."""
    labels, count = ndimage.label(mask, structure=_EIGHT)
    keep = np.bincount(labels.ravel(), minlength=count + 1) >= min_px
    keep[0] = False
    kept = (np.cumsum(keep) * keep).astype(np.int32)
    return kept[labels], int(keep.sum())


def _hull_areas(labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Convex hull area (px²) of each labelled deposit, from the corners of its row-run ends.

    The hull of a pixel set is the hull of each row's first and last pixel, so only run ends
    (a label differing from its left or right neighbour) go to Qhull.
    """
    from scipy.spatial import ConvexHull, QhullError

    padded = np.pad(labels, ((0, 0), (1, 1)))
    ends = (labels > 0) & ((padded[:, 1:-1] != padded[:, :-2]) | (padded[:, 1:-1] != padded[:, 2:]))
    where = np.flatnonzero(ends)
    lab = labels.ravel()[where]
    order = np.argsort(lab, kind="stable")
    where, lab = where[order], lab[order]
    starts = np.searchsorted(lab, ids)
    ends = np.searchsorted(lab, ids, side="right")
    corners = np.array([[-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]])
    out = np.empty(len(ids))
    for k, (start, end) in enumerate(zip(starts, ends, strict=True)):
        y, x = np.divmod(where[start:end], labels.shape[1])
        points = (np.stack([y, x], axis=1)[:, None, :] + corners[None]).reshape(-1, 2)
        try:
            out[k] = ConvexHull(points).volume
        except QhullError:
            out[k] = float(end - start)
    return out


def _perimeters(labels: np.ndarray, count: int) -> np.ndarray:
    """Crofton perimeter estimate of every label: π/4 x its row and column edge crossings."""
    crossings = np.zeros(count + 1)
    for a, b in ((labels[:, 1:], labels[:, :-1]), (labels[1:], labels[:-1])):
        edge = a != b
        crossings += np.bincount(a[edge], minlength=count + 1)
        crossings += np.bincount(b[edge], minlength=count + 1)
    # the ROI's own border is an edge too
    for line in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        crossings += np.bincount(line, minlength=count + 1)
    return (np.pi / 4) * crossings[1:]


def _euler8(mask: np.ndarray) -> int:
    """Euler number of a binary image, 8-connected, from its 2 x 2 quads (Gray 1971).

    E = (Q1 - Q3 - 2 QD) / 4, where Q1 and Q3 count quads with one and three pixels set and QD
    the diagonal pairs; the same value as ``skimage.measure.euler_number(mask, 2)``, several
    times faster. Gray SB. IEEE Trans Comput 1971;C-20(5):551-61, DOI 10.1109/T-C.1971.223289.
    """
    p = np.pad(mask, 1).astype(np.uint8)
    a, b, c, d = p[:-1, :-1], p[:-1, 1:], p[1:, :-1], p[1:, 1:]
    total = a + b + c + d
    q1 = np.count_nonzero(total == 1)
    q3 = np.count_nonzero(total == 3)
    diagonal = np.count_nonzero((total == 2) & (a == d))
    return int(q1 - q3 - 2 * diagonal) // 4


def _holes(labels: np.ndarray, ids: np.ndarray) -> int:
    """Holes of the given deposits: 1 - Euler number (8-connected) of each, in its bounding box."""
    if not len(ids):
        return 0
    boxes = ndimage.find_objects(labels, max_label=int(ids.max()))
    return sum(1 - _euler8(labels[boxes[i - 1]] == i) for i in ids)


def _shape(
    labels: np.ndarray, count: int, pixel_area: float, settings: MeasureSettings
) -> DepositShape:
    if count == 0:
        return DepositShape(0, 0.0, 0.0, 0.0, 0.0, 0, None)
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:].astype(float)
    major, minor = _inertia_axes(labels, count)
    weights = areas / areas.sum()
    large_ids = np.flatnonzero(areas * pixel_area >= settings.large_deposit_mm2) + 1
    # solidity from the convex hull of the pixel corners (Qhull), for the 50 largest deposits
    # and every large one; the rest (small, so light in the area-weighted mean) count as 1
    hull_ids = np.union1d(np.argsort(areas)[::-1][:50] + 1, large_ids)
    solid = np.ones(count)
    solid[hull_ids - 1] = areas[hull_ids - 1] / _hull_areas(labels, hull_ids)
    large_area = areas[large_ids - 1].sum()
    width = None
    if len(large_ids):
        perimeter = _perimeters(labels, count)[large_ids - 1].sum()
        width = 2 * large_area / perimeter * math.sqrt(pixel_area) if perimeter else None
    holes = _holes(labels, large_ids)
    return DepositShape(
        deposit_count=count,
        largest_deposit=float(areas.max()) * pixel_area,
        elongation=float(np.dot(weights, major / np.maximum(minor, 1.0))),
        solidity=float(np.dot(weights, solid)),
        sheet_share=float(large_area / areas.sum()),
        holes=int(holes),
        large_deposit_width=width,
    )


def suggest_pattern(shape: DepositShape, settings: MeasureSettings) -> PatternSuggestion:
    """Suggest nodular, sheet-like or reticular from the shape descriptors (see module text)."""
    if shape.deposit_count == 0:
        return PatternSuggestion(None, "no deposit found above the local background")
    share = f"{shape.sheet_share:.0%} of the area in deposits >= {settings.large_deposit_mm2:g} mm²"
    if shape.sheet_share < 0.5:
        return PatternSuggestion(
            Morphology.NODULAR, f"{share}; {shape.deposit_count} discrete deposit(s)"
        )
    width = shape.large_deposit_width or 0.0
    detail = f"mean width {width:.2f} mm, {shape.holes} hole(s), solidity {shape.solidity:.2f}"
    if width < settings.reticular_max_width_mm:
        rule = f"strands thinner than {settings.reticular_max_width_mm:g} mm"
        return PatternSuggestion(Morphology.RETICULAR, f"{share}; {detail}: {rule}")
    rule = f"at least {settings.reticular_max_width_mm:g} mm wide"
    return PatternSuggestion(Morphology.SHEET_LIKE, f"{share}; {detail}: {rule}")


def measure_calcification(
    pixels: np.ndarray,
    roi: Roi,
    *,
    pixel_spacing_mm: float | None = None,
    settings: MeasureSettings | None = None,
) -> MeasurementResult:
    """Measure calcification inside ``roi`` of a radiograph (higher values = denser).

    Parameters
    ----------
    pixels
        The image as a 2-D array in which calcium is bright (MONOCHROME2 orientation, after
        rescale slope/intercept; MONOCHROME1 already inverted by the reader).
    roi
        The region to measure.
    pixel_spacing_mm
        Square pixel size; when None, areas are in px and the size settings assume
        ``settings.nominal_spacing_mm`` (said in ``spacing_note``).
    settings
        The method's tuning (:class:`MeasureSettings`).

    Returns
    -------
    MeasurementResult
        Area, count, fraction, shape, the suggested pattern, thresholds and the deposit mask.

    Raises
    ------
    ValueError
        When the ROI lies outside the image or the image is not 2-D.
    """
    settings = settings or MeasureSettings()
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D greyscale image, got shape {pixels.shape}")
    roi.check(pixels.shape)
    crop = np.asarray(pixels[roi.y0 : roi.y1, roi.x0 : roi.x1], dtype=np.float32)
    known = pixel_spacing_mm is not None and pixel_spacing_mm > 0
    spacing = float(pixel_spacing_mm) if known else settings.nominal_spacing_mm  # type: ignore[arg-type]
    segmenter = _Segmenter(crop, spacing, settings)
    labels, count = _deposits(segmenter.half_maximum(*segmenter.detect()), segmenter.min_px)
    mask = labels > 0
    shape = _shape(labels, count, spacing**2, settings)
    # the pattern rules read the mm-based shape (with the nominal spacing when none is known)
    suggestion = suggest_pattern(shape, settings)
    threshold = {
        "noise_sd": segmenter.sd,
        "seed_sd": settings.seed_sd,
        "grow_sd": settings.grow_sd,
        "background_window_px": float(segmenter.window),
    }
    if known:
        unit, area, note = "mm²", float(mask.sum()) * spacing**2, f"pixel spacing {spacing:g} mm"
    else:
        unit, area, shape = "px", float(mask.sum()), _in_pixels(shape, spacing)
        note = f"no pixel spacing: areas in px; the size rules assumed {spacing:g} mm pixels"
    return MeasurementResult(
        roi=roi,
        unit=unit,
        pixel_spacing_mm=spacing if known else None,
        spacing_note=note,
        calcified_area=area,
        area_fraction=float(mask.mean()),
        shape=shape,
        suggestion=suggestion,
        threshold=threshold,
        mask=mask,
    )


def _in_pixels(shape: DepositShape, spacing: float) -> DepositShape:
    width = None if shape.large_deposit_width is None else shape.large_deposit_width / spacing
    return DepositShape(
        deposit_count=shape.deposit_count,
        largest_deposit=shape.largest_deposit / spacing**2,
        elongation=shape.elongation,
        solidity=shape.solidity,
        sheet_share=shape.sheet_share,
        holes=shape.holes,
        large_deposit_width=width,
    )
