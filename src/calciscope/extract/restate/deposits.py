"""Deposits described in another sentence.

An affirmed calcinosis takes the sites (and a missing pattern) of the sentence before when its
own refers back ("... hard nodules on both index fingers. These represent calcinosis."), of a
next sentence naming the deposits again ("The deposits involve both elbows.") or its chalky
matter ("... from which chalky white liquid can be expressed", notesacc15), of a next clause
or sentence naming *a further deposit* ("...; a small deposit remains at the left knee",
notesacc13) and, when it names no site, of a next sentence naming a deposit or a later one
describing chalky or gritty deposits ("Exam: gritty nodules over both olecranons"), or one of
the six sentences before it that describes deposits with no word pointing back
(:mod:`~calciscope.extract.restate.described_before`, notesacc16). A sentence with a finding,
another skin finding, an organ, a vessel or lymph node, or a look-alike of its own lends
nothing (:mod:`~calciscope.extract.restate.guards`). An imaging title's region gives way to the
sites lent, and so does the imaging field a lending sentence names ("Plain films of the wrists
and shins reveal ...") beside other sites.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate.described_before import (
    _COLOURED_PAPULES,
    _FLAT,
    _described_before,
    _flat_calcium,
)
from calciscope.extract.restate.guards import (
    _DEEP_SITE,
    _NOT_CALCIUM,
    _NOT_SKIN,
    _SKIN_WORD,
    _chalky_own,
)
from calciscope.extract.restate.imaging_field import _imaging, names_field
from calciscope.extract.restate.lending import (
    _ANCHORS,
    _WITH_MODALITY,
    _index,
    _lend,
    _next_sentences,
    _no_sites,
    _sites,
    _untitled,
)
from calciscope.extract.rules import load_word_list

# "These represent calcinosis cutis": the calcinosis is what the sentence before describes.
_THESE_ARE = re.compile(
    r"\W*(?:these|this|they|the\s+(?:lesions?|nodules?|deposits?|lumps?))\s+(?:represent|are|is|"
    r"were|was|reflect|correspond\s+to)(?![a-z])",
    re.I,
)
# "The deposits involve both elbows", "The deposits at the right elbow ... are no longer
# palpable": a next sentence that names the deposits again, with the definite article.
_THE_DEPOSITS = re.compile(
    r"\W*(?:the|these|those|both|all(?![a-z])(?:\s+the)?)\s*(?:[a-z-]+\s+){0,2}?(?:deposits?|"
    r"nodules?|lumps?|concretions?)(?![a-z])",
    re.I,
)
# Far from its calcinosis (another section: "Assessment: calcinosis. Exam: firm, gritty
# nodules over both olecranons"), a deposit is taken as the same one only when it is described
# as calcium-like; a bare "nodule" there may be anything (rheumatoid, thyroid). The words:
# targets.yaml ``calcium_words``, variant far_deposit ("hard" too).
_CHALKY = load_word_list("calcium_words").pattern("far_deposit")
# "A sinus over the right elbow still discharges chalky white material": a next sentence that
# names the chalky matter of a deposit (notesacc15), without naming the deposit itself.
_CHALKY_MATTER = re.compile(
    r"(?<![a-z])(?:chalky|gritty|paste-like|toothpaste-like)(?:\s+(?:white|whitish|yellow|"
    r"cream|creamy))?\s+(?:material|liquid|fluid|paste|discharge|debris|exudate)(?![a-z])",
    re.I,
)
_CHALKY_STEMS = ("chalky", "gritty", "paste")

# "A small deposit remains at the left knee", "Another deposit sits over the shin": a next
# clause or sentence that names a further deposit, without the definite article. Also after
# "there is / are" ("; there is a new small one at the thumb": "one" stands for the deposit
# just named, after a word of another one), and deposits compared with the ones just named
# ("Smaller rounded deposits about both knees", "Similar deposits at the elbows") or added to
# them ("Also small nodule at left knee."; notesacc23).
_FURTHER_DEPOSIT = re.compile(
    r"\W*(?:there\s+(?:is|are|was|were)\s+(?:now\s+|also\s+)?)?"
    r"(?:(?:another|a\s+(?:further|second|third|new|separate)|further|other|one\s+more|"
    r"also(?:\s+an?)?)\s+"
    r"(?:[a-z-]+\s+){0,2}?(?:deposits?|nodules?|lumps?|concretions?)|(?:another|a\s+(?:further|"
    r"second|third|new|separate))\s+(?:[a-z-]+\s+){0,2}?one|(?:an?|one|two|three|several|some|"
    r"smaller|larger|bigger|similar|additional)\s+(?:[a-z-]+\s+){0,2}?(?:deposits?|"
    r"concretions?))(?![a-z])",
    re.I,
)

# "nodular subcutaneous deposits at both sites", "lumps at each of these sites": deposits placed
# at the sites just listed, a few lines after the finding (a form's comment line after its
# "Location(s):" line; notesacc34), whatever lies between. The words: targets.yaml
# ``those_sites_words`` (fix34, review 34 M7).
_THOSE = load_word_list("those_sites_words")
_AT_THOSE_SITES = re.compile(
    r"(?<![a-z])(?:" + _THOSE.alternation("noun") + r")(?:\s+[a-z-]+){0,3}?\s+(?:at|in|on|"
    r"over)\s+(?:(?:each|all|both)\s+of\s+)?(?:"
    + _THOSE.alternation("which")
    + r")\s+(?:"
    + _THOSE.alternation("place")
    + r")(?![a-z])",
    re.I,
)
#: How far (in characters) after a calcinosis's sentence a line of deposits "at both sites" is
#: looked for, to know whether that calcinosis may have its deposits described later (a form's
#: few lines).
_AT_THOSE_REACH = 300
# plain substrings, looked for first (in C) before the pattern, whose lookbehind first makes
# ``re`` try it at every position: the same words without their optional plural
_THOSE_NOUNS = tuple(w.removesuffix("s?") for w in _THOSE.alternation("noun").split("|"))
_THOSE_PLACES = tuple(w.removesuffix("s?") for w in _THOSE.alternation("place").split("|"))

# A sentence that restates a deposit names it ("the deposit", "a hard nodule", "plates of
# calcium"); pattern words alone may describe another skin lesion ("a band-like plaque of
# morphoea along the thigh", "psoriatic plaques on both elbows").
_DEPOSIT = re.compile(
    r"(?<![a-z])(?:deposits?|nodules?|lumps?|concretions?|stones?|calcium|chalky|gritty|"
    r"sheets?|plates?)(?![a-z])",
    re.I,
)

# How many later sentences describing chalky deposits a calcinosis with no site takes.
_CHALKY_REACH = 8


#: ``not_morphology`` kinds whose sentence may still describe deposits (None: no such word).
_LENDING_NOT_MORPHOLOGY = frozenset({None, "consistency", "skin_pattern"})


def _deposit_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
    kinds: Sequence[str | None] = (),
) -> None:
    """Give a calcinosis the sites (and pattern) of a sentence that describes its deposits.

    "She has hard nodules on both index fingers. These represent calcinosis cutis." (the
    sentence before); "Radiographs confirmed calcinosis. The deposits involve both elbows." (a
    next sentence naming the deposits again); for a calcinosis with no site, a next sentence
    naming a deposit ("Exam: R 3rd DIP - 2 mm deposit"), a later one describing chalky or
    gritty deposits ("Exam: firm, gritty nodules over both olecranons") or one of the sentences
    before it (:func:`_described_before`). A sentence with a finding or another skin finding of
    its own lends nothing.
    """
    starts = [s[0] for s in every]
    chalky = _chalky_sentences(every, text) if any(_no_sites(a) for a in anchors) else []
    for anchor in anchors:
        i = _index(every, anchor, starts)
        if i is None:
            continue
        lent_back = False
        for c, d, back in _deposit_sentences(anchor, i, every, text, kinds, chalky):
            mentions = find(c, d, _WITH_MODALITY, True)
            if any(
                m.category in _ANCHORS
                or m.metadata.get("other_finding")
                or m.metadata.get("organ")
                or m.metadata.get("not_calcinosis")
                # "plate fixation", "information sheet"; not a consistency ("rock-hard") or the
                # pattern of a skin colour ("macules in a reticular pattern"; notesacc20)
                or m.metadata.get("not_morphology") not in _LENDING_NOT_MORPHOLOGY
                or m.metadata.get("tissue") in _NOT_SKIN  # "an axillary mass, likely a node"
                or (back and m.category == Category.MORPHOLOGY and m.is_negated)
                for m in mentions
            ):
                continue
            sites = _sites(mentions, text)
            modalities = [m for m in mentions if m.category == Category.MODALITY and _imaging(m)]
            fields = names_field(sites, modalities, text) if modalities else []
            if fields and not all(fields):  # the imaging field is a site only when alone
                sites = [m for m, field in zip(sites, fields, strict=True) if not field]
            calcium = back and _flat_calcium(text, c, d)
            if back and not (
                calcium
                or _SKIN_WORD.search(text, c, d)
                or _SKIN_WORD.search(text, *anchor.sentence)
            ):
                sites = [m for m in sites if not _DEEP_SITE.search(text, m.start, m.end)]
            # deposits placed "at both sites" name no site of their own: they describe the
            # finding's listed sites, so their pattern is lent all the same (fix34, review 34 H3)
            if not sites and not (back and lent_back) and not _at_those_sites(text, c, d):
                continue
            # a sentence after the one that lent the sites, with no site of its own, may still
            # describe the same deposits' pattern ("gritty areas under the skin of the back.
            # These feel like a continuous hard shell. ... calcinosis"; notesacc26)
            if sites:
                _untitled(anchor)
                _lend(anchor, "regions", sites, text, mentions)
                lent_back = lent_back or back
            # a pattern lent by one sentence does not stop the next from lending its own
            # (bullets: "plate-like calcium under the skin of both shins", "a gritty nodule at
            # the heel"; notesacc19)
            if (
                not anchor.links.get("morphology")
                or anchor.links.get("morphology_from") == "restated"
            ):
                pattern = [
                    m
                    for m in mentions
                    if m.metadata.get("morphology")
                    and not (m.is_negated or m.is_uncertain)
                    and not (
                        back
                        and not calcium
                        and _FLAT.search(text, m.start, m.end)
                        # papules of a deposit's colour are its nodules (probes35)
                        and not _COLOURED_PAPULES.search(text, m.start, m.end)
                    )
                ]
                _lend(anchor, "morphology", pattern, text, mentions)


def _chalky_sentences(every: Sequence[tuple[int, int, int]], text: str) -> list[int]:
    """Return the indices of the sentences that describe chalky or gritty deposits of one's own."""
    return [
        k
        for k, (c, d, _section) in enumerate(every)
        if _CHALKY.search(text, c, d) and _DEPOSIT.search(text, c, d) and _chalky_own(text, c, d)
    ]


