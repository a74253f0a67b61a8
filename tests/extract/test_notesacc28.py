"""notesacc28: the leftovers of the older evaluation sets, one rule in one place, review 22.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calciscope.errors import CatalogueError
from calciscope.extract import NoteExtractor, load_rules
from calciscope.extract.evaluation import summarise_document
from calciscope.extract.restate import described_before, guards
from calciscope.extract.rules import WordList, load_word_list

# --- the subset as the clinician's judgement (fresh18 V32's cause) -----------------------------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("Reviewed in clinic today. His SSc looks limited to me.", "lcssc"),
        ("On balance her scleroderma appears to be diffuse, with truncal skin change.", "dcssc"),
        ("The systemic sclerosis seemed clinically limited at that visit.", "lcssc"),
        ("Her SSc looked diffuse by the time of the second biopsy.", "dcssc"),
        # controls: "limited" or "diffuse" of another finding, or no verb of judgement
        ("Her SSc seems limited by hand pain rather than anything else.", None),
        ("His SSc appears diffuse ILD on the CT, per the chest team.", None),
        ("Her SSc is limited to Raynaud's phenomenon so far.", None),
        ("Mobility looks limited; SSc under review.", None),
    ],
)
def test_subset_judged_in_a_verb_phrase(summary, text: str, subset: str) -> None:
    assert summary(text).subset == subset


# --- one rule, one place: hardness and other-lump words are targets.yaml word lists -----------

# The expressions as written in code before the move (their words are now rule data).
_OLD_OTHER_LUMP = (
    r"(?<![a-z])(?:urate|uric|tophus|tophi|tophaceous|gout|gouty|cholesterol|amyloid|expansile|"
    r"destructive|lytic|malignan(?:t|cy)|[a-z]{0,12}sarcomas?|metasta(?:sis|ses|tic)|lymphomas?|"
    r"myelomas?|carcinomas?|neoplasms?|neoplastic|tumou?rs?|rheumatoid|ra|oa|osteoarthritis|"
    r"osteoarthritic|heberden'?s?|bouchard'?s?|osteophytes?|exostos[ie]s|bony[ \t]+(?:nodules?|lumps?|swellings?|enlargements?)|dupuytren'?s?|"
    r"insulin|injections?|lymph|lymphadenopathy|nodes?|ganglion|ganglia|cysts?|cystic|"
    r"lipomas?|abscess(?:es)?|fibromas?|neurofibromas?|xanthomas?|granulomas?|hernias?|"
    r"thyroid|goitre|goiter|keloids?|nodosum|panniculitis|sclerotic[ \t]+(?:plaques?|patch(?:es)?|lesions?|bone|margins?|foc(?:us|i))|"
    r"scleroderma[ \t]+(?:plaques?|patch(?:es)?)|morph(?:o)?ea|"
    r"morph(?:o)?eic|(?:hyper|hypo|de)?pigmented[ \t]+(?:plaques?|patch(?:es)?|macules?|papules?|"
    r"lesions?|naev[iu]s|nev[iu]s|moles?|spots?)|lichenified|lichenification|"
    r"atrophic|necrobiosis|psoria(?:sis|tic)|eczema(?:tous)?|implants?|prosthes[ie]s|"
    r"prosthetic|screws?|fixation|orif|k-wires?)(?![a-z-])"
)


def _alternatives(pattern: str) -> list[str]:
    inner = pattern.removeprefix(r"(?<![a-z])(?:").removesuffix(r")(?![a-z-])")
    return inner.split("|")


def test_other_lump_reads_the_same_words() -> None:
    # The same alternatives; only "abscess", one word shared with not_chalky, moved within the
    # alternation, which cannot change a match: each alternative is a whole word.
    new = guards._OTHER_LUMP.pattern
    assert new.startswith(r"(?<![a-z])(?:") and new.endswith(r")(?![a-z-])")
    # fix36 (review 36 H4) added the papules of other skin diseases, at the end of the list
    added = [
        "xanthelasm(?:a|as|ata)",
        "mili(?:a|um)",
        "sebaceous",
        "fordyce'?s?",
        "molluscum",
        "impetig(?:o|inous|inised|inized)",
        "lichen",
        "syringom(?:a|as|ata)",
    ]
    kept = _alternatives(new)
    for part in "|".join(added).split("|"):
        kept.remove(part)  # each added piece is there once (ValueError otherwise)
    assert sorted(kept) == sorted(_alternatives(_OLD_OTHER_LUMP))
    assert len(kept) == len(_alternatives(_OLD_OTHER_LUMP))
    assert guards._OTHER_LUMP.flags & re.I
    # the not_calcium words keep their own alternation (wordlists22's test holds too)
    looks = load_word_list("look_alike_words")
    assert looks.alternation("not_calcium").startswith("urate|uric|tophus")
    assert "abscess(?:es)?" in looks.alternation("other_lump").split("|")
    assert "abscess" in looks.alternation("not_chalky").split("|")


def test_hardness_words_compile_to_the_same_matches() -> None:
    hard = load_word_list("hardness_words")
    assert hard.alternation("described") == "hard|firm|stony|rock-hard|stone-hard"
    assert hard.alternation("like_stone") == "hard|stony|rock-hard|stone-hard"
    assert hard.alternation("firm_plaque") == "hard|firm"
    assert (
        r"(?:hard|firm|stony|rock-hard|stone-hard)(?:,?[ \t]+[a-z-]+){0,2}?"
        in described_before._DESCRIBED.pattern
    )
    assert hard.skipping("like_stone") == (
        r"[hsr](?<![a-z][hsr])(?:(?<=h)ard|(?<=s)tony|(?<=r)ock-hard|(?<=s)tone-hard)"
    )
    assert described_before._FIRM_PLAQUES.pattern.startswith(
        r"[hf](?<![a-z][hf])(?:(?<=h)ard|(?<=f)irm)(?![a-z])"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # own sentences, SYNTHETIC
        ("She has a stony plate of calcium under the skin of the shin.", True),
        ("STONE-HARD, flat sheets over both hips.", True),
        ("A rock-hard shell around the knee.", True),
        ("Hard, tiny white papules on the thumb pads.", True),
        ("Firm, flat plates over the shins.", False),  # firm is not like stone
        ("Rhard plates", False),
        ("Shard of glass", False),
    ],
)
def test_skipping_hardness_matches_as_a_whole_word(text: str, expected: bool) -> None:
    assert (described_before._HARD_FLAT.search(text) is not None) == expected


def test_skipping_needs_words_that_start_with_a_letter() -> None:
    words = WordList("w", (("(?:a|b)c", {"v": "(?:a|b)c"}),))
    with pytest.raises(CatalogueError):
        words.skipping("v")


@pytest.mark.parametrize("form", ["s?tony", "s*tony", "s{0,1}tony"])
def test_skipping_refuses_an_optional_first_letter(form: str) -> None:
    # review 24: "(?<=s)?tony" would match only "stony", where the plain form also reads "tony"
    words = WordList("w", ((form, {"v": form}),))
    with pytest.raises(CatalogueError, match="optional"):
        words.skipping("v")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gouty tophi over the left elbow.", True),
        ("Two ganglion cysts at the wrist.", True),
        ("A lipoma on the back; abscesses drained last year.", True),
        ("Osteosarcoma of the femur.", True),
        ("Plate and screws after ORIF.", True),
        ("Hard white nodules over both elbows.", False),
        ("Ultra-sound of the fingers.", False),
    ],
)
def test_other_lump_words_still_match(text: str, expected: bool) -> None:
    assert (guards._OTHER_LUMP.search(text) is not None) == expected


# --- review 22: the sentences a page shows are the extractor's --------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # own texts, SYNTHETIC
        "XR RIGHT HAND\nFindings: soft tissue calcification at the thumb pulp.\n"
        "Impression: nodular calcinosis, right thumb.",
        "Calcinosis cutis: 1) left index finger 2) right elbow. Plan: 1) diltiazem 2) review.",
        "Exam: chalky nodule L elbow | Site: olecranon | Size: 4 mm. No ulcers.",
        "She has calci-\nnosis over both knees; none at the elbows.",
    ],
)
def test_sentence_spans_are_the_sentences_extract_reads(
    extractor: NoteExtractor, text: str
) -> None:
    spans = extractor.sentence_spans(text)
    mentions = extractor.extract(text)
    assert mentions
    for mention in mentions:
        assert tuple(mention.sentence) in spans


# --- review 22: a rule file's error names the file's path and the rule --------------------------


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        (
            "context",
            "context_rules:\n  - {literal: nope, category: X, direction: SIDEWAYS}\n",
            r": context rule 'nope': unknown direction",
        ),
        (
            "targets",
            "target_rules:\n  - {literal: lumpy, category: CALCINOSIS, pattern: 7}\n",
            r": target rule 'lumpy': pattern must be",
        ),
        (
            "sections",
            "section_rules:\n  - {literal: plan, category: plan, pattern: {a: 1}}\n",
            r": section rule 'plan': pattern must be",
        ),
        (
            "sections",
            "section_rules:\n  - {literal: plan}\n",
            r": section rule #1 \('plan'\) needs 'literal' and 'category'",
        ),
        (
            "sections",
            "field_attribute_labels: [site, Size]\nsection_rules: []\n",
            r": field_attribute_labels must be a list of lower-case words; got 'Size'",
        ),
        ("targets", "target_rules: {a: 1}\n", r": the target rules must be a list"),
    ],
)
def test_rule_file_errors_name_the_path_and_the_rule(
    tmp_path: Path, kind: str, content: str, message: str
) -> None:
    folder = tmp_path / "my rules"
    folder.mkdir()
    path = folder / f"clinic_{kind}.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogueError, match=re.escape(str(path)) + message):
        load_rules(**{kind: path})


def test_rule_ids_do_not_change_with_the_files_folder(tmp_path: Path) -> None:
    # the ids are recorded in provenance (fact ids hash it): the file's stem, not its path
    path = tmp_path / "targets.yaml"
    path.write_text(
        "target_rules:\n  - {literal: calcinosis, category: CALCINOSIS}\n", encoding="utf-8"
    )
    assert load_rules(targets=path).targets[0].rule_id == "targets:CALCINOSIS:calcinosis"
    assert load_rules().sections[0].rule_id.startswith("sections:")


# --- a report's findings restate the pattern its conclusion names no pattern for (U18) ----------


@pytest.mark.parametrize(
    ("text", "status", "morphology", "regions"),
    [
        # own reports, SYNTHETIC
        (
            "US RIGHT ELBOW\nFindings: Over the olecranon, in the subcutaneous fat, two "
            "echogenic nodules with acoustic shadowing.\nImpression: calcinosis cutis at the "
            "right elbow.",
            "affirmed",
            ("nodular",),
            ("elbow",),
        ),
        (
            "CT PELVIS\nFindings: Linear sheet-like densities in the subcutaneous fat of both "
            "buttocks.\nConclusion: calcinosis, both buttocks.",
            "affirmed",
            ("sheet_like",),
            ("buttock_hip",),
        ),
        (
            "US LEFT SHOULDER\nFindings: Superficial to the left acromion a 5 mm echogenic "
            "nodule casts a shadow.\nConclusion: calcinosis over the left shoulder.",
            "affirmed",
            ("nodular",),
            ("shoulder",),
        ),
        # controls: a hedge stays a hedge; a history's words, a negated pattern, another
        # site's pattern and a pattern after the conclusion lend nothing back
        (
            "US RIGHT ELBOW\nFindings: Over the olecranon two echogenic nodules with acoustic "
            "shadowing.\nImpression: these may reflect calcinosis at the right elbow.",
            "uncertain",
            (),
            (),
        ),
        (
            "US HANDS\nHistory: lumps in the fingertips.\nFindings: echogenic foci in the pulp "
            "of the right index finger.\nConclusion: calcinosis of the right index finger.",
            "affirmed",
            (),
            ("fingers",),
        ),
        (
            "XR HANDS\nFindings: no nodular densities at the right index finger.\n"
            "Impression: calcinosis at the right index finger.",
            "affirmed",
            (),
            ("fingers",),
        ),
        (
            "US LEFT ARM\nFindings: two nodules over the left elbow.\nConclusion: calcinosis "
            "of the left forearm.",
            "affirmed",
            (),
            ("forearm",),
        ),
    ],
)
def test_findings_restate_the_conclusions_pattern(
    extractor: NoteExtractor,
    text: str,
    status: str,
    morphology: tuple[str, ...],
    regions: tuple[str, ...],
) -> None:
    summary = summarise_document(extractor.extract(text, report=True))
    assert (summary.calcinosis, summary.morphology, summary.regions) == (
        status,
        morphology,
        regions,
    )


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Calcinosis over the right acromion.", "shoulder"),
        ("A chalky deposit in the acromial bursa region, subcutaneous, calcinosis.", "shoulder"),
    ],
)
def test_the_acromion_is_the_shoulder(extractor: NoteExtractor, text: str, region: str) -> None:
    assert region in summarise_document(extractor.extract(text)).regions


# --- the wound named two sentences before its base (U09's cause) --------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # own notes, SYNTHETIC
        (
            "Wound clinic.\nSeen for an ulcer over the L lateral malleolus, 4 months.\n"
            "Size 2 x 1 cm, clean.\nThe base holds gritty white calcium, in keeping with "
            "calcinosis.",
            ("ankle_foot",),
        ),
        (
            "Wound clinic.\nUlcer over the R olecranon since May.\nDepth 3 mm.\nIts floor is "
            "chalky: calcinosis.",
            ("elbow",),
        ),
        # controls: the sentence between names another site, or a finding, or a negation;
        # a sentence further back that names no wound lends nothing
        (
            "Wound clinic.\nSeen for an ulcer over the L lateral malleolus.\nThe R knee is "
            "swollen.\nThe base holds gritty calcium, in keeping with calcinosis.",
            ("knee",),
        ),
        (
            "Wound clinic.\nPain in the R hand for weeks.\nSize 2 x 1 cm.\nThe base holds "
            "gritty calcium, in keeping with calcinosis.",
            (),
        ),
        (
            "Wound clinic.\nSeen for an ulcer over the L heel.\nNo infection.\nThe base holds "
            "gritty calcium, in keeping with calcinosis.",
            ("ankle_foot",),
        ),
        (
            "Wound clinic.\nSeen for an ulcer over the L heel.\nNo lesions on the hands.\nThe "
            "base holds gritty calcium, in keeping with calcinosis.",
            (),
        ),
    ],
)
def test_a_wound_base_takes_the_wounds_site_across_a_measurement(
    summary, text: str, regions: tuple[str, ...]
) -> None:
    found = summary(text)
    assert found.calcinosis == "affirmed"
    assert found.regions == regions
