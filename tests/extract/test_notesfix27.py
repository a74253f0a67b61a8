"""Regression tests for the notesfix27 fixes of review 23's findings on notesacc27.

Each failing form (the reviewer's sentences and the fixer's own) and controls that must keep
main's (or notesacc27's intended) reading. SYNTHETIC text, written for these tests.
"""

import pytest

from .readings import assert_affirmed_as

# --- 1. "spared": only "spared from/of" a finding, "has been spared (from)" -------------------


@pytest.mark.parametrize(
    "text",
    [
        "The thumbs were spared, calcinosis affects the other fingertips.",
        "Although the hands were spared, calcinosis developed in both elbows.",
        "The face was spared and there is calcinosis at both elbows.",
        "Hands are spared with calcinosis of the knees only.",
        "The thumbs were spared by the calcinosis.",
        "The thumbs are spared by skin thickening, with calcinosis of the index fingertips.",
        "The lungs have been spared, calcinosis at both knees.",
        "The feet remained spared, and calcinosis is confined to the hands.",
        "Her hands were spared from ulcers but she has calcinosis of the elbows.",
    ],
)
def test_a_spared_site_does_not_negate_the_calcinosis_after_it(summary, text):
    assert summary(text).calcinosis == "affirmed"


@pytest.mark.parametrize(
    "text",
    [
        "She has been spared from calcinosis.",
        "So far she has been spared calcinosis.",
        "She remains spared of calcinosis.",
        "Fortunately she was spared calcinosis and lung disease.",
        "A patient spared from calcinosis over twenty years of limited disease.",
    ],
)
def test_spared_from_calcinosis_still_negates(summary, text):
    assert summary(text).calcinosis == "negated"


# --- 2. "reading about": a bare disease name read about, not a film read ----------------------


@pytest.mark.parametrize(
    "text",
    [
        "Films read on PACS: calcinosis of both thumbs.",
        "Report read on arrival, calcinosis at both elbows.",
        "Video on the ward: calcinosis over the left elbow.",
        "We had a long talk about calcinosis at both elbows and treatment options.",
        "Heard about the calcinosis at the elbows from her GP.",
        "Talk about calcinosis of the elbows: she wants surgery.",
        "Letter read on 3/4: calcinosis at both elbows.",
        "She has been reading about her calcinosis of the elbows, which is painful.",
    ],
)
def test_a_finding_read_on_a_film_or_talked_about_is_affirmed(summary, text):
    assert summary(text).calcinosis == "affirmed"


@pytest.mark.parametrize(
    "text",
    [
        "She has been reading about calcinosis online and asked many questions.",
        "She has read up on calcinosis after a leaflet from the clinic.",
        "She was given a leaflet about calcinosis.",
        "He found an article on calcinosis cutis on the internet.",
    ],
)
def test_reading_about_a_disease_name_is_no_finding(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


# --- 3. "none remain": a history only after a verb of change ---------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis: none remain.",
        "Calcinosis - none remain palpable.",
        "Examined for calcinosis: none left.",
        "Elbows examined for calcinosis: none are now palpable.",
        "Fingertips examined for calcinosis: none remain.",
        "Calcinosis: currently none are palpable.",
        "Hands examined for calcinosis and none are palpable.",
    ],
)
def test_an_examinations_none_remain_negates(summary, text):
    assert summary(text).calcinosis == "negated"


@pytest.mark.parametrize(
    "text",
    [
        "The calcinotic nodules at both knees shrank on diltiazem and now none are palpable.",
        "Two calcinotic nodules were shaved off the left heel and none remain.",
        "Calcinosis of the elbows was excised last year and none remain.",
        "Calcinotic deposits at the fingertips dissolved on treatment and none are now palpable.",
    ],
)
def test_deposits_changed_and_none_left_are_a_history(summary, extractor, text):
    assert summary(text).calcinosis == "affirmed"  # a history of calcinosis counts
    [mention] = [m for m in extractor.extract(text) if str(m.category) == "CALCINOSIS"]
    assert mention.is_historical and not mention.is_negated


def test_none_remain_after_a_change_negates_another_finding(extractor):
    text = "Digital ulcers healed in the spring and none remain."
    assert extractor.assess("Digital ulcers", text).negation == "Negated"


# --- 4. sheet-like: fused into a sheet, plates fused; a film only thin or continuous ---------


@pytest.mark.parametrize(
    "text",
    [
        "Two calcinotic nodules at the left elbow have merged into one large nodule.",
        "Small calcinotic nodules over the elbow have merged into a single nodule.",
        "Calcinosis of the fingertips; the nodules have fused into a larger lump.",
        "Calcinotic nodules at the index finger, whose DIP joint has fused to form a solid block.",
        "Calcinotic nodules at the left index finger, whose DIP joint is fused.",
    ],
)
def test_merged_nodules_and_a_fused_joint_are_not_sheet_like(summary, text):
    assert summary(text).morphology == ("nodular",)


