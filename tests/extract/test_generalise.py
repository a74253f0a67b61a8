"""Regression tests for the defects of issue 13, each in sentences written for these tests."""

from pathlib import Path

import pytest

from calciscope.extract import NoteExtractor, load_rules
from calciscope.extract.rules import RuleMixWarning, merge_context_rules
from calciscope.extract.segment import split_sentences

# --- 1. layers are matched separately -------------------------------------------------------


def test_a_morphology_phrase_does_not_swallow_the_tissue_word(summary):
    s = summary("Calcification tracking along the fascial planes of the left calf.")
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", ("sheet_like",), ("lower_leg",))


def test_words_inside_a_subset_name_are_not_attributes(summary):
    s = summary("Limited cutaneous systemic sclerosis. Calcified granuloma in the left lung.")
    assert s.calcinosis == "not_mentioned" and s.subset == "lcssc"


# --- 2. what is not calcinosis ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Two calcified granulomas in the left apex. No consolidation.",
        "A calcified subcarinal node and a 4 mm noncalcified nodule in the lingula.",
        "Dense calcification of the thoracic aorta and of the aortic valve leaflets.",
        "Calcified pulmonary nodule, unchanged. Heart size normal.",
        "Un-calcified nodules in both lower lobes.",
        "Calcific tendonitis at the rotator cuff insertion.",
        "Chondrocalcinosis of both knee menisci.",
        "Phleboliths low in the pelvis and a calcified uterine leiomyoma.",
        "Mitral annular calcification.",
    ],
)
def test_calcification_with_a_name_of_its_own_is_not_calcinosis(text, summary):
    assert summary(text).calcinosis == "not_mentioned"


def test_a_calcified_nodule_in_the_skin_is_calcinosis(summary):
    s = summary("Calcified subcutaneous nodule on the right shin.")
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", ("nodular",), ("lower_leg",))


# --- 3. sentence boundaries -------------------------------------------------------------------


def test_a_lower_case_abbreviation_with_capitals_starts_a_sentence(summary):
    text = "Chest: no crackles. lcSSc with calcinosis at both elbows. mRSS 4."
    s = summary(text)
    assert (s.calcinosis, s.subset, s.regions) == ("affirmed", "lcssc", ("elbow",))
    assert len(split_sentences(text)) == 3


def test_an_all_lower_case_word_after_a_full_stop_does_not():
    assert len(split_sentences("Seen by Dr. smith today.")) == 1


def test_a_long_line_is_not_joined_to_a_template_line_below(summary):
    text = "Tender calcinosis at the right knee and at the left heel, seen on examination\nUlcers - none"
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", ("ankle_foot", "knee"))


def test_a_long_line_that_runs_on_is_joined():
    text = "The radiographs of both hands show soft tissue calcification at the\nRight thumb pulp."
    assert len(split_sentences(text)) == 1


def test_semicolons_and_label_lines_are_boundaries(summary):
    assert summary("Calcinosis: left thumb; ulcers: none").calcinosis == "affirmed"
    spans = split_sentences("Telangiectasia: lips and palms\nthen calcinosis over elbows")
    assert len(spans) == 2


# --- 4. triggers and scope --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        (
            "Serology -ve for calcinosis-associated antibodies; calcinosis -ve for infection.",
            "affirmed",
        ),
        ("He is -ve for calcinosis on today's films.", "negated"),
        ("Films of the feet: no detected calcification in the soft tissues.", "negated"),
        ("Subcutaneous calcification at the left elbow without significant change.", "affirmed"),
        (
            "Scattered non-calcified nodules; soft tissue calcification at the right thumb.",
            "affirmed",
        ),
        ("No ulcers as the calcinosis over the elbow has healed over.", "affirmed"),
        ("Negative for ANCA, positive for calcinosis at both elbows.", "affirmed"),
        ("No infection (calcinosis at the knee is dry).", "affirmed"),
        ("Antibiotics are not needed once the calcinosis ulcer has resolved.", "affirmed"),
        ("Calcinosis of the thumbs, cause unclear.", "affirmed"),
        ("Calcinosis of unknown aetiology at the left wrist.", "affirmed"),
        ("Calcinosis at the wrist, possibly infected.", "affirmed"),
        ("Probable calcinosis at the wrist.", "uncertain"),
        # template values after the label (accuracy5 held-out set)
        ("Calcinosis: no\nRaynaud's: yes", "negated"),
        ("Calcinosis: nil\nSclerodactyly: present", "negated"),
        ("Calcinosis - absent. Pitting scars - present.", "negated"),
        ("Calcinosis -ve, sclerodactyly +ve.", "negated"),
        ("Calcinosis = not present", "negated"),
        ("Calcinosis: yes, both elbows\nUlcers: no", "affirmed"),
        ("Calcinosis +ve at the right thumb; ulcers -ve.", "affirmed"),
        ("Calcinosis over the knee, no ulceration.", "affirmed"),
        # a possible future event says nothing about the patient (accuracy5)
        ("I explained that calcinosis may develop over the coming years.", "not_mentioned"),
        (
            "He could develop calcinosis of the fingers, so we will keep an eye on them.",
            "not_mentioned",
        ),
        ("Calcinosis is something she might see in the future.", "not_mentioned"),
    ],
)
def test_trigger_scope(text, status, summary):
    assert summary(text).calcinosis == status


