"""Regression tests for the notesfix26 fixes of notesacc26 (review findings).

SYNTHETIC: every sentence was written for these tests (the reviewer's probe sentences and our
own variants); none is taken from an evaluation set or a real patient. Each fix has a control
that keeps notesacc26's intended case.
"""

import re

import pytest

from calciscope.extract.restate import described_before, guards, population

# --- 1. firm or indurated plaques are the skin of morphoea and SSc, no deposit ----------------


@pytest.mark.parametrize(
    "text",
    [
        "Examination: firm plaques over the thighs.\nImpression: calcinosis.",
        "Examination: firm, shiny plaques over both shins.\nImpression: limited SSc with "
        "calcinosis.",
        "Skin: firm, indurated plaques over the forearms and thighs, mRSS 24.\nPlan: monitor "
        "calcinosis.",
        "Examination: firm, ivory-coloured plaques on the trunk.\nImpression: morphoea; "
        "calcinosis to exclude.",
        "On examination there are indurated, firm sclerotic plaques over both upper arms. "
        "Calcinosis was seen on the old X-ray.",
    ],
)
def test_firm_plaques_lend_no_sheet_like_nor_site(summary, text):
    s = summary(text)
    assert "sheet_like" not in s.morphology
    assert s.regions == ()


@pytest.mark.parametrize(
    "text",
    [
        "Hard lumps under the skin of both elbows. The skin feels like firm plates.\n"
        "Impression: calcinosis.",
        "Hard lumps under the skin of both knees. Her skin is firm and bound down, with "
        "thickened plaques.\nImpression: calcinosis.",
    ],
)
def test_firm_skin_beside_hard_lumps_adds_no_sheet_like(summary, text):
    s = summary(text)
    assert s.morphology == ("nodular",)


def test_a_hard_shell_still_lends_its_pattern(summary):
    # control: notesacc26's case (fresh12 J18)
    s = summary(
        "Dear Dr Moss,\nI saw Lily (12) with JDM today. Her father has noticed gritty areas "
        "under the skin of both thighs. They feel like a continuous hard shell. My impression "
        "is calcinosis.\nYours sincerely"
    )
    assert s.regions == ("thigh",)
    assert s.morphology == ("sheet_like",)


def test_hard_white_papules_and_plaque_still_lend(summary):
    # control: hardness said of white papules (fresh12 J06 kind)
    s = summary(
        "She showed me hard, tiny white papules on the pad of her right thumb, and a firm "
        "whitish plaque over the left knee. Calcium and phosphate are normal.\nI think this is "
        "calcinosis cutis."
    )
    assert s.regions == ("fingers", "knee")
    assert s.morphology == ("nodular", "sheet_like")


def test_firm_plaques_with_calcium_found_in_the_skin_next_still_lend(summary):
    # control: the next sentence finds calcific material in the dermis (fresh14 X03 kind)
    s = summary(
        "There are two firm, oval plaques over the left elbow. Ultrasound showed calcific "
        "material in the dermis, and the biopsy confirmed calcinosis cutis."
    )
    assert s.regions == ("elbow",)
    assert s.morphology == ("sheet_like",)


def test_the_hard_flat_pattern_starts_with_a_character_set():
    assert described_before._HARD_FLAT.pattern.startswith("[hsr]")
    # (the letters in the word list's order since notesacc28: hard, firm)
    assert described_before._FIRM_PLAQUES.pattern.startswith(("[fh]", "[hf]"))
    assert described_before._HARD_FLAT.search("firm, shiny plaques") is None
    assert described_before._HARD_FLAT.search("a continuous hard shell") is not None
    assert described_before._HARD_FLAT.search("hard, dot-like white papules") is not None
    assert described_before._HARD_FLAT.search("hard, dot-like papules") is None
    assert described_before._HARD_FLAT.search("orchard plates") is None


