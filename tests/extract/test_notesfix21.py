"""Regression tests for the notesfix21 fixes of notesacc20's rule changes (review findings).

Sentences written for these tests, with the reviewer's probe sentences as controls. None is
taken from an evaluation set.
"""

import pytest

# --- 1. a ticked-box form's layout is told by the choice beside the box -------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        # boxes before their words, "no" listed first
        ("Calcinosis: [ ] no   [x] yes", "affirmed"),
        ("Calcinosis: [ ] No [X] Yes", "affirmed"),
        ("Raynaud's: [ ] no [x] yes\nCalcinosis: [ ] no [x] yes", "affirmed"),
        ("Review sheet\nCalcinosis:  [ ] no  [\u2713] yes", "affirmed"),
        ("Calcinosis: [x] no   [ ] yes", "negated"),
        ("Calcinosis  [ ] absent  [x] present", "affirmed"),
        # boxes before their words, "yes" listed first
        ("Calcinosis: [x] yes [ ] no", "affirmed"),
        ("Calcinosis: [ ] yes [x] no", "negated"),
        # boxes after their words, either order
        ("Calcinosis: yes [x] no [ ]", "affirmed"),
        ("Calcinosis: yes [ ] no [x]", "negated"),
        ("Calcinosis: no [ ] yes [x]", "affirmed"),
        ("Calcinosis: no [x] yes [ ]", "negated"),
    ],
)
def test_a_ticked_box_layout_is_told_by_the_choice_beside_the_box(summary, text, status):
    assert summary(text).calcinosis == status


# --- 2. a survey or search "of" something, or one with its result, is no indication -----------


@pytest.mark.parametrize(
    ("text", "status", "region"),
    [
        (
            "Ongoing surveillance of her calcinosis at the elbows; the deposits are unchanged.",
            "affirmed",
            "elbow",
        ),
        ("Skeletal survey of both legs: calcinosis in both thighs.", "affirmed", "thigh"),
        ("A survey of the calcinosis showed deposits in both thighs.", "affirmed", "thigh"),
        (
            "We searched for calcinosis on the films and found deposits at the R elbow.",
            "affirmed",
            "elbow",
        ),
        ("Search of old notes: calcinosis of the R elbow excised 2010.", "affirmed", "elbow"),
        (
            "Survey of the hands today showed calcinosis at the L index finger.",
            "affirmed",
            "fingers",
        ),
        ("Skeletal survey for calcinosis: deposits found over both knees.", "affirmed", "knee"),
    ],
)
def test_a_survey_of_a_part_or_with_its_result_keeps_the_finding(summary, text, status, region):
    s = summary(text)
    assert s.calcinosis == status
    assert region in s.regions


@pytest.mark.parametrize(
    "text",
    [
        "Skeletal survey for calcinosis.",
        "Surveillance for calcinosis is planned at the next visit.",
        "Please search for calcinosis on the hand films.",
    ],
)
def test_a_survey_for_the_finding_with_no_result_is_uncertain(summary, text):
    assert summary(text).calcinosis == "uncertain"


# --- 3. a bracketed site list ends at its bracket ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis (L thumb; R elbow) and ulcers (L heel; R shin).", ("elbow", "fingers")),
        ("Calcinosis (R knee; L elbow) with ulcers (R heel; L shin).", ("elbow", "knee")),
        ("Calcinosis (bilat olecranon bursae; R prepatellar)", ("elbow", "knee")),
    ],
)
def test_a_bracketed_site_list_ends_at_its_bracket(summary, text, regions):
    assert summary(text).regions == regions


# --- 4. a request to find out is a question ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("It would be helpful if you could confirm whether she has calcinosis.", "uncertain"),
        (
            "We would be grateful if you could establish whether the lumps are calcinosis.",
            "uncertain",
        ),
        # controls: the courtesy itself is no condition
        (
            "I would be grateful if you could see Aroha, who has calcinosis at the R elbow.",
            "affirmed",
        ),
        ("It would be helpful if you could review her calcinosis at the elbows.", "affirmed"),
    ],
)
def test_a_request_to_find_out_is_a_question(summary, text, status):
    assert summary(text).calcinosis == status


