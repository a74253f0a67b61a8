"""What lends nothing: the guards of the sentences that restate a deposit.

A lump of another kind (gout, a tumour, a cyst, a node, another skin disease, an implant), a
deposit of something other than calcium, chalky matter that is no calcinosis's or not the
patient's (notesfix11), a relative's or another patient's deposits, a deposit said to be
absent, a vessel or lymph node lend nothing; a site deep in the neck, armpit or belly needs a
word of the skin (notesacc16, notesacc18).
"""

from __future__ import annotations

import re

from calciscope.extract.rules import load_word_list

# A relative who only noticed the patient's deposits ("Her mum has noticed a hard lump on the
# left knee", notesacc21; "His father has noticed gritty areas under the skin of the back",
# notesacc26) makes the sentence no one else's: after a relative in ``_NOT_CHALKY_DEPOSIT`` and
# ``_RELATIVE`` (one place, notesfix26).
_ONLY_NOTICED = (
    r"(?![ \t]+(?:has[ \t]+|had[ \t]+|first[ \t]+)?(?:noticed|spotted|found|felt|discovered)"
    r"(?![a-z]))"
)

# Relatives, one list for both guards below (review 22: it was written twice, and differently):
# targets.yaml ``person_words``, variant relative; variant other_person adds a friend, a
# neighbour, a roommate (wordlists22: the words are rule data).
_PERSONS = load_word_list("person_words")
_LOOK_ALIKES = load_word_list("look_alike_words")

# Chalky matter that is no calcinosis's, or not the patient's (notesfix11): a tophus or gout,
# a joint's aspirate or pseudogout, pus; or a relative's or another person's ("Her mother had
# chalky white material expressed from the knee"). Only after a person does "noticed" make the
# sentence the patient's again (review 22: not after an aspirate or pus).
_NOT_CHALKY_DEPOSIT = re.compile(
    r"(?<![a-z])(?:" + _LOOK_ALIKES.alternation("not_chalky") + r")(?![a-z])"
    r"|(?<![a-z])(?:" + _PERSONS.alternation("other_person") + r")(?![a-z])" + _ONLY_NOTICED,
    re.I,
)

# Deposits of something other than calcium ("a urate deposit", "gouty tophi"): targets.yaml
# ``look_alike_words``, variant not_calcium.
_NOT_CALCIUM = _LOOK_ALIKES.pattern("not_calcium")

# A lump or lesion of another kind named in such a sentence (or in any sentence between it
# and the calcinosis): gout, a tumour, a cyst, a node, a rheumatoid or osteoarthritic nodule,
# an injection lump, another skin disease, an implant. It lends nothing ("subcutaneous fat",
# a tissue, is no such lump, unlike in ``_NOT_CALCIUM``; notesacc16, notesacc18): targets.yaml
# ``look_alike_words``, variant other_lump (notesacc28: the words are rule data).
_OTHER_LUMP = re.compile(
    r"(?<![a-z])(?:" + _LOOK_ALIKES.alternation("other_lump") + r")(?![a-z-])", re.I
)
# A lump of another kind said to be absent ("No lymphadenopathy.", "nodules, not rheumatoid")
# names no other lesion: the words just before it.
_DENIED = re.compile(
    r"(?<![a-z])(?:no|not|without|nil|negative[ \t]+for|free[ \t]+of|rather[ \t]+than)"
    r"(?:[ \t,]+[a-z-]+){0,2}?[ \t,]*\Z",
    re.I,
)
# A site deep in the body (the neck, an armpit, the belly) names a skin deposit only beside a
# word of the skin or of calcium, in that sentence or the calcinosis's own ("nodules palpable
# in the neck" may be lymph nodes; "... XR: calcified subcutaneous nodules" are in the skin).
_DEEP_SITE = re.compile(
    r"(?:neck|axill(?:a|ae|ary)|abdomen|abdominal|iliac|groin|inguinal|pelvis|pelvic|"
    r"breasts?)\Z",
    re.I,
)
_SKIN_WORD = re.compile(
    r"(?<![a-z])(?:skin|subcutaneous|subcutis|cutaneous|cutis|dermal|intradermal|superficial|"
    r"calcium|calcified|calcific|chalky|gritty|minerali[sz]ed)(?![a-z])",
    re.I,
)
# A deposit said to be absent or gone ("Elbows: no nodules", "nodules ... were excised").
_NO_DEPOSIT = re.compile(
    r"(?<![a-z])(?:no|nil|without|absent|denies|not|never|none)(?:[ \t]+[a-z-]+){0,3}?[ \t]+"
    r"(?:deposits?|nodules?|lumps?|concretions?|masses|mass|swellings?|lesions?|opacit(?:y|ies))"
    r"(?![a-z])",
    re.I,
)
# Another person: a relative, or a label of another patient or case ("Patient B:").
_RELATIVE = re.compile(
    r"(?<![a-z])(?:" + _PERSONS.alternation("relative") + r")(?![a-z])" + _ONLY_NOTICED, re.I
)
# (A letter label stands apart: "Patient B", not the "PT"+"H" of "PTH"; notesacc26.)
_PERSON_LABEL = re.compile(
    r"(?<![A-Za-z])(?i:patient|case|subject|pt)(?:[ \t]+[A-Z]|[ \t]*#?\d{1,3})(?![A-Za-z0-9])"
)

# A sentence naming a vessel or a lymph node describes no deposit of the skin ("beaded
# opacities following the ulnar artery", "an axillary mass, likely a node").
_NOT_SKIN = frozenset({"vascular", "lymph_node"})


def _other_lump(text: str, c: int, d: int) -> bool:
    """Return whether ``text[c:d]`` names a lump of another kind that is not denied."""
    return any(
        not _DENIED.search(text[max(c, m.start() - 40) : m.start()])
        for m in _OTHER_LUMP.finditer(text, c, d)
    )


def _chalky_own(text: str, c: int, d: int) -> bool:
    """Return whether a sentence's chalky matter may be the patient's calcinosis's.

    Not a tophus or gout, an aspirate or pus, nor a relative's or another person's.
    """
    return not (_NOT_CALCIUM.search(text, c, d) or _NOT_CHALKY_DEPOSIT.search(text, c, d))
