"""notesacc28: the leftovers of the older evaluation sets, one rule in one place, review 22.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set.
"""

from __future__ import annotations

import pytest

from calciscope.extract import NoteExtractor, load_rules
from calciscope.extract.evaluation import summarise_document


@pytest.fixture(scope="module")
def extractor() -> NoteExtractor:
    return NoteExtractor(load_rules())


def _summary(extractor: NoteExtractor, text: str):  # type: ignore[no-untyped-def]
    return summarise_document(extractor.extract(text))


# --- the subset as the clinician's judgement (fresh18 V32's cause) -----------------------------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("Reviewed in clinic today. His SSc looks limited to me.", "lcssc"),
        ("On balance her scleroderma appears to be diffuse, with truncal skin change.", "dcssc"),
        ("The systemic sclerosis seemed clinically limited at that visit.", "lcssc"),
        ("Her SSc looked diffuse by the time of the second biopsy.", "dcssc"),
        # controls: "limited" or "diffuse" of another finding, or no verb of judgement
        ("Her SSc seems limited by hand pain rather than anything else.", None),
        ("His SSc appears diffuse ILD on the CT, per the chest team.", None),
        ("Her SSc is limited to Raynaud's phenomenon so far.", None),
        ("Mobility looks limited; SSc under review.", None),
    ],
)
def test_subset_judged_in_a_verb_phrase(extractor: NoteExtractor, text: str, subset: str) -> None:
    assert _summary(extractor, text).subset == subset