def test_a_terminator_ends_only_its_own_category(extractor):
    # "which" ends a negation, not the family scope of "her father".
    mentions = extractor.extract("Her father had calcinosis which was painful, and calcinosis.")
    first = next(m for m in mentions if m.category == "CALCINOSIS")
    assert first.is_family


# --- 5. morphology and sites ------------------------------------------------------------------


def test_negated_morphology_of_the_next_sentence_is_not_carried(summary):
    s = summary("Soft tissue calcification at the left ring finger. No nodular lesion.")
    assert s.morphology == ()


def test_the_imaging_field_is_no_site_when_another_site_is_named(summary):
    s = summary("Wrist X-ray: calcinosis in the thenar eminence.")
    assert s.regions == ("hand",)
    s = summary("Radiographs of both knees show calcinosis.")
    assert s.regions == ("knee",)


def test_calcinosis_universalis_is_an_extent(extractor):
    mention = next(
        m for m in extractor.extract("Calcinosis universalis.") if m.category == "CALCINOSIS"
    )
    assert mention.links.get("morphology", []) == []
    assert mention.metadata["extent"] == "extensive"


@pytest.mark.parametrize(
    "text",
    [
        "Band-like soft tissue calcification across the back.",
        "Plate-like calcinosis on both shins.",
        "Layered subcutaneous calcification in the right forearm.",
        "Confluent calcinosis over the buttocks.",
        "Calcinosis forming a continuous shell over the left thigh.",
        "Broad flat calcium deposits under the skin of the abdomen.",
        "An exoskeleton of calcinosis over the chest.",
    ],
)
def test_sheet_like_without_the_word_sheet(text, summary):
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == ("sheet_like",)


def test_fascial_and_intramuscular_decision(extractor, summary):
    fascial = summary("Plate-like fascial calcification in the left thigh.")
    assert fascial.calcinosis == "affirmed"
    mentions = extractor.extract("Intramuscular calcification in the calves.")
    anchor = next(m for m in mentions if m.category == "CALCIFICATION")
    assert anchor.links["counts_as"] == "calcinosis"
    assert anchor.links["also_counts_as"] == ["muscle_calcification"]


# --- 6. medspaCy rule files -----------------------------------------------------------------

MEDSPACY_STYLE = Path(__file__).resolve().parent / "data" / "medspacy_style_context_rules.json"


@pytest.fixture(scope="module")
def mixed():
    with pytest.warns(RuleMixWarning) as caught:
        rules = load_rules(extra_context=[MEDSPACY_STYLE])
    return NoteExtractor(rules), rules, caught


def test_a_pattern_ending_in_a_separator_keeps_its_word_boundary(mixed):
    extractor, _, _ = mixed
    for text in (
        "Calcinosis at the right thumb, cause unclear.",
        "Sonographic calcinosis at the left elbow.",
    ):
        anchor = next(m for m in extractor.extract(text) if m.category == "CALCINOSIS")
        assert not anchor.is_family, text
    anchor = next(
        m for m in extractor.extract("Her uncle's calcinosis.") if m.category == "CALCINOSIS"
    )
    assert anchor.is_family


def test_mixed_rules_never_change_a_packaged_phrase_silently(mixed):
    extractor, rules, caught = mixed
    assert any("'evaluate for' read as NEGATED_EXISTENCE" in n for n in rules.notices)
    assert any("'resolved' read as NEGATED_EXISTENCE FORWARD" in n for n in rules.notices)
    assert "clash with the packaged rules" in str(caught[0].message)
    # The packaged reading of "evaluate for" (uncertainty) is kept.
    anchor = next(
        m
        for m in extractor.extract("X-ray to evaluate for calcinosis of the hands.")
        if m.category == "CALCINOSIS"
    )
    assert anchor.is_uncertain and not anchor.is_negated
    # Phrases new to the packaged rules are added ("doubt" as uncertainty).
    anchor = next(
        m for m in extractor.extract("Doubt calcinosis at the thumb.") if m.category == "CALCINOSIS"
    )
    assert anchor.is_uncertain


