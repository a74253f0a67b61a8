"""Regression tests for the notesacc12 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes: sites given in a neighbouring sentence or line,
and joint and pressure-point site words. None is taken from an evaluation set. Each fix has a
control that must not change.
"""

import pytest

from .readings import assert_affirmed_at

# --- joint abbreviations and pressure points as site words -------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis at the left 4th PIPJ.", ("fingers",)),
        ("Tiny calcinosis deposit beside the R 2nd DIPJ.", ("fingers",)),
        ("Calcinosis over the right 3rd MCPJ.", ("hand",)),
        ("Calcinosis cutis overlying the coccyx, ulcerated.", ("back",)),
        ("A plaque of calcinosis on the right ischial tuberosity.", ("buttock_hip",)),
    ],
)
def test_joint_and_pressure_point_words_are_sites(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


# --- a "Sites:" list that runs over several lines or clauses -----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis is troublesome this winter. Affected sites:\n- L thumb pulp\n- R elbow\n",
        "Problem: calcinosis cutis\nSites: L thumb pulp; R elbow\nPlan: review in 6 months.",
        "Calcific soft-tissue deposits are listed below.\nSite | Size\nL thumb pulp | 2 mm\n"
        "R elbow | 9 mm\n",
    ],
)
def test_a_list_of_sites_runs_on_over_lines_and_clauses(summary, text):
    assert_affirmed_at(summary(text), ("elbow", "fingers"))


def test_a_sites_list_after_a_long_run_of_blank_lines_reads_the_same(summary):
    # text converted from PDF or RTF keeps long runs of blank lines; the search for a
    # "Sites:" line once rescanned the whole run from every line start (quadratic time)
    text = "Problem: calcinosis cutis\n" + "\n" * 3000 + "Sites: L thumb pulp; R elbow\n"
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.regions == ("elbow", "fingers")
    from calciscope.extract import restate

    assert restate._has_site_label("...." + " " * 30 + "- Sites: L thumb")
    assert not restate._has_site_label("The site nurse saw her." + "\n" * 3000 + "site")


def test_a_list_of_sites_stops_at_the_next_label(summary):
    # control: the plan line names a site, but it is not in the list
    s = summary("Problem: calcinosis cutis\nSites: L thumb pulp\nPlan: X-ray of the R knee.")
    assert s.regions == ("fingers",)


# --- deposits described in the sentence before or after ----------------------------------------


@pytest.mark.parametrize(
    ("text", "regions", "morphology"),
    [
        # the sentence before, referred back to
        (
            "Hard yellowish nodules sit over both kneecaps. These are calcinosis cutis.",
            ("knee",),
            ("nodular",),
        ),
        # the next sentence names the deposits again
        (
            "The CT shows calcinosis. The deposits lie in the right buttock and left calf.",
            ("buttock_hip", "lower_leg"),
            (),
        ),
        # a site-less calcinosis and an examination line naming a deposit
        ("Calcinosis noted.\nO/E:\n  L 5th finger - 3 mm deposit", ("fingers",), ()),
        # a later section describing chalky deposits
        (
            "Impression: calcinosis cutis.\nExamination: BP 120/80. Chalky white lumps over "
            "the right shin.",
            ("lower_leg",),
            ("nodular",),
        ),
        # deposits that have gone are still a history of calcinosis at those sites
        (
            "Calcinosis at the left thumb. The deposits on both shins that he had in 2020 "
            "are no longer visible.",
            ("fingers", "lower_leg"),
            (),
        ),
    ],
)
def test_deposits_described_in_a_neighbouring_sentence_give_sites(
    summary, text, regions, morphology
):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == regions and s.morphology == morphology


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # controls: another finding's sentence, a negated deposit, a plain nodule far away
        (
            "Calcinosis of the left thumb. The nodules on both elbows are rheumatoid nodules.",
            ("fingers",),
        ),
        ("Calcinosis noted. No deposits at the elbows.", ()),
        ("Calcinosis cutis, stable.\nThyroid: a 2 cm nodule in the right lobe.\nChest clear.", ()),
        ("Calcinosis of the right heel. The deposits are tender.", ("ankle_foot",)),
    ],
)
def test_other_sentences_lend_no_sites(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


def test_an_imaging_title_gives_way_to_the_sites_listed(summary):
    s = summary(
        "XR BOTH FEET\nCalcific soft-tissue deposits as follows:\nSite | Size\nR hallux | 4 mm\n"
        "L heel | 7 mm\n",
        report=True,
    )
    assert s.regions == ("ankle_foot",)
