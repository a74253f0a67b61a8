"""notesacc34: the causes of fresh23's untouched misses and of the known leftovers, fixed.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set (fresh23.jsonl is scored in test_accuracy.py).
"""

from __future__ import annotations

import pytest

from .readings import Read, assert_affirmed_at, assert_sheet_like_at

# --- sheet-like wording new to the rules -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "CT: calcification forming a contiguous flat stratum in the fat of the calf.",
            ("lower_leg",),
        ),
        (
            "XR: subcutaneous calcification over the left thigh in a tabular, flat arrangement.",
            ("thigh",),
        ),
        ("Impression: tabular soft-tissue calcinosis of the upper arms.", ("upper_arm",)),
        (
            "Calcinosis has formed a continuous brace of calcium round the right forearm.",
            ("forearm",),
        ),
        (
            "Biopsy, left flank: sheets of amorphous calcium in the dermis, i.e. calcinosis.",
            ("abdomen",),
        ),
        ("Calcinosis: strata of dense calcification along the back of both thighs.", ("thigh",)),
    ],
)
def test_new_sheet_words(summary: Read, text: str, regions: tuple[str, ...]) -> None:
    assert_sheet_like_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the left knee, two small nodules; she now wears a knee brace.",
        "Calcinosis cutis, nodular, right elbow; past visits shown in tabular form below.",
        "Calcinosis: several small nodules at the fingertips. A tabular summary of the scores follows.",
    ],
)
def test_controls_a_brace_or_a_table_is_no_sheet(summary: Read, text: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == ("nodular",)


def test_an_adjective_of_the_calcium_after_of(summary: Read) -> None:
    # fix34 (review 34 H1): the phrase is a pattern, not a finding; the finding is named.
    s = summary(
        "Skin biopsy, right shin: calcinosis cutis; deposits of amorphous calcium in the deep "
        "dermis."
    )
    assert s.calcinosis == "affirmed" and s.regions == ("lower_leg",)


# --- a toe's joint, pulp or tip is the foot ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Podiatry: calcinosis under the R hallux IPJ, callus pared.",
        "A 2 mm deposit of calcinosis at the IPJ of the left great toe.",
        "Calcinosis at the tip of the second toe, not ulcerated.",
    ],
)
def test_a_toe_joint_is_the_foot(summary: Read, text: str) -> None:
    assert_affirmed_at(summary(text), ("ankle_foot",))


def test_control_a_finger_joint_stays_the_fingers(summary: Read) -> None:
    assert_affirmed_at(
        summary("Calcinosis over the R ring finger PIPJ and the L index IPJ."), ("fingers",)
    )


# --- "none" with a place of its own after a comma (the notesacc31 leftover) --------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis over the right elbow, none over the left elbow.", ("elbow",)),
        ("Calcinosis of both thumbs, none at the elbows or knees.", ("fingers",)),
        ("R heel calcinosis, none in the hands.", ("ankle_foot",)),
    ],
)
def test_none_at_another_place_denies_only_that_place(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis, none seen at the elbows or the knees.",
        "Calcinosis: none at the hands or feet.",
        "Calcinosis of the hands, none at present.",
        "Calcinosis at the elbows, none on examination today.",
    ],
)
def test_controls_none_that_denies_the_calcinosis(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "negated"


# --- the lens of the eye (the notesfix31 leftover) ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Eye clinic: dense calcium deposits in the lens of the right eye, cataract surgery planned.",
        "Slit-lamp: calcium deposits within both lenses.",
    ],
)
def test_calcium_in_the_lens_of_the_eye_is_not_calcinosis(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcium deposits over the left knee, looked at with a hand lens.", ("knee",)),
        ("Calcinosis of the thumb pulp, examined under a magnifying lens.", ("fingers",)),
    ],
)
def test_controls_a_lens_used_to_look(summary: Read, text: str, regions: tuple[str, ...]) -> None:
    assert_affirmed_at(summary(text), regions)


