"""notesacc31: the causes of fresh22's untouched misses and of the known leftovers, fixed.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set (fresh22.jsonl is scored in test_accuracy.py).
"""

from __future__ import annotations

import pytest

from .readings import Read, assert_affirmed_at

# --- what is not calcinosis cutis --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Plain film of the ankle: Monckeberg medial calcinosis of the posterior tibial artery.",
        "XR left foot: extensive medial calcinosis of the pedal arteries, typical of renal failure.",
        "The hand film shows Monckeberg sclerosis of the digital vessels.",
    ],
)
def test_medial_arterial_calcinosis_is_vascular(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "not_mentioned"


def test_calcinosis_on_the_medial_side_of_a_joint_still_counts(summary: Read) -> None:
    assert_affirmed_at(
        summary("Calcinosis over the medial aspect of the right elbow, 6 mm."), ("elbow",)
    )


@pytest.mark.parametrize(
    "text",
    [
        "Slit lamp: a horizontal band of calcium deposition crosses both corneas.",
        "Ophthalmology: band keratopathy with calcific plaques in the conjunctiva of the left eye.",
        "OPG: pulp stones in two lower premolars and a calcified sialolith in the parotid duct.",
        "Histology of the forehead lump: pilomatrixoma with extensive calcification.",
        "Excised scalp lesion: trichilemmal cyst with calcification of its wall.",
    ],
)
def test_calcium_of_the_eye_teeth_glands_and_cysts_is_not_calcinosis(
    summary: Read, text: str
) -> None:
    assert summary(text).calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("A band of calcium lies under the skin across the back of the thigh.", ("thigh",)),
        ("Calcinosis in the pulp of the left thumb, 3 mm.", ("fingers",)),
        (
            "A crust of calcium encases the right knee joint and spreads over the shin.",
            ("knee", "lower_leg"),
        ),
    ],
)
def test_controls_calcium_in_the_skin_still_counts(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "Skin free of calcinosis, but the ankle aspirate contained calcium pyrophosphate crystals.",
        "No calcinosis cutis; synovial fluid from the knee showed deposits of calcium "
        "pyrophosphate dihydrate.",
        "No calcinosis seen. Shoulder effusion: CPPD (pseudogout).",
    ],
)
def test_calcium_pyrophosphate_is_crystal_arthritis(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "negated"


def test_pyrophosphate_alone_gives_no_calcinosis(summary: Read) -> None:
    s = summary("Knee aspirate: deposits of calcium pyrophosphate, consistent with pseudogout.")
    assert s.calcinosis == "not_mentioned"


# --- sheet-like without "sheet" ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Calcinosis has formed a stony breastplate over the front of the chest.", "chest"),
        ("There is a rigid breastplate of calcinosis across the front of the chest wall.", "chest"),
        (
            "Calcinosis of the right buttock, flat, covering most of the gluteal skin.",
            "buttock_hip",
        ),
        (
            "Calcinosis on the left thigh: flat and spreading over most of its lateral aspect.",
            "thigh",
        ),
    ],
)
def test_sheet_like_without_the_word_sheet(summary: Read, text: str, region: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",) and region in s.regions


def test_flat_alone_is_no_sheet(summary: Read) -> None:
    s = summary("Calcinotic nodules at both elbows. Abdomen soft and flat, covered by a dressing.")
    assert s.morphology == ("nodular",)


# --- a site a later clause denies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Elbows and knees palpated for calcinosis: a hard deposit at the right elbow, nothing at "
            "the knees.",
            ("elbow",),
        ),
        (
            "Checked for calcinosis over the shins; a few deposits felt, none found at the ankles.",
            ("lower_leg",),
        ),
        (
            "Calcinosis at the fingertips and wrists, no deposits in the palms.",
            ("fingers", "wrist"),
        ),
    ],
)
def test_a_denied_site_is_no_site(summary: Read, text: str, regions: tuple[str, ...]) -> None:
    assert_affirmed_at(summary(text), regions)


def test_a_check_answered_by_deposits_is_no_doubt(summary: Read) -> None:
    assert_affirmed_at(
        summary("Screened for calcinosis at the knees; two gritty nodules found."), ("knee",)
    )


def test_a_check_answered_by_none_stays_negated(summary: Read) -> None:
    assert summary("Checked for calcinosis at the hips; none found.").calcinosis == "negated"


def test_an_unanswered_check_stays_uncertain(summary: Read) -> None:
    assert summary("Please check for calcinosis at the elbows.").calcinosis == "uncertain"


# --- a range's ends given from a joint -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("A calcified layer runs from the knee to just above the ankle.", ("lower_leg",)),
        ("Calcinosis extends from just below the elbow down to the wrist crease.", ("forearm",)),
        ("Calcinosis from just above the knee up to the hip.", ("thigh",)),
    ],
)
def test_range_ends_given_from_a_joint_bound_the_segment(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert summary(text).regions == regions


# --- punctate elements of a network --------------------------------------------------------------


def test_punctate_elements_of_a_net_are_no_nodules(summary: Read) -> None:
    s = summary(
        "CT: innumerable punctate calcific foci form a lacy net through the fat of the "
        "calf, consistent with calcinosis.",
        report=True,
    )
    assert s.morphology == ("reticular",)


def test_nodules_beside_a_net_stay(summary: Read) -> None:
    s = summary(
        "Calcinosis of the thigh: a lace-like network with two popcorn nodules and punctate foci."
    )
    assert s.morphology == ("nodular", "reticular")


# --- a specimen line's site, whatever words the microscopy uses -----------------------------------


def test_specimen_site_without_a_deposit_word(summary: Read) -> None:
    s = summary(
        "Specimen: punch biopsy of skin, right elbow.\n"
        "Microscopy: amorphous basophilic material in the deep dermis, von Kossa positive.\n"
        "Conclusion: calcinosis cutis."
    )
    assert s.calcinosis == "affirmed" and s.regions == ("elbow",)


def test_no_specimen_line_no_site(summary: Read) -> None:
    s = summary(
        "Clinical: right elbow swelling.\n"
        "Microscopy: amorphous basophilic material in the deep dermis, von Kossa positive.\n"
        "Conclusion: calcinosis cutis."
    )
    assert s.regions == ()
