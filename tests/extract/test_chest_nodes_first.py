"""The chest's nodes named before the calcium they hold are its place (stop 34).

SYNTHETIC sentences. Issue 13: a chest report that describes only granulomas, nodes or
vessels gives no calcinosis fact. The preposition form ("deposits of calcium in the hilar
nodes") was decided already; the nodes named first ("mediastinal lymph nodes containing
deposits of calcium") gave affirmed calcinosis at the chest.
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "text",
    [
        "CT CHEST: mediastinal lymph nodes containing deposits of calcium, in keeping with old "
        "granulomatous disease.",
        "CT chest: hilar nodes with flecks of calcium.",
        "CT thorax: subcarinal and paratracheal nodes showing foci of calcification.",
        "Chest radiograph: hilar lymph nodes harbouring deposits of calcium, unchanged.",
    ],
)
def test_nodes_holding_calcium_give_no_calcinosis(summary, text):
    assert summary(text, report=True).calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # calcinosis named beside the nodes keeps its own site
        (
            "Calcinosis cutis of both elbows; CT chest: mediastinal nodes containing deposits "
            "of calcium.",
            ("elbow",),
        ),
        # nodes named in another sentence decide nothing
        ("Axillary lymph nodes normal. Deposits of calcium over both elbows.", ("elbow",)),
        ("Calcium deposits in the subcutaneous tissue of the thighs.", ("thigh",)),
    ],
)
def test_calcinosis_beside_nodes_stays(summary, text, regions):
    read = summary(text)
    assert read.calcinosis == "affirmed"
    assert read.regions == regions


@pytest.mark.parametrize(
    "text",
    [
        "CT chest: calcium deposits in the costal cartilages. Calcified pleural plaques bilaterally.",
        "Knee X-ray: calcium deposits within both menisci.",
        "Deposits of calcium in the left 1st costal cartilage.",
    ],
)
def test_calcium_placed_in_cartilage_gives_no_calcinosis(summary, text):
    """Rib cartilage calcifies with age and meniscal calcium is chondrocalcinosis (stop 34)."""
    assert summary(text, report=True).calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcium deposits around the knee joint and over the elbows.", ("elbow", "knee")),
        ("Hard calcium deposits along the lateral thigh.", ("thigh",)),
    ],
)
def test_calcium_beside_a_joint_stays_calcinosis(summary, text, regions):
    read = summary(text)
    assert read.calcinosis == "affirmed" and read.regions == regions
