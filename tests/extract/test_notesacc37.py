"""notesacc37: the causes of fresh26's untouched misses and last round's leftovers, fixed.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set (fresh26.jsonl is scored in test_accuracy.py and benchmarks/notes_accuracy.py). Each fix has
near variants beside it that must keep main's reading (look-alikes, negations, other subjects).
"""

from __future__ import annotations

import pytest

from .readings import Read, assert_affirmed_at, assert_sheet_like_at

# --- sheet-like: a thin spread, a laid carpet; a printed sheet is none ------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "CT: calcification spreading thinly through the fat of the left buttock.",
            ("buttock_hip",),
        ),
        (
            "Plain film: calcinosis spread out thinly over the back of the right calf.",
            ("lower_leg",),
        ),
        ("MRI: the calcium is laid like a rug over the vastus fascia.", ("thigh",)),
        ("Calcinosis was spread like lino across the front of her abdomen.", ("abdomen",)),
        ("CT: calcinosis spreads like a carpet over both shoulders.", ("shoulder",)),
    ],
)
def test_a_thin_spread_or_a_laid_carpet_is_sheet_like(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    s = summary(text, report=True)
    assert_sheet_like_at(s, regions)


@pytest.mark.parametrize(
    "text",
    [
        # the carpet and the spreading are someone else's
        "Calcinosis: two nodules at the elbow. She tripped on the carpet at home.",
        "Calcinosis: nodules at the thumb. Apply the cream thinly over both hands.",
        "Calcinosis: nodules at the knee. The rash is spreading thinly over her chest.",
        # a sheet of paper
        "Calcinosis: nodules on the middle finger. I gave her a printed sheet about gloves.",
        "Calcinosis: a small lump on the thumb; hand care sheet and exercise sheet given.",
        "Calcinosis nodules at the left index tip; a paper sheet of advice was handed over.",
    ],
)
def test_look_alikes_of_the_new_sheet_cues_are_not_sheet_like(summary: Read, text: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert "sheet_like" not in s.morphology


def test_a_sheet_of_calcium_still_is_sheet_like(summary: Read) -> None:
    # control: the handout words hide only a sheet of paper
    assert summary("Calcinosis forms a sheet over the back of the thigh.").morphology == (
        "sheet_like",
    )


# --- nodular: round deposits and densities ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "XR: several round calcific opacities in the pulp of the right thumb, calcinosis.",
        "Calcinosis: small, round, dense deposits on the left elbow.",
        "US: a round calcified focus in the subcutis of the left knee; calcinosis.",
    ],
)
def test_round_deposits_are_nodular(summary: Read, text: str) -> None:
    s = summary(text, report=True)
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("nodular",)


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis: a plate of calcium over the thigh. Seen on the ward round today.",
        "Calcinosis sheet over the thigh; the round ligament is normal.",
        "Sheet-like calcinosis of the thigh, painful round the clock.",
    ],
)
def test_round_that_is_no_deposit_gives_no_nodule(summary: Read, text: str) -> None:
    assert "nodular" not in summary(text).morphology


# --- a request to exclude, a screen named after the finding ----------------------------------


def test_exclude_in_a_request_is_a_question(summary: Read) -> None:
    assert summary("Clinical details: hard calf, exclude calcinosis.", report=True).calcinosis == (
        "uncertain"
    )
    s = summary("Request: exclude calcinosis.\nReport: No soft tissue calcification.", True)
    assert s.calcinosis == "negated"


def test_cannot_exclude_and_a_present_finding_are_unchanged(summary: Read) -> None:
    assert summary("Calcinosis of the knee cannot be excluded.").calcinosis == "uncertain"
    s = summary("Calcinosis at both elbows. We could exclude gout on aspiration.")
    assert_affirmed_at(s, ("elbow",))


def test_a_screen_named_after_the_finding_is_no_finding(summary: Read) -> None:
    assert summary("Calcinosis screening visit booked for March.").calcinosis == "uncertain"
    # ... unless its answer follows on the line
    s = summary("Calcinosis screen: positive at the left knee.")
    assert_affirmed_at(s, ("knee",))
    s = summary("Calcinosis screen - yes, right thumb.")
    assert s.calcinosis == "affirmed"


