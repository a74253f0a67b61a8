"""Fixtures shared by the note-extraction tests: one extractor and one summary helper.

Every file of tests/extract takes ``extractor`` and ``summary`` from here (hardening24: the
``test_notes*`` files each built a module-scoped extractor of their own, the packaged rules
every time, and repeated a ``_summary`` helper). A test that needs other rules builds its own. The checks of
a reading that the files share, and the loading of a probe set, are in readings.py (hygiene37).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calciscope.extract import NoteExtractor
from calciscope.extract.evaluation import DocumentSummary, summarise_document

# the checks of readings.py, shared by the test files, show both sides when they fail
pytest.register_assert_rewrite(f"{__package__}.readings")


@pytest.fixture(scope="session")
def extractor() -> NoteExtractor:
    """One extractor with the packaged rules (building the matchers takes a moment)."""
    return NoteExtractor()


@pytest.fixture(scope="session")
def summary(extractor: NoteExtractor) -> Callable[..., DocumentSummary]:
    """``summary(text, report=False)``: the document-level reading of a text."""

    def read(text: str, report: bool = False) -> DocumentSummary:
        return summarise_document(extractor.extract(text, report=report))

    return read
