"""The literal sets a regular-expression rule needs: exact, so skipping a rule never drops a match."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from calciscope.extract import NoteExtractor
from calciscope.extract.literals import required_literals
from calciscope.extract.matcher import _may_match

_EVAL = Path(__file__).parent / "data" / "notes_eval"


def test_a_lookbehind_rule_needs_its_words():
    regex = re.compile(r"(?<![a-z])any\s+(?:new|further|signs?)(?:\s+of)?(?![a-z])")
    assert required_literals(regex) == (("any",), ("further", "new", "sign"))


def test_literals_on_both_sides_of_a_lookbehind_are_one_word():
    regex = re.compile(r"o(?<![a-z]o)nce\s+(?:has|is)\s+(?:healed|resolved)")
    assert required_literals(regex)[0] == ("healed", "resolved")
    assert ("once",) in required_literals(regex)


def test_what_may_be_left_out_is_never_required():
    assert required_literals(re.compile(r"(?:ve)?\d+")) == ()
    assert required_literals(re.compile(r"x?y*")) == ()
    # one alternative with no literal: the branch needs none, the sequence still needs "of"
    assert required_literals(re.compile(r"(?:some|\d+)\s+of")) == (("of",),)


def test_case_insensitive_and_back_references_are_always_run():
    assert required_literals(re.compile(r"(?i)calcinosis")) == ()
    assert required_literals(re.compile(r"cal(?i:cinosis)")) == ()
    assert required_literals(re.compile(r"(a)b\1")) == ()


def test_a_literal_character_class_is_a_set():
    regex = re.compile(r"[:=\-](?:\s*no)")
    assert set(required_literals(regex)) == {("-", ":", "="), ("no",)}


def test_a_positive_lookahead_adds_what_it_needs_a_lookbehind_nothing():
    # notesspeed13: a range rule matches only "to", but cannot without "wrist" after it
    regex = re.compile(r"to(?=\s+(?:the\s+)?wrists?(?![a-z]))(?:(?<=[^a-z]elbow to))")
    assert required_literals(regex) == (("wrist",), ("to",))
    # a question trigger needs its "?"
    assert ("?",) in required_literals(re.compile(r"is\s+it(?=[^?\n]{1,60}\?)"))
    # what a lookahead may leave out, or forbids, is not required
    assert required_literals(re.compile(r"to(?=\s+(?:the)?\s)(?!x)")) == (("to",),)
    # the lookahead sees only up to ``endpos``, the end of the scanned window
    assert re.compile(r"to(?=\s+wrist)").search("to wrist", 0, 5) is None


def _windows(count: int, seed: int = 3) -> list[str]:
    texts = [
        json.loads(line)["text"].lower()
        for path in sorted(_EVAL.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rng = random.Random(seed)
    windows = []
    for _ in range(count):
        text = rng.choice(texts)
        a = rng.randrange(len(text))
        windows.append(text[a : a + rng.randint(1, 300)])
    return windows + texts


def test_no_packaged_rule_is_skipped_where_it_matches():
    extractor = NoteExtractor()
    regexes = [
        rx
        for layered in (extractor._targets, extractor._context)
        for matcher in layered._layers.values()
        for _, rx, _needs in matcher._distinct_regexes
    ]
    assert regexes
    for window in _windows(3000):
        for regex in regexes:
            if any(m.end() > m.start() for m in regex.finditer(window)):
                assert _may_match(window, required_literals(regex)), (regex.pattern, window)


def test_a_set_every_alternative_needs_is_required_and_a_group_gives_all_its_sets():
    # notesspeed14: "nodule" is in every alternative, so a note without it skips the rule
    regex = re.compile(r"chalky\s+ca\s+nodules?|gritty\s+ca\s+nodules?|ca\s+nodule")
    assert required_literals(regex)[0] == ("nodule",)
    # the checklist trigger ": y/n" needs its "/" in both of its alternatives
    yes_no = re.compile(r"[:(](?:(?<=:)[ \t]*y(?:es)?[ \t]*/[ \t]*no?|(?<=\()y/no?\))")
    assert ("/",) in required_literals(yes_no)
    # every set of a mandatory group counts, not only its best one
    assert set(required_literals(re.compile(r"(?:any\s+new)\s+x"))) == {("any",), ("new",), ("x",)}
    # a set holding another set's members adds no test
    assert required_literals(re.compile(r"(?:ab|b)b")) == (("b",),)


def test_guard_characters_are_rare_characters_of_the_literal():
    """speed38: a literal is tested after its rarest characters, each at most once a window."""
    from calciscope.extract.literals import guard_characters

    assert guard_characters("liver") == ("v",)
    assert guard_characters("kidney") == ("k", "y")
    assert guard_characters("y/n") == ("/", "y")  # a mark is rarer than any letter
    assert guard_characters("none") == ()  # only frequent letters: nothing to gain
    assert guard_characters("ve") == ()  # short: its own search is as cheap
    for literal in ("involving", "subcutaneous", "(y/n)", "whether"):
        assert set(guard_characters(literal)) <= set(literal)


def test_the_guarded_test_chooses_what_the_plain_test_chooses():
    """speed38: guard characters skip a literal only where it is missing (any window)."""
    from calciscope.extract.literals import test_source

    needs = [
        (("liver", "kidney"), ("?",)),
        (),
        (("whey", "wave", "ok"), ("v",), ("y/n",)),
        (("kidney",),),
    ]
    namespace: dict[str, object] = {"_R": tuple(range(len(needs)))}
    exec(test_source(needs), namespace)
    passing = namespace["passing"]
    rng = random.Random(38)
    pieces = ["liver", "kidney", "kidne", "iver", "?", "whey", "wav", "wave", "ok", "y/n", "y", "v"]
    for _ in range(3000):
        window = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))
        expected = [i for i, sets in enumerate(needs) if _may_match(window, sets)]
        assert passing(window) == expected, window  # type: ignore[operator]
