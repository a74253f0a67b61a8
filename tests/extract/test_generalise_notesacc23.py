"""Regression tests for the notesacc23 fixes (issue 13), in sentences written for these tests.

SYNTHETIC text written for these tests; none is taken from an evaluation set. The fixes are for
the causes of the leftover misses of fresh12-fresh16 (addenda that withdraw a finding, movements
of a joint, organs of another disease, population statements, deposits compared with or standing
for the ones just named, stony plaques). Each fix has a control that must not change.
"""

import pytest

from calciscope.extract import NoteExtractor
from calciscope.extract.mention import Category

# --- an addendum that withdraws, revises, confirms or adds ------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "XR LEFT FOREARM\nFINDINGS: Dense soft tissue calcification along the ulnar border.\n"
        "IMPRESSION: Calcinosis, left forearm.\n"
        "ADDENDUM: Reviewed with the referring team: the opacity is a skin marker on the cast. "
        "There is no calcinosis.",
        "CT PELVIS\nImpression: Calcinosis cutis over the right buttock.\n"
        "Addendum (Dr Moreau, 09:15): on comparison with the old films this is an injection "
        "granuloma. No calcinosis is present.",
        "XR RIGHT KNEE\nFindings: calcinosis anterior to the patella.\n"
        "Corrected report: there is no evidence of calcinosis; the density is a bipartite patella.",
    ],
)
def test_an_addendum_that_negates_calcinosis_withdraws_the_earlier_finding(summary, text):
    s = summary(text, report=True)
    assert s.calcinosis == "negated"
    assert s.regions == ()


def test_an_addendum_withdraws_only_the_site_it_negates(summary):
    s = summary(
        "XR KNEES AND ELBOWS\nImpression: calcinosis over both knees and at the left elbow.\n"
        "Addendum: on review the elbow density is a loose body. There is no calcinosis at the "
        "elbow.",
        report=True,
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee",)


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # controls: an addendum that confirms or adds a finding keeps (and adds to) it
        (
            "XR LEFT HAND\nFindings: soft tissue calcification at the tip of the left index "
            "finger.\nAddendum: the clinical photographs confirm calcinosis of the index finger.",
            ("fingers",),
        ),
        (
            "XR LEFT FOREARM\nFindings: dense soft tissue calcification along the volar forearm, "
            "in keeping with calcinosis.\nAddendum: the calcinosis also extends into the palm.",
            ("forearm", "hand"),
        ),
    ],
)
def test_an_addendum_that_confirms_or_adds_keeps_the_finding(summary, text, regions):
    s = summary(text, report=True)
    assert s.calcinosis == "affirmed"
    assert s.regions == regions