# --- a pathology report's specimen line ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "HISTOPATHOLOGY\nSpecimen: left forearm skin, excision biopsy\n"
            "Microscopy: amorphous basophilic material in the dermis, von Kossa positive.\n"
            "Diagnosis: calcinosis cutis.",
            ("forearm",),
        ),
        (
            "PATHOLOGY REPORT\nSpecimen: skin and fat, right calf, wide excision\n"
            "Clinical: scleroderma, hard lump.\nMacroscopy: an ellipse 40 x 20 mm with a hard "
            "white area.\nSections: two blocks.\nMicroscopy: nodules of amorphous calcium in the "
            "subcutis.\nA foreign-body giant-cell reaction surrounds them.\nNo atypia.\n"
            "Diagnosis: calcinosis cutis.",
            ("lower_leg",),
        ),
    ],
)
def test_a_specimen_lines_site_however_far_and_excised(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text, report=True), regions)


def test_control_no_specimen_line_lends_nothing(summary: Read) -> None:
    text = (
        "Clinic letter. The right calf was examined.\nShe saw the surgeon.\nHe took bloods.\n"
        "Her CK was normal.\nShe is on nifedipine.\nShe walks daily.\nShe sleeps well.\n"
        "Diagnosis: calcinosis."
    )
    assert summary(text).regions == ()


# --- deposits "at both sites" a few lines after the sites were listed -----------------------------


def test_a_comment_on_the_listed_sites_gives_their_pattern(summary: Read) -> None:
    text = (
        "SKIN FORM\nCalcinosis: present\nSites: L thumb; R heel\n"
        "Comment: small hard nodules at both sites."  # no site of its own (fix34, review 34 H3)
    )
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == ("nodular",)
    assert s.regions == ("ankle_foot", "fingers")


def test_control_tophi_at_both_sites_give_no_pattern(summary: Read) -> None:
    text = (
        "SKIN FORM\nCalcinosis: present\nSites: L thumb; R heel\n"
        "Comment: gouty tophi, not calcium, nodules at both sites on the other foot."
    )
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == ()


# --- HTML character references of an EHR export -----------------------------------------------


def test_an_entity_is_read_as_its_character(summary: Read) -> None:
    assert_affirmed_at(
        summary("ACTIVE PROBLEMS\n\u2022 Calcinosis &gt; L index, R ring finger\n\u2022 GORD"),
        ("fingers",),
    )


def test_a_non_breaking_space_is_a_space(summary: Read) -> None:
    s = summary("Calcinosis&nbsp;&ndash;&nbsp;both&nbsp;elbows, nodular")
    assert s.calcinosis == "affirmed" and s.regions == ("elbow",)
    assert s.morphology == ("nodular",)


def test_entities_keep_the_offsets(extractor) -> None:
    text = "Plan&#58; review.&nbsp;Calcinosis of the R knee &amp; L elbow."
    facts = extractor.extract(text)
    calcinosis = [m for m in facts if m.category == "CALCINOSIS"]
    assert [text[m.start : m.end] for m in calcinosis] == ["Calcinosis"]


def test_control_an_unknown_reference_stays_text(summary: Read) -> None:
    assert_affirmed_at(summary("Calcinosis of the right knee &zzfoo; no ulcers."), ("knee",))


# --- a form's "Site:" line above the finding ----------------------------------------------------


def test_a_wound_charts_site_line_above_the_bed(summary: Read) -> None:
    text = (
        "WOUND CHART\nSite: dorsum of R foot over the 2nd MTP\nDimensions: 1 x 1 cm\n"
        "Base: yellow slough; hard white fragments in the base - calcinosis\nPain: 3/10"
    )
    assert_affirmed_at(summary(text), ("ankle_foot",))


def test_control_another_finding_between_keeps_its_site(summary: Read) -> None:
    text = (
        "WOUND CHART\nSite: R shin\nUlcer: venous, 3 cm\nDigital ulcer: L index tip\n"
        "Other: calcinosis, site not recorded"
    )
    assert summary(text).regions == ()
