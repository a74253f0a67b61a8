"""Row runs and their pieces: the same labelling as SciPy's, and the small-hole filling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from calciscope.imaging.runs import Runs, expand
from calciscope.imaging.segmentation import _fill_small_holes


def _masks():
    rng = np.random.default_rng(12)
    for density in (0.1, 0.35, 0.5, 0.65, 0.9):
        yield rng.random((47, 53)) < density
    yield np.zeros((9, 11), dtype=bool)
    yield np.ones((9, 11), dtype=bool)
    yield np.eye(12, dtype=bool)  # diagonal contacts only


@pytest.mark.parametrize("eight", [True, False])
def test_pieces_are_scipy_labels_in_the_same_order(eight):
    structure = np.ones((3, 3), dtype=bool) if eight else None
    for mask in _masks():
        labels, count = ndimage.label(mask, structure=structure)
        runs = Runs.of(mask, eight=eight)
        assert runs.count == count
        painted = np.zeros(mask.size, dtype=np.intp)
        painted[runs.flat()] = np.repeat(runs.piece + 1, runs.length)
        assert np.array_equal(painted.reshape(mask.shape), labels)
        assert np.array_equal(runs.sizes(), np.bincount(labels.ravel(), minlength=count + 1)[1:])


def test_expand_lists_every_run_pixel():
    first, length = np.array([2, 10, 11]), np.array([3, 1, 2])
    assert expand(first, length).tolist() == [2, 3, 4, 10, 11, 12]
    assert expand(np.zeros(0, np.intp), np.zeros(0, np.intp)).size == 0


def test_small_holes_filled_as_with_a_whole_image_labelling():
    for mask in _masks():
        holes, count = ndimage.label(~mask)
        small = np.bincount(holes.ravel(), minlength=count + 1) < 4
        small[0] = False
        assert np.array_equal(_fill_small_holes(mask, 4), mask | small[holes])
