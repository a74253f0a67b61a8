"""The measurement behind a reading: its ROI and deposits are kept (0009) and drawn in the report."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pydicom")
pytest.importorskip("skimage")

from PIL import Image

from calciscope import api
from calciscope.errors import ValidationError
from calciscope.imaging.mask import (
    MASK_MAX_SIDE,
    decode_mask_text,
    deposit_mask_png,
    mask_text,
    png_size,
)
from calciscope.imaging.measure import Roi
from calciscope.imaging.phantom import make_phantom
from calciscope.interop.images import write_phantom_dicom
from calciscope.interop.images.readings import READING_COLUMNS, readings_from_rows
from calciscope.model import Morphology, Patient
from calciscope.report.radiographs import radiograph_panel
from calciscope.storage import Batch, Registry
from calciscope.storage.images import ImageRepository, stored_roi


def test_a_large_mask_is_reduced_by_whole_blocks_keeping_thin_strands():
    mask = np.zeros((2000, 2500), dtype=bool)
    mask[1000, 100:900] = True  # a one-pixel strand
    png = deposit_mask_png(mask)
    assert png_size(png) == (500, 400)  # 2,500 / 5 on the long side <= 512
    picture = Image.open(io.BytesIO(png))
    values = np.asarray(picture)
    assert picture.mode == "P" and picture.info["transparency"] == 0
    assert values[200, 20:180].all() and values.sum() == 160  # the strand survives, 1 block high
    assert picture.getpalette()[3:6] == [255, 40, 40]
    assert len(png) < 2_000
    small = np.ones((30, 40), dtype=bool)
    assert png_size(deposit_mask_png(small)) == (40, 30)  # small ROIs keep their size


def test_mask_text_is_checked_against_its_roi():
    png = deposit_mask_png(np.zeros((2000, 2500), dtype=bool))
    assert decode_mask_text(mask_text(png), (2500, 2000)) == png
    with pytest.raises(ValueError, match="reduced by 5"):
        decode_mask_text(mask_text(png), (2400, 2000))
    with pytest.raises(ValueError, match="not base64"):
        decode_mask_text("***", (10, 10))
    with pytest.raises(ValueError, match="not a PNG"):
        decode_mask_text(base64.b64encode(b"GIF89a" + bytes(30)).decode(), (10, 10))
    assert MASK_MAX_SIDE == 512


def _row(**extra: str) -> dict[str, str]:
    row = {
        "image_id": "IMG-1",
        "reader": "dr_a",
        "reader_role": "clinician",
        "reading_date": "2024-01-02",
        "blinded": "yes",
        "body_site": "hand",
        "laterality": "right",
        "presence": "present",
        "florence": "plate",
    }
    return row | extra


def test_readings_csv_takes_a_roi_and_its_mask_and_names_bad_ones():
    png = mask_text(deposit_mask_png(np.ones((20, 30), dtype=bool)))
    readings, problems = readings_from_rows([_row(roi="10,20,40,40", deposit_mask=png)], "r.csv")
    assert problems == []
    (region,) = readings[0].regions
    assert region.roi == Roi(10, 20, 40, 40) and png_size(region.deposit_mask_png) == (30, 20)
    bad = [
        _row(roi="10,20,5,40"),
        _row(deposit_mask=png),
        _row(roi="0,0,31,20", deposit_mask=png),
    ]
    _, problems = readings_from_rows(bad, "r.csv")
    found = [(p.location, p.field) for p in problems]
    assert found == [("row 2", "roi"), ("row 3", "deposit_mask"), ("row 4", "deposit_mask")]
    assert "needs the roi" in problems[1].message and "31 x 20 ROI" in problems[2].message


@pytest.fixture
def film(tmp_path):
    """A SYNTHETIC sheet-like phantom film, indexed in a fresh registry."""
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.import_batch(
        Batch(patients=[Patient(patient_id="P1", synthetic=True)]), source="t", source_hash="x"
    )
    folder = tmp_path / "films"
    folder.mkdir()
    phantom = make_phantom(Morphology.SHEET_LIKE, pixel_spacing_mm=0.15, seed=3)
    path = write_phantom_dicom(phantom, folder / "film.dcm", study_date=dt.date(2024, 1, 2))
    mapping = tmp_path / "ids.csv"
    mapping.write_text(f"dicom_patient_id,patient_id\nSYNTHETIC-{phantom.seed},P1\n")
    api.import_images(registry, folder, mapping=mapping, workers=1)
    (image,) = registry.images_for("P1")
    yield registry, image, phantom, path
    registry.close()


def _csv(tmp_path, rows: list[dict[str, str]]):
    path = tmp_path / "readings.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(READING_COLUMNS))
        writer.writeheader()
        writer.writerows({k: row.get(k, "") for k in READING_COLUMNS} for row in rows)
    return path


def test_a_measured_reading_keeps_its_roi_and_deposits_and_the_report_draws_them(film, tmp_path):
    registry, image, phantom, path = film
    roi = Roi(*phantom.roi)
    result = api.measure_image(path, roi)
    reply = result.to_dict() | {"deposit_mask": result.deposit_mask_text()}
    json.dumps(reply)  # what `images measure --json` prints
    rows = [
        _row(
            image_id=image.image_id,
            reader_role="other",
            roi=str(roi),
            deposit_mask=reply["deposit_mask"],
        ),
        _row(image_id=image.image_id, reader_role="other", body_site="wrist", roi=str(roi)),
    ]
    api.import_readings(registry, _csv(tmp_path, rows))
    (reading,) = ImageRepository(registry).readings_of(image.image_id)
    stored = {r["body_site"]: r for r in reading.regions}
    assert stored_roi(stored["hand"]) == roi and stored_roi(stored["wrist"]) == roi
    assert bytes(stored["hand"]["deposit_mask_png"]) == result.deposit_mask_png()
    assert stored["wrist"]["deposit_mask_png"] is None

    from calciscope.api._study_images import _with_readings

    listed = pd.DataFrame(
        [
            {
                "image_id": image.image_id,
                "patient_id": "P1",
                "modality": "radiograph",
                "body_site": "hand",
                "laterality": None,
                "image_date": dt.date(2024, 1, 2),
            }
        ]
    )
    images = _with_readings(registry, listed)
    panel = radiograph_panel(images, {"P1": "Case 1"})
    rows_, cols = phantom.pixels.shape
    assert f'viewBox="0 0 {cols} {rows_}"' in panel
    assert panel.count("<rect ") == 2 and panel.count("<image ") == 2  # thumbnail + one mask
    assert f"dr_a, hand right: ROI {roi} (deposits in red)" in panel
    assert "(no deposit outline kept)" in panel and "SUGGESTION, not a diagnosis" in panel


def test_a_roi_outside_the_film_is_refused(film, tmp_path):
    registry, image, phantom, _ = film
    rows, cols = phantom.pixels.shape
    path = _csv(tmp_path, [_row(image_id=image.image_id, roi=f"0,0,{cols + 1},{rows}")])
    with pytest.raises(ValidationError) as caught:
        api.import_readings(registry, path)
    (problem,) = caught.value.problems
    assert problem.field == "roi" and "reaches outside" in problem.message
    assert ImageRepository(registry).readings_of(image.image_id) == []


def test_a_reading_without_a_measured_region_shows_the_thumbnail_and_says_so():
    row = {
        "image_id": "IMG-1",
        "patient_id": "P1",
        "modality": "radiograph",
        "body_site": "hand",
        "laterality": "right",
        "image_date": None,
        "thumbnail_png": b"\x89PNG\r\n\x1a\nxx",
        "reading": "dr_a (clinician): hand right present",
        "image_size": (100, 80),
        "overlays": (),
    }
    panel = radiograph_panel(pd.DataFrame([row]), {"P1": "Case 1"})
    assert "<svg" not in panel and "<img " in panel
    assert "No measured region stored with the readings: no overlay." in panel


def test_an_sctc_grade_on_a_film_that_is_not_of_the_hand_is_refused(film):
    import sqlalchemy as sa

    from calciscope.storage import schema

    registry, image, _, _ = film
    region = {"body_site": "thigh", "laterality": "left", "presence": "present"}
    with registry.engine.begin() as conn:
        conn.execute(
            sa.update(schema.images)
            .where(schema.images.c.image_id == image.image_id)
            .values(body_site="thigh")
        )
    head = {"reader": "dr_a", "reader_role": "clinician", "reading_date": "2024-01-02"}
    with pytest.raises(ValidationError) as caught:
        api.record_reading(
            registry,
            image.image_id,
            blinded="yes",
            regions=[region],
            sctc_global_grade="mild",
            **head,
        )
    (problem,) = caught.value.problems
    assert problem.field == "sctc_global_grade" and "this film shows the thigh" in problem.message
    done = api.record_reading(registry, image.image_id, blinded="yes", regions=[region], **head)
    assert done.confirmed_facts == 1  # without the grade the reading is recorded
