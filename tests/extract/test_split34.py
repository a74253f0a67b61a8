"""split34: the clause break between another skin finding and a body region has its own name.

From notesfix31 until split34, ``linking.py`` defined ``_CLAUSE_BREAK`` twice; the second (for
a net's elements) replaced the first at import, so a region after "while" with no comma went to
the other finding. The break now has its own name and breaks where either pattern did. All
sentences are SYNTHETIC.
"""

from __future__ import annotations

import pytest

from calciscope.extract import NoteExtractor

extractor = NoteExtractor()


def _sites(text: str) -> list[str]:
    (calcinosis,) = [m for m in extractor.extract(text) if m.category == "CALCINOSIS"]
    return [entry["region"] for entry in calcinosis.links.get("regions") or []]


@pytest.mark.parametrize(
    ("text", "region"),
    [
        # the first pattern's breaks: "while" without a comma (lost from notesfix31 to split34)
        ("Puffy fingers while both elbows show calcinosis.", "elbow"),
        ("Sclerodactyly while both forearms are studded with calcinosis.", "forearm"),
        # the second pattern's: ", with", ", as well", any case
        ("Sclerodactyly of both hands, with the elbows showing calcinosis.", "elbow"),
        ("Puffy fingers, as well as the elbows showing calcinosis.", "elbow"),
        ("Sclerodactyly, AND both forearms are studded with calcinosis.", "forearm"),
    ],
)
def test_a_clause_break_gives_the_region_back_to_the_calcinosis(text, region):
    assert _sites(text) == [region]


def test_without_a_break_the_region_stays_the_other_findings():
    # control: the hands are the skin thickening's site, the elbow the calcinosis's
    text = "Skin thickening of the face and hands, with calcinosis at the elbow."
    assert _sites(text) == ["elbow"]
    assert _sites("Puffy fingers and calcinosis.") == []
