"""Regression tests for the notesacc7 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes; none is taken from an evaluation set.
"""

import pytest


def calcinosis_sites(extractor, text, report=False):
    """Return ``(region, laterality)`` of every site of the calcinosis findings."""
    return sorted(
        (entry["region"], entry["laterality"])
        for m in extractor.extract(text, report=report)
        if m.links.get("counts_as") == "calcinosis"
        for entry in m.links.get("regions", [])
    )


# --- a calcification whose only site is a body cavity is not calcinosis -------------------------


@pytest.mark.parametrize(
    "text",
    [
        "CT CHEST: a few scattered calcifications, stable since last year.",
        "Chest radiograph: small calcific densities in the thorax.",
        "Mammogram: benign-appearing breast calcifications.",
        "Pelvic X-ray: several calcifications, probably of no significance.",
        "CT abdomen: punctate calcification in the abdomen.",
    ],
)
def test_a_calcification_in_a_body_cavity_is_not_calcinosis(text, summary):
    assert summary(text, report=True).calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcification over the anterior chest wall.", ("chest",)),
        ("CT THORAX: calcification in the subcutaneous fat of the chest wall.", ("chest",)),
        ("Calcinosis of the chest.", ("chest",)),
        ("Dense calcification of the abdominal wall and both flanks.", ("abdomen",)),
        ("Calcification in both buttocks.", ("buttock_hip",)),
        ("Pelvic film: subcutaneous calcification lateral to both hips.", ("buttock_hip",)),
        ("Calcinosis universalis with calcified plates encasing the chest.", ("chest",)),
    ],
)
def test_a_surface_site_or_tissue_keeps_the_calcification_calcinosis(text, regions, summary):
    s = summary(text, report=True)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


# --- the examination title lends its side -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sites"),
    [
        (
            "XR KNEE 2 VIEWS, RIGHT\nFINDINGS: Soft tissue calcinosis anterior to the patella.",
            [("knee", "right")],
        ),
        (
            "EXAM: XR HAND 3 VIEWS, LEFT\nFINDINGS: Calcinosis in the pulp of the thumb.",
            [("fingers", "left")],
        ),
        ("XR WRIST, LEFT: Amorphous soft tissue calcinosis.", [("wrist", "left")]),
        ("XR BOTH HANDS\nFINDINGS: Calcinosis at the index finger.", [("fingers", None)]),
        (
            "XR LEFT ELBOW\nFINDINGS: Calcinosis posterior to the right olecranon.",
            [("elbow", "right")],
        ),
    ],
)
def test_a_one_sided_examination_gives_its_side(extractor, text, sites):
    assert calcinosis_sites(extractor, text, report=True) == sites


def test_a_letter_takes_no_side_from_its_first_line(extractor):
    text = "XR KNEE 2 VIEWS, RIGHT\nFINDINGS: Soft tissue calcinosis anterior to the patella."
    assert calcinosis_sites(extractor, text) == [("knee", None)]


# --- the clause before a semicolon names the sites --------------------------------------------


@pytest.mark.parametrize(
    ("text", "sites"),
    [
        (
            "Firm swellings over both shins; plain films show subcutaneous calcinosis.",
            [("lower_leg", "bilateral")],
        ),
        ("Hard lumps on the right heel; X-ray confirms calcinosis.", [("ankle_foot", "right")]),
        ("A tender mass at the left kneecap; it is calcinosis on film.", [("knee", "left")]),
    ],
)
def test_a_clause_before_a_semicolon_lends_its_sites(extractor, text, sites):
    assert calcinosis_sites(extractor, text) == sites


@pytest.mark.parametrize(
    ("text", "sites"),
    [
        ("Skin thickening of both hands; X-ray shows calcinosis.", []),
        ("Puffy fingers; calcinosis on the radiograph.", []),
        ("Calcified nodes at the right hilum; calcinosis is known.", []),
        ("Pain in both hands; calcinosis at the left elbow.", [("elbow", "left")]),
        ("Swollen knees. Films show calcinosis.", []),
        ("Aching in both hands; no calcinosis on the films.", []),
        (
            "Leg cramps; sheets of calcification in the fat of the back, i.e. calcinosis.",
            [("back", None)],
        ),
    ],
)
def test_a_clause_lends_no_site_that_is_not_the_findings(extractor, text, sites):
    assert calcinosis_sites(extractor, text) == sites


# --- a subset written in a problem list's order ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("Problems: 1. SSc, limited cutaneous 2. Raynaud's", "lcssc"),
        ("Systemic sclerosis, diffuse cutaneous, diagnosed 2019.", "dcssc"),
        ("Scleroderma, limited; calcinosis of the thumbs.", "lcssc"),
    ],
)
def test_a_subset_after_a_comma_is_read(text, subset, summary):
    assert summary(text).subset == subset
