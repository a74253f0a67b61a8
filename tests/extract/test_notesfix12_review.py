"""Regression tests for the notesfix12 review of notesacc17, in sentences written for these tests.

Three defects of the notesacc17 rules: "SSc diffuse" / "SSc, limited" read as a subset when the
word after it shows that "diffuse" or "limited" describes another finding ("SSc diffuse ILD");
a blank checklist field ("Calcinosis: Y/N") read as affirmed calcinosis; and "nil" before a noun
it governs ("2 Ca++ nodules, nil discharge") negating the deposit named before it. None of the
sentences is taken from an evaluation set; each fix has controls that must not change.
"""

import re

import pytest

from calciscope.extract.patterns import token_pattern_regex

# --- "SSc" + "diffuse" / "limited" + another finding ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "SSc diffuse ILD on HRCT, FVC 71%.",
        "PMH: SSc, diffuse interstitial lung disease, reflux.",
        "Systemic sclerosis, diffuse fibrosis at both bases.",
        "CT: SSc diffuse ground-glass change in the lower lobes.",
        "SSc diffuse oesophageal dysmotility on barium swallow.",
        "Known SSc (diffuse ILD), on nintedanib.",
        "SSc limited joint mobility of both hands, OT referral.",
        "SSc limited mouth opening, dental review.",
        "SSc, limited ILD (under 20 % on HRCT), stable.",
        "SSc diffuse calcinosis of the forearms.",
    ],
)
def test_diffuse_or_limited_before_another_finding_is_no_subset(summary, text):
    assert summary(text).subset is None


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("SSc diffuse, on MMF since March.", "dcssc"),
        ("Problem list: SSc (diffuse) 2018.", "dcssc"),
        ("SSc - diffuse cutaneous, mRSS 24.", "dcssc"),
        ("SSc, limited; ACA positive.", "lcssc"),
        ("SSc (limited) with ILD.", "lcssc"),  # the bracket closes the subset
        ("SSc diffuse, ILD on HRCT.", "dcssc"),  # a comma: two items of a list
        ("SSc diffuse cutaneous ILD on HRCT.", "dcssc"),  # "diffuse cutaneous" is the subset
        ("Systemic sclerosis, diffuse cutaneous, since 2017.", "dcssc"),
        ("SSc diffuse skin thickening, mRSS 30.", "dcssc"),  # the skin is the subset's organ
    ],
)
def test_the_subset_after_ssc_is_still_read(summary, text, subset):
    assert summary(text).subset == subset


def test_a_negated_token_is_a_whole_word():
    """``OP: "!"`` rejects the next word only when it is one of the token's words."""
    regex = re.compile(token_pattern_regex([{"LOWER": "ssc"}, {"LOWER": "gi", "OP": "!"}]))
    assert regex.search("ssc gi involvement") is None
    assert regex.search("ssc given mmf") is not None
    assert regex.search("ssc-gi") is None  # words may be joined by a hyphen
    assert regex.search("ssc, gi") is not None  # a comma is no word separator
    assert regex.search("ssc") is not None


# --- a blank "Y/N" checklist field ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Complications checklist\n- Calcinosis: Y/N\n- Ulcers: Y/N  Y",
        "Calcinosis: Y / N\nPAH: Y / N",
        "Calcinosis: yes/no",
        "Calcinosis (Y/N):\nRaynaud's (Y/N): Y",
        "Calcinosis? Y/N",
        "Calcinosis: Y/N ____",
    ],
)
def test_a_blank_checklist_field_says_nothing(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Complications checklist\n- Calcinosis: Y/N  N\n- Ulcers: Y/N", "negated"),
        ("Calcinosis: Y/N  Y (L thumb)", "affirmed"),
        ("Calcinosis: yes/no  no", "negated"),
        ("Calcinosis: yes/no  yes", "affirmed"),
        ("Calcinosis (Y/N): N", "negated"),
        ("Calcinosis (Y/N): Y", "affirmed"),
        ("Calcinosis: Y/N - R elbow", "affirmed"),
        # a blank field of another line does not reach this one
        ("Ulcers: Y/N\nCalcinosis at the R elbow.", "affirmed"),
    ],
)
def test_an_answered_checklist_field_keeps_its_answer(summary, text, status):
    assert summary(text).calcinosis == status


def test_an_affirmed_field_keeps_its_site(summary):
    s = summary("Checklist\n- Calcinosis: Y/N  Y (both elbows)\n- Myositis: Y/N")
    assert (s.calcinosis, s.regions, s.myositis) == ("affirmed", ("elbow",), None)


# --- "nil" / "none" / "no" before a noun it governs --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("2 Ca++ nodules, nil discharge.", ()),
        ("Calcinosis R thumb, nil ulceration or infection.", ("fingers",)),
        ("Calcinosis L index finger, nil ulceration.", ("fingers",)),
        ("Calcinotic nodules, no discharge.", ()),
        ("Calcinotic nodule L elbow, nil erythema, nil tenderness.", ("elbow",)),
        ("Ca++ nodules R heel, nil pain on walking.", ("ankle_foot",)),
        ("Ca++ nodule L thumb, nil signs of infection.", ("fingers",)),
        ("Calcinosis of R elbow, nil new since last visit.", ("elbow",)),
    ],
)
def test_nil_before_a_noun_does_not_negate_the_deposit_before_it(summary, text, regions):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


@pytest.mark.parametrize(
    "text",
    [
        "Nil discharge or calcinosis.",
        "Nil signs of calcinosis.",
        "Nil discharge, nil calcinosis.",
        "Calcinosis nil",
        "Calcinosis: nil",
        "calcinosis, nil.",
    ],
)
def test_nil_still_negates_what_it_governs_and_a_template_value(summary, text):
    assert summary(text).calcinosis == "negated"
