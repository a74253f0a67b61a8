"""A sentence with many mentions: the by-position lookups give the pairwise scan's output.

ConText (``context.modifiers_reaching``) and attribute linking (``anchors.Anchors``) look
scopes, targets and anchors up by position once a sentence has more than a few of them, so one
sentence with thousands of mentions costs about linear time (``benchmarks/notes_many_findings.py``).
These tests run small instances (SYNTHETIC text) both ways and compare everything extracted;
no timing.
"""

from __future__ import annotations

import pytest

from calciscope.extract import NoteExtractor, anchors, context

TEXTS = {
    "nodules": "Ca++ nodules, nil discharge " * 40,
    "negative results": "Calcinosis" + "-ve " * 40,
    "mixed": (
        "Calcinosis of the R thumb and L index, no ulcers, ? infection, nil discharge; "
        "sheet-like calcinosis -ve " + "calcinosis at the elbow, not the knee, no pain " * 12
    ),
    "both ways": "No calcinosis or calcified nodules, denies pain " * 20
    + "but calcinosis at the hip -ve",
}


def _everything(text: str) -> list[tuple[object, ...]]:
    return [
        (
            m.start,
            m.end,
            m.category,
            m.rule_id,
            tuple(m.modifiers),
            m.is_negated,
            m.is_uncertain,
            m.is_historical,
            m.is_hypothetical,
            m.is_family,
            repr(sorted(m.links.items(), key=str)),
        )
        for m in NoteExtractor().extract(text, report=True)
    ]


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_many_mentions_in_one_sentence_same_output(name, monkeypatch):
    text = TEXTS[name]
    fast = _everything(text)
    assert len(fast) > 2 * context._FEW  # the by-position path ran
    monkeypatch.setattr(context, "_FEW", 10**9)
    monkeypatch.setattr(anchors, "_FEW_ANCHORS", 10**9)
    assert _everything(text) == fast


def test_every_modifier_index_without_first_per_rule():
    """The public function still lists every modifier reaching a target by default."""
    extractor = NoteExtractor()
    text = "Calcinosis" + " -ve" * 30
    low = text.lower()
    targets = [(m, "CALCINOSIS") for m in extractor._findings.find(low)[:1]]
    mods = extractor._modifiers(low, [(0, len(text))])
    every = context.modifiers_reaching(low, targets, mods, extractor.rules.context, (0, len(text)))
    first = context.modifiers_reaching(
        low, targets, mods, extractor.rules.context, (0, len(text)), first_per_rule=True
    )
    assert len(every[0]) == 30
    assert len(first[0]) == 1 and first[0][0] == every[0][0]
