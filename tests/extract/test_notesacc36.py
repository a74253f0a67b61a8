"""notesacc36: the causes of fresh25's untouched misses, fixed in the rule data.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set (fresh25.jsonl is scored in test_accuracy.py and benchmarks/notes_accuracy.py). Each new
sheet-like cue has look-alikes beside it that must not read as sheet-like.
"""

from __future__ import annotations

import pytest

from calciscope.extract.matcher import PhraseMatcher
from calciscope.extract.rules import ConTextRule

from .readings import Read, assert_affirmed_as, assert_affirmed_at, assert_sheet_like_at

# --- sheet-like deposits: new shapes, similes and coverings -----------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("XR: a strap-like calcification runs down the ulnar side of the forearm.", ("forearm",)),
        ("CT: tile-like calcified plaques over the back of both calves.", ("lower_leg",)),
        ("Calcinosis of the hip: a mantle-shaped calcific deposit on CT.", ("buttock_hip",)),
        ("MRI: calcinosis seen as a calcified film over the adductor fascia.", ("thigh",)),
        ("US: calcification coating the deep fascia of the left upper arm.", ("upper_arm",)),
        ("CT: calcium lining the muscle compartments of the right thigh.", ("thigh",)),
        ("Calcinosis of the buttocks has spread like cement over both sides.", ("buttock_hip",)),
        ("The calcification sits like icing over her left knee.", ("knee",)),
        ("Calcinosis of the right forearm is rigid and flat like a board.", ("forearm",)),
    ],
)
def test_new_sheet_shapes_similes_and_coverings(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_sheet_like_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        # strap, tile, mantle and film shapes of other things (nails, skin, scars, splints)
        "Calcinosis: nodules at both knees. Her knee brace has a strap-like fastening.",
        "Calcinosis: nodules at the thumb. The strap-like muscles of the neck look normal.",
        "Calcinosis: pea-sized nodules at the elbow. Her old scar on the shin is tile-like.",
        "Calcinosis: nodules at the ring finger. Nails show film-like ridging.",
        # a film of the radiograph or the dressing
        "Calcinosis: nodules at the elbow on the film; a thin film dressing was put on.",
        # coating and lining by something else, or a clause apart
        "Calcinosis: nodules in the thigh. Fibrin deposits coating the fascia at surgery.",
        "Calcinosis: nodules at the thigh; calcified bits were removed and pus was lining the muscle.",
        # plaster, cement, icing as care, diet or a cast
        "Calcinosis: nodules at the wrist, which is now in a plaster cast.",
        "Calcinosis: nodules at the elbow. Calcium tablets taste like plaster, she says.",
        "Calcinosis: nodules at the fingertips. Bone cement was used like plaster in 2015.",
        # a thin layer of care products, diet calcium
        "Calcinosis: nodules at the fingertips; apply a thin layer of barrier cream.",
        "Calcinosis: nodules at the elbow; a generous coat of sunscreen in summer.",
        # the skin's own hardness in scleroderma
        "Her skin is hard and flat like a tray; calcinosis nodules at both elbows.",
        # a bone surface
        "Calcinosis: nodules at the elbow. The radial head is hard and flat on X-ray.",
    ],
)
def test_sheet_look_alikes_stay_nodular(summary: Read, text: str) -> None:
    assert_affirmed_as(summary(text), ("nodular",))


# --- calcinosis named in shorthand or lay words ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("O/E: SC calc L index pulp, tender.", ("fingers",)),
        ("s/c calc over the right olecranon.", ("elbow",)),
        ("Subcut calc, both knees.", ("knee",)),
        ("I can feel the calcium under my skin on both elbows.", ("elbow",)),
        ("She says the calcium in the skin of her shins hurts.", ("lower_leg",)),
    ],
)
def test_shorthand_and_lay_names(summary: Read, text: str, regions: tuple[str, ...]) -> None:
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "Osteoporosis: SC calcitonin for two years, stopped.",
        "Hypocalcaemia treated with s/c calcium gluconate.",
        "Calcium injections under the skin were stopped.",
        "Calcium cream on the skin is of no use.",
        "Dietary calcium intake about 600 mg a day.",
    ],
)
def test_calcium_words_that_are_no_calcinosis(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "not_mentioned"


# --- sites: the pinky, a view, "back" as a time -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("My calcinosis is on my left pinky and it is sore.", ("fingers",)),
        ("Photo 4, dorsal view: calcinosis at the right thumb tip.", ("fingers",)),
        ("XR R hand, PA view: calcinosis at the index tuft.", ("fingers",)),
        ("Calcinosis was removed from the little finger back in March.", ("fingers",)),
        ("She had calcinosis of the elbow back in the 1990s.", ("elbow",)),
        # controls: a real palm, a real back
        ("Calcinosis on the palmar aspect of the hand.", ("hand",)),
        ("Calcinosis of the back, in the lumbar region.", ("back",)),
    ],
)
def test_sites_of_views_times_and_lay_fingers(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


# --- pipe tables: a subset row, a blank answer ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("Subset | limited\nDU | N", "lcssc"),
        ("Subtype | dc\nILD | Y", "dcssc"),
        ("Subtype: diffuse | mRSS: 22 | ILD: no", "dcssc"),
    ],
)
def test_subset_in_a_pipe_table(summary: Read, text: str, subset: str) -> None:
    assert summary(text).subset == subset


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Raynaud | Y\nCalcinosis | \nILD | N", "not_mentioned"),
        ("Calcinosis |\nPAH | N", "not_mentioned"),
        # controls: an answer, a bordered row, a label and value before the pipe
        ("Calcinosis | Y |\nILD | N", "affirmed"),
        ("| Calcinosis | elbows |\n| ILD | no |", "affirmed"),
        ("Calcinosis: both elbows |\nILD | N", "affirmed"),
        ("Calcinosis | N\nILD | ", "negated"),
    ],
)
def test_a_blank_pipe_cell_says_nothing(summary: Read, text: str, status: str) -> None:
    assert summary(text).calcinosis == status


def test_label_cell_is_a_rule_option_of_the_matcher() -> None:
    # ``metadata.label_cell``: the match counts only right after its line's bare label
    rule = ConTextRule("|", "HYPOTHETICAL", pattern=r"\|", metadata={"label_cell": True})
    matcher = PhraseMatcher([rule])
    assert [m.start for m in matcher.find("calcinosis |\nulcers | y")] == [11]
    assert matcher.find("| hip | present |") == []
    assert matcher.find("hip: yes |") == []
