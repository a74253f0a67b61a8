"""Regression tests for the notesacc9 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes; none is taken from an evaluation set.
"""

import pytest

# --- a sentence two on that refers back lends its morphology ------------------------------------


@pytest.mark.parametrize(
    ("text", "morphology", "regions"),
    [
        (
            "There is calcinosis over the right shin. She was seen by the vascular team in May. "
            "It is a firm, nodular swelling.",
            ("nodular",),
            ("lower_leg",),
        ),
        (
            "She has calcinosis of both hips. The skin has broken down twice this year. "
            "These are flat sheets under the skin.",
            ("sheet_like",),
            ("buttock_hip",),
        ),
        (
            "Calcinosis affects the left wrist. Methotrexate was stopped in 2021. "
            "The deposits are hard and nodular.",
            ("nodular",),
            ("wrist",),
        ),
        (
            "He has calcinosis. Blood tests were normal last month. "
            "They are small nodules over both knees.",
            ("nodular",),
            ("knee",),
        ),
    ],
)
def test_a_sentence_two_on_that_refers_back_lends_its_morphology(
    text, morphology, regions, summary
):
    s = summary(text)
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", morphology, regions)


@pytest.mark.parametrize(
    "text",
    [
        # the third sentence does not refer back: its nodule is another matter
        "There is calcinosis over the right shin. She was seen by the vascular team in May. "
        "A thyroid nodule was found on ultrasound.",
        # three sentences on is too far
        "There is calcinosis over the right shin. She was seen in May. Her BP was normal. "
        "It is a firm nodule.",
        # a new section starts in between
        "Examination: calcinosis over the right shin.\nPlan: review in May. It is a firm nodule.",
        # what refers back is negated
        "There is calcinosis over the right shin. She was seen in May. It is not nodular.",
    ],
)
def test_no_morphology_from_further_or_unrelated_sentences(text, summary):
    s = summary(text)
    assert (s.calcinosis, s.morphology) == ("affirmed", ())


def test_the_next_sentence_still_lends_without_referring_back(summary):
    text = "Calcinosis over the left knee. Hard nodules on palpation."
    assert summary(text).morphology == ("nodular",)


# --- negative polarity, set-aside alternatives and population statements -----------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("He denies any new calcinosis since the last visit.", "negated"),
        ("Seen today without any further calcinosis on the hands.", "negated"),
        ("The hard swelling is a gouty tophus rather than calcinosis.", "negated"),
        ("Hard swelling of the elbow, an olecranon bursitis instead of calcinosis.", "negated"),
        ("If any new calcinosis appears she will ring us.", "not_mentioned"),
        (
            "Calcinosis is seen in about a quarter of patients with limited scleroderma.",
            "not_mentioned",
        ),
        (
            "We explained that calcinosis occurs in many people with dermatomyositis.",
            "not_mentioned",
        ),
        (
            "Calcinosis, which affects up to 20% of patients with SSc, was found on her elbow.",
            "affirmed",
        ),
    ],
)
def test_negation_and_population_triggers(text, status, summary):
    assert summary(text).calcinosis == status


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis under the right second metatarsal head.", ("ankle_foot",)),
        ("Chalky calcinosis on the sole of the left foot.", ("ankle_foot",)),
        ("Calcinosis at the hallux, discharging.", ("ankle_foot",)),
    ],
)
def test_foot_sites(text, regions, summary):
    assert summary(text).regions == regions


# --- a calcification explained by a copula as a vessel's ----------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        (
            "The faint calcific densities in the soft tissue of the right calf are vascular calcification.",
            "not_mentioned",
        ),
        (
            "Linear calcification in the soft tissues of the left wrist is arterial wall "
            "calcification, not calcinosis.",
            "negated",
        ),
        (
            "Soft tissue calcification at the right elbow; there are vascular calcifications too.",
            "affirmed",
        ),
        (
            "Soft tissue calcification at the right elbow and there are vascular calcifications.",
            "affirmed",
        ),
        (
            "Calcification in the soft tissues of the thumb, and arterial calcification in the palm.",
            "affirmed",
        ),
    ],
)
def test_a_calcification_said_to_be_a_vessels_counts_toward_nothing(text, status, summary):
    assert summary(text, report=True).calcinosis == status


def test_a_chest_report_counts_only_calcinosis_facts_the_annotation_lacks():
    from calciscope.extract.evaluation import DocumentSummary, score_documents

    def doc(status):
        return {
            "id": status,
            "source": "chest CT",
            "calcinosis": status,
            "morphology": [],
            "regions": ["chest"],
        }

    def pred(status):
        return DocumentSummary(status, (), ("chest",) if status == "affirmed" else (), None, None)

    gold = [doc("affirmed"), doc("not_mentioned"), doc("negated")]
    s = score_documents(gold, [pred("affirmed"), pred("affirmed"), pred("negated")])
    assert s.chest_calcinosis_facts == 1


# --- a bare calcification that refers back to the previous calcinosis's sites -------------------


@pytest.mark.parametrize(
    ("text", "status", "morphology", "regions"),
    [
        (
            "Calcinosis at the left elbow and right ankle. X-rays of both sites show dense "
            "nodular calcific deposits.",
            "affirmed",
            ("nodular",),
            ("ankle_foot", "elbow"),
        ),
        (
            "She has calcinosis of the right hip. Ultrasound of the same area shows sheets of "
            "calcific deposits.",
            "affirmed",
            ("sheet_like",),
            ("buttock_hip",),
        ),
        # no site-referring phrase: the bare deposit counts toward nothing
        (
            "Calcinosis at the left elbow. X-rays show dense nodular calcific deposits.",
            "affirmed",
            (),
            ("elbow",),
        ),
        # the previous calcinosis is negated: nothing to refer back to
        (
            "No calcinosis at the knees. X-rays of both sites show calcific deposits.",
            "negated",
            (),
            (),
        ),
        # a tissue of its own decides what the calcification is
        (
            "Calcinosis at the left elbow. X-rays of these sites show calcific deposits in the "
            "vessels.",
            "affirmed",
            (),
            ("elbow",),
        ),
    ],
)
def test_a_bare_calcification_takes_the_sites_it_refers_back_to(
    text, status, morphology, regions, summary
):
    s = summary(text)
    assert (s.calcinosis, s.morphology, s.regions) == (status, morphology, regions)
