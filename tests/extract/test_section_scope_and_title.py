"""Section scope ends at a paragraph end; a report's examination title lends its sites (notes7).

SYNTHETIC sentences written for these tests.
"""

from __future__ import annotations

import pytest

from calciscope.extract.evaluation import summarise_document
from calciscope.extract.segment import section_end


def _calcinosis(mentions):
    return [m for m in mentions if m.category in ("CALCINOSIS", "CALCIFICATION")]


# --- 1. a section's scope -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # inline header, the patient's finding on the next line
        "Family history: an aunt with lupus and calcinosis of the shins.\n"
        "Today there are two hard calcinotic nodules over his right olecranon.",
        # inline header, a blank line before the patient's finding
        "FH: grandmother had scleroderma with calcinosis.\n\n"
        "Calcinosis over his right elbow has grown since spring.",
        # header alone on its line: the list runs to the blank line
        "Family history:\nCousin - dermatomyositis with calcinosis\nFather - gout\n\n"
        "Calcinosis over the right elbow, tender on palpation.",
        # the next header ends it
        "Family hx: brother with morphoea and calcinosis.\n"
        "Impression: calcinosis at the right elbow, slowly enlarging.",
    ],
)
def test_family_history_does_not_reach_the_patients_own_finding(extractor, text):
    mentions = _calcinosis(extractor.extract(text))
    assert [m.is_family for m in mentions] == [True, False]
    summary = summarise_document(mentions)
    assert summary.calcinosis == "affirmed"
    assert summary.regions == ("elbow",)


def test_family_only_document_stays_not_mentioned(extractor):
    text = (
        "Family history:\nMother - SSc complicated by calcinosis\nSister - calcinosis cutis\n"
        "Her own skin is soft."
    )
    mentions = _calcinosis(extractor.extract(text))
    assert mentions and all(m.is_family for m in mentions)
    assert summarise_document(mentions).calcinosis == "not_mentioned"


def test_a_wrapped_family_line_stays_family(extractor):
    text = "FH: her uncle had limited scleroderma and calcinosis of\nthe knees. No other history."
    mentions = _calcinosis(extractor.extract(text))
    assert [m.is_family for m in mentions] == [True]


def test_negation_after_the_family_line_is_the_patients(extractor):
    text = "Family history: a sister with calcinosis of the toes.\nHe has no calcinosis himself."
    assert summarise_document(extractor.extract(text)).calcinosis == "negated"


def test_section_end_rules():
    text = "Findings:\n\nFirst paragraph.\nSecond line.\n\nNext paragraph."
    body = text.index("\n")
    assert text[: section_end(text, body, len(text))].endswith("Second line.")
    inline = "PMH: gout.\nNew line here."
    assert section_end(inline, 4, len(inline), inline=True) == inline.index("\n")
    assert section_end(inline, 4, len(inline)) == len(inline)
    assert section_end("X:   ", 2, 5, inline=True) == 5


def test_examination_is_one_header_not_two(extractor):
    text = "Examination: knees\nFindings: nothing."
    sections = extractor.sections(text)
    assert [s.category for s in sections] == ["examination", "findings"]


# --- 2. sites from a report's examination title ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions", "side"),
    [
        ("XR LEFT ELBOW\nFindings: A lobulated calcinotic mass lies in the soft tissues.",
         ("elbow",), "left"),
        ("Examination: Both knees AP\nFindings: Amorphous subcutaneous calcification, sheet-like.",
         ("knee",), "bilateral"),
        ("RADIOGRAPH RIGHT ANKLE, compared with 2022:\nDense calcinosis in the subcutis.",
         ("ankle_foot",), "right"),
        ("MRI THIGHS (myositis protocol): Muscle oedema. Calcinosis in the fat, unchanged.",
         ("thigh",), None),
    ],
)  # fmt: skip
def test_a_report_title_lends_its_site(extractor, text, regions, side):
    mentions = extractor.extract(text, report=True)
    summary = summarise_document(mentions)
    assert summary.calcinosis == "affirmed"
    assert summary.regions == regions
    found = [m for m in _calcinosis(mentions) if m.links.get("regions")]
    assert found and all(m.links["regions_from"] == "title" for m in found)
    assert {e["laterality"] for m in found for e in m.links["regions"]} == {side}


def test_never_in_letters(extractor):
    text = "XR LEFT ELBOW\nFindings: A lobulated calcinotic mass lies in the soft tissues."
    assert summarise_document(extractor.extract(text)).regions == ()


def test_a_finding_with_its_own_site_keeps_it(extractor):
    text = (
        "XR BOTH HANDS\nFindings: Calcific density in the pulp of the left index finger.\n"
        "Conclusion: consistent with calcinosis."
    )
    summary = summarise_document(extractor.extract(text, report=True))
    assert summary.regions == ("fingers",)


def test_the_title_does_not_make_other_calcification_calcinosis(extractor):
    text = "XR LEFT SHOULDER\nFindings: Calcific tendinitis of the supraspinatus. Vascular calcification."
    mentions = extractor.extract(text, report=True)
    assert summarise_document(mentions).calcinosis == "not_mentioned"
    assert not any(m.links.get("regions_from") for m in mentions)


def test_a_chest_title_gives_no_calcinosis(extractor):
    text = (
        "CT CHEST\nFindings: Calcified granulomas in the left upper lobe. Coronary calcification."
    )
    mentions = extractor.extract(text, report=True)
    assert summarise_document(mentions).calcinosis == "not_mentioned"


def test_a_title_that_is_a_finding_is_no_title(extractor):
    text = "Soft tissue calcinosis, extensive.\nThe knees are spared."
    mentions = extractor.extract(text, report=True)
    assert summarise_document(mentions).regions == ()
