"""Regression tests for the notesacc20 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes for the causes fresh15 (ticked-box forms, GP
referrals, patient-portal messages, pathology and operation notes, skeletal surveys,
translated letters, New Zealand, Irish and South African English, heavy shorthand) showed.
None is taken from an evaluation set. Each fix has a control that must not change.
"""

import pytest

# --- ticked-box forms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Review form\nCalcinosis:   [ ] yes   [x] no\nRaynaud's: [x] yes [ ] no", "negated"),
        ("Review form\nCalcinosis:  yes [ ]   no [x]\nPAH screen: yes [x] no [ ]", "negated"),
        ("Checklist\nCalcinosis: [\u2713] no", "negated"),
        (
            "Nurse checklist\n\u2611 Weight recorded\n\u2610 Calcinosis\n\u2611 BP recorded",
            "negated",
        ),
        # controls: the ticked answer is yes; an unticked "no" negates nothing
        ("Review form\nCalcinosis:   [x] yes   [ ] no\nUlcers: [ ] yes [x] no", "affirmed"),
        ("Review form\nCalcinosis:  yes [x]   no [ ]", "affirmed"),
        ("Nurse checklist\n\u2611 Calcinosis\n\u2610 Digital ulcers", "affirmed"),
    ],
)
def test_a_ticked_box_answer_is_read(summary, text, status):
    assert summary(text).calcinosis == status


def test_an_unticked_site_is_no_site_and_the_ticked_ones_are(summary):
    s = summary("Calcinosis: [x] yes\nSites: [ ] fingers [x] elbows [ ] hips [x] shins")
    assert (s.calcinosis, s.regions) == ("affirmed", ("elbow", "lower_leg"))


@pytest.mark.parametrize(
    ("text", "subset", "myositis"),
    [
        ("Disease subset: [ ] limited [x] diffuse\nMyositis: [ ] yes [x] no", "dcssc", False),
        ("Subset:   limited [x]   diffuse [ ]\nMyositis: yes [x] no [ ]", "lcssc", True),
        # control: the plain template value
        ("Subset: limited\nMyositis: no", "lcssc", False),
    ],
)
def test_a_ticked_subset_and_myositis_answer_are_read(summary, text, subset, myositis):
    s = summary(text)
    assert (s.subset, s.myositis) == (subset, myositis)


def test_a_line_that_starts_with_a_box_is_an_item_of_its_own(summary):
    # "none" of the line before does not reach the next box's item
    s = summary("\u2611 Ulcers: none today\n\u2611 Calcinosis of the L thumb, tender")
    assert (s.calcinosis, s.regions) == ("affirmed", ("fingers",))


# --- courtesy, doubt, indications, populations, a nurse's title ---------------------------------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("I should be grateful if you could review Ana, who has limited cutaneous SSc.", "lcssc"),
        ("I would be most grateful if you would see this man with diffuse SSc.", "dcssc"),
        ("Please, if you could kindly assess her limited scleroderma and her fingers.", "lcssc"),
    ],
)
def test_a_referral_courtesy_is_no_condition(summary, text, subset):
    assert summary(text).subset == subset


def test_a_real_condition_stays_hypothetical(summary):
    assert summary("If calcinosis appears at the elbows we will refer her.").calcinosis == (
        "not_mentioned"
    )


@pytest.mark.parametrize(
    "text",
    [
        "On examination it is not clear whether the lump at the R elbow is calcinosis or a bursa.",
        "Unclear if the hard area over her shin is calcinosis or scar tissue.",
        "We are not sure if this represents calcinosis.",
    ],
)
def test_a_doubt_whether_it_is_calcinosis_is_uncertain(summary, text):
    assert summary(text).calcinosis == "uncertain"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Indication: surveillance for calcinosis in JDM.\nReport: normal survey.", "uncertain"),
        ("Skeletal survey for calcinosis. No soft tissue calcification is seen.", "negated"),
        # control: the survey shows it
        ("The survey shows calcinosis over both knees.", "affirmed"),
    ],
)
def test_a_search_for_calcinosis_is_no_finding(summary, text, status):
    assert summary(text).calcinosis == status


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Many patients develop calcinosis after years of SSc, we explained.", "not_mentioned"),
        ("Some people get calcinosis with this disease. She has no calcinosis.", "negated"),
        # control: the patient's own
        ("Calcinosis of the L index; some patients get ulcers over it.", "affirmed"),
    ],
)
def test_a_population_is_not_the_patient(summary, text, status):
    assert summary(text).calcinosis == status


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Seen today with Sister Dube: calcinosis of the R olecranon, stable.", "affirmed"),
        ("The ward sister reports chalky discharge from the calcinosis at the L heel.", "affirmed"),
        # control: a relative
        ("Her sister has calcinosis of both elbows.", "not_mentioned"),
    ],
)
def test_a_nursing_sister_is_no_relative(summary, text, status):
    assert summary(text).calcinosis == status


# --- words --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "morphology"),
    [
        ("A thin, hard layer of calcinosis covers the back of the L forearm.", ("sheet_like",)),
        ("The CT shows a mantle of calcification around the R thigh muscles.", ("sheet_like",)),
        ("A rigid blanket of calcium lies under the skin of both calves.", ("sheet_like",)),
        ("Radiograph: a lobular calcification in the soft tissue of the R hip.", ("nodular",)),
        ("X-ray: multilobulated soft-tissue calcification at the L elbow.", ("nodular",)),
        # controls: a blanket that is no deposit; a nodule of calcinosis
        ("Warming blanket in recovery. Calcinosis of the R elbow excised.", ()),
        ("A small nodule of calcinosis at the R elbow.", ("nodular",)),
    ],
)
def test_pattern_words(summary, text, morphology):
    s = summary(text)
    assert (s.calcinosis, s.morphology) == ("affirmed", morphology)


