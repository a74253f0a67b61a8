"""The shape of a code in each code system whose codes have a published form.

A code of the wrong shape in one of these systems is a data error (a typo, a column shifted, a
code from another system under this one's name), refused wherever a fact enters the registry:
the :class:`~calciscope.model.Fact` model calls :func:`code_problem`, so every importer gets the
same check. Before it, the model writes a code whose case carries no meaning the one way
(:func:`normalise_code`: ``m34.1`` → ``M34.1``, ``hp:0003761`` → ``HP:0003761``), so the code that
is stored, hashed into the fact id and matched against the catalogue is the published form. Systems without a published form here (``calciscope``, ``OMIM``, ``ORPHA``,
``OMOP``) are not checked. A code's *existence* in its terminology is not checked (that needs
the terminology itself): only its form.
"""

from __future__ import annotations

import functools
import re

__all__ = ["code_problem", "loinc_check_digit", "normalise_code", "verhoeff_valid"]

# HPO: "HP:" and seven digits. The OBO Foundry identifier policy (http://obofoundry.org/id-policy)
# gives IDSPACE:LOCALID; HPO's LOCALID is a zero-padded 7-digit number
# (https://hpo.jax.org/, "HP:0000118"; Köhler et al., Nucleic Acids Res 2021;49:D1207).
_HPO = re.compile(r"HP:[0-9]{7}")
# MONDO: "MONDO:" and seven digits, by the same OBO policy (Vasilevsky et al., medRxiv 2022,
# "Mondo: Unifying diseases for the world"; https://mondo.monarchinitiative.org/).
_MONDO = re.compile(r"MONDO:[0-9]{7}")
# ICD-10 (WHO, ICD-10 Volume 2 §2.4: a letter, two digits, and after a point a fourth and, in
# national modifications, a fifth character) and ICD-10-CM (CMS/NCHS ICD-10-CM Official
# Guidelines for Coding and Reporting FY2024, §I.A.3-5: 3 to 7 characters, the first a letter,
# the second a digit, the others letters or digits, a point after the third; "X" placeholders).
# The point is often left out by exports (OMOP source values, Synthea): both forms are taken.
_ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?")
# SNOMED CT identifier (SNOMED CT Technical Implementation Guide, §6.7 "SCTID Data Type"): 6 to
# 18 digits, no leading zero, the last digit a Verhoeff check digit (Verhoeff 1969).
_SCTID = re.compile(r"[1-9][0-9]{5,17}")
# LOINC code (LOINC Users' Guide, §12 "Calculating Mod 10 check digits"): up to 5 digits, a
# hyphen and the mod-10 check digit. LOINC answer (LA) and part (LP) codes carry a check digit
# computed over their own sequence; only their form is checked here.
_LOINC = re.compile(r"([0-9]{1,5})-([0-9])")
_LOINC_OTHER = re.compile(r"L[AP][0-9]{1,8}-[0-9]")

_SHAPES = {
    "HP": (_HPO, "'HP:' and 7 digits (HP:0001234)"),
    "MONDO": (_MONDO, "'MONDO:' and 7 digits (MONDO:0005100)"),
    "ICD10": (_ICD10, "a letter, a digit, a letter or digit, then up to 4 more (M34.1, M341)"),
    "ICD10CM": (_ICD10, "a letter, a digit, a letter or digit, then up to 4 more (M34.1, M341)"),
}

#: Systems whose prefix's case carries no meaning (OBO identifier policy: the IDSPACE is
#: written in capitals, "HP", "MONDO"); the local part is digits.
_PREFIXED = ("HP", "MONDO")
#: Systems whose codes are case-insensitive: ICD-10 codes are written in capitals (WHO ICD-10
#: Volume 2 §2.4; ICD-10-CM Official Guidelines §I.A), "m34.1" can only mean M34.1.
_UPPER = frozenset({"ICD10", "ICD10CM"})


def normalise_code(system: str, code: str) -> str:
    """Return ``code`` as its system writes it, where its case carries no meaning.

    Surrounding whitespace is stripped; an ICD-10 / ICD-10-CM code is upper-cased; an HP or
    MONDO code's prefix is upper-cased (``hp:0003761`` → ``HP:0003761``). Every other system's
    code is returned as given (stripped): its case may matter. :func:`code_problem` then checks
    the result; it does not normalise itself (a bulk reader relies on it refusing every code the
    model would change).

    >>> normalise_code("ICD10CM", " m34.82 "), normalise_code("MONDO", "mondo:0005100")
    ('M34.82', 'MONDO:0005100')
    >>> normalise_code("calciscope", "Calcinosis")
    'Calcinosis'
    """
    code = code.strip()
    if system in _UPPER:
        return code.upper()
    if system in _PREFIXED:
        prefix, sep, local = code.partition(":")
        if sep and prefix.upper() == system:
            return f"{system}:{local}"
    return code


# Verhoeff's dihedral-group tables (Verhoeff, "Error detecting decimal codes", 1969), as the
# SNOMED CT Technical Implementation Guide reproduces them.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    """Return whether a string of digits ends in its Verhoeff check digit.

    >>> verhoeff_valid("89155008"), verhoeff_valid("89155009")
    (True, False)
    """
    check = 0
    for i, digit in enumerate(reversed(digits)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


def loinc_check_digit(number: str) -> int:
    """Return the LOINC mod-10 check digit of a LOINC number's digits (``2157`` → 6).

    LOINC Users' Guide §12: double every other digit from the right, starting with the
    rightmost; add up all the digits of the products and the digits not doubled; the check
    digit brings the sum to a multiple of ten.

    >>> loinc_check_digit("2157"), loinc_check_digit("8061")
    (6, 4)
    """
    total = 0
    for i, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if i % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


@functools.lru_cache(maxsize=65_536)
def code_problem(system: str, code: str) -> str | None:
    """Return what is wrong with the form of ``code`` in ``system``, or None when it is fine.

    >>> code_problem("HP", "HP:0003761") is None
    True
    >>> code_problem("LOINC", "2157-5")
    "LOINC code '2157-5' has check digit 5; its mod-10 check digit is 6 (LOINC Users' Guide §12)"
    """
    if system in _SHAPES:
        pattern, form = _SHAPES[system]
        if not pattern.fullmatch(code):
            return f"{system} code {code!r} is not of the form {form}"
        return None
    if system == "SNOMEDCT":
        if not _SCTID.fullmatch(code):
            return f"SNOMEDCT code {code!r} is not a SNOMED CT identifier (6 to 18 digits)"
        if not verhoeff_valid(code):
            return (
                f"SNOMEDCT code {code!r} fails its Verhoeff check digit (a typing error?"
                " SNOMED CT Technical Implementation Guide §6.7)"
            )
        return None
    if system == "LOINC":
        if _LOINC_OTHER.fullmatch(code):
            return None
        match = _LOINC.fullmatch(code)
        if not match:
            return f"LOINC code {code!r} is not of the form NNNNN-N (2157-6)"
        expected = loinc_check_digit(match.group(1))
        if expected != int(match.group(2)):
            return (
                f"LOINC code {code!r} has check digit {match.group(2)}; its mod-10 check digit"
                f" is {expected} (LOINC Users' Guide §12)"
            )
    return None
