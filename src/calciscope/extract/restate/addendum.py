"""An addendum or correction that withdraws an earlier calcinosis finding (notesacc23).

A radiologist's addendum revises the report above it: "IMPRESSION: Calcinosis of the left thumb
tip. ADDENDUM: on review the density lies in the dressing, not in the soft tissue. There is no
calcinosis." Read sentence by sentence, the report holds one affirmed and one negated
calcinosis, and the affirmed one wins at document level; the addendum is the radiologist's last
word and withdraws it. Which sections revise what comes before them is rule data: a section
rule with ``metadata.supersedes`` (``rules/sections.yaml``: "Addendum:", "Correction:",
"Amended report:", ...).

A calcinosis that such a section negates (not hypothetical, not a relative's, not historical:
"no new calcinosis" presupposes the old) withdraws the affirmed, current calcinosis said before
the section: when the negation names body regions ("There is no calcinosis at the elbow"), only
those regions are withdrawn (a finding left with none of its regions is withdrawn); when it
names none, every earlier finding is. A withdrawn finding is negated (``links.status_from =
"addendum"``). An addendum that confirms or adds a finding negates nothing and withdraws
nothing; a history of calcinosis ("excised in 2019") is never withdrawn.

A superseding section that names no calcinosis but says what was seen is something else (a
``not_calcinosis`` finding, not negated: "Addendum: biopsy shows urate crystals; tophaceous
gout") explains the earlier bare calcifications (a calcification, not a calcinosis: "a mass
containing calcifications"), which then count toward nothing, as a next sentence that says
what a calcification is does (:mod:`~calciscope.extract.restate.explained`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate.lending import _ANCHORS, _calcinosis


def _current(mention: Mention) -> bool:
    return not (mention.is_hypothetical or mention.is_family or mention.is_historical)


def withdraw_superseded(
    sentences: Sequence[Sequence[Mention]], superseding: Collection[str]
) -> None:
    """Let a superseding section withdraw or explain the earlier findings (in place).

    Parameters
    ----------
    sentences
        The mentions of each sentence, linked, in document order.
    superseding
        The categories of the sections that revise what comes before them.
    """
    anchors = [
        m
        for sentence in sentences
        for m in sentence
        if m.category in _ANCHORS and not m.links.get("label") and _calcinosis(m)
    ]
    named = {m.section for m in anchors if m.section in superseding}
    explaining = [
        m
        for sentence in sentences
        for m in sentence
        if m.section in superseding
        and m.section not in named
        and m.metadata.get("not_calcinosis")
        and not (m.is_negated or m.is_uncertain)
        and _current(m)
    ]
    if explaining:
        _explain(anchors, explaining[0].start, named)
    for negation in anchors:
        if (
            negation.section in superseding
            and negation.is_negated
            and not negation.is_uncertain
            and _current(negation)
        ):
            _withdraw(anchors, negation)


def _explain(anchors: Sequence[Mention], first: int, named: Collection[str | None]) -> None:
    """Let the bare calcifications before ``first`` count toward nothing."""
    for earlier in anchors:
        if (
            earlier.start < first
            and earlier.category == Category.CALCIFICATION
            and not earlier.is_negated
            and _current(earlier)
            and earlier.section not in named
        ):
            earlier.links.update(explained=True, counts_as=None)
            earlier.links.pop("also_counts_as", None)


def _withdraw(anchors: Sequence[Mention], negation: Mention) -> None:
    """Negate the earlier affirmed findings (or drop their regions) that ``negation`` denies."""
    regions = {r["region"] for r in negation.links.get("regions", [])}
    for earlier in anchors:
        if earlier.start >= negation.start or earlier.section == negation.section:
            continue
        if earlier.is_negated or earlier.is_uncertain or not _current(earlier):
            continue
        own = earlier.links.get("regions", [])
        if regions:
            kept = [r for r in own if r["region"] not in regions]
            if len(kept) == len(own):
                continue  # another site: the addendum leaves it standing
            if kept:
                earlier.links["regions"] = kept
                continue
        earlier.is_negated = True
        earlier.links["status_from"] = "addendum"
