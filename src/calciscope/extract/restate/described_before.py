"""Described before, named later: the look-back of a calcinosis that names no site.

A calcinosis that names no site takes the sites of one of the six sentences before it that
describes deposits with no word pointing back ("Hard white lumps sit over both knees. ...
Impression: calcinosis", notesacc16). That sentence must be in the same section, or in a
findings, examination or history section before an impression, diagnoses or plan; plaques,
plates, papules and sheets need a word of calcium; a lump of another kind (in it or any
sentence up to the calcinosis), a relative's or another patient's, a family history, negated
or removed deposits lend nothing (the guards are in
:mod:`~calciscope.extract.restate.guards`; notesacc18).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calciscope.extract.restate.guards import (
    _NO_DEPOSIT,
    _NOT_CHALKY_DEPOSIT,
    _PERSON_LABEL,
    _RELATIVE,
    _other_lump,
)
from calciscope.extract.restate.past_deposits import _REMOVED
from calciscope.extract.rules import load_word_list

# Words of hardness: targets.yaml ``hardness_words`` (notesacc28: the words are rule data).
_HARDNESS = load_word_list("hardness_words")

# A sentence before a calcinosis that names no site may describe its deposits with no word
# pointing back ("Hard white lumps sit over both knees. ... Impression: calcinosis";
# notesacc16): it names a deposit, a mass, a radiological opacity, or a hard or calcium-like
# swelling, area or lesion.
_DESCRIBED = re.compile(
    r"(?<![a-z])(?:deposits?|nodules?|lumps?|concretions?|stones?|calcium|chalky|gritty|"
    r"masses|mass|opacit(?:y|ies)|"
    r"(?:" + _HARDNESS.alternation("described") + r")(?:,?[ \t]+[a-z-]+){0,2}?[ \t]+(?:swellings?|"
    r"areas?|lesions?|spots?|bumps?))(?![a-z])",
    re.I,
)
# Plaques, plates, papules and sheets are as often another skin disease or an implant
# ("lichenified plaques", "plates in the femur"; notesacc18): they describe deposits, and lend
# a site or a pattern, only beside a word of calcium in the same sentence.
_FLAT = re.compile(r"(?<![a-z])(?:plaques?|plates?|papules?|sheets?|shell)(?![a-z])", re.I)
# "hard, board-like plates have formed under the skin": hardness under the skin will do too.
_HARD_UNDER_SKIN = re.compile(
    r"(?<![a-z])(?:" + _HARDNESS.alternation("like_stone") + r")(?![a-z])[^.;\n]{0,80}?(?<![a-z])"
    r"(?:under|beneath)[ \t]+the[ \t]+skin|(?<![a-z])(?:"
    + _HARDNESS.alternation("like_stone")
    + r")(?![a-z])"
    r"[^.;\n]{0,80}?(?<![a-z])subcutane",
    re.I,
)
# ... or hardness said of plates, sheets or a shell ("a continuous hard shell", notesacc26), of
# white papules or plaques ("hard, dot-like white papules"), or of plaques whose next sentence
# finds calcium in the skin ("two firm, symmetrical plaques ... Ultrasound showed calcific material
# in the dermis"). Firm or indurated plaques alone are the skin of morphoea and SSc, no deposit
# (notesfix26). (It starts with a character set, so ``re`` skips to the candidate letters in C.)
# The colours and the skin layers are targets.yaml ``skin_deposit_words`` (wordlists22); the
# hardness words ``hardness_words`` (notesacc28), written as a skip to their first letters.
_SKIN_DEPOSIT = load_word_list("skin_deposit_words")
_HARD = _HARDNESS.skipping("like_stone") + r"(?![a-z])"
_HARD_FLAT = re.compile(
    _HARD + r"(?:(?:,?[ \t]+[a-z-]+){0,3}?,?[ \t]+(?:plates?|sheets?|shell)|"
    r"(?:,?[ \t]+[a-z-]+){0,2}?,?[ \t]+(?:" + _SKIN_DEPOSIT.alternation("deposit_colour") + r")"
    r"[ \t]+(?:plaques?|papules?))(?![a-z])",
    re.I,
)
# ... and papules of a deposit's colour ("firm white papules on the fingertips", "yellowish
# papules along the left shin"), hard or not: the colour names them the deposit's, as
# targets.yaml reads "white papules" as a deposit's nodular pattern (probes35; plaques still
# need hardness or calcium: white or yellow plaques are as often lichen sclerosus or
# xanthelasma). The words between are the papules' own ("yellowish crusted"), not another
# noun's ("yellow nails and papules"; fix36, review 36 H4).
_COLOURED_PAPULES = re.compile(
    _SKIN_DEPOSIT.skipping("deposit_colour")
    + r"(?:,?[ \t]+(?!(?:and|or|with|nails?|skin|hair)(?![a-z]))[a-z-]+){0,2}?,?[ \t]+"
    r"papules?(?![a-z])",
    re.I,
)
_FIRM_PLAQUES = re.compile(
    _HARDNESS.skipping("firm_plaque") + r"(?![a-z])(?:,?[ \t]+[a-z-]+){0,3}?,?[ \t]+"
    r"plaques?(?![a-z])",
    re.I,
)
_CALCIUM_IN_SKIN = re.compile(
    r"c(?<![a-z]c)alci(?:fic|fied|um)[ \t]+(?:material|deposits?)[ \t]+(?:in|within)"
    r"[ \t]+the[ \t]+(?:" + _SKIN_DEPOSIT.alternation("skin_layer") + r")(?![a-z])",
    re.I,
)
# A radiological density is a deposit only in the soft tissue ("a density in the soft tissue
# of the thumb pulp"; not "a bone density scan").
_DENSITY = re.compile(r"(?<![a-z])densit(?:y|ies)(?![a-z])", re.I)
_SOFT_TISSUE = re.compile(r"(?<![a-z])(?:soft[ \t-]tissues?|subcutane[a-z]*|skin)(?![a-z])", re.I)
# A word of calcium beside plaques, plates or sheets (:func:`_flat_calcium`): targets.yaml
# ``calcium_words``, variant flat_calcium (mineral words and "calcinosis" too, not hardness).
_CALCIUM_WORD = load_word_list("calcium_words").pattern("flat_calcium")

# A calcinosis in an impression may take the deposits described in the findings, examination
# or history before it; otherwise only in its own section, never from a family history.
_DESCRIBING = frozenset(
    {
        None,
        "indication",
        "findings",
        "examination",
        "history",
        "history_of_present_illness",
        "clinical_history",
        "chief_complaint",
        "specimen",
    }
)
_CONCLUDING = frozenset({"impression", "diagnoses", "plan"})

# How far back a sentence describing the deposits is looked for (sentences, headers included).
_DESCRIBED_REACH = 6


def _described_before(
    i: int, every: Sequence[tuple[int, int, int]], text: str, kinds: Sequence[str | None], skip: int
) -> list[tuple[int, int, bool]]:
    """Return the sentences before sentence ``i`` that describe its calcinosis's deposits.

    Up to :data:`_DESCRIBED_REACH` sentences back ("Hard white lumps sit over both knees. ...
    Impression: calcinosis"), in the calcinosis's own section or, for a calcinosis in an
    impression, diagnoses or plan, in a findings, examination or history section; never in a family
    history, nor after a relative or under another patient's label, nor when the deposits are
    negated or removed, or a sentence up to the calcinosis names a lump of another kind
    ("A hard mass at the left knee. Ultrasound: a ganglion. Calcinosis."). A sentence that ends
    in a semicolon takes in the clause before ("An ulcer on the left heel; its floor holds white
    grit").
    """
    section = every[i][2]
    own = kinds[section] if section < len(kinds) else None
    picked = []
    first = max(0, i - _DESCRIBED_REACH)
    near = range(first, i - skip)
    if own in _CONCLUDING and first and "specimen" in kinds:
        # a pathology report's specimen line, however long the macroscopy and microscopy
        # between it and the diagnosis (notesacc34)
        far = [k for k in range(first) if _kind(kinds, every[k][2]) == "specimen"]
        ks: Sequence[int] = [*far, *near] if far else near
    else:
        ks = near
    for k in ks:
        c, d, part = every[k]
        # a clause after a semicolon may have its word of calcium in the clause before ("hard
        # calcified lesions on the shins; white papules in both elbow creases", notesacc19)
        joined = (
            k > 0 and every[k - 1][2] == part and text[every[k - 1][1] - 1 : every[k - 1][1]] == ";"
        )
        kind = kinds[part] if part < len(kinds) else None
        # a pathology report's specimen line says where the tissue came from (notesacc26)
        specimen = kind == "specimen" and part != section
        if not (specimen or _described(text, c, d, every[k - 1][0] if joined else c)):
            continue
        if part != section:
            if own not in _CONCLUDING or kind not in _DESCRIBING:
                continue
        elif part < len(kinds) and kinds[part] == "family_history":
            continue
        if (
            _NO_DEPOSIT.search(text, c, d)
            or _other_lump(text, c, every[i][0])
            # a specimen line's own "excision" says how the tissue was taken (notesacc34:
            # "Specimen: right buttock, excision"), not that the deposits are gone
            or _REMOVED.search(text, d if specimen else c, every[i][0])
            or _PERSON_LABEL.search(text, c, every[i][1])
            or _RELATIVE.search(text, every[k - 1][0] if k > 0 else c, every[i][0])
        ):
            continue
        if joined and not _described(text, *every[k - 1][:2]):
            c = every[k - 1][0]  # (a clause before that describes deposits is read on its own)
        picked.append((c, d, True))
    return picked


def _kind(kinds: Sequence[str | None], part: int) -> str | None:
    return kinds[part] if part < len(kinds) else None


def _described(text: str, c: int, d: int, calcium_from: int | None = None) -> bool:
    """Return whether a sentence may describe the deposits of a calcinosis named later.

    It names a deposit (``_DESCRIBED``), plaques or plates of calcium (:func:`_flat_calcium`;
    the word of calcium may stand from ``calcium_from``, the clause before a semicolon) or a
    density in the soft tissue, and no lump of another kind, relative, aspirate or pus.
    """
    return bool(
        (
            _DESCRIBED.search(text, c, d)
            or (
                _FLAT.search(text, c, d)
                and _flat_calcium(text, c if calcium_from is None else calcium_from, d)
            )
            or (_DENSITY.search(text, c, d) and _SOFT_TISSUE.search(text, c, d))
            or _COLOURED_PAPULES.search(text, c, d)
        )
        and not _other_lump(text, c, d)
        and not _NOT_CHALKY_DEPOSIT.search(text, c, d)
    )


def _flat_calcium(text: str, c: int, d: int) -> bool:
    """Return whether plaques, plates or sheets in ``text[c:d]`` may be of calcium.

    A word of calcium, or hardness under the skin, in the sentence (or the clause after it,
    when it ends in a semicolon: "thin sheets cover both shins; all of them are calcified").
    """
    if text[d - 1 : d] == ";" or text[d : d + 1] == ";":
        stop = min(len(text), d + 200)
        ends = [k for k in (text.find(".", d, stop), text.find("\n", d + 1, stop)) if k >= 0]
        d = min(ends) if ends else stop
    return bool(
        _CALCIUM_WORD.search(text, c, d)
        or _HARD_UNDER_SKIN.search(text, c, d)
        or _HARD_FLAT.search(text, c, d)
        or (_FIRM_PLAQUES.search(text, c, d) and _calcium_in_skin_next(text, d))
    )


def _calcium_in_skin_next(text: str, d: int) -> bool:
    """Whether the sentence after ``d`` finds calcific material in the skin (notesfix26)."""
    stop = min(len(text), d + 300)
    ends = [k for k in (text.find(".", d + 1, stop), text.find("\n", d + 1, stop)) if k >= 0]
    return _CALCIUM_IN_SKIN.search(text, d, min(ends) if ends else stop) is not None