def test_an_addendum_does_not_withdraw_a_history_of_calcinosis(summary):
    # control: today's films show none; the excised deposit of 2019 stays a history
    s = summary(
        "History: calcinosis of the right thumb excised in 2019.\n"
        "Addendum: today's hand films show no calcinosis."
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("fingers",)


def test_an_addendum_that_names_another_deposit_explains_a_bare_calcification(summary):
    s = summary(
        "US LEFT FOOT\nFindings: a firm nodule containing calcifications over the first "
        "metatarsophalangeal joint.\nAddendum: aspiration yielded urate crystals.",
        report=True,
    )
    assert s.calcinosis == "not_mentioned"


def test_a_withdrawn_mention_says_where_its_status_came_from():
    mentions = NoteExtractor().extract(
        "XR HANDS\nImpression: calcinosis of the right thumb.\n"
        "Addendum: the density is outside the skin. There is no calcinosis.",
        report=True,
    )
    first = next(m for m in mentions if m.category == Category.CALCINOSIS)
    assert first.is_negated
    assert first.links["status_from"] == "addendum"


def test_a_header_with_a_bracketed_note_before_its_colon_opens_its_section():
    extractor = NoteExtractor()
    text = "Findings: calcinosis.\nADDENDUM (Dr Osei, 17:05): no calcinosis."
    sections = extractor.sections(text)
    assert [s.category for s in sections] == ["findings", "addendum"]


# --- a movement of a joint is no site ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis along both forearms; she struggles to rotate her wrists.",
        "Plates of calcinosis over the forearms and she cannot lift her arms above her head.",
    ],
)
def test_moving_a_part_of_the_body_names_no_site(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == ("forearm",)


def test_a_deposit_at_the_wrist_is_still_a_site(summary):
    # control: no movement verb before the wrist
    s = summary("Calcinosis at both wrists; turning a key is hard for her.")
    assert s.regions == ("wrist",)


# --- an organ named in another disease --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis in a woman treated for ductal breast cancer in 2018.",
        "She has calcinosis and a past history of squamous carcinoma of the breast.",
        "Calcinosis noted; admitted last winter with a chest infection.",
    ],
)
def test_the_organ_of_another_disease_is_no_site_of_calcinosis(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == ()


def test_calcinosis_of_the_chest_wall_keeps_its_site(summary):
    # control
    assert summary("Sheets of calcinosis cover the anterior chest wall.").regions == ("chest",)


# --- the patient set against a population -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Many people with JDM get calcinosis; she has none so far.",
        "Most patients with scleroderma develop calcinosis at some point. He has not yet "
        "developed it.",
        "Calcinosis is frequent in dcSSc; this lady has none.",
        "Few people with lupus get calcinosis, this patient has none.",
    ],
)
def test_the_patients_own_none_after_a_population_statement_negates(summary, text):
    assert summary(text).calcinosis == "negated"


@pytest.mark.parametrize(
    "text",
    [
        # controls: the population alone says nothing of the patient; her own finding stands
        "Calcinosis is common in SSc.",
        "Many patients with SSc develop calcinosis.",
    ],
)
def test_a_population_statement_alone_is_no_finding(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


def test_the_patients_own_calcinosis_after_a_population_statement_stands(summary):
    s = summary("Many patients with SSc develop calcinosis. She has calcinosis at both elbows.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow",)


def test_none_after_her_own_calcinosis_is_not_read_as_an_answer(summary):
    # control: the answer applies only to a population's calcinosis
    assert summary("She had calcinosis at the left knee. She has none now.").calcinosis == (
        "affirmed"
    )


# --- deposits compared with, or standing for, the ones just named -----------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Findings: sheet-like soft tissue calcification over both shins. Similar deposits "
            "about the left ankle.",
            ("ankle_foot", "lower_leg"),
        ),
        (
            "Findings: extensive calcinosis of the thighs. Larger rounded deposits in both "
            "buttocks.",
            ("buttock_hip", "thigh"),
        ),
        (
            "She has developed calcinosis in sheets over both thighs. Also a small nodule at "
            "the left elbow.",
            ("elbow", "thigh"),
        ),
        (
            "Calcinosis: the nodule on the R knee was excised last year; there is another small "
            "one over the L shin now.",
            ("knee", "lower_leg"),
        ),
    ],
)
def test_deposits_compared_with_or_standing_for_the_ones_named_lend_their_sites(
    summary, text, regions
):
    s = summary(text, report=text.startswith("Findings"))
    assert s.calcinosis == "affirmed"
    assert s.regions == regions


def test_a_bare_lump_after_calcinosis_lends_nothing(summary):
    # control: no word of comparison, no "one" after a word of another
    s = summary("Calcinosis of the right thigh. Lipomas over the back.")
    assert s.regions == ("thigh",)


# --- stony plaques restate the pattern --------------------------------------------------------


def test_stony_plaques_elsewhere_lend_their_pattern(summary):
    s = summary(
        "O/E: stony plaques merging into a flat plate over both shins.\n"
        "Assessment: calcinosis cutis of both shins."
    )
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",)


def test_psoriatic_plaques_elsewhere_lend_no_pattern(summary):
    # control: plaques of another skin disease
    s = summary(
        "O/E: scaly psoriatic plaques over both shins.\nAssessment: calcinosis cutis of both shins."
    )
    assert s.morphology == ()
