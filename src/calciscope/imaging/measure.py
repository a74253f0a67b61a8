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
   (2 × area / perimeter), computed from the deposits' row runs (:mod:`.deposits`): the same
   areas, inertia axes and Euler numbers as scikit-image ``regionprops`` (tested), faster.

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

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from calciscope.imaging.deposits import Deposits, DepositShape
from calciscope.imaging.segmentation import Segmenter
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

    def deposit_mask_png(self) -> bytes:
        """Return the deposits as the two-colour PNG a reading keeps (:mod:`.mask`)."""
        from calciscope.imaging.mask import deposit_mask_png

        return deposit_mask_png(self.mask)

    def deposit_mask_text(self) -> str:
        """:meth:`deposit_mask_png` as base64 text: the ``deposit_mask`` of ``readings.csv``."""
        from calciscope.imaging.mask import mask_text

        return mask_text(self.deposit_mask_png())

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
    segmenter = Segmenter(crop, spacing, settings)
    deposits = Deposits(segmenter.half_maximum(segmenter.detect()), segmenter.min_px)
    # the pattern rules read the mm-based shape (with the nominal spacing when none is known)
    shape = deposits.shape(spacing**2, settings.large_deposit_mm2)
    threshold = {
        "noise_sd": segmenter.sd,
        "seed_sd": settings.seed_sd,
        "grow_sd": settings.grow_sd,
        "background_window_px": float(segmenter.window),
    }
    return _result(roi, spacing if known else None, settings, deposits, shape, threshold)


def _result(
    roi: Roi,
    known_spacing: float | None,
    settings: MeasureSettings,
    deposits: Deposits,
    shape: DepositShape,
    threshold: dict[str, float],
) -> MeasurementResult:
    """Build the result: mm² when the spacing is known, else px (said in the note)."""
    suggestion = suggest_pattern(shape, settings)
    if known_spacing is not None:
        unit, area = "mm²", float(deposits.pixels) * known_spacing**2
        note = f"pixel spacing {known_spacing:g} mm"
    else:
        nominal = settings.nominal_spacing_mm
        unit, area, shape = "px", float(deposits.pixels), _in_pixels(shape, nominal)
        note = f"no pixel spacing: areas in px; the size rules assumed {nominal:g} mm pixels"
    return MeasurementResult(
        roi=roi,
        unit=unit,
        pixel_spacing_mm=known_spacing,
        spacing_note=note,
        calcified_area=area,
        area_fraction=deposits.pixels / deposits.mask.size,
        shape=shape,
        suggestion=suggestion,
        threshold=threshold,
        mask=deposits.mask,
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