@pytest.mark.parametrize(
    "text",
    [
        "Please let us know if there is calcinosis on the hand films.",
        # the demo letters' advice: the "if" is still a condition
        "She knows to let us know if any hard lumps (calcinosis) appear.",
    ],
)
def test_a_request_with_if_is_not_affirmed(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


# --- 5. a papule or lobule is nodular only when it is the deposit's ----------------------------


@pytest.mark.parametrize(
    ("text", "morphology"),
    [
        ("Calcinosis of the R elbow and a papular rash over the chest.", ()),
        ("Calcinosis cutis at the R elbow, lobular breast carcinoma 2015.", ()),
        ("Calcinosis at the L knee; lobular pneumonia last winter.", ()),
        ("Calcinosis of both shins, and a papular eruption on the back.", ()),
        # controls: the deposit's papules and lobules
        ("Small papules of calcinosis along the L index finger.", ("nodular",)),
        ("CT: a lobular calcification in the R gluteal soft tissue.", ("nodular",)),
        ("Calcinosis cutis: chalky papules on the R thumb pulp.", ("nodular",)),
        (
            "Calcified lesions on both shins; white papules in the L antecubital fossa.",
            ("nodular",),
        ),
    ],
)
def test_a_papule_is_nodular_only_when_it_is_the_deposits(summary, text, morphology):
    s = summary(text)
    assert (s.calcinosis, s.morphology) == ("affirmed", morphology)


# --- 6. a nurse's title is "Sister" before a name, not before a clause -------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Seen with sister, who also has calcinosis.", "not_mentioned"),
        ("Seen with sister who has calcinosis of both knees.", "not_mentioned"),
        # controls: a nursing Sister named
        ("Seen with Sister Pillay: calcinosis at the L olecranon, unchanged.", "affirmed"),
        ("Dressed by Sr. Walsh; calcinosis of the R heel, discharging.", "affirmed"),
    ],
)
def test_a_sister_before_a_clause_is_a_relative(summary, text, status):
    assert summary(text).calcinosis == status


# --- 7. an empty box negates only a checklist's item --------------------------------------------


def test_an_empty_box_before_a_note_with_findings_negates_nothing(summary):
    s = summary("[ ] Calcinosis reviewed today: hard nodules at both elbows.")
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", ("nodular",), ("elbow",))


@pytest.mark.parametrize(
    "text",
    [
        "Nurse checklist\n\u2611 Weight recorded\n\u2610 Calcinosis\n\u2611 BP recorded",
        "Checklist\n[x] Raynaud's\n[ ] Calcinosis of the hands\n[x] Sclerodactyly",
        "[ ] Calcinosis.",
    ],
)
def test_an_empty_box_before_a_checklist_item_still_negates_it(summary, text):
    assert summary(text).calcinosis == "negated"


# --- 8. a population set against the patient; scleroderma hands as the site -------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Most patients have calcinosis at the fingers, she has none.", "negated"),
        ("Many people develop calcinosis in time, this patient has none.", "negated"),
        # notesacc26: the patient's answer after "but" in the population's own sentence
        # negates (restate/population.py); notesfix21 left it not_mentioned
        ("Many people develop calcinosis, but this patient has none.", "negated"),
        # control: a population statement alone says nothing of her
        ("Some people get calcinosis with this condition.", "not_mentioned"),
    ],
)
def test_a_patient_set_against_a_population(summary, text, status):
    assert summary(text).calcinosis == status


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis in both scleroderma hands.", ("hand",)),
        ("Chalky calcinosis on her sclerodermatous fingers.", ("fingers",)),
        # controls: the look of the hands is another finding with its own site
        ("O/E: scleroderma hands, 2x calc nods L IF", ("fingers",)),
        ("Scleroderma hands; calcinosis at the R elbow.", ("elbow",)),
    ],
)
def test_scleroderma_hands_after_a_preposition_are_the_site(summary, text, regions):
    assert summary(text).regions == regions