def _deposit_sentences(
    anchor: Mention,
    i: int,
    every: Sequence[tuple[int, int, int]],
    text: str,
    kinds: Sequence[str | None] = (),
    chalky: Sequence[int] = (),
) -> list[tuple[int, int, bool]]:
    """Return ``(start, end, before)`` of the sentences that may describe a calcinosis's deposits.

    ``before``: a sentence before the calcinosis that describes deposits, for a calcinosis with
    no site (:func:`_described_before`). ``chalky``: the indices of the sentences describing
    chalky deposits (:func:`_chalky_sentences`); the first :data:`_CHALKY_REACH` after the
    calcinosis are taken.
    """
    a, b, section = every[i]
    picked: list[tuple[int, int, bool]] = []
    before = i > 0 and every[i - 1][2] == section and _THESE_ARE.match(text, a, b)
    if before and _DEPOSIT.search(text, *every[i - 1][:2]):
        picked.append((*every[i - 1][:2], False))
    bare = _no_sites(anchor)
    if bare:
        picked += _described_before(i, every, text, kinds, 1 if picked else 0)
    near = _next_sentences(every, anchor, text, i)[1]
    seen = set()
    for k in range(i + 1, min(len(every), i + 5)):
        c, d, _section = every[k]
        if c in near:
            seen.add(k)
            further = _FURTHER_DEPOSIT.match(text, c, d) and not _NOT_CALCIUM.search(text, c, d)
            if (
                further
                or _THE_DEPOSITS.match(text, c, d)
                or (bare and _DEPOSIT.search(text, c, d))
                or (_CHALKY_MATTER.search(text, c, d) and _chalky_own(text, c, d))
                or _at_those_sites(text, c, d)
            ):
                picked.append((c, d, False))
        elif _at_those_sites(text, c, d):
            picked.append((c, d, False))
    if bare:
        first = bisect.bisect_right(chalky, i)
        for k in chalky[first : first + _CHALKY_REACH]:
            if k not in seen:
                picked.append((*every[k][:2], False))
    return picked