def test_mixing_the_packaged_rules_with_themselves_changes_nothing():
    packaged = load_rules().context
    kept, notices = merge_context_rules(packaged, packaged)
    assert all(isinstance(r.pattern, str) for r in kept)  # only regex rules cannot be compared
    assert notices == []


# --- 7. notes assess speaks the NegEx kit's vocabulary --------------------------------------


@pytest.mark.parametrize(
    ("condition", "sentence", "expected"),
    [
        (
            "calcinosis",
            "Her brother has calcinosis of the elbows.",
            ("Affirmed", "Recent", "Family member"),
        ),
        (
            "calcinosis",
            "Return to clinic if calcinosis develops.",
            ("Affirmed", "Not particular", "Patient"),
        ),
        (
            "calcinosis",
            "History of calcinosis of the thumb.",
            ("Affirmed", "Historical", "Patient"),
        ),
        ("calcinosis", "No calcinosis today.", ("Negated", "Recent", "Patient")),
    ],
)
def test_assess_labels(extractor, condition, sentence, expected):
    result = extractor.assess(condition, sentence)
    assert (result.negation, result.temporality, result.experiencer) == expected


# --- causes found by the accuracy5 held-out set (sentences written for these tests) ----------


def test_a_present_deposit_beside_a_future_clause_stays_affirmed(summary):
    s = summary("Calcinosis at the left elbow. New deposits may appear elsewhere.")
    assert (s.calcinosis, s.regions) == ("affirmed", ("elbow",))


# --- misspellings and sheet words never used before ---------------------------------------


def test_a_misspelt_calcinosis_is_found(summary):
    s = summary("Painful calcinossis of the left knee.")
    assert (s.calcinosis, s.regions) == ("affirmed", ("knee",))


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("CT shows slabs of calcification in the gluteal fat.", "buttock_hip"),
        ("A crust of calcium surrounds the left upper arm on the film.", "upper_arm"),
        ("Calcium deposited along the fascia of the right calf.", "lower_leg"),
        ("Thin layers of calcium under the skin of both flanks.", "abdomen"),
    ],
)
def test_sheet_words_before_of_calcium(text, region, summary):
    s = summary(text)
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", ("sheet_like",), (region,))


def test_serum_calcium_and_calcium_channel_blockers_are_no_finding(summary):
    text = "Serum calcium 2.41. Calcium channel blocker started for Raynaud's of the fingers."
    assert summary(text).calcinosis == "not_mentioned"


def test_a_lattice_is_reticular(summary):
    s = summary("Lattice-like calcification in the subcutis of the back.")
    assert (s.morphology, s.regions) == (("reticular",), ("back",))


# --- sites ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis over the right patellae and in the popliteal fossa.", ("knee",)),
        ("Calcinosis: present, Lt index and Rt little.", ("fingers",)),
        ("Elbows: calcinosis over the left olecranon.", ("elbow",)),
        ("Feet: calcinosis at the right heel.", ("ankle_foot",)),
        ("Hands: calcinosis cutis.", ("hand",)),
    ],
)
def test_sites(text, regions, summary):
    assert summary(text).regions == regions


def test_right_middle_lobe_is_no_finger(summary):
    text = "Calcified granuloma in the right middle lobe."
    assert summary(text).calcinosis == "not_mentioned"


def test_a_side_written_as_one_letter_is_kept(extractor):
    mentions = extractor.extract("L elbow: calcinotic nodule, 1 cm.")
    sides = [r["laterality"] for m in mentions for r in m.links.get("regions", [])]
    assert sides == ["left"]


# --- a tissue after a preposition describes the finding before it --------------------------


def test_a_calcification_in_a_tendon_named_after_is_not_calcinosis(summary):
    text = "Left hip: calcification in the gluteus medius tendon, in keeping with calcific tendinopathy."
    assert summary(text).calcinosis == "not_mentioned"


def test_a_calcification_in_the_skin_before_a_tendon_finding_stays_calcinosis(summary):
    text = (
        "Calcification in the subcutaneous fat of the left thigh; calcific tendinitis at the hip."
    )
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", ("thigh",))


# --- myositis written as an abbreviation -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "myositis"),
    [
        ("Adult-onset DM with calcinosis of both thighs.", True),
        ("Juvenile DM, in remission.", True),
        ("Amyopathic DM with anti-MDA5.", True),
        ("DM on insulin; HbA1c 64.", None),  # bare DM is also diabetes mellitus
    ],
)
def test_qualified_dm_is_dermatomyositis(text, myositis, summary):
    assert summary(text).myositis is myositis


