"""fix34: the HIGH findings of the review of notesacc34 (review 34), fixed at their causes.

Every sentence here was written for these tests (SYNTHETIC): the reviewer's sentences and
variants of our own.
"""

from __future__ import annotations

import pytest

from .readings import Read, assert_affirmed_at, assert_sheet_like_at

# --- H1: "<sheet noun> of <adjective> calcium" is a pattern, not a calcinosis finding -----------


@pytest.mark.parametrize(
    "text",
    [
        # the reviewer's sentences
        "CT CHEST: mediastinal lymph nodes containing deposits of dense calcification, old "
        "granulomatous disease.",
        "CXR: a calcified granuloma with a nodule of dense calcification at the left apex.",
        "CT CHEST: the aortic valve contains deposits of dense calcification.",
        "CT ABDOMEN: a layer of dense calcification lines the wall of the abdominal aorta.",
        "Histology: uterine leiomyoma with plates of dystrophic calcification.",
        "Histology: uterine leiomyoma with deposits of dystrophic calcification.",
        "Knee XR: a band of dense calcification in the meniscus, chondrocalcinosis.",
        "Shoulder XR: deposits of dense calcification in the supraspinatus tendon, calcific "
        "tendinitis.",
        "Thyroid ultrasound: a 2 cm nodule with deposits of dense calcification in the right lobe.",
        "Mammogram: deposits of amorphous calcification in the left breast, BI-RADS 4.",
        # our variants
        "CT PELVIS: bands of amorphous calcification in the fibroid uterus.",
        "CT CHEST: hilar nodes with sheets of dense calcification, old TB.",
        "Echo: the mitral annulus shows a band of dense calcification.",
        "Histology: an old granuloma with layers of dystrophic calcification.",
    ],
)
def test_look_alikes_with_an_adjective_after_of_are_no_calcinosis(summary: Read, text: str) -> None:
    s = summary(text, report=True)
    assert s.calcinosis == "not_mentioned"
    assert s.morphology == ()


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Histology, right thigh: calcinosis cutis with broad bands of amorphous calcium in "
            "the dermis.",
            ("thigh",),
        ),
        (
            "Calcinosis of the left thigh: sheets of dystrophic calcification in the subcutis.",
            ("thigh",),
        ),
        (
            "XR thighs: plates of dense calcification in the subcutaneous tissue of both thighs, "
            "in keeping with calcinosis.",
            ("thigh",),
        ),
    ],
)
def test_controls_the_pattern_of_a_named_calcinosis_stays(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_sheet_like_at(summary(text, report=True), regions)


# --- H4: a line end written as a character reference is a line end ----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis: yes&#13;&#10;Digital ulcers: none&#13;&#10;",
        "Calcinosis: yes&#xD;&#xA;Digital ulcers: none",
        "Calcinosis: yes&#10;Digital ulcers: none",
        "Calcinosis: yes&#xa;Digital ulcers: none&#xa;",
    ],
)
def test_a_line_end_reference_keeps_the_template_lines_apart(summary: Read, text: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == ()


def test_a_line_end_reference_keeps_the_offsets(extractor) -> None:
    text = "Calcinosis: yes&#13;&#10;Site: R thumb"
    facts = [m for m in extractor.extract(text) if m.category == "CALCINOSIS"]
    assert [text[m.start : m.end] for m in facts] == ["Calcinosis"]
    spans = [text[a:b] for m in facts for a, b, kind in m.links["spans"] if kind == "BODY_REGION"]
    assert spans == ["thumb"]


def test_control_a_line_end_reference_between_label_and_value(summary: Read) -> None:
    s = summary("Digital ulcers: none&#10;Calcinosis: none")
    assert s.calcinosis == "negated"


# --- H2: "none at another place" only after the finding's own body region ----------------------


@pytest.mark.parametrize(
    "text",
    [
        # the reviewer's sentences
        "Calcinosis checked in clinic today, none at the fingers or elbows.",
        "Calcinosis looked for on examination, none at the elbows.",
        "Calcinosis asked about at review, none over the elbows or fingers.",
        "Calcinosis: examined in detail, none at the fingertips.",
        "Signs of calcinosis, none at the elbows.",
        "Calcinosis on screening, none at the hands.",
        "Calcinosis of note, none over the elbows.",
        "Calcinosis: reviewed in clinic, none at the elbows.",
        # ours: no body region before the comma, or none after it (review 34 M2)
        "Calcinosis enquired about in the clinic, none in the hands or feet.",
        "Evidence of calcinosis on palpation, none at the knees.",
        "Calcinosis at the left elbow, none on the X-ray.",
        "Calcinosis at the left elbow, none on CT.",
        "Calcinosis at the left elbow, none at follow-up.",
        "Calcinosis at the left elbow, none in 2019.",
    ],
)
def test_none_after_no_place_of_the_findings_own_denies_it(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "negated"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis at the left knee, none at the right.", ("knee",)),
        ("Calcinosis of the left knee, none at the right knee.", ("knee",)),
        ("L knee calcinosis, none at the elbows.", ("knee",)),
        ("Calcinosis at the fingertips, none seen at the elbows.", ("fingers",)),
        ("Calcinosis over both elbows, none over the hands.", ("elbow",)),
    ],
)
def test_controls_none_at_another_place_keeps_the_findings_place(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    ["No calcinosis at the elbows, none at the knees.", "Calcinosis, none at the elbows or hands."],
)
def test_controls_none_that_denies_stays(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "negated"


# --- H3: deposits "at both sites" lend their pattern with no site of their own -----------------


@pytest.mark.parametrize(
    ("text", "morphology", "regions"),
    [
        (
            "Calcinosis present: Yes\nLocation(s): R elbow; L knee\nComment: hard nodules at "
            "both sites.",
            ("nodular",),
            ("elbow", "knee"),
        ),
        (
            "SKIN FORM\nCalcinosis: present\nSites: L thumb; R heel\nComment: small hard nodules "
            "at both sites.",
            ("nodular",),
            ("ankle_foot", "fingers"),
        ),
        (
            "Calcinosis present: Yes\nLocation(s): R elbow; L knee\nComment: sheet-like deposits "
            "at both sites.",
            ("sheet_like",),
            ("elbow", "knee"),
        ),
        (
            "Calcinosis of the right elbow and left knee.\nExamined today.\nFirm nodules at each "
            "of these sites.",
            ("nodular",),
            ("elbow", "knee"),
        ),
    ],
)
def test_deposits_at_both_sites_lend_their_pattern(
    summary: Read, text: str, morphology: tuple[str, ...], regions: tuple[str, ...]
) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.morphology == morphology and s.regions == regions


def test_control_tophi_at_both_sites_lend_no_pattern(summary: Read) -> None:
    s = summary(
        "Calcinosis present: Yes\nLocation(s): R elbow; L knee\nComment: gouty tophi at both "
        "sites, not calcium."
    )
    assert s.calcinosis == "affirmed" and s.morphology == ()


# --- H6: "stratum", "brace", "tabular", "contiguous" are sheet words only beside calcium --------


@pytest.mark.parametrize(
    "text",
    [
        # the reviewer's sentences
        "Skin biopsy right thigh: calcinosis cutis. The epidermis shows a flat stratum basale "
        "and a thin stratum granulosum.",
        "Calcinosis of the fingertips. Hand therapy: a thin brace to rest the thumb.",
        "Calcinosis: a tabular arrangement of the patient's scores is attached.",
        "Calcinosis of the fingers; two contiguous deposits at the index pulp.",
        "Calcinosis of the fingers; a contiguous calcium deposit at the pulp, 3 mm.",
        # ours
        "Calcinosis of the toes. Podiatry: a flat brace for the ankle at night.",
        "Calcinosis of the shin. The biopsy shows a thin stratum spinosum.",
        "Calcinosis at the elbow, contiguous with the olecranon bursa.",
        "Calcinosis of both hands. Tabular scores attached.",
    ],
)
def test_sheet_words_away_from_calcium_give_no_sheet(summary: Read, text: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert "sheet_like" not in s.morphology


@pytest.mark.parametrize(
    "text",
    [
        "Histology, left forearm nodule: thin stratum corneum; dermal deposits of calcium "
        "(calcinosis cutis).",
        "Calcinosis of the knees, nodular. Orthotics: continuous brace use advised.",
        "Calcinosis of the knees, nodular. We supplied a flat brace for the wrist.",
        "Calcinosis of the knees, nodular. Tabular results below.",
        "Calcinosis of the knees, nodular. Labs are in the tabular section.",
    ],
)
def test_sheet_words_away_from_calcium_keep_the_pattern(summary: Read, text: str) -> None:
    assert summary(text).morphology == ("nodular",)


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Calcinosis has formed a continuous brace of calcium round the right forearm.",
            ("forearm",),
        ),
        ("Impression: tabular soft-tissue calcinosis of the upper arms.", ("upper_arm",)),
        ("XR: tabular calcification in the subcutis of the left thigh, calcinosis.", ("thigh",)),
        (
            "XR: subcutaneous calcification over the left thigh in a tabular, flat arrangement.",
            ("thigh",),
        ),
        (
            "CT: calcification forming a contiguous flat stratum in the fat of the calf.",
            ("lower_leg",),
        ),
        ("Calcinosis: strata of dense calcification along the back of both thighs.", ("thigh",)),
    ],
)
def test_controls_sheet_words_beside_calcium_stay(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_sheet_like_at(summary(text), regions)


# --- H5: a form's "Site:" line above lends only within the calcinosis's own item ---------------


@pytest.mark.parametrize(
    "text",
    [
        # the reviewer's sentences
        "RAYNAUD'S\nLocation: fingers and toes\nDuration: 10 years\nCalcinosis: present",
        "Pain\nSite: lower back\nSeverity: 6/10\nCalcinosis: present, sites not recorded",
        "Telangiectasia\nDistribution: face and hands\nCalcinosis: yes",
        "PROCEDURE NOTE\nSite: left knee\nProcedure: aspiration of effusion, 40 ml.\n"
        "Past history: calcinosis.",
        "WOUND CHART\nWound 1\nSite: L heel\nDressing: foam\nWound 2\n"
        "Wound bed: calcinosis visible, white chalky material.",
        # ours
        "Morphoea\nSite: R forearm\nActivity: inactive\nCalcinosis: yes",
        "WOUND CHART\nSite: L shin\nDressing: foam\n2. Calcinosis noted at review.",
        "Joint injection\nSite: R shoulder\nDrug: 40 mg triamcinolone\nChalky calcinosis seen.",
    ],
)
def test_a_site_line_of_another_item_lends_nothing(summary: Read, text: str) -> None:
    assert_affirmed_at(summary(text), ())


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "WOUND CHART\nWound 1\nSite: L heel\nDressing: foam\n"
            "Wound bed: calcinosis visible, white chalky material.",
            ("ankle_foot",),
        ),
        (
            "Ulcer review\nSite: R elbow\nSize: 1 cm\nWound bed: chalky calcinosis in the base.",
            ("elbow",),
        ),
        (
            "Tissue Viability - Wound Assessment\nSite: lateral malleolus, L ankle\nSize: 1.8 x "
            "1.2 cm\nWound bed: 60% slough; white gritty material at the base - calcinosis\n"
            "Exudate: moderate",
            ("ankle_foot",),
        ),
    ],
)
def test_controls_a_wound_charts_site_line_lends_to_its_bed(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


# --- M4: "lens-shaped" is a shape, not the eye's lens; M8: the nail folds are the fingers ------


def test_a_lens_shaped_collection_is_no_eye(summary: Read) -> None:
    assert_affirmed_at(
        summary("US: dense calcification within the lens-shaped collection in the right buttock."),
        ("buttock_hip",),
    )


def test_control_calcium_in_the_lens_of_the_eye_stays_none(summary: Read) -> None:
    assert summary("Calcium deposits in the lens of the right eye.").calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    "text",
    [
        "Calcium deposits at the nail folds.",
        "Calcinosis: small chalky deposits along the nail fold of the L index.",
        "Periungual calcinosis noted today.",
    ],
)
def test_the_nail_folds_are_the_fingers(summary: Read, text: str) -> None:
    assert_affirmed_at(summary(text), ("fingers",))


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis of the nail folds of the big toes.", ("ankle_foot",)),
        ("Nailfold capillaroscopy: active pattern. Calcinosis: present.", ()),
    ],
)
def test_controls_a_toes_nail_fold_and_capillaroscopy(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert summary(text).regions == regions


# --- M7: the words of deposits "at both sites" are rule data ------------------------------------


def test_the_at_both_sites_words_come_from_targets_yaml() -> None:
    from calciscope.extract.restate import deposits
    from calciscope.extract.rules import load_word_list

    words = load_word_list("those_sites_words")
    assert "sites?" in words.alternation("place").split("|")
    assert deposits._THOSE_NOUNS == ("deposit", "nodule", "lump", "calcification")
    assert deposits._THOSE_PLACES == ("site", "location", "area", "place", "region")
    assert deposits._AT_THOSE_SITES.search("small hard nodules at each of the same places")
    assert not deposits._AT_THOSE_SITES.search("small hard nodules at the elbows")


# --- M3: "none elsewhere" after the finding's own place ----------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis over the left elbow, none elsewhere.", ("elbow",)),
        ("Calcinosis of the right knee, none anywhere else.", ("knee",)),
        ("Small calcinosis at the R index pulp, none now elsewhere.", ("fingers",)),
    ],
)
def test_none_elsewhere_keeps_the_findings_place(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "No calcinosis at the elbows, none elsewhere.",
        "Calcinosis checked today, none elsewhere.",
        "Calcinosis, none elsewhere.",
    ],
)
def test_controls_none_elsewhere_with_no_place_of_its_own_denies(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "negated"
