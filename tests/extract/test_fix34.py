"""fix34: the HIGH findings of the review of notesacc34 (review 34), fixed at their causes.

Every sentence here was written for these tests (SYNTHETIC): the reviewer's sentences and
variants of our own.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calciscope.extract.evaluation import DocumentSummary

Read = Callable[..., DocumentSummary]


# --- H1: "<sheet noun> of <adjective> calcium" is a pattern, not a calcinosis finding -----------


@pytest.mark.parametrize(
    "text",
    [
        # the reviewer's sentences
        "CT CHEST: mediastinal lymph nodes containing deposits of dense calcification, old "
        "granulomatous disease.",
        "CXR: a calcified granuloma with a nodule of dense calcification at the left apex.",
        "CT CHEST: the aortic valve contains deposits of dense calcification.",
        "CT ABDOMEN: a layer of dense calcification lines the wall of the abdominal aorta.",
        "Histology: uterine leiomyoma with plates of dystrophic calcification.",
        "Histology: uterine leiomyoma with deposits of dystrophic calcification.",
        "Knee XR: a band of dense calcification in the meniscus, chondrocalcinosis.",
        "Shoulder XR: deposits of dense calcification in the supraspinatus tendon, calcific "
        "tendinitis.",
        "Thyroid ultrasound: a 2 cm nodule with deposits of dense calcification in the right lobe.",
        "Mammogram: deposits of amorphous calcification in the left breast, BI-RADS 4.",
        # our variants
        "CT PELVIS: bands of amorphous calcification in the fibroid uterus.",
        "CT CHEST: hilar nodes with sheets of dense calcification, old TB.",
        "Echo: the mitral annulus shows a band of dense calcification.",
        "Histology: an old granuloma with layers of dystrophic calcification.",
    ],
)
def test_look_alikes_with_an_adjective_after_of_are_no_calcinosis(summary: Read, text: str) -> None:
    s = summary(text, report=True)
    assert s.calcinosis == "not_mentioned"
    assert s.morphology == ()


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Histology, right thigh: calcinosis cutis with broad bands of amorphous calcium in "
            "the dermis.",
            ("thigh",),
        ),
        (
            "Calcinosis of the left thigh: sheets of dystrophic calcification in the subcutis.",
            ("thigh",),
        ),
        (
            "XR thighs: plates of dense calcification in the subcutaneous tissue of both thighs, "
            "in keeping with calcinosis.",
            ("thigh",),
        ),
    ],
)
def test_controls_the_pattern_of_a_named_calcinosis_stays(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    s = summary(text, report=True)
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",) and s.regions == regions


# --- H4: a line end written as a character reference is a line end ----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis: yes&#13;&#10;Digital ulcers: none&#13;&#10;",
        "Calcinosis: yes&#xD;&#xA;Digital ulcers: none",
        "Calcinosis: yes&#10;Digital ulcers: none",
        "Calcinosis: yes&#xa;Digital ulcers: none&#xa;",
    ],
)
def test_a_line_end_reference_keeps_the_template_lines_apart(summary: Read, text: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == ()


def test_a_line_end_reference_keeps_the_offsets(extractor) -> None:
    text = "Calcinosis: yes&#13;&#10;Site: R thumb"
    facts = [m for m in extractor.extract(text) if m.category == "CALCINOSIS"]
    assert [text[m.start : m.end] for m in facts] == ["Calcinosis"]
    spans = [text[a:b] for m in facts for a, b, kind in m.links["spans"] if kind == "BODY_REGION"]
    assert spans == ["thumb"]


def test_control_a_line_end_reference_between_label_and_value(summary: Read) -> None:
    s = summary("Digital ulcers: none&#10;Calcinosis: none")
    assert s.calcinosis == "negated"
