"""Links between a finding and a sentence that restates it elsewhere in the document.

Linking (:mod:`calciscope.extract.linking`) reads a finding's attributes in its own sentence,
the next one and, when it refers back, the one after. Letters and reports also restate a
finding further away, in another section, and this package reads those restatements, one
concept per module (each module's docstring says what it reads and why):

- :mod:`~calciscope.extract.restate.explained`: what the next sentence says a bare
  calcification is ("Appearances are those of myositis ossificans.").
- :mod:`~calciscope.extract.restate.site_lists`: a sites line ("Sites: both forearms.") and
  the indented lines under a list item of the finding's own name ("2. Calcinosis cutis").
- :mod:`~calciscope.extract.restate.deposits`: deposits described in another sentence (the
  sentence before that "these represent", a next one naming the deposits again, a further
  deposit, chalky matter, chalky deposits later).
- :mod:`~calciscope.extract.restate.described_before`: "described before, named later", the
  look-back of a calcinosis that names no site (notesacc16), and
  :mod:`~calciscope.extract.restate.guards`, what lends nothing (notesacc18, notesfix11).
- :mod:`~calciscope.extract.restate.restated_pattern`: morphology restated in another section.
- :mod:`~calciscope.extract.restate.sites_again`: sites said again ("at each of these sites",
  "the same process").
- :mod:`~calciscope.extract.restate.wound_base`: the base of an ulcer.
- :mod:`~calciscope.extract.restate.past_deposits`: a deposit that is gone, beside a negated
  calcinosis (notesacc13, notesacc14).
- :mod:`~calciscope.extract.restate.population`: the patient's own answer after a statement
  about a population ("Many patients with SSc develop calcinosis; our patient has none.").
- :mod:`~calciscope.extract.restate.table_column`: a pipe table whose header row names the
  finding, answered yes or no row by row (probes36).
- :mod:`~calciscope.extract.restate.addendum` (called by the extractor, not here): an addendum
  that withdraws an earlier finding.
- :mod:`~calciscope.extract.restate.lending` (how a sentence's sites and pattern are lent,
  and ``hand_of_fingers``) and :mod:`~calciscope.extract.restate.imaging_field`
  (``names_field``), used by the others and by linking.

The document-wide search runs only for documents with such a calcinosis (a few in a hundred
demo notes); other notes pay a few cheap checks (about 1-2 % of extraction, docs/notes.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from calciscope.extract.mention import Mention
from calciscope.extract.restate.deposits import _THE_DEPOSITS as _THE_DEPOSITS
from calciscope.extract.restate.deposits import _deposit_cue, _deposit_sites
from calciscope.extract.restate.described_before import _DENSITY, _DESCRIBED, _FLAT
from calciscope.extract.restate.explained import _explain_back
from calciscope.extract.restate.imaging_field import names_field
from calciscope.extract.restate.lending import (
    _ANCHORS,
    _affirmed,
    _calcinosis,
    _no_sites,
    hand_of_fingers,
)
from calciscope.extract.restate.past_deposits import (
    _negated_calcinosis,
    _past_deposits,
    _removed_near,
)
from calciscope.extract.restate.population import answer_population, population_questions
from calciscope.extract.restate.restated_pattern import _pattern_words, _restated_pattern
from calciscope.extract.restate.site_lists import _HEAD_AFTER as _HEAD_AFTER
from calciscope.extract.restate.site_lists import _WHITE as _WHITE
from calciscope.extract.restate.site_lists import (
    _bracket_sites,
    _has_site_label,
    _heading_sites,
    _heads_list,
    _label_sites,
    _opens_list,
)
from calciscope.extract.restate.sites_again import (
    THESE_SITES,
    _bare,
    _clause_sites,
    _same_process,
    _same_words,
)
from calciscope.extract.restate.table_column import read_site_columns, read_tables
from calciscope.extract.restate.wound_base import _WOUND_BASE, _base_sites

# ``X as X`` above: private patterns the tests read as ``restate.<name>`` (since before the split)
__all__ = ["THESE_SITES", "hand_of_fingers", "link_restated", "names_field"]


def link_restated(
    sentences: Sequence[Sequence[Mention]],
    text: str,
    spans: Callable[[], list[tuple[int, int, int]]],
    find: Callable[..., list[Mention]],
    kinds: Sequence[str | None] = (),
) -> None:
    """Link findings to the sentences that restate them (in place; see the module doc).

    Parameters
    ----------
    sentences
        The mentions of each sentence, linked (:func:`~calciscope.extract.linking.link_calcinosis_attributes`).
    text
        The document.
    spans
        Returns ``(start, end, section)`` of every sentence of the document.
    find
        ``find(a, b, layers, context)``: the mentions of ``layers`` in ``text[a:b]``.
    kinds
        The category of each section ("impression", "family_history"), by section index.
    """
    anchors = [m for sentence in sentences for m in sentence if m.category in _ANCHORS]
    if any(a.metadata.get("not_calcinosis") for a in anchors):
        _explain_back(sentences, text)
    bare = [a for a in anchors if _bare(a, text)]
    found = [a for a in anchors if _calcinosis(a) and _affirmed(a)]
    same = any(_same_words(text[a.sentence[1] : a.sentence[1] + 200]) for a in found)
    no_sites = [a for a in found if _no_sites(a)]
    no_pattern = [a for a in found if a.links.get("regions") and not a.links.get("morphology")]
    labelled = bool(no_sites) and _has_site_label(text)
    based = [a for a in no_sites if _WOUND_BASE.match(text, a.sentence[0], a.sentence[1])]
    hits = _pattern_words(anchors, text, find) if no_pattern else []
    # ... or a pathology report's specimen line, which names where the tissue came from
    # whatever words its microscopy uses ("a band of basophilic amorphous material";
    # notesacc31)
    described = any(_no_sites(a) for a in found) and (
        "specimen" in kinds
        or any(r.search(text) is not None for r in (_DESCRIBED, _FLAT, _DENSITY))
    )
    deposits = [a for a in found if _deposit_cue(a, text, described)]
    headed = [a for a in no_sites if _heads_list(a, text)]
    bracketed = [a for a in found if _opens_list(a, text)] if ";" in text else []
    past = [a for a in anchors if _negated_calcinosis(a) and _removed_near(a, text)]
    asked = population_questions(anchors, text)
    read_tables(found, text, find)
    read_site_columns(anchors, text, find)
    if not any((hits, labelled, bare, same, based, deposits, headed, past, bracketed, asked)):
        return
    every = spans()
    if asked:
        answer_population(asked, sentences, every, text)
    _bracket_sites(bracketed, every, text, find)
    _past_deposits(past, every, text, find)  # each does nothing for an empty list
    _heading_sites(headed, every, text, find)
    if based:
        _base_sites(based, every, text, find)
    if bare:
        _clause_sites(bare, every, text, find)
    if same:
        _same_process(found, every, text, find)
    if labelled:
        _label_sites(no_sites, every, text, find)
    if deposits:
        _deposit_sites(deposits, every, text, find, kinds)
    if hits:
        _restated_pattern(no_pattern, hits, every, text, find, kinds)
