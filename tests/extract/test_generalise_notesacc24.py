"""Regression tests for the notesacc24 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes for the causes fresh18 (letters from Spanish,
Italian, Polish, Japanese and Brazilian centres, histopathology, pelvic CT, clinician emails,
funding letters, Y/N proformas) showed. None is taken from an evaluation set. Each fix has a
control that must not change.
"""

import pytest

# --- negation said after the finding, in new forms -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis has never been a feature of his disease.",
        "In her case calcinosis is not a feature; the skin is the main problem.",
        "Subcutaneous calcinosis was not recognised at this visit.",
        "Calcinosis at the fingertips was not palpable today.",
        "Of calcinosis we could find no trace, despite a careful search.",
    ],
)
def test_negation_after_the_finding(summary, text):
    assert summary(text).calcinosis == "negated"


def test_a_feature_that_is_present_stays_affirmed(summary):
    # control: "a feature" without a negation
    s = summary("Calcinosis of the knees is a prominent feature of his limited SSc.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee",)


def test_no_sign_of_something_else_does_not_negate_backward(summary):
    # control: "no sign of" has its own object
    s = summary("Calcinosis at the left elbow; we could find no sign of infection around it.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow",)


@pytest.mark.parametrize("value", ["Ø", "ø", "∅"])
def test_an_empty_set_sign_in_a_field_negates(summary, value):
    assert summary(f"Calcinosis: {value}. Raynaud's: yes.").calcinosis == "negated"


def test_a_colon_that_opens_a_clause_ends_the_negation(summary):
    s = summary(
        "These are not isolated stones: the calcinosis has fused into a rigid calcified "
        "coating over the back of the left thigh."
    )
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",)
    assert s.regions == ("thigh",)


def test_negative_for_a_colon_list_still_negates(summary):
    # control: no clause opens after the colon
    assert summary("Negative for: calcinosis, ulcers.").calcinosis == "negated"


# --- uncertainty and conditions in new forms ----------------------------------------------------


def test_it_is_not_excluded_before_the_finding_is_uncertain(summary):
    s = summary("It is not excluded an early calcinosis over the left shin.")
    assert s.calcinosis == "uncertain"


def test_not_excluded_after_the_finding_stays_uncertain(summary):
    # control: the backward trigger still works
    assert summary("Calcinosis of the elbow is not excluded.").calcinosis == "uncertain"


def test_a_question_to_a_colleague_is_uncertain(summary):
    s = summary("Does she think the white specks on the thumb are calcinosis or just scar?")
    assert s.calcinosis == "uncertain"


def test_do_you_think_without_a_question_mark_is_no_trigger(summary):
    # control: no question, so a statement
    s = summary("As you think, the deposit at her thumb is calcinosis.")
    assert s.calcinosis == "affirmed"


def test_in_the_event_that_is_a_condition(summary):
    s = summary("In the event that calcinosis develops, we will book a hand radiograph.")
    assert s.calcinosis == "not_mentioned"


def test_in_the_case_of_this_patient_is_no_condition(summary):
    # control: "in the case of" names the patient
    s = summary("In the case of this patient, calcinosis is present at both knees.")
    assert s.calcinosis == "affirmed"


# --- sheet-like written as a covering or a simile ------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The calcinosis forms a hard coating over the right calf.",
        "A calcified veneer of calcinosis lies on the fascia of the right calf.",
        "Calcinosis has become a stony calcified gauntlet over the right calf.",
        "There is a continuous calcified wrap of calcinosis around the right calf.",
        "Calcinosis spreads flat and continuous under the skin of the right calf.",
        "The calcinosis is draped over the calf muscles.",
        "The calcinosis sits on the right calf like a shin pad.",
    ],
)
def test_sheet_like_without_the_word_sheet(summary, sentence):
    s = summary(sentence)
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",)
    assert s.regions == ("lower_leg",)


@pytest.mark.parametrize(
    "sentence",
    [
        "She wore a lab coat in clinic; calcinosis nodules at the right thumb.",
        "Calcinosis nodules at the right thumb; we advised elbow pads for work.",
        "Calcinosis nodules at the right thumb, thin and painful.",
    ],
)
def test_coverings_of_everyday_life_are_no_pattern(summary, sentence):
    # controls: a coat, pads and a pair of adjectives that are not "flat/continuous/broad"
    s = summary(sentence)
    assert s.morphology == ("nodular",)


