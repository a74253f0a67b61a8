"""The words of calcium read across sentences: one list in targets.yaml, three variants (restate13)."""

import pytest

from calciscope.errors import CatalogueError
from calciscope.extract.restate import deposits, described_before, past_deposits
from calciscope.extract.rules import _word_list, load_rules, load_word_list

VARIANTS = ("far_deposit", "removed_lump", "flat_calcium")


def test_each_word_is_written_once_with_the_file_version():
    words = load_word_list("calcium_words")
    names = [w for w, _ in words.words]
    assert len(names) == len(set(names))
    assert words.version == load_rules().version.split("/")[0]
    assert all(set(forms) <= set(VARIANTS) for _, forms in words.words)


def test_the_variants_are_the_patterns_of_before_the_move():
    # the two lists as they were written in restate.py (the third was reordered, same words)
    assert deposits._CHALKY.pattern == (
        r"(?<![a-z])(?:chalky|gritty|stony|calcific|calcified|calcium|(?:rock|stone)?[- ]?hard)"
        r"(?![a-z])"
    )
    assert past_deposits._PAST_CHALKY.pattern == (
        r"(?<![a-z])(?:chalky|gritty|stony|calcific|calcified|calcium\s+(?:nodules?|lumps?))"
        r"(?![a-z])"
    )
    before = (
        r"calcium|calcified|calcific|calcareous|chalky|gritty|minerals?|minerali[sz]ed|"
        r"minerali[sz]ation|calcinosis"
        r"|stony"  # notesacc23: "stony plaques" (like stone, not only hard)
    )
    flat = described_before._CALCIUM_WORD.pattern
    words = flat.removeprefix("(?<![a-z])(?:").removesuffix(")(?![a-z])")
    assert sorted(words.split("|")) == sorted(before.split("|"))


@pytest.mark.parametrize(
    ("text", "far_deposit", "removed_lump", "flat_calcium"),
    [
        ("gritty nodules", True, True, True),
        ("hard lumps over both knees", True, False, False),  # "hard" only far away
        ("a rock-hard lump", True, False, False),
        ("a stony lump", True, True, True),  # flat_calcium since notesacc23
        ("calcium is now normal", True, False, True),  # bare calcium: not a removed lump
        ("a calcium nodule was excised", True, True, True),
        ("calcareous plaques", False, False, True),
        ("mineralised sheets", False, False, True),
        ("plaques of calcinosis", False, False, True),
        ("a hardened scar", False, False, False),  # whole words only
    ],
)
def test_the_variants_differ_on_purpose(text, far_deposit, removed_lump, flat_calcium):
    words = load_word_list("calcium_words")
    found = {v: words.pattern(v).search(text) is not None for v in VARIANTS}
    assert found == {
        "far_deposit": far_deposit,
        "removed_lump": removed_lump,
        "flat_calcium": flat_calcium,
    }


def test_a_word_written_twice_or_an_unknown_variant_is_refused():
    with pytest.raises(CatalogueError, match="twice"):
        _word_list("w", [{"word": "chalky"}, {"word": "chalky"}], VARIANTS, "x")
    with pytest.raises(CatalogueError, match="unknown variants"):
        _word_list("w", [{"word": "chalky", "variants": ["far"]}], VARIANTS, "x")
    with pytest.raises(CatalogueError, match="not in"):
        _word_list(
            "w",
            [{"word": "a", "variants": ["far_deposit"], "as": {"flat_calcium": "b"}}],
            VARIANTS,
            "x",
        )
    with pytest.raises(CatalogueError, match="needs a 'word'"):
        _word_list("w", [{"literal": "chalky"}], VARIANTS, "x")
    with pytest.raises(CatalogueError, match="no variant"):
        load_word_list("calcium_words").alternation("near_deposit")
    with pytest.raises(CatalogueError, match="unknown word list"):
        load_word_list("iron_words")
