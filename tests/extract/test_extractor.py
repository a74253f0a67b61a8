import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calciscope.extract.mention import counted_concepts


def calcinosis(extractor, text):
    found = [m for m in extractor.extract(text) if m.category in ("CALCINOSIS", "CALCIFICATION")]
    assert found, f"no calcinosis mention in {text!r}"
    return found[-1]


FLAGS = ("is_negated", "is_uncertain", "is_historical", "is_hypothetical", "is_family")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("Nodular calcinosis at the left thumb.", set()),
        ("No calcinosis.", {"is_negated"}),
        ("No clinical evidence of calcinosis cutis.", {"is_negated"}),
        ("Soft tissues unremarkable; no evidence of calcinosis.", {"is_negated"}),
        ("Calcinosis: none.", {"is_negated"}),
        ("Calcinosis is not seen.", {"is_negated"}),
        ("She denies any calcinosis.", {"is_negated"}),
        ("No ulcers but calcinosis at the elbow.", set()),
        ("No change in calcinosis of the elbow.", set()),
        ("?early calcinosis at the right index fingertip", {"is_uncertain"}),
        ("Possible small calcific deposit at the elbow.", {"is_uncertain"}),
        ("Calcinosis cannot be excluded.", {"is_uncertain"}),
        ("Calcinosis not excluded.", {"is_uncertain"}),
        ("We cannot exclude calcinosis.", {"is_uncertain"}),
        ("History of nodular calcinosis excised from the thumb in 2010.", {"is_historical"}),
        ("Previous sheet-like calcinosis of both forearms (2015).", {"is_historical"}),
        ("If calcinosis develops we will arrange hand radiographs.", {"is_hypothetical"}),
        ("Hand radiographs requested to look for calcinosis.", {"is_hypothetical"}),
        ("Her sister has scleroderma with calcinosis.", {"is_family"}),
        ("Family history: his mother had calcinosis.", {"is_family"}),
        ("No Raynaud's.\nCalcinosis of the left index finger.", set()),
    ],
)
def test_context_flags(extractor, text, flags):
    mention = calcinosis(extractor, text)
    assert {f for f in FLAGS if getattr(mention, f)} == flags, mention.modifiers
    assert text[mention.start : mention.end] == mention.text


def test_modifier_rule_ids_are_reported(extractor):
    mention = calcinosis(extractor, "No calcinosis.")
    assert mention.modifiers == ["context:NEGATED_EXISTENCE:FORWARD:no"]


@pytest.mark.parametrize(
    ("text", "morphology"),
    [
        (
            "Extensive sheet-like calcification in the subcutaneous tissues of both forearms.",
            ["sheet_like"],
        ),
        ("Plate-like calcinosis over the thigh.", ["sheet_like"]),
        ("Reticular, lace-like calcinosis over the back.", ["reticular"]),
        ("Popcorn calcific deposits at the left index fingertip.", ["nodular"]),
        ("Small calcific nodules over the elbow.", ["nodular"]),
        ("Calcinosis universalis.", []),  # an extent, not a pattern (issue 13)
        (
            "Calcinosis of mixed pattern (nodules and plaques) at the knee.",
            ["mixed", "nodular", "sheet_like"],
        ),
    ],
)
def test_morphology_is_linked(extractor, text, morphology):
    mention = calcinosis(extractor, text)
    assert sorted(mention.links.get("morphology", [])) == sorted(morphology)
    assert mention.concept == "calcinosis"


def test_morphology_in_the_next_sentence_is_carried_back(extractor):
    mention = calcinosis(extractor, "Calcinosis of the forearm. The deposits are sheet-like.")
    assert mention.links["morphology"] == ["sheet_like"]


def test_each_calcinosis_gets_its_own_attributes(extractor):
    text = "Calcinosis: nodular calcinosis at the left index fingertip; plate-like calcinosis over both forearms"
    anchors = [m for m in extractor.extract(text) if m.category == "CALCINOSIS"]
    described = [
        (m.links.get("morphology"), m.links.get("regions"))
        for m in anchors
        if m.links.get("morphology")
    ]
    assert described == [
        (["nodular"], [{"region": "fingers", "laterality": "left"}]),
        (["sheet_like"], [{"region": "forearm", "laterality": "bilateral"}]),
    ]


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("No soft tissue calcification.", "calcinosis"),
        ("Net-like subcutaneous calcification of the thigh.", "calcinosis"),
        ("Vascular calcification of the digital arteries.", None),
        ("Incidental calcified lymph node.", None),
        ("Degenerative calcification of the MCP joint.", None),
        ("Intramuscular calcification in the thigh.", "calcinosis"),
    ],
)
def test_only_soft_tissue_calcification_counts_as_calcinosis(extractor, text, concept):
    assert calcinosis(extractor, text).concept == concept