# --- calcification that is not calcinosis ------------------------------------------------------


def test_calcification_in_the_walls_of_small_vessels_is_not_calcinosis(summary):
    s = summary(
        "Biopsy: calcification limited to the walls of tiny dermal arterioles, with "
        "thrombi, in keeping with calciphylaxis."
    )
    assert s.calcinosis == "not_mentioned"


def test_subcutaneous_calcification_beside_a_vessel_stays_calcinosis(summary):
    # control: the deposit is in the fat, the vessel only nearby
    s = summary("Subcutaneous calcification of the left thigh lies beside a normal femoral vessel.")
    assert s.calcinosis == "affirmed"


def test_calcified_foci_typical_of_granulomas_are_explained(summary):
    s = summary(
        "Small calcified densities in the subcutaneous fat of the right buttock, in the "
        "usual typical site of injection granulomas.",
        report=True,
    )
    assert s.calcinosis == "not_mentioned"


def test_cysticercosis_is_not_calcinosis(summary):
    s = summary(
        "Many cigar-shaped calcifications in the calf muscles, with the typical look of "
        "cysticercosis.",
        report=True,
    )
    assert s.calcinosis == "not_mentioned"


def test_calcinosis_of_the_buttock_stays(summary):
    # control: no explaining finding
    s = summary("Small calcified densities in the subcutaneous fat of the right buttock.", True)
    assert s.calcinosis == "affirmed"
    assert s.regions == ("buttock_hip",)


# --- sites --------------------------------------------------------------------------------------


def test_a_surface_named_face_is_no_face(summary):
    s = summary("Calcinosis covers the lateral face of the left upper arm.")
    assert s.regions == ("upper_arm",)


def test_the_face_itself_stays(summary):
    # control
    assert summary("Calcinosis nodules on the face and chin.").regions == ("face",)


def test_front_to_back_is_a_direction(summary):
    s = summary("The calcinosis goes right round the left thigh from front to back.")
    assert s.regions == ("thigh",)


def test_the_back_itself_stays(summary):
    # control
    assert summary("Calcinosis nodules over the lower back.").regions == ("back",)


def test_a_joint_movement_as_a_noun_is_no_site(summary):
    s = summary("Calcinosis of the forearm with limitation of extension of the wrist.")
    assert s.regions == ("forearm",)


def test_knuckles_are_the_hand(summary):
    assert summary("Calcinosis nodules over the knuckles of the left hand.").regions == ("hand",)


# --- the subset in a form field or shorthand -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("Type (dc/lc): lc\nCalcinosis (Y/N): Y", "lcssc"),
        ("Subset: dc\nUlcers: none", "dcssc"),
        ("SSc lc, Raynaud ++, reflux.", "lcssc"),
        ("Subtype: limited\nCalcinosis: no", "lcssc"),
    ],
)
def test_the_subset_in_a_field_or_shorthand(summary, text, subset):
    assert summary(text).subset == subset


def test_the_choices_offered_are_no_subset(summary):
    # control: a field left empty
    assert summary("Subtype (lc/dc): \nCalcinosis: no").subset is None


# --- a coded note's shorthand ---------------------------------------------------------------------


def test_calcium_carbonate_deposits_in_shorthand(summary):
    s = summary("lcSSc. CaCO3 deps L olecr +, R 3rd DIP ++. Ulcers nil.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow", "fingers")


def test_a_deposit_word_without_calcium_stays_no_finding(summary):
    # control: "deps" alone is no calcinosis (it could be anything)
    assert summary("Bloods: U&E ok, deps reviewed with pharmacy.").calcinosis == "not_mentioned"


def test_ssc_then_diffuse_lung_disease_is_no_subset(summary):
    # control: the shorthand rule takes only "dc"/"lc" after "SSc"
    assert summary("SSc diffuse ILD on CT, FVC 68%.").subset is None


def test_a_pain_type_is_no_subset(summary):
    # control: "diffuse" after a plain "type" label
    assert summary("Pain type: diffuse\nCalcinosis: no").subset is None