# --- tables with one column per site --------------------------------------------------------


def test_a_table_with_one_column_per_site(summary: Read) -> None:
    text = (
        "Examination grid\n| Item | Thumbs | Wrists | Hips |\n|---|---|---|---|\n"
        "| Calcinosis | yes | no | yes |\n| Ulcers | no | no | - |"
    )
    s = summary(text)
    assert_affirmed_at(s, ("buttock_hip", "fingers"))


def test_a_row_answered_no_under_every_site_is_negated(summary: Read) -> None:
    text = "| | Knees | Shins | Feet |\n| Calcinosis | no | no | no |"
    assert summary(text).calcinosis == "negated"


def test_a_yes_after_a_no_column_still_affirms(summary: Read) -> None:
    text = "| | Knees | Shins | Feet |\n| Calcinosis | N | - | Y |"
    s = summary(text)
    assert_affirmed_at(s, ("ankle_foot",))


@pytest.mark.parametrize(
    "text",
    [
        # sizes, not answers: another kind of table
        "| | Knees | Shins |\n| Calcinosis | 3 mm | 5 mm |",
        # a header that names no sites
        "| | Visit 1 | Visit 2 |\n| Calcinosis | Y | Y |",
    ],
)
def test_other_tables_are_read_as_before(summary: Read, text: str) -> None:
    s = summary(text)
    assert_affirmed_at(s, ())


def test_a_finding_column_table_is_unchanged(summary: Read) -> None:
    text = "| Site | Calcinosis |\n|---|---|\n| Thumb | Y |\n| Hip | N |"
    assert summary(text).regions == ("fingers",)


# --- addenda: withdrawn findings, clear sites, moved sites, a corrected pattern ---------------


def test_an_addendum_naming_a_normal_structure_withdraws_the_finding(summary: Read) -> None:
    text = (
        "XR LEFT FOOT\nFindings: A tiny calcific density beside the first MTP joint, ?calcinosis."
        "\nAddendum: the lateral view shows this is a sesamoid. No calcinosis."
    )
    assert summary(text, report=True).calcinosis == "negated"


def test_an_addendum_with_a_timestamp_header_is_an_addendum(summary: Read) -> None:
    text = (
        "XR KNEE\nFindings: Calcification in front of the patella, likely calcinosis.\n"
        "Addendum 09:15 - on review this is an accessory ossicle rather than calcinosis."
    )
    assert summary(text, report=True).calcinosis == "negated"


def test_a_reason_for_review_is_no_qualifier(summary: Read) -> None:
    text = (
        "XR HIP\nFindings: Soft-tissue calcification lateral to the right hip, calcinosis.\n"
        "ADDENDUM: after comparison with the prior film, this is heterotopic bone rather than "
        "calcinosis."
    )
    assert summary(text, report=True).calcinosis == "negated"


def test_no_new_calcinosis_in_an_addendum_still_keeps_the_finding(summary: Read) -> None:
    text = (
        "XR HANDS\nFindings: Calcinosis at the right thumb tip.\n"
        "Addendum: on review of the previous film, no new calcinosis."
    )
    s = summary(text, report=True)
    assert_affirmed_at(s, ("fingers",))


def test_the_previously_reported_calcification_called_artefact_is_withdrawn(summary: Read) -> None:
    text = (
        "XR FOREARM\nFindings: Faint calcification over the distal forearm, calcinosis.\n"
        "Addendum: the previously described calcification is an artefact from the splint."
    )
    assert summary(text, report=True).calcinosis == "negated"
    confirmed = text.replace("is an artefact from the splint", "is unchanged")
    assert summary(confirmed, report=True).calcinosis == "affirmed"


def test_a_site_an_addendum_calls_clear_is_withdrawn(summary: Read) -> None:
    text = (
        "XR ELBOWS AND HANDS\nFindings: Calcinosis at the left elbow and the right thumb.\n"
        "Addendum: on review the elbow is normal."
    )
    s = summary(text, report=True)
    assert_affirmed_at(s, ("fingers",))
    only = (
        "XR ELBOW\nFindings: Calcinosis at the left elbow.\nAddendum: on review the elbow is clear."
    )
    assert summary(only, report=True).calcinosis == "negated"


