"""Regression tests for the notesfix15 fixes of segment.py, in sentences written for these tests.

Review 16 (items 7 and 8) found two regressions of notesacc19's segmentation: a dash at a line
end after a site word glued the site to the next line's word ("the fingers-\\nno ulceration"),
and an inline numbered list of a finding's sites was cut into items ("Calcinosis cutis:
1) right index finger 2) left elbow"). None of these sentences is taken from an evaluation set.
"""

import pytest

from calciscope.extract.segment import join_line_hyphens, split_sentences

from .readings import assert_affirmed_at

# --- a dash at a line end after a whole word the rules know ------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis of the toes-\nnot tender today.", ("ankle_foot",)),
        ("Hard calcinosis along both shins-\nunchanged on review.", ("lower_leg",)),
        ("There is calcinosis over the knees-\nsee the photographs.", ("knee",)),
        ("Chalky calcinosis at the left wrist-\nwound care as before.", ("wrist",)),
        ("Calcinosis cutis of the forearms-\nstable, no drainage.", ("forearm",)),
    ],
)
def test_a_dash_after_a_site_word_keeps_the_site(summary, text, regions):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


def test_a_dash_after_a_site_word_keeps_its_side(extractor):
    mentions = extractor.extract("Calcinosis over both hips-\nstable since June.")
    anchor = next(m for m in mentions if m.category == "CALCINOSIS")
    assert anchor.links["regions"] == [{"region": "buttock_hip", "laterality": "bilateral"}]


@pytest.mark.parametrize(
    ("text", "morphology", "regions"),
    [
        # a fragment that is no word of the rules is joined (OCR, typesetting)
        ("Marked cal-\ncinosis of the right ankle.", (), ("ankle_foot",)),
        ("Calcinosis at the left ole-\ncranon.", (), ("elbow",)),
        # a pair of words the rules know keeps its hyphen
        ("There is plate-\nlike calcinosis over the buttocks.", ("sheet_like",), ("buttock_hip",)),
        ("Sheet-\nlike calcinosis of both calves.", ("sheet_like",), ("lower_leg",)),
    ],
)
def test_a_broken_word_is_still_read_whole(summary, text, morphology, regions):
    s = summary(text)
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", morphology, regions)


def test_joining_with_the_rules_words_keeps_offsets():
    known = frozenset({"calcinosis", "sheet", "like", "sheet like", "elbows", "no"})
    text = "Sheet-\nlike calci-\nnosis of the elbows-\nno pain."
    joined = join_line_hyphens(text, known)
    assert len(joined) == len(text)
    assert joined == "Sheet-like  calcinosis   of the elbows-\nno pain."
    # without words every break is joined (the function's default)
    assert join_line_hyphens("the elbows-\nno pain") == "the elbowsno   pain"
    # Windows line ends keep their length too
    assert join_line_hyphens("calci-\r\nnosis", known) == "calcinosis   "


# --- an inline numbered list of a finding's sites ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Calcinosis cutis: 1) left thumb 2) right knee 3) both heels.",
            ("ankle_foot", "fingers", "knee"),
        ),
        ("Calcinosis: 1) R elbow 2) L hip", ("buttock_hip", "elbow")),
        ("Known lcSSc. Calcinosis : 1) both forearms 2) sacrum.", ("back", "forearm")),
        ("Subcutaneous calcification: 1) left shin 2) right thigh", ("lower_leg", "thigh")),
    ],
)
def test_a_numbered_list_of_a_findings_sites_stays_with_it(summary, text, regions):
    s = summary(text)
    assert (s.calcinosis, tuple(sorted(s.regions))) == ("affirmed", regions)


def test_each_listed_site_keeps_its_side(extractor):
    mentions = extractor.extract(
        "Calcinosis cutis: 1) right little finger 2) left knee 3) both elbows."
    )
    anchor = next(m for m in mentions if m.category == "CALCINOSIS")
    assert sorted(anchor.links["regions"], key=lambda r: r["region"]) == [
        {"region": "elbow", "laterality": "bilateral"},
        {"region": "fingers", "laterality": "right"},
        {"region": "knee", "laterality": "left"},
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Plan: 1) continue MMF 2) thiosulfate for calcinosis 3) MRI of the right knee",
        "Agreed today: 1) stop PPI 2) diltiazem for calcinosis 3) X-ray of both hips",
        # a list after the finding but not under its name
        "Calcinosis noted. Plan: 1) diltiazem 2) ultrasound of the left shoulder",
    ],
)
def test_items_of_an_unrelated_list_still_give_no_site(summary, text):
    assert_affirmed_at(summary(text), ())


def test_split_sentences_keeps_the_items_of_a_given_list():
    text = "Calcinosis: 1) R elbow 2) L hip. Plan: 1) MMF 2) US knee"
    head = text.index("1)")
    assert [text[a:b] for a, b in split_sentences(text, lists={head})] == [
        "Calcinosis: 1) R elbow 2) L hip.",
        "Plan: 1) MMF 2)",
        "US knee",
    ]
    assert [text[a:b] for a, b in split_sentences(text)][:2] == [
        "Calcinosis: 1) R elbow 2)",
        "L hip.",
    ]