def test_a_finger_written_with_its_side_keeps_that_side(extractor):
    mentions = extractor.extract("Calcinosis at the left thumb and R index.")
    sides = sorted(r["laterality"] for m in mentions for r in m.links.get("regions", []))
    assert sides == ["left", "right"]


# --- notesacc6: causes of the errors of fresh2 and heldout -------------------------------------
# Sentences written for these tests (never copied from an evaluation set).


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Over the winter the calcinosis in his left calf resolved without treatment.",
            ("lower_leg",),
        ),
        (
            "Calcified subcutaneous deposits of the right ankle have regressed since 2021.",
            ("ankle_foot",),
        ),
        ("The calcinosis seen at both wrists last year is no longer visible.", ("wrist",)),
        (
            "Complete resolution of the calcinosis over her left shoulder after excision.",
            ("shoulder",),
        ),
    ],
)
def test_calcinosis_that_resolved_is_a_history_of_calcinosis(extractor, text, regions, summary):
    mentions = [m for m in extractor.extract(text) if m.category in ("CALCINOSIS", "CALCIFICATION")]
    assert [(m.is_negated, m.is_historical) for m in mentions] == [(False, True)]
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


def test_a_resolved_calcinosis_gives_a_present_fact_and_other_findings_still_resolve():
    from calciscope.extract.pipeline import note_facts
    from calciscope.model import Note, NoteType, Status

    text = "Her fingertip ulcer has resolved. Calcinosis of the right thumb has disappeared."
    (fact,) = note_facts(
        Note(note_id="N9", patient_id="P9", note_type=NoteType.CLINIC_LETTER,
             note_date=__import__("datetime").date(2024, 3, 1), text=text)
    )  # fmt: skip
    assert fact.status is Status.PRESENT
    assert "HISTORICAL" in fact.provenance
    extractor = NoteExtractor()
    assert extractor.assess("ulcer", "Her fingertip ulcer has resolved.").negation == "Negated"


@pytest.mark.parametrize(
    "text",
    ["There has never been any calcinosis.", "No history of calcinosis at the elbows."],
)
def test_never_and_no_history_stay_negated(text, summary):
    assert summary(text).calcinosis == "negated"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Induration of the skin over both shins and feet, with calcinosis at the left knee.",
            ("knee",),
        ),
        ("He has puffy fingers and hard calcinosis over the right olecranon.", ("elbow",)),
        ("Sclerodactyly of both hands; small calcinotic nodules at the left wrist.", ("wrist",)),
        ("Gottron's papules across the knuckles and calcinosis along both forearms.", ("forearm",)),
        ("Calcinosis over the right hip and skin tightening of the upper arms.", ("buttock_hip",)),
    ],
)
def test_sites_of_another_skin_finding_are_not_the_calcinosis_sites(text, regions, summary):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "The left elbow and the back of the right thigh are studded with calcinosis.",
            ("elbow", "thigh"),
        ),
        (
            "Her shins and ankles are firm, and an X-ray shows subcutaneous calcification there.",
            ("ankle_foot", "lower_leg"),
        ),
        ("Tight skin of the fingers, and both knees now carry nodular calcinosis.", ("knee",)),
    ],
)
def test_sites_named_in_an_earlier_clause_go_to_the_calcinosis(text, regions, summary):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


@pytest.mark.parametrize(
    "text",
    [
        "A dense calcific deposit at the greater tuberosity of the left shoulder, compatible with calcific tendinitis.",
        "Small calcification near the right hip, likely calcific bursitis.",
    ],
)
def test_a_calcification_explained_as_something_else_is_not_calcinosis(text, summary):
    assert summary(text).calcinosis == "not_mentioned"


def test_a_calcification_beside_a_separate_tendinitis_still_counts(summary):
    s = summary(
        "Subcutaneous calcification at the left forearm and calcific tendinitis of the shoulder.",
    )
    assert (s.calcinosis, s.regions) == ("affirmed", ("forearm",))


def test_a_casing_of_calcium_is_sheet_like(summary):
    s = summary("Calcinosis forms a hard casing around the right calf.")
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", ("sheet_like",), ("lower_leg",))


def test_no_new_calcinosis_presupposes_the_known_one(extractor, summary):
    s = summary("No new calcinosis this year; the old lump at the right knee persists.")
    assert s.calcinosis == "affirmed"
    assert summary("No new rash. No calcinosis anywhere.").calcinosis == "negated"
    assert extractor.assess("rash", "No new rash on the arms.").negation == "Negated"