def _at_those_near(text: str, b: int) -> bool:
    """Return whether the text soon after a sentence places deposits at "both sites" ..."""
    end = b + _AT_THOSE_REACH
    return _those_words(text[b:end].lower()) and _AT_THOSE_SITES.search(text, b, end) is not None


def _at_those_sites(text: str, c: int, d: int) -> bool:
    """Return whether a sentence places deposits at the sites just listed (notesacc34)."""
    return bool(
        _those_words(text[c:d].lower())
        and _AT_THOSE_SITES.search(text, c, d)
        and not _NOT_CALCIUM.search(text, c, d)
    )


def _those_words(low: str) -> bool:
    return any(w in low for w in _THOSE_PLACES) and any(w in low for w in _THOSE_NOUNS)


def _deposit_cue(anchor: Mention, text: str, described: bool) -> bool:
    """Return whether a calcinosis may have its deposits described in another sentence.

    ``described``: the document names a deposit somewhere (searched once per document).
    """
    a, b = anchor.sentence
    return bool(
        _THESE_ARE.match(text, a, b)
        or _THE_DEPOSITS.match(text, b, b + 80)
        or _FURTHER_DEPOSIT.match(text, b, b + 80)
        or (_no_sites(anchor) and described)
        or _chalky_after(text, b)
        or _at_those_near(text, b)
    )


def _chalky_after(text: str, b: int) -> bool:
    """Return whether the text after a sentence soon names chalky matter (substrings first)."""
    after = text[b : b + 300].lower()
    return any(w in after for w in _CHALKY_STEMS) and _CHALKY_MATTER.search(after) is not None
