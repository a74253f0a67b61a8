"""Row runs of a binary image and their connected pieces (the labelling of the deposits).

A mask's pixels are kept as its row runs (row, first column, length, in raster order). Two runs
on consecutive rows touch when their column ranges overlap (4-connectivity) or overlap once
widened by one column (8-connectivity); the pieces of the mask are the connected components of
that graph of runs (SciPy's ``csgraph.connected_components``), numbered in raster order of
their first pixel as ``scipy.ndimage.label`` numbers them. A deposit mask of a hand film has a
few tens of thousands of runs for five million pixels, so this costs a fraction of a
whole-image labelling (the same pieces, tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Runs", "expand", "next_row_pairs"]


@dataclass(frozen=True)
class Runs:
    """The row runs of a mask (raster order) and the piece each belongs to.

    Attributes
    ----------
    y, x0, length
        Row, first column and length of each run.
    piece
        The run's piece, 0..count-1 in raster order of the pieces' first pixels.
    count
        Number of pieces.
    cols
        Width of the mask.
    """

    y: np.ndarray
    x0: np.ndarray
    length: np.ndarray
    piece: np.ndarray
    count: int
    cols: int

    @classmethod
    def of(cls, mask: np.ndarray, eight: bool) -> Runs:
        """Find the runs of a 2-D boolean mask and its 8- (or 4-) connected pieces."""
        rows, cols = mask.shape
        # where a row changes, at the boundary before each column and after the last one: on
        # every row a run starts at one change and ends (exclusive) at the next
        change = np.empty((rows, cols + 1), dtype=bool)
        change[:, 0] = mask[:, 0]
        change[:, cols] = mask[:, -1]
        np.not_equal(mask[:, 1:], mask[:, :-1], out=change[:, 1:cols])
        edges = np.flatnonzero(change)
        starts = edges[0::2]
        y, x0 = np.divmod(starts, cols + 1)
        length = edges[1::2] - starts
        piece, count = _pieces(y, x0, x0 + length - 1, cols, 1 if eight else 0)
        return cls(y, x0, length, piece, count, cols)

    def sizes(self) -> np.ndarray:
        """Pixels per piece."""
        return np.bincount(self.piece, self.length, minlength=self.count).astype(np.intp)

    def flat(self, which: np.ndarray | None = None) -> np.ndarray:
        """Flat indices (raster order) of the pixels of the runs ``which`` (all by default)."""
        y, x0, length = self.y, self.x0, self.length
        if which is not None:
            y, x0, length = y[which], x0[which], length[which]
        return expand(y * self.cols + x0, length)


def expand(first: np.ndarray, length: np.ndarray) -> np.ndarray:
    """``first[i], first[i] + 1, ..., first[i] + length[i] - 1`` for every i, concatenated."""
    total = int(length.sum())
    if total == 0:
        return np.zeros(0, dtype=np.intp)
    offsets = np.cumsum(length) - length
    out = np.ones(total, dtype=np.intp)
    out[0] = first[0]
    # each run begins where the previous one's last step left off
    out[offsets[1:]] = first[1:] - (first[:-1] + length[:-1] - 1)
    return np.cumsum(out)


def next_row_pairs(
    y: np.ndarray, x0: np.ndarray, x1: np.ndarray, cols: int, wide: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of runs (upper, lower; raster order) on consecutive rows that touch.

    They touch when their column ranges overlap once widened by ``wide`` (0: 4-connected,
    1: 8-connected). The runs must be in raster order and disjoint.
    """
    # a run's keys place it in raster order with a free column on each side of a row, so keys
    # of different rows never meet; both key lists are sorted (runs are disjoint)
    width = cols + 2
    below = (y + 1) * width
    # the runs of the next row that start at most ``wide`` after this run's end, less those
    # that end more than ``wide`` before its start (every run of this row or above is in both)
    hi = np.searchsorted(y * width + x0, below + x1 + wide, side="right")
    lo = np.searchsorted(y * width + x1, below + x0 - wide, side="left")
    pairs = hi - lo
    upper = np.repeat(np.arange(len(y)), pairs)
    lower = expand(lo[pairs > 0], pairs[pairs > 0])
    return upper, lower


def _pieces(
    y: np.ndarray, x0: np.ndarray, x1: np.ndarray, cols: int, wide: int
) -> tuple[np.ndarray, int]:
    """Return the connected pieces of the runs (raster order) and their count."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(y)
    if n == 0:
        return np.zeros(0, dtype=np.intp), 0
    source, target = next_row_pairs(y, x0, x1, cols, wide)
    graph = coo_matrix((np.ones(len(source), dtype=np.int8), (source, target)), shape=(n, n))
    count, piece = connected_components(graph, directed=False)
    # renumber in raster order of each piece's first run (the order of ndimage.label)
    first = np.full(count, n, dtype=np.intp)
    np.minimum.at(first, piece, np.arange(n))
    rank = np.empty(count, dtype=np.intp)
    rank[np.argsort(first)] = np.arange(count)
    return rank[piece], int(count)