@pytest.mark.parametrize(
    ("text", "regions", "morphology"),
    [
        ("O/E: 3x calc nods R IF pulp, 1x L olec.", ("elbow", "fingers"), ("nodular",)),
        ("calcified nods L MF tip", ("fingers",), ("nodular",)),
        # control: "if" is a word
        ("Calcinosis of the R elbow; add analgesia R if needed.", ("elbow",), ()),
    ],
)
def test_shorthand_of_nodules_and_sites(summary, text, regions, morphology):
    s = summary(text)
    assert (s.calcinosis, s.regions, s.morphology) == ("affirmed", regions, morphology)


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis cutis of the left lower arm, volar side.", ("forearm",)),
        ("A band of calcinosis runs from just below the knee to mid-shin.", ("lower_leg",)),
        ("Calcinosis in the soft tissue just above the R elbow.", ("upper_arm",)),
        ("Calcinosis a hand's breadth above the knee, lateral side.", ("thigh",)),
        ("Chalky calcinosis in the pulp of the R second toe.", ("ankle_foot",)),
        ("Calcinosis of the big-toe pulp, left.", ("ankle_foot",)),
        ("Calcinosis at the tips of two fingers on her right hand.", ("fingers",)),
        # controls: the joint itself; a finger pulp; the hand itself
        ("Calcinosis over the front of the R knee.", ("knee",)),
        ("Calcinosis in the pulp of the L index.", ("fingers",)),
        ("Calcinosis in the palm of her right hand.", ("hand",)),
    ],
)
def test_site_words(summary, text, regions):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


def test_scleroderma_hands_is_another_finding_of_the_skin(summary):
    s = summary("Exam: sclerodermatous hands, calcinosis at the L thumb tip.")
    assert s.regions == ("fingers",)
    # control
    assert summary("Exam: calcinosis of both hands.").regions == ("hand",)


def test_sites_in_a_bracket_after_semicolons_are_the_findings(summary):
    s = summary("Active problems:\n- Calcinosis (L thumb pulp; R olecranon; both shins)\n- GORD")
    assert s.regions == ("elbow", "fingers", "lower_leg")
    # control: a semicolon outside a bracket, another finding after it
    s = summary("- Calcinosis of the R thumb; ulcer of the L heel")
    assert s.regions == ("fingers",)


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("She has systemic sclerosis of the limited cutaneous type since 2015.", "lcssc"),
        ("A scleroderma of diffuse form was diagnosed in Lyon.", "dcssc"),
    ],
)
def test_a_subset_written_as_of_a_form(summary, text, subset):
    assert summary(text).subset == subset


def test_calcium_dense_deposits_are_calcinosis(summary):
    s = summary("The radiograph shows calcium-dense deposits in the subcutis of the L heel.")
    assert (s.calcinosis, s.regions) == ("affirmed", ("ankle_foot",))


# --- what a sentence described before lends -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "morphology", "regions"),
    [
        # the colour of the skin over the deposits is no lump of another kind
        (
            "Both forearms are tight and hyperpigmented, with hard subcutaneous nodules. "
            "Biopsy: calcinosis cutis.",
            ("nodular",),
            ("forearm",),
        ),
        # a consistency word ("rock-hard") does not stop a sentence describing the deposits
        (
            "Rock-hard subcutaneous plaques over both buttocks. Impression: calcinosis.",
            ("sheet_like",),
            ("buttock_hip",),
        ),
        # the pattern of the skin's colour is no pattern of the deposits
        (
            "Hard nodules under the skin of the R calf, with livedo in a lacy pattern over them. "
            "X-ray: calcinosis.",
            ("nodular",),
            ("lower_leg",),
        ),
    ],
)
def test_a_describing_sentence_lends(summary, text, morphology, regions):
    s = summary(text)
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", morphology, regions)


def test_hyperpigmented_plaques_still_lend_nothing(summary):
    s = summary("Hyperpigmented plaques over both shins. Calcinosis.")
    assert (s.morphology, s.regions) == ((), ())


def test_a_lacy_deposit_is_still_reticular(summary):
    s = summary("Lacy, net-like calcification in the subcutaneous fat of the L thigh.")
    assert s.morphology == ("reticular",)


@pytest.mark.parametrize(
    ("text", "morphology"),
    [
        # papules of calcinosis are small nodules; Gottron's papules beside them are no pattern
        ("Firm white papules of calcium over both knees, calcinosis cutis.", ("nodular",)),
        ("Gottron's papules over the MCPs and calcinosis cutis at the R elbow.", ()),
        ("Gottron papules; calcified white papules at the L elbow crease.", ("nodular",)),
    ],
)
def test_papules(summary, text, morphology):
    s = summary(text)
    assert (s.calcinosis, s.morphology) == ("affirmed", morphology)


def test_the_dermis_is_a_soft_tissue(summary):
    s = summary("Ultrasound: a calcific focus in the dermis of the R shin.")
    assert (s.calcinosis, s.regions) == ("affirmed", ("lower_leg",))
