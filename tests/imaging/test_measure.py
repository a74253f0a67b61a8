"""Measurement on SYNTHETIC phantoms with known truth (the small version of the benchmark)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage")

from calciscope.imaging.measure import MeasureSettings, Roi, measure_calcification
from calciscope.imaging.phantom import PHANTOM_PATTERNS, make_phantom, phantom_series
from calciscope.model import Morphology

SERIES = phantom_series(24, seed=2026)


@pytest.fixture(scope="module")
def measured():
    rows = []
    for pattern, spacing, seed in SERIES:
        phantom = make_phantom(pattern, pixel_spacing_mm=spacing, seed=seed)
        result = measure_calcification(phantom.pixels, Roi(*phantom.roi), pixel_spacing_mm=spacing)
        rows.append((phantom, result))
    return rows


def test_series_covers_every_pattern_and_several_spacings():
    assert {p for p, _, _ in SERIES} == set(PHANTOM_PATTERNS)
    assert len({s for _, s, _ in SERIES}) >= 4


def test_area_within_five_percent_of_truth(measured):
    errors = [abs(r.calcified_area - p.truth_area_mm2) / p.truth_area_mm2 for p, r in measured]
    assert sum(e <= 0.05 for e in errors) >= 0.9 * len(errors)
    assert max(errors) < 0.08


def test_pattern_suggestion_right(measured):
    right = sum(r.suggestion.pattern == p.pattern for p, r in measured)
    assert right >= 0.95 * len(measured)


def test_phantom_is_labelled_synthetic_in_pixels_and_metadata():
    phantom = make_phantom(Morphology.NODULAR, seed=1)
    assert phantom.synthetic
    band = phantom.pixels[: phantom.roi[1]]
    # the word SYNTHETIC is drawn (brighter strokes) into the band above the ROI
    assert band.max() - np.median(band) > 0.2


def test_same_seed_same_phantom():
    a = make_phantom(Morphology.RETICULAR, seed=7)
    b = make_phantom(Morphology.RETICULAR, seed=7)
    assert np.array_equal(a.pixels, b.pixels) and a.truth_area_mm2 == b.truth_area_mm2


def test_without_spacing_areas_are_in_pixels_and_said_so():
    phantom = make_phantom(Morphology.NODULAR, pixel_spacing_mm=0.15, seed=3)
    result = measure_calcification(phantom.pixels, Roi(*phantom.roi))
    assert result.unit == "px" and result.pixel_spacing_mm is None
    assert "no pixel spacing" in result.spacing_note
    assert result.calcified_area == pytest.approx(phantom.truth_mask.sum(), rel=0.05)
    assert result.to_dict()["suggestion_only"] is True


def test_flat_noise_gives_no_deposit():
    rng = np.random.default_rng(0)
    image = 0.3 + rng.normal(0, 0.02, (300, 300)).astype(np.float32)
    result = measure_calcification(image, Roi(0, 0, 300, 300), pixel_spacing_mm=0.15)
    assert result.shape.deposit_count == 0 and result.suggestion.pattern is None


def test_bone_edge_alone_is_background():
    rng = np.random.default_rng(1)
    image = np.full((400, 400), 0.3, dtype=np.float32)
    yy, xx = np.indices(image.shape)
    image[xx > 250 + 0.3 * yy] += 0.35  # a slanting bone edge leaving the ROI
    image += rng.normal(0, 0.02, image.shape).astype(np.float32)
    result = measure_calcification(image, Roi(0, 0, 400, 400), pixel_spacing_mm=0.15)
    assert result.calcified_area < 1.0  # mm²


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0,0,10,10", Roi(0, 0, 10, 10)), (" 5, 6 ,70,80", Roi(5, 6, 70, 80))],
)
def test_roi_parses(text, expected):
    assert Roi.parse(text) == expected


@pytest.mark.parametrize("text", ["0,0,10", "a,b,c,d", "10,0,5,20", "-1,0,5,5", "0,0,0,0"])
def test_bad_roi_is_refused(text):
    with pytest.raises(ValueError):
        Roi.parse(text)


def test_roi_outside_the_image_is_refused():
    with pytest.raises(ValueError, match="outside"):
        measure_calcification(np.zeros((50, 50), np.float32), Roi(0, 0, 60, 40))


def test_settings_change_the_suggestion_rule():
    phantom = make_phantom(Morphology.RETICULAR, seed=11)
    strict = MeasureSettings(reticular_max_width_mm=0.1)
    result = measure_calcification(
        phantom.pixels, Roi(*phantom.roi), pixel_spacing_mm=0.15, settings=strict
    )
    assert result.suggestion.pattern is Morphology.SHEET_LIKE


def test_deposit_descriptors_agree_with_scikit_image(measured):
    """Areas, inertia axes and Euler numbers are scikit-image's (regionprops, 8-connected).

    calciscope treats a pixel as a unit square, adding 1/12 to each second moment, so its axis
    lengths are scikit-image's with 1/12 added to each eigenvalue of the inertia tensor.
    """
    from skimage.measure import label, regionprops

    from calciscope.imaging.deposits import Deposits

    checked = 0
    for _, result in measured[:9]:
        deposits = Deposits(result.mask, 3)
        regions = regionprops(label(result.mask, connectivity=2))
        assert len(regions) == deposits.count
        order = np.argsort([r.label for r in regions])
        major, minor = deposits.inertia_axes()
        euler = deposits.euler_numbers()
        for k, region in enumerate(regions[i] for i in order):
            assert deposits.areas[k] == region.area
            assert (major[k] / 4) ** 2 - 1 / 12 == pytest.approx(
                (region.axis_major_length / 4) ** 2, rel=1e-9, abs=1e-9
            )
            assert (minor[k] / 4) ** 2 - 1 / 12 == pytest.approx(
                (region.axis_minor_length / 4) ** 2, rel=1e-9, abs=1e-9
            )
            assert euler[k] == region.euler_number
            checked += 1
    assert checked >= 30


@pytest.mark.parametrize("seed", range(4))
def test_euler_numbers_from_runs_agree_with_scikit_image_on_random_masks(seed):
    """Random masks full of holes, diagonal contacts and pieces on every ROI border."""
    from skimage.measure import label, regionprops

    from calciscope.imaging.deposits import Deposits

    rng = np.random.default_rng(seed)
    mask = rng.random((60 + seed, 70 - seed)) < 0.45 + 0.05 * seed
    deposits = Deposits(mask, 1)
    regions = sorted(regionprops(label(mask, connectivity=2)), key=lambda r: r.label)
    assert deposits.count == len(regions) > 5
    assert [r.euler_number for r in regions] == deposits.euler_numbers().tolist()
    assert min(deposits.euler_numbers()) < 0  # deposits with several holes were checked
