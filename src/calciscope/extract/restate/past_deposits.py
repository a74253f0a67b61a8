"""A deposit that is gone, beside a negated calcinosis (notesacc13).

A negated calcinosis beside a sentence naming a deposit as excised, resorbed or "has not
recurred" ("No current calcinosis. The olecranon deposit excised in 2020 has not recurred."),
or going on "since the excision of ..." or (notesacc14) "..., removed 2021, none since", is a
history of calcinosis at the deposit's sites.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Mention
from calciscope.extract.restate.guards import _NOT_CALCIUM
from calciscope.extract.restate.lending import (
    _ANCHORS,
    _LAYERS,
    _calcinosis,
    _index,
    _lend,
    _next_sentences,
    _sites,
)
from calciscope.extract.rules import load_word_list

# A deposit that is gone ("The olecranon deposit excised in 2020 has not recurred", "the
# deposit was curetted out", "the lump has resorbed"): a history of calcinosis.
_REMOVED = re.compile(
    r"(?<![a-z])(?:excised|excision|removed|removal|resected|resection|debrided|debridement|"
    r"curetted|curettage|extruded|extracted|shelled\s+out|drained|resorbed|resolved|regressed|"
    r"disappeared|(?:not|never)\s+(?:recurred|returned|come\s+back|reformed|re-formed)|"
    r"without\s+recurrence|no\s+recurrence)(?![a-z])",
    re.I,
)
# "No calcinosis since the excision of a thumb deposit in 2018": in the finding's own sentence.
_SINCE_REMOVED = re.compile(
    r"\W*(?:[a-z]+\s+){0,3}?(?:since|after|following)\s+(?:the\s+|its\s+|their\s+|her\s+|his\s+)?"
    r"(?:surgical\s+)?(?:excision|removal|resection|debridement|curettage)(?![a-z])",
    re.I,
)
# "Ca deposits R elbow, excised 2019, none since": the finding's own sentence goes on to say
# it was removed and has not come back.
_REMOVED_NONE_SINCE = re.compile(
    r"[^.;\n]{0,40}?(?<![a-z])(?:excised|removed|resected|debrided|curetted|extracted)(?![a-z])"
    r"[^.;\n]{0,24}?(?<![a-z])(?:none|nil|nothing|no\s+(?:more|new|further|recurrence))"
    r"\s+since(?![a-z])",
    re.I,
)
_REMOVED_STEMS = (
    "excis",
    "remov",
    "resect",
    "debrid",
    "curett",
    "extru",
    "extract",
    "shelled",
    "drain",
    "resorb",
    "resolv",
    "regress",
    "disappear",
    "recur",
    "return",
    "come back",
    "form",
)
# A deposit noun says what was removed; bare "calcium" ("calcium is now normal") does not.
_PAST_DEPOSIT = re.compile(
    r"(?<![a-z])(?:deposits?|concretions?|calcifications?\s+(?:of|in)\s+(?:the\s+)?"
    r"(?:skin|subcutis|subcutaneous))(?![a-z])",
    re.I,
)
_PAST_LUMP = re.compile(r"(?<![a-z])(?:nodules?|lumps?)(?![a-z])", re.I)
# A lump that was calcium-like; "hard" is not enough ("a hard lump removed from the breast"),
# nor bare "calcium". The words: targets.yaml ``calcium_words``, variant removed_lump.
_PAST_CHALKY = load_word_list("calcium_words").pattern("removed_lump")


def _negated_calcinosis(anchor: Mention) -> bool:
    return (
        _calcinosis(anchor)
        and anchor.is_negated
        and not (anchor.is_uncertain or anchor.is_hypothetical or anchor.is_family)
    )


def _removed_near(anchor: Mention, text: str) -> bool:
    """Return whether a word of removal is near a finding (its sentence and about two more)."""
    return _removed_in(text, *anchor.sentence)


@functools.lru_cache(maxsize=8)
def _removed_in(text: str, a: int, b: int) -> bool:
    """:func:`_removed_near` of a sentence (once per sentence, not per finding in it)."""
    near = text[max(0, a - 300) : b + 400].lower()
    # substrings first: the expression, which starts with a look-behind, is tried at every
    # character, and a negated calcinosis is common ("No calcinosis.")
    return any(w in near for w in _REMOVED_STEMS) and _REMOVED.search(near) is not None


def _past_deposits(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Read a negated calcinosis beside a deposit that is gone as a history of calcinosis.

    "No current calcinosis. The olecranon deposit excised in 2020 has not recurred." (or, in its
    own sentence, "calcium deposits at the heel, removed 2021, none since"): the
    patient had calcinosis, so the finding is historical (present, as "resolved" calcinosis is;
    docs/notes.md), at the sites of the deposit. Only the sentence before and the next two of
    the same section are read; one with a finding or another lump of its own, a deposit of
    something other than calcium ("urate"), or a bare nodule or lump not described as
    calcium-like, lends nothing.
    """
    for anchor in anchors:
        i = _index(every, anchor)
        if i is None:
            continue
        if _SINCE_REMOVED.match(text, anchor.end, anchor.sentence[1]) or (
            _REMOVED_NONE_SINCE.match(text, anchor.end, anchor.sentence[1])
        ):
            _was_present(anchor)
            continue
        near = _next_sentences(every, anchor, text)[1]
        ks = [k for k in range(max(0, i - 1), min(i + 5, len(every))) if k != i]
        for k in ks:
            c, d, section = every[k]
            if (k < i and section != every[i][2]) or (k > i and c not in near):
                continue
            if not _REMOVED.search(text, c, d) or _NOT_CALCIUM.search(text, c, d):
                continue
            if not (
                _PAST_DEPOSIT.search(text, c, d)
                or (_PAST_LUMP.search(text, c, d) and _PAST_CHALKY.search(text, c, d))
            ):
                continue
            mentions = find(c, d, _LAYERS, True)
            if any(
                m.category in _ANCHORS
                or m.metadata.get("other_finding")
                or m.metadata.get("organ")
                or m.metadata.get("not_calcinosis")
                for m in mentions
            ):
                continue  # another finding, an organ ("the thyroid"), a look-alike
            _was_present(anchor)
            _lend(anchor, "regions", _sites(mentions, text), text, mentions)
            break


def _was_present(anchor: Mention) -> None:
    """Read a negated calcinosis as a history of calcinosis (a deposit that is gone)."""
    anchor.is_negated = False
    anchor.is_historical = True
    anchor.links["status_from"] = "restated"
