"""notesfix28: review 23 of notesacc28.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set.
"""

from __future__ import annotations

import re

import pytest

from calciscope.errors import CatalogueError
from calciscope.extract import NoteExtractor, load_rules
from calciscope.extract.evaluation import summarise_document
from calciscope.extract.rules import WordList

# --- the subset as a judgement names the disease, not a bare "sclerosis" (finding 1) ----------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("The systemic sclerosis appears diffuse on today's skin score.", "dcssc"),
        ("Her systemic sclerosis looks to be limited.", "lcssc"),
        ("Her scleroderma seems limited.", "lcssc"),
        # controls: bone sclerosis is not the disease
        ("Subchondral sclerosis appears diffuse throughout the pelvis.", None),
        ("Bone sclerosis looks diffuse, suggesting metastatic disease.", None),
        ("XR pelvis: the sclerosis seems limited to the acetabular roof.", None),
        ("Endplate sclerosis looked limited on the lumbar films.", None),
        # controls: "limited to" without a verb of judgement
        ("Her systemic sclerosis is limited to Raynaud's phenomenon so far.", None),
        ("His scleroderma is limited to the fingers at present.", None),
    ],
)
def test_subset_judgement_needs_the_disease_named(
    extractor: NoteExtractor, text: str, subset: str | None
) -> None:
    assert summarise_document(extractor.extract(text)).subset == subset


# --- WordList.skipping with a form holding a group of its own (finding 3) -----------------------


def test_skipping_keeps_a_form_with_an_inner_group_whole() -> None:
    words = WordList(
        "w", (("ston(?:y|e-hard)", {"v": "ston(?:y|e-hard)"}), ("hard", {"v": "hard"}))
    )
    skip = re.compile(words.skipping("v") + r"(?![a-z])", re.I)
    plain = re.compile(r"(?<![a-z])(?:" + words.alternation("v") + r")(?![a-z])", re.I)
    texts = ["stony", "stone-hard", "hard", "e-hard", "y", "stone", "shard", "a stony nodule"]
    for text in texts:
        assert [m.span() for m in skip.finditer(text)] == [
            m.span() for m in plain.finditer(text)
        ], text
    assert skip.fullmatch("e-hard") is None
    assert words.skipping("v").startswith("[sh]")


def test_skipping_refuses_a_bar_outside_a_group() -> None:
    with pytest.raises(CatalogueError):
        WordList("w", (("stony|stone", {"v": "stony|stone"}),)).skipping("v")


# --- the wound words are rule data (finding 4) ---------------------------------------------------


def test_wound_words_match_what_the_code_did() -> None:
    from calciscope.extract.restate import wound_base

    old = re.compile(r"(?<![a-z])(?:ulcers?|ulcerations?|wounds?|sores?)(?![a-z])", re.I)
    assert wound_base._WOUND.pattern == old.pattern
    assert wound_base._WOUND.flags == old.flags
    texts = ["Referred for an ulcer of the R shin.", "Wounds: two.", "Sore throat", "ulcerative"]
    for text in texts:
        assert [m.span() for m in wound_base._WOUND.finditer(text)] == [
            m.span() for m in old.finditer(text)
        ]


def test_found_sections_are_rule_data() -> None:
    from calciscope.extract.restate import restated_pattern

    assert frozenset({"findings", "examination"}) == restated_pattern._FOUND
    categories = {r.category for r in load_rules().sections}
    assert categories >= restated_pattern._FOUND
