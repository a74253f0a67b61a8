"""notesfix31: review 26's findings on notesacc31, mended.

The reviewer's sentences (review 26) and new ones written for these tests (SYNTHETIC); none is
taken from an evaluation set.
"""

from __future__ import annotations

import pytest

from .readings import Read, assert_affirmed_at

# --- HIGH 1: the eye / cyst tissue decides only as the place of the calcium -------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # review 26
        (
            "Firm lump at the left index DIP joint: a calcium deposit rather than a mucous cyst.",
            ("fingers",),
        ),
        ("Calcium deposits over the right knee, not a Baker's cyst.", ("knee",)),
        ("She has calcium deposits in the fingers and a ganglion cyst at the wrist.", ("fingers",)),
        ("Calcium deposits in her fingertips make brushing her teeth difficult.", ("fingers",)),
        (
            "Dental review: calcium deposits at the fingertips limit flossing; microstomia noted.",
            ("fingers",),
        ),
        (
            "OT: calcium deposits in the finger pulps, so an adapted toothbrush and a dental aid "
            "were issued.",
            ("fingers",),
        ),
        # (notesacc34: a hand lens is a magnifier, no site; fix34: the nail folds are the
        # fingers, review 34 M8)
        ("Examination with a hand lens showed calcium deposits at the nail folds.", ("fingers",)),
        ("Calcification in the finger pulp, not a mucous cyst.", ("fingers",)),
        # new
        ("Calcium deposits at the elbow; eye exam: clear cornea.", ("elbow",)),
        (
            "Calcium deposits at the fingertips and a mucous cyst with no calcification at the DIP "
            "joint.",
            ("fingers",),
        ),
        ("Calcium nodules at both knees; dental check-up due, teeth in good repair.", ("knee",)),
    ],
)
def test_a_cyst_tooth_or_lens_elsewhere_in_the_sentence_decides_nothing(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "There is a band keratopathy, with a band of calcium deposition across the central "
        "cornea of the right eye.",
        "Slit lamp: conjunctival calcification in both eyes.",
        "Histology: an epidermoid cyst with focal calcification of the wall.",
        "Calcification in the wall of the pilar cyst on the scalp.",
        "Excision histology shows a pilomatrixoma with shadow cells and areas of calcification.",
    ],
)
def test_the_eye_or_a_cyst_as_the_place_of_the_calcium_is_not_calcinosis(
    summary: Read, text: str
) -> None:
    assert summary(text).calcinosis == "not_mentioned"


# --- HIGH 2: "pulp calcification" is the finger pulp --------------------------------------------


@pytest.mark.parametrize(
    ("text", "report", "regions"),
    [
        (
            "X-ray hands: pulp calcification in the left index and middle fingers.",
            False,
            ("fingers",),
        ),
        ("Pulp calcifications of several fingertips, typical of SSc.", False, ("fingers",)),
        ("Hands: soft tissue pulp calcification of the right thumb.", True, ("fingers",)),
        (
            "XR both hands: finger pulp calcifications bilaterally, consistent with calcinosis in "
            "systemic sclerosis.",
            True,
            ("fingers", "hand"),
        ),
        ("Finger pulp calcifications in both hands.", False, ("fingers", "hand")),
    ],
)
def test_pulp_calcification_is_the_finger_pulp(
    summary: Read, text: str, report: bool, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text, report=report), regions)


@pytest.mark.parametrize(
    "text",
    [
        "Dental calcification on the panoramic film.",
        "OPG: pulp stones in two lower molars.",
    ],
)
def test_dental_calcification_is_not_calcinosis(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "not_mentioned"


# --- HIGH 3: "medial calcinosis" is vascular only with Monckeberg or an artery ----------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("R elbow: medial calcinosis, lateral side clear.", ("elbow",)),
        ("Left knee - medial calcinosis 2 cm, tender.", ("knee",)),
        ("Medial calcinosis of the right thigh, a sheet under the skin.", ("thigh",)),
        (
            "Calcium deposits at the medial aspect of the left elbow, medial calcinosis of the knee "
            "also.",
            ("elbow", "knee"),
        ),
        ("Calcinosis of the medial knee, 2 cm.", ("knee",)),
    ],
)
def test_medial_calcinosis_without_an_artery_is_calcinosis(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "Tramline calcification of the leg arteries (Monckeberg medial calcinosis).",
        "Medial calcinosis of the tibial arteries on the foot X-ray.",
        "Arterial calcinosis in the feet of this diabetic patient.",
    ],
)
def test_medial_calcinosis_with_monckeberg_or_an_artery_is_vascular(
    summary: Read, text: str
) -> None:
    assert summary(text).calcinosis == "not_mentioned"


