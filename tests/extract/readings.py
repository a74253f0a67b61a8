"""What a note reads as, for the note-extraction tests: probe sets and the checks of a reading.

The ``extractor`` and ``summary`` fixtures are in conftest.py; this module holds what the
``test_*`` files repeated beside them (hygiene37): the type of ``summary``, reading a probe set
of tests/extract/data (SYNTHETIC, one JSON object a line) into test parameters, and the checks
of a document's reading (:class:`~calciscope.extract.evaluation.DocumentSummary`). conftest.py
registers it for pytest's assertion rewriting, so a failed check shows both sides.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pytest

from calciscope.extract.evaluation import DocumentSummary

#: The ``summary`` fixture: ``summary(text, report=False)`` reads a text as a letter or report.
Read = Callable[..., DocumentSummary]


def load_probes(name: str) -> list[dict[str, Any]]:
    """Return the probes of ``tests/extract/data/<name>``, one JSON object a line."""
    return [
        json.loads(line)
        for line in (Path(__file__).parent / "data" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def probe_params(probes: list[dict[str, Any]], still_open: Collection[str]) -> list[Any]:
    """Return the probes as test parameters, those of ``still_open`` strict expected failures."""
    return [
        pytest.param(p, marks=pytest.mark.xfail(strict=True)) if p["id"] in still_open else p
        for p in probes
    ]


def assert_batches_whole(probes: list[dict[str, Any]]) -> None:
    """Check that a probe set's batches are numbered from 1 without a gap, all SYNTHETIC."""
    batches = {p["batch"] for p in probes}
    assert batches == set(range(1, max(batches) + 1))
    assert all(p["note"].startswith("SYNTHETIC") for p in probes)


def assert_reads_as_written(read: DocumentSummary, probe: dict[str, Any]) -> None:
    """Check a probe's calcinosis status, morphology and body regions (sorted) as written."""
    assert (read.calcinosis, read.morphology, read.regions) == (
        probe["calcinosis"],
        tuple(sorted(probe["morphology"])),
        tuple(sorted(probe["regions"])),
    )


def assert_affirmed_at(read: DocumentSummary, regions: tuple[str, ...]) -> None:
    """Check that calcinosis reads as affirmed, at exactly these body regions."""
    assert read.calcinosis == "affirmed" and read.regions == regions


def assert_affirmed_as(read: DocumentSummary, morphology: tuple[str, ...]) -> None:
    """Check that calcinosis reads as affirmed, with exactly this morphology."""
    assert read.calcinosis == "affirmed"
    assert read.morphology == morphology


def assert_sheet_like_at(read: DocumentSummary, regions: tuple[str, ...]) -> None:
    """Check that calcinosis reads as affirmed and sheet-like, at exactly these body regions."""
    assert read.calcinosis == "affirmed"
    assert read.morphology == ("sheet_like",) and read.regions == regions