@pytest.mark.parametrize(
    "text",
    [
        "Calcified plates in the subcutaneous fat of the buttock have fused together into one "
        "mass.",
        "Calcified plates in the subcutaneous fat of the buttock have fused together into a "
        "continuous sheet.",
        "Deposits over the thigh which have fused to form a continuous lining of calcinosis.",
    ],
)
def test_plates_fused_or_deposits_fused_into_a_sheet_are_sheet_like(summary, text):
    assert_affirmed_as(summary(text), ("sheet_like",))


@pytest.mark.parametrize(
    "text",
    [
        "Her old films of calcinosis of the thumbs were reviewed.",
        "Serial films of calcification in the left thigh show progression.",
        "Previous films of calcinosis at the elbows compared.",
    ],
)
def test_x_ray_films_are_no_sheet(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert "sheet_like" not in s.morphology


@pytest.mark.parametrize(
    "text",
    [
        "Thin film of calcinosis on the forearm.",
        "A thin film of calcification spreads along the fascia of the thigh.",
    ],
)
def test_a_thin_film_of_calcium_is_sheet_like(summary, text):
    assert_affirmed_as(summary(text), ("sheet_like",))


# --- 5. "not confirmed": its own clause's finding ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("Calcinosis of the right forearm with dermatomyositis not confirmed.", "dermatomyositis"),
        ("Calcinosis at the elbows and a myositis not proven by biopsy.", "myositis"),
        ("Calcinosis at both elbows, although myositis was not confirmed on biopsy.", "myositis"),
        ("Calcinosis of the thumb but her myositis was never proven.", "myositis"),
    ],
)
def test_another_finding_not_confirmed_leaves_the_calcinosis(summary, extractor, text, other):
    assert summary(text).calcinosis == "affirmed"
    myositis = [m for m in extractor.extract(text) if str(m.category) == "MYOSITIS"]
    assert [text[m.start : m.end] for m in myositis] == [other]
    assert myositis[0].is_negated


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the right heel could not be verified on the lateral foot film.",
        "Calcinosis at the left elbow was not confirmed on X-ray.",
        "Calcinosis not proven.",
    ],
)
def test_the_calcinosis_not_confirmed_is_negated(summary, text):
    assert summary(text).calcinosis == "negated"


@pytest.mark.parametrize(
    "text",
    ["Calcinosis suspected but not confirmed.", "Calcinosis suspected, not yet confirmed."],
)
def test_suspected_but_not_confirmed_is_a_doubt(summary, text):
    # a doubt, not an absence: the suspicion stands until it is refuted
    assert summary(text).calcinosis == "uncertain"


def test_suspected_and_then_confirmed_is_affirmed(summary):
    text = "Calcinosis was suspected clinically and has now been confirmed on X-ray."
    assert summary(text).calcinosis == "affirmed"


# --- 6. "cannot say whether": the doubt ends with its clause ---------------------------------


def test_a_doubt_about_something_else_ends_at_the_comma(summary):
    text = (
        "It is hard to say whether her Raynaud's has improved, calcinosis of both elbows is worse."
    )
    assert summary(text).calcinosis == "affirmed"


@pytest.mark.parametrize(
    "text",
    [
        "It is hard to say whether this is calcinosis.",
        "We cannot define if the lump on the heel is a calcinosis or an inclusion cyst.",
    ],
)
def test_a_doubt_about_the_finding_is_uncertain(summary, text):
    assert summary(text).calcinosis == "uncertain"


# --- 7. a resolved pattern gives way to the pattern said of now ------------------------------


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            "Calcinosis of the thigh: the nodules resolved and sheet-like deposits remain.",
            ("sheet_like",),
        ),
        (
            "Calcinosis of the thigh: the sheet-like deposits resolved and nodules remain.",
            ("nodular",),
        ),
        (
            "The nodular deposits have resolved; the calcinosis of the thigh is now sheet-like.",
            ("sheet_like",),
        ),
    ],
)
def test_a_resolved_pattern_gives_way_to_a_current_one(summary, text, pattern):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.morphology == pattern


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("Sheet-like calcinosis of the thigh resolved on treatment.", ("sheet_like",)),
        ("The chalky lumps over her right elbow resolved after excision last year.", ("nodular",)),
        ("Calcinosis of the forearm, sheet-like, no longer present.", ("sheet_like",)),
    ],
)
def test_a_resolved_deposit_alone_keeps_its_pattern(summary, text, pattern):
    # control (notesacc27): with no other pattern the resolved deposit keeps its own
    assert summary(text).morphology == pattern
