"""The report's radiograph panel and the methods text on how the films were read."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from calciscope.report.radiographs import image_methods, radiograph_panel

PNG = b"\x89PNG\r\n\x1a\n-not-a-real-picture"


def _images() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "image_id": ["IMG-1", "IMG-2", "P9-XR1"],
            "patient_id": ["P1", "P1", "P9"],
            "modality": ["radiograph"] * 3,
            "body_site": ["hand", "forearm", "hand"],
            "laterality": ["right", None, "left"],
            "image_date": [dt.date(2022, 1, 2), dt.date(2023, 1, 2), None],
            "thumbnail_png": [PNG, None, PNG],
            "reading": [
                "dr_a (clinician, 2022-02-01, blinded): hand right present, <plate>",
                None,
                None,
            ],
            "readers": [("dr_a (clinician)", "rhea (researcher)"), (), ()],
            "readings": [2, 0, 0],
            "blinded_readings": [1, 0, 0],
        }
    )


def test_panel_shows_the_cases_indexed_images_with_their_readings():
    panel = radiograph_panel(_images(), {"P1": "Case 1"})
    assert panel.count("<figure") == 1  # P1's forearm has no thumbnail, P9 is not a case
    assert "data:image/png;base64," in panel and "Case 1" in panel
    assert "&lt;plate&gt;" in panel  # escaped
    assert radiograph_panel(None, {"P1": "Case 1"}) == ""


def test_methods_say_who_read_how_and_the_agreement():
    agreement = {
        "readers": ("dr_a", "rhea"),
        "pairs": 12,
        "results": {
            "presence": {
                "method": "Cohen's kappa",
                "estimate": 0.8,
                "lower": 0.5,
                "upper": 1.0,
                "n": 24,
            }
        },
    }
    text = image_methods(_images(), agreement)
    assert text.startswith("1 image(s) of the cases were read region by region (2 reading(s)")
    assert "dr_a (clinician), rhea (researcher); 1 of them blinded" in text
    assert "Bartoli et al., Rheumatology 2016;55:1610" in text and "Chung et al." in text
    assert "presence Cohen's kappa 0.80 (95% CI 0.50 to 1.00, n=24)" in text
    assert "not computed" in image_methods(_images(), None)
    assert image_methods(_images().assign(readers=[(), (), ()]), None) == ""