def test_intramuscular_calcification_counts_as_calcinosis_and_muscle_calcification(extractor):
    mention = calcinosis(extractor, "Intramuscular calcification in the thigh.")
    assert counted_concepts(mention) == ["calcinosis", "muscle_calcification"]


def test_chondrocalcinosis_is_not_calcinosis(extractor):
    assert [
        m
        for m in extractor.extract("Chondrocalcinosis at the wrist.")
        if m.category == "CALCINOSIS"
    ] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anti-Scl-70 strongly positive", {"anti_scl70": "positive"}),
        ("Anti-topoisomerase I weakly positive", {"anti_scl70": "weakly_positive"}),
        ("PM/Scl not tested", {"anti_pm_scl": "not_tested"}),
        ("RNAP III negative", {"anti_rna_polymerase_iii": "negative"}),
        (
            "ACA positive, anti-Jo-1 negative.",
            {"anti_centromere": "positive", "anti_jo1": "negative"},
        ),
        (
            "Positive for anti-PM/Scl; negative for anti-Ku.",
            {"anti_pm_scl": "positive", "anti_ku": "negative"},
        ),
        (
            "Anti-U1 RNP and anti-Scl-70 negative.",
            {"anti_u1rnp": "negative", "anti_scl70": "negative"},
        ),
        (
            "ANA 1:640 speckled; anti-PM/Scl-75 positive; Scl-70 negative; RNA polymerase III not done.",
            {
                "ana": None,
                "anti_pm_scl": "positive",
                "anti_scl70": "negative",
                "anti_rna_polymerase_iii": "not_tested",
            },
        ),
    ],
)
def test_antibody_results(extractor, text, expected):
    found = {
        m.concept: m.links.get("result")
        for m in extractor.extract(text)
        if m.category == "ANTIBODY"
    }
    assert found == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("CK 1,234 U/L", "1,234"),
        ("Creatine kinase was 870 IU/L.", "870"),
        ("CK peaked at 5400", "5400"),
    ],
)
def test_ck_values(extractor, text, value):
    (ck,) = [m for m in extractor.extract(text) if m.category == "CK_VALUE"]
    assert ck.value == value


@pytest.mark.parametrize(
    ("text", "category", "concept_value"),
    [
        ("Diffuse cutaneous systemic sclerosis (dcSSc), diagnosed 2015", "SSC_SUBSET", "dcssc"),
        ("Limited cutaneous SSc (CREST)", "SSC_SUBSET", "lcssc"),
        ("SSc sine scleroderma", "SSC_SUBSET", "sine"),
        ("SSc–myositis overlap", "OVERLAP", None),
        ("Scleromyositis", "OVERLAP", None),
        ("Dermatomyositis", "MYOSITIS", None),
    ],
)
def test_subsets_and_overlap(extractor, text, category, concept_value):
    (first, *_) = [m for m in extractor.extract(text) if m.category == category]
    assert first.metadata.get("value") == concept_value


def test_attribute_only_sentences_give_no_mentions(extractor):
    assert extractor.extract("Skin thickening of the hands and forearms.") == []


def test_unicode_case_folding_keeps_offsets(extractor):
    text = "İİ calcinosis of the hand"
    mention = calcinosis(extractor, text)
    assert text[mention.start : mention.end] == "calcinosis"


def test_mentions_serialise(extractor):
    record = calcinosis(extractor, "No calcinosis.").to_dict()
    assert (
        record["is_negated"] is True
        and record["sentence"] == [0, 14]
        and record["concept"] == "calcinosis"
    )


WORDS = ["no", "calcinosis", "sheet-like", "of", "the", "left", "hand", "?", ".", "\n", "Findings:", "but",
         "anti-Scl-70", "positive", "CK", "1,200", "history", "mother", "soft", "tissue", "calcification", ";"]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=4)), max_size=40))
def test_any_text_gives_consistent_mentions(extractor, words):
    text = " ".join(words)
    for mention in extractor.extract(text):
        assert 0 <= mention.start < mention.end <= len(text)
        assert text[mention.start : mention.end] == mention.text
        assert mention.sentence[0] <= mention.start and mention.end <= mention.sentence[1]
