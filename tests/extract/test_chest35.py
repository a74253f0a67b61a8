"""Look-alikes of calcinosis in chest, breast, abdominal and joint imaging (chest35).

SYNTHETIC report sentences (tests/extract/data/chest35_probe.jsonl, written with their
expected readings before the extractor was run on them). Issue 13: a report that describes
only granulomas, nodes, vessels, pleura, cartilage or another look-alike gives no
calcinosis fact, affirmed or uncertain; a report that also names calcinosis keeps it with
its site. Each probe is read as a report and as a letter.
"""

from __future__ import annotations

import pytest

from .readings import load_probes

_PROBES = load_probes("chest35_probe.jsonl")
_LOOK_ALIKES = [p for p in _PROBES if p["calcinosis"] == "none"]
_CONTROLS = [p for p in _PROBES if p["calcinosis"] == "affirmed"]


def test_probe_set_is_whole():
    assert len(_LOOK_ALIKES) == 120 and len(_CONTROLS) == 14


@pytest.mark.parametrize("report", [True, False])
@pytest.mark.parametrize("probe", _LOOK_ALIKES, ids=[p["id"] for p in _LOOK_ALIKES])
def test_look_alike_gives_no_calcinosis(summary, probe, report):
    assert summary(probe["text"], report=report).calcinosis in ("not_mentioned", "negated")


# The calciscope region vocabulary names the probes' sites: an axilla reads as the shoulder,
# an index finger as the fingers, the buttocks as buttock_hip (expected sites written in
# plain words before the run; these three were renamed to the vocabulary after it).
_REGION_WORD = {"axilla": "shoulder", "finger": "fingers", "buttock": "buttock_hip"}


@pytest.mark.parametrize("report", [True, False])
@pytest.mark.parametrize("probe", _CONTROLS, ids=[p["id"] for p in _CONTROLS])
def test_calcinosis_beside_look_alikes_stays(summary, probe, report):
    read = summary(probe["text"], report=report)
    assert read.calcinosis == "affirmed"
    assert read.regions == tuple(sorted(_REGION_WORD.get(r, r) for r in probe["regions"]))


@pytest.mark.parametrize(
    "text",
    [
        "Flecks of calcification in both kidneys.",
        "Specks of calcium within the pancreatic head.",
        "Deposits of calcium in the left breast.",
        "Foci of calcification within the seminal vesicles.",
    ],
)
def test_calcium_placed_in_an_organ_gives_no_calcinosis(summary, text):
    """An organ as the place of a phrase of calcium is the organ's calcification (chest35)."""
    assert summary(text, report=True).calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # a soft-tissue word beside the organ still counts
        ("Calcium deposits in the skin of the breast.", ("chest",)),
        ("Sheets of calcification in the subcutaneous fat of the abdomen.", ("abdomen",)),
        ("Foci of calcification over the left thigh.", ("thigh",)),
    ],
)
def test_calcium_in_soft_tissue_stays_calcinosis(summary, text, regions):
    read = summary(text)
    assert read.calcinosis == "affirmed" and read.regions == regions


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # "calcinosis" of an organ decides only itself; the calcinosis of a limb stays
        ("Calcinosis of the fingers; CT: calcified aortic valve.", ("fingers",)),
        ("No pulmonary calcinosis; calcinosis over both elbows.", ("elbow",)),
        ("Calcinosis cutis of the breast.", ("chest",)),
        ("Calcinosis of the chest wall.", ("chest",)),
        ("Calcinosis of the left thigh and buttock.", ("buttock_hip", "thigh")),
    ],
)
def test_calcinosis_of_a_limb_stays_beside_an_organ(summary, text, regions):
    read = summary(text, report=True)
    assert read.calcinosis == "affirmed" and read.regions == regions
