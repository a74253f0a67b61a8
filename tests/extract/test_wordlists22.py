"""wordlists22: the guards' words are targets.yaml word lists, compiled to the same patterns.

The expected strings are the regular expressions as written in code before the move.
"""

from __future__ import annotations

import re

import pytest

from calciscope.errors import CatalogueError
from calciscope.extract.restate import described_before, guards
from calciscope.extract.rules import load_word_list

_OLD_RELATIVES = (
    r"mother|father|sister|brother|siblings?|aunt|uncle|cousin|twin|"
    r"grand(?:mother|father|parents?)|parents?|sons?|daughters?|niece|nephew|mum|mom|dad|"
    r"husband|wife|partner|relatives?|family"
)


def test_guards_compile_to_the_old_patterns() -> None:
    assert guards._NOT_CALCIUM.pattern == (
        r"(?<![a-z])(?:urate|uric|tophus|tophi|tophaceous|gout|gouty|cholesterol|amyloid|"
        r"ha?emosiderin|iron|fat|lipid)(?![a-z])"
    )
    assert guards._NOT_CHALKY_DEPOSIT.pattern == (
        r"(?<![a-z])(?:pseudo-?gout|aspirat[a-z]*|pus|purulent|pyogenic|abscess|effusion|synovial|"
        r"cppd|chondrocalcinosis)(?![a-z])"
        r"|(?<![a-z])(?:"
        + _OLD_RELATIVES
        + r"|friend|neighbou?r|roommate)(?![a-z])"
        + guards._ONLY_NOTICED
    )
    assert guards._RELATIVE.pattern == (
        r"(?<![a-z])(?:" + _OLD_RELATIVES + r")(?![a-z])" + guards._ONLY_NOTICED
    )
    for pattern in (guards._NOT_CALCIUM, guards._NOT_CHALKY_DEPOSIT, guards._RELATIVE):
        assert pattern.flags & re.I


def test_described_before_compiles_to_the_old_patterns() -> None:
    assert (
        r"[ \t]+(?:white|whitish|chalky|yellow(?:ish)?|yellow-white)[ \t]+(?:plaques?|papules?))"
        in described_before._HARD_FLAT.pattern
    )
    assert described_before._CALCIUM_IN_SKIN.pattern.endswith(
        r"[ \t]+the[ \t]+(?:dermis|skin|subcutis|subcutaneous[ \t]+(?:tissue|fat))(?![a-z])"
    )


def test_the_moved_words_still_match() -> None:
    # own sentences, SYNTHETIC
    assert guards._NOT_CALCIUM.search("gouty tophi over the left elbow") is not None
    assert guards._NOT_CALCIUM.search("haemosiderin staining of the shins") is not None
    assert guards._NOT_CALCIUM.search("fatigue") is None
    assert guards._NOT_CHALKY_DEPOSIT.search("chalky knee aspirate, likely pseudo-gout") is not None
    assert guards._NOT_CHALKY_DEPOSIT.search("his neighbour had chalky lumps") is not None
    assert guards._RELATIVE.search("his neighbour had chalky lumps") is None
    assert guards._RELATIVE.search("her grandmother had calcinosis") is not None
    assert guards._RELATIVE.search("her dad has noticed a hard lump") is None
    assert described_before._HARD_FLAT.search("hard, dot-like yellowish papules") is not None
    assert (
        described_before._CALCIUM_IN_SKIN.search("calcific material in the subcutaneous fat")
        is not None
    )


def test_each_list_is_packaged_with_its_variants() -> None:
    persons = load_word_list("person_words")
    assert persons.alternation("relative") == _OLD_RELATIVES
    assert persons.alternation("other_person").endswith("|family|friend|neighbou?r|roommate")
    assert persons.version == load_word_list("calcium_words").version
    with pytest.raises(CatalogueError):
        load_word_list("look_alike_words").alternation("relative")
