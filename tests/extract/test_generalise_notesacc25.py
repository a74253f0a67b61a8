"""Regression tests for the notesacc25 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes for the causes fresh19 (letters from French,
Portuguese, Turkish, Chinese, Korean, Greek and Arabic-speaking centres, speech-recognition
errors, request forms, photography and anaesthetic notes, coded problem lists) showed. None is
taken from an evaluation set. Each fix has a control that must not change. SYNTHETIC text.
"""

import pytest

# --- a word split in two by speech recognition ----------------------------------------------


def test_a_split_calcinosis_is_found(summary):
    s = summary("Review today: calci nosis at the left olecranon, three small hard nodules.")
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("nodular",)
    assert s.regions == ("elbow",)


def test_a_split_calcinosis_can_be_negated(summary):
    assert summary("Skin tight over the hands. No calci nosis seen.").calcinosis == "negated"


def test_calcinosis_cutis_keeps_its_listed_sites(summary):
    # control: the split-word rule must not match "calcinosis" itself (it once took "cutis"
    # off "Calcinosis cutis", and the sites listed under it were lost)
    s = summary(
        "Diagnoses:\n1. Limited SSc\n2. Calcinosis cutis\n   - L knee (prepatellar)\n   - R wrist"
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee", "wrist")


# --- a sheet that is bedding, a dressing or a graft -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis at both knees; the bed sheets were kept smooth under her legs.",
        "Excision of calcinosis of the right forearm, closed with a sheet of split skin graft.",
        "Calcinosis of the left forearm; a silicone gel sheet is applied to the scar at night.",
    ],
)
def test_a_sheet_of_bedding_or_graft_is_no_pattern(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert "sheet_like" not in s.morphology


def test_a_sheet_of_calcium_stays_sheet_like(summary):
    # control: the sheet is of calcium
    s = summary("She has a sheet of calcium under the skin of the right forearm.")
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",)
    assert s.regions == ("forearm",)


# --- a skin graft's donor site -------------------------------------------------------------------


def test_a_graft_donor_site_is_no_site_of_the_deposit(summary):
    s = summary(
        "The right elbow after removal of calcinosis, covered by a graft harvested from the "
        "right thigh."
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow",)


def test_a_donor_site_is_no_site_of_the_deposit(summary):
    s = summary(
        "Calcinosis of the left knee was excised and grafted; donor site on the left thigh healing."
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee",)


def test_a_graft_on_the_deposit_site_stays_a_site(summary):
    # control: the graft went where the deposit was
    s = summary("Calcinosis was excised, with a graft on the left forearm.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("forearm",)


def test_a_biopsy_site_stays_a_site(summary):
    # control: the deposit itself was sampled there
    s = summary("A biopsy taken from the left thigh showed calcinosis cutis.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("thigh",)


# --- a bracketed minus after the finding -----------------------------------------------------------


@pytest.mark.parametrize("sign", ["(-)", "(\u2013)", "(\u2212)"])
def test_a_bracketed_minus_negates(summary, sign):
    s = summary(f"Exam: telangiectasia (+), sclerodactyly (+), calcinosis {sign}.")
    assert s.calcinosis == "negated"


def test_a_bracketed_plus_affirms(summary):
    # control: "(+)"
    s = summary("Exam: telangiectasia (-), calcinosis (+) over the right elbow.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow",)


# --- a coded problem list: a refuted entry, and its rows --------------------------------------


def test_a_refuted_problem_is_negated(summary):
    s = summary(
        "Coded problems\n| Raynaud's phenomenon | active | confirmed |\n| Calcinosis | inactive | refuted |"
    )
    assert s.calcinosis == "negated"


def test_a_confirmed_problem_stays_affirmed(summary):
    # control: the same table, confirmed
    s = summary(
        "Coded problems\n| Raynaud's phenomenon | active | confirmed |\n| Calcinosis | active | confirmed |"
    )
    assert s.calcinosis == "affirmed"


def test_a_later_table_row_does_not_reach_back(summary):
    # "resolved" of the ulcer's row does not negate the subset in the row above it
    s = summary(
        "Coded problems\n| Diffuse cutaneous systemic sclerosis | active |\n"
        "| Digital ulcer | resolved |"
    )
    assert s.subset == "dcssc"


def test_a_table_row_keeps_its_cells_together(summary):
    # control: the cells of one row stay one sentence
    s = summary("Findings\n| Calcinosis | both knees | present |")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee",)


# --- complications a patient is told about ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "We talked about complications that may arise later on, such as ulcers of the fingertips and calcinosis.",
        "I explained the problems which could follow in the next years, for instance lung fibrosis or calcinosis.",
    ],
)
def test_complications_one_may_get_are_hypothetical(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


def test_a_complication_she_has_stays_affirmed(summary):
    # control: the counselling is its own sentence
    s = summary(
        "We discussed complications that can occur. She already has calcinosis of both elbows."
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow",)
