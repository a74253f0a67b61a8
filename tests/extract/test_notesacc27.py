"""Regression tests for the notesacc27 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes for the causes fresh20 (letters from
Scandinavian, Eastern European, Latin American, African, Middle-Eastern and South Asian centres,
nurse advice lines, oncology and renal letters, patient emails) showed. None is taken from an
evaluation set. Each fix has a control that must not change. SYNTHETIC text.
"""

import pytest

# --- a search with nothing found, said after the finding --------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the right heel could not be verified on the lateral foot film.",
        "Calcinosis at the left heel was not confirmed by ultrasound or by CT.",
        "On imaging, calcinosis of the thumb cannot be substantiated.",
    ],
)
def test_a_finding_not_verified_is_negated(summary, text):
    assert summary(text).calcinosis == "negated"


@pytest.mark.parametrize(
    "text",
    [
        # controls: a deposit that could not be removed, and one that was confirmed
        "The calcinosis at the left olecranon could not be excised completely.",
        "Calcinosis was confirmed on the plain film of both knees.",
    ],
)
def test_a_finding_not_removed_or_confirmed_stays_affirmed(summary, text):
    assert summary(text).calcinosis == "affirmed"


# --- spared from -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Up to now he has been spared from calcinosis.",
        "Fortunately she was spared calcinosis and lung disease.",
        "A patient spared from calcinosis over twenty years of limited disease.",
    ],
)
def test_spared_from_calcinosis_is_negated(summary, text):
    assert summary(text).calcinosis == "negated"


def test_a_spared_site_does_not_negate_the_deposit(summary):
    # control: the thumbs are spared by the skin disease, the deposit is named after them
    s = summary("Skin thickening spares the thumbs; calcinosis of both index fingertips.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("fingers",)


# --- a topic read about, not the patient's finding ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "She has been reading about calcinosis online and asked many questions.",
        "He saw a leaflet about calcinosis in the waiting room.",
        "My husband and I read up on calcinosis after the last visit.",
    ],
)
def test_a_topic_read_about_says_nothing_of_the_patient(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


def test_reading_about_her_own_calcinosis_keeps_it(summary):
    # control: her own deposits, which she has read about
    s = summary("She has been reading about her calcinosis of the elbows, which is painful.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow",)


# --- a writer who cannot tell which it is ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "We cannot define if the lump on the heel is a calcinosis or an inclusion cyst.",
        "It is hard to say whether this is calcinosis or an old suture granuloma.",
        "I am unable to tell if the hard spot on her thumb is calcinosis.",
    ],
)
def test_cannot_tell_if_is_uncertain(summary, text):
    assert summary(text).calcinosis == "uncertain"


def test_cannot_alone_still_negates(summary):
    # control: "cannot" before the finding, with no question of which it is
    assert summary("I cannot feel calcinosis at either elbow.").calcinosis == "negated"


# --- items gone now, named before: a history of calcinosis --------------------------------------


def test_deposits_none_of_which_remain_are_a_history(summary):
    s = summary(
        "The calcinotic nodules at both knees shrank on diltiazem and now none are palpable."
    )
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("nodular",)
    assert s.regions == ("knee",)


def test_none_remain_after_a_named_deposit_is_a_history(summary):
    s = summary("Two calcinotic nodules were shaved off the left heel and none remain.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("ankle_foot",)


def test_resolved_nodules_keep_their_pattern(summary):
    s = summary("The chalky lumps over her right elbow resolved after excision last year.")
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("nodular",)
    assert s.regions == ("elbow",)


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis: none.",
        "Calcinosis - none present today.",
        "Examined for calcinosis, none.",
        "Hands and elbows examined for calcinosis, none are palpable.",
        "Calcinosis was looked for at every visit and none were palpable.",
    ],
)
def test_a_template_none_still_negates(summary, text):
    assert summary(text).calcinosis == "negated"


def test_none_remain_negates_other_findings(summary, extractor):
    # control: for another finding "none remain" is still its absence
    text = "Digital ulcers healed in the spring and none remain. Calcinosis at the R thumb."
    s = summary(text)
    assert s.calcinosis == "affirmed"
    # the ulcers (no target of the extractor) are negated, as `notes assess` reads them
    assert extractor.assess("Digital ulcers", text).negation == "Negated"


# --- calcinates, punctiform, a spreading film, fused plates ----------------------------------


def test_calcinates_in_the_soft_tissue_are_calcinosis(summary):
    s = summary("Calcinates are palpable in the subcutaneous tissue of the right forearm.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("forearm",)


def test_calcinates_in_a_vessel_are_not(summary):
    # control: the vascular tissue word still counts toward nothing
    assert summary("Calcinates in the wall of the aorta.").calcinosis == "not_mentioned"


def test_punctiform_calcification_is_nodular(summary):
    s = summary(
        "Punctiform calcifications in the soft tissues of the left thumb pulp.", report=True
    )
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("nodular",)


def test_calcium_that_has_spread_as_a_film_is_sheet_like(summary):
    s = summary("The calcium has slowly spread as a thin film over the back of the left thigh.")
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",)
    assert s.regions == ("thigh",)


def test_serum_calcium_is_no_finding(summary):
    # control: "calcium" with no verb of deposition
    assert summary("Serum calcium has been normal throughout.").calcinosis == "not_mentioned"


def test_plates_fused_into_one_mass_are_sheet_like(summary):
    s = summary(
        "Calcified plates in the subcutaneous fat of the buttock have fused together into a "
        "single mass."
    )
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",)


def test_a_fused_joint_is_no_pattern(summary):
    # control: "fused" alone (a joint) lends no sheet to the nodules beside it
    s = summary("Calcinotic nodules at the left index finger, whose DIP joint is fused.")
    assert s.morphology == ("nodular",)


# --- fat necrosis ------------------------------------------------------------------------------


def test_calcified_fat_necrosis_of_the_breast_is_not_calcinosis(summary):
    s = summary(
        "Mammography: rim calcification and fat necrosis at the mastectomy scar, benign.",
        report=True,
    )
    assert s.calcinosis == "not_mentioned"


def test_calcification_of_the_subcutaneous_fat_still_counts(summary):
    # control: the bare "fat" of the subcutis is still a soft tissue
    s = summary("Sheets of calcification in the subcutaneous fat of both thighs.", report=True)
    assert s.calcinosis == "affirmed"
    assert s.regions == ("thigh",)


# --- the segment between two landmarks --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Calcinosis along the back of the arm, between the shoulder and the elbow.", "upper_arm"),
        ("A band of calcinosis between the knee and the ankle on the right.", "lower_leg"),
        ("Calcinosis of the skin between her elbow and wrist.", "forearm"),
    ],
)
def test_between_two_landmarks_is_the_segment(summary, text, region):
    assert summary(text).regions == (region,)


def test_a_range_from_one_landmark_to_another_is_its_segment(summary):
    # notesacc30 replaced the notesacc19 convention: a range "from ... to" is the segment
    # between its ends only, as "between" (the ends say where the deposit stops)
    s = summary("Calcinosis from the elbow to the wrist on the left.")
    assert s.regions == ("forearm",)
