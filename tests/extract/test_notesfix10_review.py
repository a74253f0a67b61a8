"""Regression tests for the review of notesacc13/14 (notesfix10), in sentences written for them.

A run of spaces after a calcinosis list item (no backtracking over its splits), a negated
calcinosis beside something gone that is no calcium deposit (an organ's lump, a laboratory
value that resolved), and a bone's crest however it is spaced. None is taken from an evaluation
set; each fix has controls that must not change.
"""

import pytest

from calciscope.extract import restate

from .readings import assert_affirmed_at

# --- long runs of white space: linear by construction ---------------------------------------


def test_head_after_has_no_adjacent_optional_white_space():
    # The line after the finding is matched with its white space taken out, so the pattern
    # itself has no ``\s`` for a run of spaces to be split between.
    assert "\\s" not in restate._HEAD_AFTER.pattern
    assert "\\s+the)?)\\s*" in restate._THE_DEPOSITS.pattern  # "all", then " the", then spaces


@pytest.mark.parametrize("fill", [" ", "\n ", "\t"])
def test_long_runs_of_white_space_after_a_finding(summary, fill):
    run = fill * 12000
    assert summary("Calcinosis" + run + "x.").calcinosis == "affirmed"
    assert summary("No calcinosis." + run + "x.").calcinosis == "negated"
    assert restate._HEAD_AFTER.fullmatch(restate._WHITE.sub("", " (sites)" + run + ":" + run))
    assert not restate._HEAD_AFTER.fullmatch(restate._WHITE.sub("", run + "x"))
    assert restate._THE_DEPOSITS.match("all" + run + "x") is None
    assert restate._THE_DEPOSITS.match("all" + run + "the deposits")


def test_a_list_item_still_heads_its_sites(summary):
    s = summary("Problems:\n2. Calcinosis cutis (sites) :\n   - R elbow\n   - L hip\n3. Reflux\n")
    assert s.calcinosis == "affirmed" and set(s.regions) >= {"elbow"}


# --- a negated calcinosis beside something gone that is no calcium deposit -------------------


@pytest.mark.parametrize(
    "text",
    [
        "No calcinosis. A hard lump was removed from the breast in 2019.",
        "No calcinosis. Hard nodule in the thyroid excised last year, benign.",
        "No calcinosis. Hypercalcaemia resolved and calcium is now normal.",
        "No calcinosis. A hard nodule was excised from her forearm in 2016.",
        "No calcinosis. Serum calcium has resolved to normal after stopping vitamin D.",
        "No calcinosis. The thyroid nodule was removed in 2020.",
        "No calcinosis. A breast lump, stone-hard, was excised and was benign.",
        "No calcinosis. The calcified granuloma was removed at bronchoscopy.",
    ],
)
def test_no_calcium_deposit_gone_leaves_calcinosis_negated(summary, text):
    s = summary(text)
    assert s.calcinosis == "negated" and s.regions == ()


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "No calcinosis now. The calcium deposits at the left elbow were excised in 2019.",
            ("elbow",),
        ),
        (
            "No calcinosis today. A gritty nodule was removed from the right heel in 2018.",
            ("ankle_foot",),
        ),
        (
            "No calcinosis now. A calcium nodule was excised from the left knee last year.",
            ("knee",),
        ),
        (
            "No calcinosis now. A hard calcium deposit was removed from the left elbow in 2015.",
            ("elbow",),
        ),
    ],
)
def test_a_calcium_deposit_gone_is_still_a_history(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


# --- a bone's crest, however it is spaced, is no CREST -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis over the left iliac\ncrest.",
        "Calcinosis over the left iliac  crest.",
        "Calcinosis over the left iliac\n   crest.",
        "Calcinosis at the intertrochanteric crest.",
        "Calcinosis near the median sacral crest.",
        "Calcinosis over the external occipital\tcrest.",
        "Calcinosis at the lateral supracondylar crest of the humerus.",
        "Calcinosis along the tibial\n\ncrest.",
        "Calcinosis by the pubic-crest.",
    ],
)
def test_a_bone_crest_is_no_crest_subset(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.subset is None


@pytest.mark.parametrize(
    "text",
    [
        "Known CREST with calcinosis at the elbows.",
        "Diagnosis: CREST syndrome.\nCalcinosis over the fingers.",
        "Calcinosis; CREST\nsyndrome since 2010.",
    ],
)
def test_crest_is_still_lcssc(summary, text):
    assert summary(text).subset == "lcssc"
