"""Regression tests for the notesfix24 review fixes of the notesacc24 rules (issue 13).

Sentences written for these tests (SYNTHETIC), none taken from an evaluation set or from the
review's probes. Each fix has the failing case and a control that the case notesacc24 meant to
read still reads as it did.
"""

import pytest

# --- 1. "not palpable / visible / observed", "is not a feature": only in the finding's clause -----


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis at the left olecranon, the axillary nodes were not palpable.",
        "Calcinosis over the right knee, the popliteal pulse not palpable.",
        "Calcinosis in the thumb pulp, a periosteal reaction is not visible.",
        "Calcinosis over both knees, any benefit was not observed after colchicine.",
        "Calcinosis in the left forearm, and myositis has never been a feature.",
        "Calcinosis at the knees; Raynaud's phenomenon is not a feature.",
    ],
)
def test_a_negation_of_something_else_after_a_comma_leaves_the_finding(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the right thumb was not palpable on this visit.",
        "Subcutaneous calcinosis is not visible on the plain film.",
        "In his case calcinosis has never been a feature.",
    ],
)
def test_the_finding_as_the_subject_is_still_negated(summary, text):
    # control: notesacc24's case
    assert summary(text).calcinosis == "negated"


# --- 2. a colon after a finding label: the answer after it still negates ------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis: he has none at all.",
        "Calcinosis: we found none today.",
        "Calcinosis: it is not present in either hand.",
        "Elbows: Calcinosis: these are not seen on the new film.",
    ],
)
def test_a_label_answered_after_its_colon_is_negated(summary, text):
    assert summary(text).calcinosis == "negated"


def test_a_colon_opening_an_explanation_still_ends_the_negation(summary):
    # control: notesacc24's case
    s = summary(
        "His calcinosis is not a scatter of tiny dots: the deposits have joined into a rigid "
        "calcified plate over the right shin."
    )
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",)


# --- 3. "do you think ...?" only of the finding asked about --------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Do you think his calcinosis at the knee would improve with bisphosphonates?",
        "Do you think her calcinosis of the thumb needs the hand surgeons?",
    ],
)
def test_a_question_about_a_treatment_keeps_the_finding(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions


@pytest.mark.parametrize(
    "text",
    [
        "Do you think the specks on his knee film are calcinosis, or old chondrocalcinosis?",
        "Do you think this could be calcinosis over the shin?",
    ],
)
def test_a_question_whether_it_is_the_finding_is_uncertain(summary, text):
    # control: notesacc24's case
    assert summary(text).calcinosis == "uncertain"


# --- 4. "it is not excluded" only of what follows it closely -------------------------------------


def test_not_excluded_of_a_later_event_keeps_the_finding(summary):
    s = summary("It is not excluded that he will need a biopsy of the calcinosis at his knee.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee",)


@pytest.mark.parametrize(
    "text",
    [
        "It is not excluded a small calcinosis over the right heel.",
        "It is not excluded that there are early deposits of calcinosis at the knee.",
    ],
)
def test_not_excluded_of_the_finding_is_uncertain(summary, text):
    # control: notesacc24's case
    assert summary(text).calcinosis == "uncertain"


# --- 5. a movement limited by the deposit keeps the site ------------------------------------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("A bulky calcified mass restricts flexion of the left knee.", "knee"),
        ("Calcinosis impeding extension of the thumbs.", "fingers"),
    ],
)
def test_a_deposit_limiting_a_movement_keeps_the_joint(summary, text, region):
    assert region in summary(text).regions


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the upper arm with loss of extension of the left elbow.",
        "Calcinosis of the upper arm; flexion of the elbow to 80 degrees.",
    ],
)
def test_a_range_of_movement_statement_is_no_site(summary, text):
    # control: notesacc24's case
    assert summary(text).regions == ("upper_arm",)


# --- 6-8. sheet-like words of daily life -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Nodular calcinosis at the thumb; a continuous coat of barrier cream at night.",
        "Nodular calcinosis at the thumb; a rigid wrap brace was fitted.",
        "Nodular calcinosis at the thumb. The cortical outline is flat and continuous.",
        "Nodular calcinosis at the thumb. A towel was draped over the couch.",
        "Nodular calcinosis at the thumb; for gardening she straps on something like a knee pad.",
    ],
)
def test_everyday_coverings_are_no_sheet(summary, text):
    assert summary(text).morphology == ("nodular",)


@pytest.mark.parametrize(
    "text",
    [
        "The calcinosis has formed a hard coating over the left shin.",
        "A continuous calcified wrap of calcinosis encircles the left shin.",
        "Calcinosis extends flat and continuous under the skin of the left shin.",
        "The calcinosis lies draped over the muscles of the left shin.",
        "Calcified plaque covers the left shin like a shin guard.",
    ],
)
def test_sheet_like_coverings_of_the_deposit_stay(summary, text):
    # control: notesacc24's cases
    s = summary(text)
    assert s.morphology == ("sheet_like",)
    assert s.regions == ("lower_leg",)


# --- 9. "SSc DC" as a direct-current procedure ------------------------------------------------


def test_dc_cardioversion_is_no_subset(summary):
    s = summary(
        "PMH: SSc, DC-cardioversion 2021. SSc DC cardioversion planned. Calcinosis: elbows."
    )
    assert s.subset is None
    s = summary("Background SSc DC-shock for AF in 2020. Calcinosis at the knees.")
    assert s.subset is None


def test_ssc_dc_shorthand_is_still_diffuse(summary):
    # control: notesacc24's case
    assert summary("SSc dc since 2015; calcinosis of both knees.").subset == "dcssc"


# --- the ``clause`` scope of a context rule ---------------------------------------------------


def test_a_clause_rule_scope_stops_at_a_comma_both_ways():
    from calciscope.extract.context import _scope, modifier_scope
    from calciscope.extract.matcher import Match
    from calciscope.extract.rules import ConTextRule, Direction

    low = "calcinosis at the elbow, the pulse not palpable, the spleen normal"
    mod = Match(low.index("not palpable"), low.index("not palpable") + len("not palpable"), 0)
    sentence = (0, len(low))
    clause = ConTextRule(
        "x", "NEGATED_EXISTENCE", Direction.BIDIRECTIONAL, metadata={"clause": True}
    )
    plain = ConTextRule("x", "NEGATED_EXISTENCE", Direction.BIDIRECTIONAL)
    back, forward = low.index(", the pulse") + 1, low.index(", the spleen")
    expected = [(mod.end, forward), (back, mod.start)]
    assert modifier_scope(low, mod, clause, sentence, ()) == expected
    assert _scope(low, mod, clause, sentence, None) == expected  # the many-mention path
    assert modifier_scope(low, mod, plain, sentence, ()) == [(mod.end, len(low)), (0, mod.start)]


# --- "in the event that": the condition is its own clause ---------------------------------------


def test_a_condition_about_something_else_leaves_the_finding(summary):
    s = summary("In the event that the biopsy is delayed, her calcinosis at the knee is recorded.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee",)


def test_a_condition_on_the_finding_is_hypothetical(summary):
    # control: notesacc24's case
    s = summary(
        "In the event that calcinosis develops, she will phone the nurse, and we will see her."
    )
    assert s.calcinosis == "not_mentioned"
