"""The patient's own answer after a statement about a population (notesacc23).

"Many patients with SSc develop calcinosis; our patient has none so far." The first clause is
about a population (a HYPOTHETICAL trigger of ``context.yaml``: "some people get", "is common
in SSc"), and says nothing about the patient; the next clause or sentence answers for the
patient with a word that stands for the finding ("none", "not", "no such"). Sentence by
sentence, the finding was only hypothetical and the answer had nothing to negate, so the
document read as not mentioning calcinosis (or, with no population trigger, as affirming it).
A sentence with no finding of its own that starts with the patient and denies ("she has none",
"our patient has not (yet) developed it", "he has had none so far") negates the calcinosis of
the population statement just before it in its section. Only a population's calcinosis
(hypothetical, not a relative's) is answered so: after the patient's own finding ("She had
calcinosis at the elbow. She has none now.") the answer is left as it is. The answer may also
come in the same sentence, in a clause turned by "but", "however", "whereas" or "while", and
may leave out the verb ("Calcinosis is common in SSc, but she has not"; notesacc26).

A questioned calcinosis is answered only by a test that "shows none", opening the next
sentence and ending its clause (notesacc37; fix43): "?Calcinosis at the left elbow. Ultrasound
shows none." negates it (the test words: ``clause_words`` test_subject, test_det, test_when).
The patient's "she has none (of ...)", "she did not have any" and a "none of the erosions" or
"none at the knee" leave a questioned finding uncertain (review 43 H4: they answer another
question). A finding stated as present is never answered so ("She had calcinosis at the knee.
She has none now.", "Calcinosis at the elbow. Repeat X-ray shows none." stay affirmed: a
deposit that was there counts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calciscope.extract.mention import Mention
from calciscope.extract.restate.lending import _ANCHORS, _calcinosis
from calciscope.extract.rules import load_word_list

_CLAUSE = load_word_list("clause_words")
_TESTS = _CLAUSE.alternation("test_subject")

#: Where a denial with its verb left out ends: the sentence or clause ends, or a comma before a
#: new clause ("..., but she has not, so far, had it" denies another verb; review 22).
_DENIAL_END = r"(?=\s*(?:[.;)\n]|,\s*(?:but|and|although|though|which)(?![a-z])|$))"

#: The patient, then a denial that stands for the finding just named.
_PATIENT_NONE = re.compile(
    r"\W*(?:but\s+|however,?\s+|whereas\s+|while\s+)?(?:she|he|our\s+patient|the\s+patient|"
    r"this\s+patient|"
    r"this\s+(?:lady|woman|man|girl|boy|child)|mr\.?\s+\w+|mrs\.?\s+\w+|ms\.?\s+\w+)\s+"
    r"(?:has\s+(?:had\s+)?none|had\s+none|shows\s+none|showed\s+none|has\s+not\s+(?:yet\s+)?"
    r"(?:developed|had)\s+(?:it|any|this|them)|(?:does|did)\s+not\s+have\s+(?:it|any|this|them)|"
    # the verb left out: "..., but she has not (yet)." (notesacc26)
    # (a comma only before a clause word: "..., but she has not, to date, had an x-ray" is
    # another verb's denial; review 22)
    r"(?:has|does|did)\s+not(?:\s+(?:yet|so\s+far|to\s+date))?" + _DENIAL_END + ")"
    r"(?![a-z])",
    re.IGNORECASE,
)


#: A test that answers a questioned finding with "none" and nothing after it: "?Calcinosis at
#: the elbow. Ultrasound shows none." (notesacc37). Not "X-ray shows none of the erosions of
#: gout", "The scan showed none at the knee though" (another thing, another site; fix43, review
#: 43 H4). Its words: ``clause_words`` test_subject, test_det, test_when (targets.yaml).
_TEST_NONE = re.compile(
    r"\W*(?:(?:" + _CLAUSE.alternation("test_det") + r")\s+){0,2}(?:" + _TESTS + r")"
    r"(?:\s+(?:" + _CLAUSE.alternation("test_when") + r"|of\s+the\s+[a-z]+))?\s+"
    r"(?:show|shows|showed)\s+none" + _DENIAL_END,
    re.IGNORECASE,
)

#: A denial :data:`_PATIENT_NONE` may start with, looked for in the document first (most
#: hypothetical calcinosis is a plan: "X-rays to look for calcinosis"; no sentence split then).
#: (It starts with a character set, so ``re`` skips to the candidate letters in C.)
_DENIAL = re.compile(
    r"[hsd](?<![a-z][hsd])(?:(?<=h)a[sd]\s+(?:had\s+)?none|(?<=s)how(?:s|ed)\s+none|"
    r"(?<=h)as\s+not\s+(?:yet\s+)?(?:developed|had)|(?<=d)(?:oes|id)\s+not\s+have|"
    r"(?<=[hd])(?:as|oes|id)\s+not(?:\s+(?:yet|so\s+far|to\s+date))?" + _DENIAL_END + r")(?![a-z])",
    re.IGNORECASE,
)


def population_questions(anchors: Sequence[Mention], text: str) -> list[Mention]:
    """Return the calcinosis mentions a population statement made hypothetical, if answered."""
    asked = [
        a
        for a in anchors
        if (a.is_hypothetical or (a.is_uncertain and not a.is_negated))
        and not a.is_family
        and _calcinosis(a)
    ]
    return asked if asked and _DENIAL.search(text) is not None else []


def answer_population(
    asked: Sequence[Mention],
    sentences: Sequence[Sequence[Mention]],
    every: Sequence[tuple[int, int, int]],
    text: str,
) -> None:
    """Negate a population's calcinosis the patient's denial answers (in place).

    The denial follows in the same sentence after "but", "however", "whereas" or "while"
    (:func:`_answered_in_sentence`), or opens the next sentence of the same section.

    Parameters
    ----------
    asked
        :func:`population_questions` of the document.
    sentences
        The mentions of each sentence (only their anchors are read).
    every
        ``(start, end, section)`` of every sentence of the document.
    text
        The document.
    """
    found = {a.start for sentence in sentences for a in sentence if a.category in _ANCHORS}
    for anchor in asked:
        index = next(
            (i for i, s in enumerate(every) if s[0] <= anchor.start < s[1]),
            None,
        )
        if index is None:
            continue
        if not (anchor.is_hypothetical and _answered_in_sentence(anchor, every[index][1], text)):
            if index + 1 >= len(every):
                continue
            start, end, section = every[index + 1]
            if section != every[index][2] or any(start <= f < end for f in found):
                continue
            # a population's question is answered by the patient, a questioned finding
            # only by a test that shows none (fix43, review 43 H4)
            answer = _PATIENT_NONE if anchor.is_hypothetical else _TEST_NONE
            if answer.match(text, start, end) is None:
                continue
        anchor.is_hypothetical = False
        anchor.is_uncertain = False
        anchor.is_negated = True
        anchor.links["status_from"] = "restated"


#: A clause after the population's finding in its own sentence that turns to the patient.
#: (It starts with a character set, so ``re`` skips to the candidate letters in C; the comma and
#: spaces before the word are left to ``_PATIENT_NONE``'s leading ``\W*``; notesfix26.)
_TURN = re.compile(r"[bhw](?<![a-z][bhw])(?:ut|owever|hereas|hile)(?![a-z])", re.IGNORECASE)


def _answered_in_sentence(anchor: Mention, end: int, text: str) -> bool:
    """Whether the patient's denial follows in the same sentence ("..., but she has not").

    Only in a clause turned by "but", "however", "whereas" or "while" after the finding
    (notesacc26).
    """
    for turn in _TURN.finditer(text, anchor.end, end):
        if _PATIENT_NONE.match(text, turn.start(), end) is not None:
            return True
    return False
