"""Ranges in the results text: an unknown range reads "unknown", never a crash or a negative."""

from __future__ import annotations

from calciscope.report.text import value_range


def test_known_range_is_printed_with_its_format():
    assert value_range({"min": 1.0, "max": 6.0}) == "1–6"
    assert value_range({"min": 27.4, "max": 65.0}, ".0f", " to ") == "27 to 65"


def test_no_known_value_reads_unknown():
    # e.g. every case's calcinosis dated before SSc onset: no interval, a review-queue item
    assert value_range({"min": None, "max": None}) == "unknown"
