"""Steps 1–3 of the measurement: background, detection and half-maximum edges, in one ROI.

1. **Background** (rolling-ball style): a grey-level opening with a square as wide as the
   background window (Sternberg 1983) removes every bright structure narrower than the window
   (deposits) and keeps broader ones (bone, soft-tissue gradients).
2. **Detection** by local background + k·SD: the residual's robust noise SD, hysteresis at the
   seed and grow thresholds on a lightly smoothed residual (Canny 1986); regions too small or
   with a contrast under ``min_cnr`` noise SDs (Rose 1948) are dropped.
3. **Edges at half maximum**: each deposit's edge is where the unsmoothed residual falls to half
   the deposit's own contrast; holes smaller than a deposit are filled.

The references are listed in :mod:`calciscope.imaging.measure`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from calciscope.imaging.runs import Runs

if TYPE_CHECKING:
    from calciscope.imaging.measure import MeasureSettings

__all__ = ["Regions", "Segmenter"]

#: rows per stripe of the row-wise filters: a stripe of a 2,000-px-wide float32 ROI (1 MB)
#: stays in the cache across a filter's passes, and two stripes run at once on two cores
_STRIPE_ROWS = 128
_THREADS = min(2, os.cpu_count() or 1)


def _by_stripes(
    function: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    halo: int,
    stripe_rows: int = _STRIPE_ROWS,
) -> np.ndarray:
    """Apply a filter that reaches ``halo`` rows up and down, stripe by stripe, in threads.

    Each stripe is filtered with ``halo`` rows of its neighbours, which are then dropped, so
    the result is the same as the filter of the whole image (the image's own top and bottom
    rows keep the filter's border rule). NumPy and SciPy release the GIL, so two stripes run at
    once.
    """
    return _stripes(lambda low, high: function(image[low:high]), image.shape[0], halo, stripe_rows)


def _stripes(
    function: Callable[[int, int], np.ndarray], rows: int, halo: int, stripe_rows: int
) -> np.ndarray:
    """Call ``function(low, high)`` on haloed row ranges in threads; keep each core's rows.

    ``function`` returns the rows ``low:high`` of the result (any dtype); the halo rows are
    dropped and the cores put together.
    """
    starts = list(range(0, rows, stripe_rows))
    parts: list[np.ndarray] = [np.empty(0)] * len(starts)

    def run(index: int) -> None:
        top = starts[index]
        bottom = min(top + stripe_rows, rows)
        low, high = max(0, top - halo), min(rows, bottom + halo)
        parts[index] = function(low, high)[top - low : bottom - low]

    with ThreadPoolExecutor(_THREADS) as pool:
        list(pool.map(run, range(len(starts))))
    out = np.empty((rows, *parts[0].shape[1:]), dtype=parts[0].dtype)
    for top, part in zip(starts, parts, strict=True):
        out[top : top + len(part)] = part
    return out


def _halves(rows: int, halo: int, align: int = 1) -> int:
    """Rows per stripe that cut ``rows`` into one stripe per thread, at a multiple of ``align``.

    Large-halo steps (the opening, the hole filling) run on as few stripes as there are
    threads, so the halo rows done twice stay a small share of the work; a short image (where
    the halo would be most of a stripe) is one stripe.
    """
    if _THREADS < 2 or rows < 4 * halo:
        return rows
    return -(-rows // (_THREADS * align)) * align


def _gaussian(image: np.ndarray, sigma: float) -> np.ndarray:
    """SciPy's Gaussian filter (truncated at 4 sigma), by stripes: the same values, faster."""
    halo = int(4.0 * sigma + 0.5) + 1
    return _by_stripes(lambda stripe: ndimage.gaussian_filter(stripe, sigma), image, halo)


def _running(image: np.ndarray, size: int, op: np.ufunc) -> np.ndarray:
    """Minimum (``op`` = np.minimum) or maximum over a ``size``-wide square, per axis.

    The window is cut at the image border, which for a minimum or maximum is the same as
    SciPy's ``minimum_filter``/``maximum_filter`` with their default 'reflect' border (the
    reflected pixels are inside the cut window). Each axis takes log2(size) + 2 whole-array
    passes (spans doubled, van Herk-style), several times faster than SciPy's filter.
    """
    out = image
    for axis in (0, 1):
        out = _running_1d(out, size // 2, op, axis)
    return out


def _running_1d(image: np.ndarray, radius: int, op: np.ufunc, axis: int) -> np.ndarray:
    n = image.shape[axis]
    radius = min(radius, n - 1)
    if radius <= 0:
        return image

    def part(start: int, stop: int | None = None) -> tuple[slice, ...]:
        return (slice(None),) * axis + (slice(start, stop),)

    # ahead[i] = op over [i, i + span - 1], cut at the end; doubled up to span = radius + 1
    ahead = image.copy()
    span, length = 1, radius + 1
    while span < length:
        step = min(span, length - span)
        op(ahead[part(0, n - step)], ahead[part(step)], out=ahead[part(0, n - step)])
        span += step
    out = np.empty_like(ahead)
    op(ahead[part(0, n - radius)], ahead[part(radius)], out=out[part(radius)])
    op(ahead[part(0, 1)], ahead[part(0, radius)], out=out[part(0, radius)])
    return out


def _noise_sd(image: np.ndarray, lag: int = 3) -> float:
    """Robust noise SD from differences of pixels ``lag`` apart along rows.

    Differences cancel the smooth background (soft tissue, gradients) that a plain SD of the
    residual would count as noise; the median absolute difference ignores deposit edges.
    """
    rows = image[:: max(1, image.shape[0] // 256)]
    diff = (rows[:, lag:] - rows[:, :-lag]).ravel()
    # in place: a median reads the values, not their order, so partitioning diff is harmless
    diff -= np.median(diff, overwrite_input=True)
    np.abs(diff, out=diff)
    return 1.4826 * float(np.median(diff, overwrite_input=True)) / math.sqrt(2.0)


def _median(image: np.ndarray) -> float:
    # every n-th pixel (about 250,000 of them) gives the same median at a fraction of the cost
    flat = image.ravel()
    return float(np.median(flat[:: max(1, flat.size // 250_000)]))


def _background(image: np.ndarray, window: int) -> np.ndarray:
    """Return the opening of step 1, one stripe per thread: the values of :func:`_opening`.

    A core pixel's opening reads the image at most ``window`` rows away, plus the block grid's
    rounding (a few blocks of k rows); stripes start at multiples of k, so each stripe's block
    grid is the whole image's, and the edge padding of a stripe's cut rows lies outside the
    reach of its core rows.
    """
    k = _block(window)
    halo = -(-(window + 6 * k) // k) * k
    rows = _halves(image.shape[0], halo, k)
    if rows >= image.shape[0]:
        return _opening(image, window)
    return _by_stripes(lambda stripe: _opening(stripe, window), image, halo, rows)


def _block(window: int) -> int:
    return min(4, max(1, window // 24))


def _opening(image: np.ndarray, window: int) -> np.ndarray:
    """Grey opening with a ``window``-wide square, the background of step 1.

    The image is padded by a window (edge values), so a bone edge that leaves the ROI at a
    slant keeps the squares that fit it outside, as in the whole image. For windows over 48 px
    the opening runs on k x k block minima (k <= 4) and is brought back with one block of
    dilation and a cap at the image itself: the block grid then cannot put a bone edge's step
    in the wrong pixel (the cap restores the bright side, the dilation the dark side), and the
    four min/max passes cost k² times less.
    """
    k = _block(window)
    pad = window // 2 + 2 * k
    rows, cols = image.shape
    extra = (-(rows + 2 * pad) % k, -(cols + 2 * pad) % k)
    padded = np.pad(image, ((pad, pad + extra[0]), (pad, pad + extra[1])), mode="edge")
    if k > 1:
        padded = _block_minima(padded, k)
    size = max(3, round(window / k) | 1)
    opened = _running(_running(padded, size, np.minimum), size, np.maximum)
    if k == 1:
        return opened[pad : pad + rows, pad : pad + cols]
    opened = _running(opened, 3, np.maximum)
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


class Segmenter:
    """Steps 1–3 of the method on one ROI crop (float32, calcium bright)."""

    def __init__(self, crop: np.ndarray, spacing: float, settings: MeasureSettings) -> None:
        self.settings = settings
        self.min_px = max(3, math.ceil(settings.min_deposit_mm2 / spacing**2))
        self.window = window = max(3, round(settings.background_window_mm / spacing) | 1)
        smooth = _gaussian(crop, settings.smoothing_px)
        background = _background(smooth, window)
        # the opening sits a little below the mean background; the median residual is that offset
        self.residual = smooth - background
        self.residual -= _median(self.residual)
        self.raw = crop - background
        self.raw -= _median(self.raw)
        floor = 1e-6 * (float(np.ptp(crop)) or 1.0)
        self.sd = max(_noise_sd(smooth), floor)
        self.raw_sd = max(_noise_sd(crop), floor)

    def detect(self) -> Regions:
        """Hysteresis: regions above grow_sd that hold a seed above seed_sd and are big enough.

        The grown regions are labelled on their row runs (:mod:`.runs`); the seeds are read at
        the grown pixels only (a seed below the grow threshold belongs to no region).
        """
        s = self.settings
        runs = Runs.of(self.residual > s.grow_sd * self.sd, eight=True)
        pixels = runs.flat()  # the grown pixels, raster order
        region = np.repeat(runs.piece, runs.length)
        seeds = np.flatnonzero(self.residual.ravel()[pixels] > s.seed_sd * self.sd)
        seed_region = region[seeds]
        seed_counts = np.bincount(seed_region, minlength=runs.count)
        keep = (seed_counts > 0) & (runs.sizes() >= self.min_px)
        return Regions(pixels, region, seeds, seed_region, seed_counts, keep)

    def half_maximum(self, regions: Regions) -> np.ndarray:
        """Place each kept region's edge where the residual falls to half its own contrast."""
        if not regions.keep.any():
            return np.zeros(self.raw.shape, dtype=bool)
        # each region's contrast: the mean unsmoothed residual over its seed pixels
        raw_at_seeds = self.raw.ravel()[regions.pixels[regions.seeds]]
        sums = np.bincount(regions.seed_region, raw_at_seeds, minlength=len(regions.keep))
        contrast = sums / np.maximum(regions.seed_counts, 1)
        # Rose criterion: a deposit whose contrast is under min_cnr noise SDs of the unsmoothed
        # image is noise (clumps where the opening sits low, as along a slanting bone edge)
        half = (0.5 * contrast).astype(np.float32)
        half[~regions.keep] = np.inf
        half[contrast < self.settings.min_cnr * self.raw_sd] = np.inf
        level = np.full(self.raw.shape, np.inf, dtype=np.float32)
        level.ravel()[regions.pixels] = half[regions.region]
        # each pixel within 3 px of a deposit takes the lowest half-maximum around it; per
        # stripe, so the minimum and the comparison share the cache and the cores
        raw = self.raw

        def edges(low: int, high: int) -> np.ndarray:
            threshold = _running(level[low:high], 7, np.minimum)
            return np.greater_equal(raw[low:high], threshold)

        return _fill_small_holes(_stripes(edges, raw.shape[0], 3, _STRIPE_ROWS), self.min_px)


@dataclass(frozen=True)
class Regions:
    """The grown regions of :meth:`Segmenter.detect` (region numbers 0..n-1, raster order).

    ``pixels`` are the grown pixels' flat indices and ``region`` their region; ``seeds``
    indexes the grown pixels that are seeds, ``seed_region`` their regions; ``seed_counts``
    and ``keep`` are per region.
    """

    pixels: np.ndarray
    region: np.ndarray
    seeds: np.ndarray
    seed_region: np.ndarray
    seed_counts: np.ndarray
    keep: np.ndarray


def _fill_small_holes(mask: np.ndarray, min_px: int) -> np.ndarray:
    """Fill the holes (4-connected background pieces) smaller than a deposit.

    The background's pieces come from its row runs (:mod:`.runs`), so only the runs of the
    small pieces are written back.
    """
    holes = Runs.of(~mask, eight=False)
    small = holes.sizes() < min_px
    if not small.any():
        return mask
    out = mask.copy()
    out.ravel()[holes.flat(small[holes.piece])] = True
    return out
