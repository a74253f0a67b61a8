"""Regression tests for the notesacc16 fixes (issue 13), in sentences written for these tests.

Deposits described in one sentence (site and pattern) and named calcinosis only in a later
sentence or section with no word pointing back; an imaging field listed over several regions;
and four vocabulary causes ("stone-hard", "broad, flat", "pea-sized", "a hand's breadth"). None
is taken from an evaluation set. The controls (other lumps, skin diseases, implants, relatives,
organs, a destructive mass, a vessel, a lymph node) must lend nothing.
"""

import pytest

# --- described first, named later ----------------------------------------------------------------


def test_nodules_described_before_a_bare_impression(summary):
    s = summary(
        "Dear Dr Lowe,\nOn the extensor surface of both forearms there are several stony nodules. "
        "Her skin score is 12.\nAssessment: calcinosis cutis."
    )
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("nodular",) and s.regions == ("forearm",)


def test_sheets_in_the_findings_lend_to_the_conclusion_over_the_title(summary):
    s = summary(
        "XR RIGHT LOWER LEG\nFindings: Thin sheets of dense mineral lie in the soft tissue of "
        "the right heel. The tibia is normal.\nConclusion: calcinosis.",
        report=True,
    )
    assert s.morphology == ("sheet_like",) and s.regions == ("ankle_foot",)


def test_hard_swellings_in_the_history_lend_their_sites(summary):
    s = summary(
        "History: hard white swellings over both knees for two years.\n"
        "Examination: skin score 20.\nDiagnosis: calcinosis."
    )
    assert s.calcinosis == "affirmed" and s.regions == ("knee",) and s.morphology == ()


def test_a_clause_before_a_semicolon_gives_the_wound_its_site(summary):
    s = summary(
        "An ulcer has opened over the left lateral malleolus; gritty white specks sit in its "
        "floor.\nImpression: ulcerated calcinosis."
    )
    assert s.regions == ("ankle_foot",)


def test_a_calcinosis_with_a_site_of_its_own_takes_none_from_before(summary):
    # control: the earlier lumps may be anything; this calcinosis says where it is
    s = summary("Hard nodules over both knees. Calcinosis of the right thumb.")
    assert s.regions == ("fingers",)


def test_an_examination_is_no_imaging_field(summary):
    # control: "palpable" lists sites, not the field of a film
    s = summary(
        "Firm gritty nodules palpable over both elbows and the right shin.\n"
        "Plan: calcinosis to be reviewed in 3 months."
    )
    assert s.regions == ("elbow", "lower_leg")


# --- the imaging field ----------------------------------------------------------------------------


def test_every_region_listed_after_a_film_names_the_field(summary):
    s = summary(
        "Plain films of the hands and wrists show dense nodular opacities in three fingertips.\n"
        "Impression: calcinosis."
    )
    assert s.regions == ("fingers",)


def test_the_field_of_the_calcinosis_own_sentence_is_kept(summary):
    # control: only a calcinosis with no site at all takes the sites of a sentence before
    s = summary(
        "Gritty lumps were felt along both shins.\nA plain film shows calcinosis at the tip "
        "of the left elbow."
    )
    assert s.regions == ("elbow",)


def test_an_xray_field_alone_is_still_the_site(summary):
    # control: with nothing else named, the field is the site
    s = summary("Calcinosis seen on the X-ray of both hands.")
    assert s.regions == ("hand",)


# --- what lends nothing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "A soft, mobile lump over the left shoulder is a lipoma.\nImpression: calcinosis.",
        "Nodules over both ears proved to be gouty tophi.\nImpression: calcinosis too.",
        "Thick silvery plaques cover both elbows, typical of psoriasis.\nAssessment: calcinosis.",
        "Morphoea of the left thigh with a hard plaque.\nConclusion: calcinosis.",
        "Procedure: plate fixation of a right radius fracture.\nIncidental: calcinosis.",
        "Her sister has hard lumps on her fingers.\nAssessment: calcinosis.",
        "A 6 mm nodule in the right upper lobe is unchanged.\nImpression: calcinosis.",
        "An expansile lesion of the left femur has a soft tissue mass.\nIncidental: calcinosis.",
        "A 3 cm mass in the left axilla is probably a lymph node.\nImpression: calcinosis.",
        "Dense nodular opacities follow the radial artery at the wrist.\nImpression: calcinosis.",
    ],
)
def test_other_lumps_plaques_implants_relatives_and_organs_lend_nothing(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == () and "sheet_like" not in s.morphology


# --- vocabulary -----------------------------------------------------------------------------------


def test_broad_comma_flat_is_sheet_like(summary):
    s = summary("Calcinosis: broad, flat, stone-hard deposits across the front of both shins.")
    assert s.morphology == ("sheet_like",) and s.regions == ("lower_leg",)


def test_pea_sized_is_nodular(summary):
    s = summary("Calcinosis of the left index pulp, pea-sized and hard.")
    assert s.morphology == ("nodular",)


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis over the sacrum, about a hand's breadth across.",
        "Calcinosis over the sacrum, two fingerbreadths wide.",
    ],
)
def test_a_measure_named_by_a_hand_is_no_site(summary, text):
    assert summary(text).regions == ("back",)