def test_a_clear_site_in_an_addendum_that_retracts_nothing_withdraws_nothing(summary: Read) -> None:
    text = (
        "XR ELBOWS AND HANDS\nFindings: Calcinosis at the left elbow and the right thumb.\n"
        "Addendum: the chest is clear."
    )
    assert summary(text, report=True).regions == ("elbow", "fingers")


def test_the_nodule_of_an_addendum_moves_the_earlier_calcific_nodule(summary: Read) -> None:
    text = (
        "XR ANKLE\nFindings: A calcific nodule in the lower leg, calcinosis.\n"
        "Addendum: the nodule is at the ankle, not the lower leg."
    )
    assert summary(text, report=True).regions == ("ankle_foot",)
    # another noun than the earlier finding's moves nothing (main's reading: the ankle is added)
    other = text.replace("the nodule is at", "the lump is at")
    assert summary(other, report=True).regions == ("ankle_foot", "lower_leg")


def test_an_addendum_that_denies_a_pattern_drops_it(summary: Read) -> None:
    text = (
        "CT PELVIS\nFindings: Nodular calcification in the gluteal fat.\n"
        "ADDENDUM: on coronal images the calcification is not nodular but forms a thin continuous "
        "sheet along the fascia."
    )
    s = summary(text, report=True)
    assert s.morphology == ("sheet_like",) and s.regions == ("buttock_hip",)
    # a denied pattern of something else keeps it
    lung = text.replace(
        "on coronal images the calcification is not nodular but forms a thin continuous "
        "sheet along the fascia",
        "no nodular lung lesion",
    )
    assert summary(lung, report=True).morphology == ("nodular",)


# --- a test that shows none answers a question ------------------------------------------------


def test_a_test_that_shows_none_answers_a_questioned_finding(summary: Read) -> None:
    assert summary("?calcinosis at the left heel. Ultrasound shows none.").calcinosis == "negated"
    s = summary("Possible calcinosis of the right knee. The X-ray of the knee shows none.")
    assert s.calcinosis == "negated"


def test_shows_none_after_a_present_finding_keeps_it(summary: Read) -> None:
    # a deposit that was there counts (past deposits are calcinosis)
    s = summary("Calcinosis at the left heel was excised. Repeat ultrasound shows none.")
    assert_affirmed_at(s, ("ankle_foot",))
    assert summary("She had calcinosis at the left elbow. She has none now.").calcinosis == (
        "affirmed"
    )
    # a test that shows something else answers nothing
    assert summary("?calcinosis at the left heel. X-ray shows a spur.").calcinosis == "uncertain"


# --- sites: a joint's movement after "it", the lay "legs" ------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Sheet calcinosis over both thighs; it restricts the bending of her knees.",
        "Calcinosis of the upper arm, which limits extension of the elbow.",
        "Calcinosis in the forearm. This still limits pronation at the wrist.",
    ],
)
def test_a_joint_movement_limited_by_it_is_no_site(summary: Read, text: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed" and len(s.regions) == 1
    assert s.regions[0] in ("thigh", "upper_arm", "forearm")


def test_a_noun_subject_keeps_the_joint(summary: Read) -> None:
    assert summary("A calcinotic mass limits flexion of the left knee.").regions == ("knee",)
    s = summary("Calcinosis of the thigh. A deposit at the knee limits flexion of the knee.")
    assert s.regions == ("knee", "thigh")


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis: hard plates in both thighs, right down the legs.", ("thigh",)),
        # fix43 (review 43 H6): a list of places names the legs too; only a deposit spreading
        # "across / over / down" the legs after a nearer place leaves them out
        ("Calcinosis nodules at the knees and on the legs.", ("knee", "lower_leg")),
        ("Calcinosis of both legs and the left elbow.", ("elbow", "lower_leg")),
        ("Hard calcium lumps on her legs, calcinosis.", ("lower_leg",)),
        ("Calcinosis of the shins and thighs.", ("lower_leg", "thigh")),
    ],
)
def test_the_lay_legs_beside_a_place_of_the_limb(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert summary(text).regions == regions