# --- HIGH 4, MEDIUM 11: a found clause joins a check only; negation does not cross -----------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # review 26
        (
            "No tophi; several deposits found at the fingertips, consistent with calcinosis.",
            ("fingers",),
        ),
        ("No digital ulcers; two hard deposits found at the elbow, calcinosis.", ("elbow",)),
        (
            "No Raynaud's ulcers today; several deposits found at the fingertips, in keeping with "
            "calcinosis.",
            ("fingers",),
        ),
        ("Negative for tophi; two nodules palpable at the elbow, calcinosis on X-ray.", ("elbow",)),
        (
            "No calcinosis at the fingertips; several nodules palpable at the elbows, consistent "
            "with calcinosis.",
            ("elbow",),
        ),
        # new
        ("No synovitis; calcium deposits found at the left elbow.", ("elbow",)),
        (
            "No ulcers today; three hard nodules felt over the knee, calcinosis on the film.",
            ("knee",),
        ),
    ],
)
def test_a_negation_does_not_cross_into_a_found_clause(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


def test_a_denied_finding_keeps_the_found_nodules_pattern(summary: Read) -> None:
    s = summary("Calcinosis denied; two nodules found at the elbow on examination.")
    assert s.morphology == ("nodular",) and s.regions == ("elbow",)


def test_a_check_answered_by_deposits_found_is_affirmed(summary: Read) -> None:
    assert_affirmed_at(
        summary("Checked for calcinosis at the elbows; several deposits found."), ("elbow",)
    )


def test_the_found_clause_words_live_once_in_context_yaml() -> None:
    from calciscope.extract import segment
    from calciscope.extract.rules import check_cue, found_clause, load_rules

    assert "{found_clause}" not in str(load_rules().context)
    assert "{check_cue}" not in str(load_rules().context)
    assert found_clause() in segment._FOUND_CLAUSE
    assert segment._CHECK_CUE.pattern == check_cue()


# --- HIGH 5: found nodules named as something else keep main's reading ------------------------


def test_found_nodules_called_rheumatoid_nodules_are_no_calcinosis(summary: Read) -> None:
    s = summary(
        "Screened for calcinosis; nodules found at the elbows are rheumatoid nodules, not "
        "calcinosis."
    )
    assert s.calcinosis == "negated"


@pytest.mark.parametrize(
    "text",
    [
        "Assessed for calcinosis; nodules palpable at the elbows, likely rheumatoid nodules "
        "rather than calcinosis.",
        "Checked for calcinosis; two lumps felt at the knee, probably lipomas.",
    ],
)
def test_found_nodules_likely_something_else_stay_uncertain(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "uncertain"


# --- HIGH 6: "flat, covering" only of the calcinosis itself -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # review 26
        "Two calcinotic nodules at the left elbow and a patch of morphoea, flat, covering most of "
        "the forearm.",
        "Calcinosis at the elbow, ulcerated; hydrocolloid dressing applied, flat, covering all of "
        "the wound.",
        "Calcified nodules over the elbow; the overlying scar is flat, covering most of the "
        "posterior elbow.",
        "Calcinosis nodules at the knee; the skin is tight and flat, covering the anterior shin.",
        "Small calcinosis nodule on the thumb, flat, covering the lateral nail fold.",
        # new
        "Calcinosis nodule at the right elbow; the graft is flat, covering much of the olecranon.",
    ],
)
def test_flat_of_another_noun_is_no_sheet(summary: Read, text: str) -> None:
    assert "sheet_like" not in summary(text).morphology


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the left upper arm.\nPattern: flat, covers most of the posterior upper arm.",
        "Calcinosis of the left thigh: the deposit is flat, covering most of the lateral thigh.",
        "Calcinosis, flat, spreading over the whole buttock.",
    ],
)
def test_flat_calcinosis_covering_an_area_is_sheet_like(summary: Read, text: str) -> None:
    assert "sheet_like" in summary(text).morphology