# --- 2. "not under our care" said of the patient herself -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "She is not under our care for her calcinosis at both elbows, which is managed in Leeds.",
        "He was not under our clinic for the calcinosis of his elbows; Leeds follows it.",
    ],
)
def test_the_patient_not_under_our_care_keeps_her_own_finding(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow",)


def test_the_pseudo_twin_still_affirms(summary):
    s = summary(
        "Although she was not under our care at the time, she had calcinosis excised from the "
        "left elbow."
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow",)


def test_a_named_person_who_is_not_under_our_care_is_still_another(summary):
    # control: notesacc26's case, with "was"
    s = summary(
        "Maria has one calcinosis nodule at the right thumb. Her cousin Lucia, who was not "
        "under our care, had dermatomyositis and plate-like calcinosis of both calves."
    )
    assert s.morphology == ("nodular",)
    assert s.regions == ("fingers",)


# --- 3. a teaching sentence that says the patient's is the same -------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "She has calcinosis of the thighs. In JDM it is usually sheet-like, and hers is "
        "sheet-like too.",
        "She has calcinosis of the thighs; in dermatomyositis calcinosis is typically "
        "sheet-like, as it is here.",
        "She has calcinosis of the thighs. In dermatomyositis calcinosis is usually "
        "sheet-like, as hers is.",
    ],
)
def test_the_patients_own_sheet_after_a_teaching_sentence_stays(summary, text):
    s = summary(text)
    assert s.regions == ("thigh",)
    assert s.morphology == ("sheet_like",)


@pytest.mark.parametrize(
    "text",
    [
        "She has calcinosis of the elbows. In JDM it is usually sheet-like, but hers is nodular.",
        "She has calcinosis of the elbows. In JDM it is usually sheet-like, and in her case it "
        "is nodular.",
    ],
)
def test_the_populations_pattern_is_still_not_hers(summary, text):
    assert summary(text).morphology == ("nodular",)


# --- 4. a hand held up: only to a camera is it no site ---------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "She held her right hand up to show the calcinosis.",
        "She held her left hand up; there is a chalky nodule there.",
    ],
)
def test_a_hand_held_up_to_show_is_the_site(summary, text):
    assert summary(text).regions == ("hand",)


def test_a_hand_held_up_to_the_screen_is_still_no_site(summary):
    s = summary("She held both hands up to the screen; calcinosis at the right thumb pulp.")
    assert s.regions == ("fingers",)


# --- 5. the extensor surface of the arms is no upper arm -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis over the extensor surface of both arms.",
        "Calcinosis along the outer side of the left arm.",
        "Calcinosis on the flexor aspect of her right arm.",
    ],
)
def test_extensor_or_outer_surfaces_of_the_arm_are_no_segment(summary, text):
    assert summary(text).regions == ()


def test_the_lateral_aspect_of_the_arm_is_still_the_upper_arm(summary):
    assert summary("Calcinosis over the lateral aspect of the right arm.").regions == ("upper_arm",)


# --- 6. one shared lookahead; scans that start with a literal --------------------------------


def test_the_only_noticed_lookahead_is_shared():
    assert guards._ONLY_NOTICED in guards._NOT_CHALKY_DEPOSIT.pattern
    assert guards._ONLY_NOTICED in guards._RELATIVE.pattern
    assert guards._RELATIVE.search("her mother has noticed a lump") is None
    assert guards._NOT_CHALKY_DEPOSIT.search("her mother had chalky material") is not None


def test_the_turn_starts_with_a_character_set():
    assert population._TURN.pattern.startswith("[bhw]")
    assert [m.group(0) for m in population._TURN.finditer("common, but rebut; however")] == [
        "but",
        "however",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis is common in SSc, but she has not.",
        "Calcinosis is common in SSc, while he has none.",
    ],
)
def test_a_population_answered_after_a_turn_is_still_negated(summary, text):
    assert summary(text).calcinosis == "negated"


# --- 7. no ultrasound "echogenic ... acoustic shadowing" rule --------------------------------


def test_no_echogenic_shadowing_rule_in_the_rule_data():
    from importlib import resources

    rules = resources.files("calciscope.extract") / "rules"
    for name in ("targets.yaml", "context.yaml"):
        text = (rules / name).read_text(encoding="utf-8")
        assert re.search(r"acoustic|shadowing", text, re.I) is None