def test_a_nodule_at_a_joint_flat_over_it_is_no_sheet(summary: Read) -> None:
    s = summary("Calcinosis nodule at the right elbow, flat, covering much of the olecranon.")
    assert s.morphology == ("nodular",)


# --- MEDIUM 7: a range's end in its direction ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # review 26: "above" the proximal end reaches past the segment (read end by end, as main)
        ("Calcinosis from above the elbow to the wrist.", ("upper_arm", "wrist")),
        ("Calcinosis extends from above the knee to the ankle.", ("ankle_foot", "thigh")),
        ("Sheet of calcinosis from the elbow to just below the wrist.", ("elbow", "wrist")),
        # the segment itself
        ("Calcinosis from just below the elbow crease to the wrist.", ("forearm",)),
        ("Calcinosis from the wrist to just below the elbow.", ("forearm",)),
        ("Calcinosis from just above the ankle to the knee.", ("lower_leg",)),
        ("Calcinosis from the elbow to just above the wrist.", ("forearm",)),
    ],
)
def test_a_range_end_bounds_the_segment_only_in_its_direction(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert summary(text).regions == regions


# --- MEDIUM 8: a denied site on the other side --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("R elbow - calcinosis, nothing at the L elbow.", ("elbow",)),
        ("Right knee: calcinosis, nothing at the left knee.", ("knee",)),
        ("Calcinosis in the fingers, and no deposits in the feet.", ("fingers",)),
    ],
)
def test_a_denied_site_on_the_other_side_keeps_the_site(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


# --- MEDIUM 9: a net's elements only in its own clause ------------------------------------------


@pytest.mark.parametrize(
    ("text", "morphology"),
    [
        (
            "Calcinosis: a reticular net over the thigh, and dot-like deposits over the fingertips.",
            ("nodular", "reticular"),
        ),
        (
            "Calcinosis of the thigh as a reticular network; punctate deposits in the finger pulps.",
            ("nodular", "reticular"),
        ),
        (
            "Calcinosis of the thigh: innumerable punctate calcific foci form a lacy net "
            "through the fat.",
            ("reticular",),
        ),
    ],
)
def test_network_elements_only_in_the_nets_own_clause(
    summary: Read, text: str, morphology: tuple[str, ...]
) -> None:
    assert summary(text).morphology == morphology


# --- LOW 12: the linking word lists live in targets.yaml ----------------------------------------


def test_the_denied_site_and_network_words_live_in_targets_yaml() -> None:
    from calciscope.extract import network, sites
    from calciscope.extract.rules import load_word_list

    words = load_word_list("clause_words")
    for variant in ("denial", "denied_noun", "finding_verb", "element", "own_nodule"):
        assert words.alternation(variant)
    assert words.alternation("element") in network._ELEMENT_WORDS.pattern
    assert network._OWN_NODULE.pattern == words.alternation("own_nodule")
    assert words.alternation("finding_verb") in sites._DENIED_SITE.pattern


# --- MEDIUM 10: the chest's own calcium gives no calcinosis facts -------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # review 26
        "CT chest: bilateral plaques of calcification on the diaphragmatic pleura, in keeping "
        "with asbestos exposure.",
        "CT chest: foci of calcification in the subcarinal lymph nodes, likely old granulomatous "
        "disease.",
        "CT chest: a 4 mm nodule of calcification in the left upper lobe, a calcified granuloma.",
        "CXR: flecks of calcium in the aortic knuckle.",
        # new
        "CT chest: calcium deposits in the hilar nodes and along the aortic arch.",
    ],
)
def test_the_chests_own_calcium_is_no_calcinosis(summary: Read, text: str) -> None:
    s = summary(text, report=True)
    assert s.calcinosis == "not_mentioned" and not s.regions and not s.morphology


def test_a_band_along_the_pleura_gives_no_sheet(summary: Read) -> None:
    s = summary(
        "CT chest: calcified hilar nodes; a band of calcium along the pleura; no calcinosis.",
        report=True,
    )
    assert s.calcinosis == "negated" and not s.morphology


def test_calcium_in_the_chest_wall_still_counts(summary: Read) -> None:
    s = summary(
        "CT chest: calcified mediastinal lymph nodes and a calcified granuloma; calcium deposits "
        "in the subcutaneous tissue of the chest wall.",
        report=True,
    )
    assert s.calcinosis == "affirmed" and s.regions == ("chest",)
