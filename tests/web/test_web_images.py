"""Images in the review workspace: thumbnails, viewer pixels, measuring, the reading form.

The registry holds one SYNTHETIC phantom radiograph (a sheet-like plaque) of patient P0001,
written as DICOM and indexed like any film.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pydicom", reason="the imaging extra is not installed")

from web_client import ROLE_USER, client_for, running, sign_in

from calciscope import api
from calciscope.imaging import make_phantom
from calciscope.interop.images import write_phantom_dicom
from calciscope.model import Morphology
from calciscope.web import WebSettings, create_app

PATIENT = "P0001"


def write_film(folder: Path, *, seed: int = 3, patient: str = PATIENT) -> Path:
    """Write one SYNTHETIC sheet-like phantom film and its ids.csv into ``folder``."""
    phantom = make_phantom(Morphology.SHEET_LIKE, pixel_spacing_mm=0.15, seed=seed)
    write_phantom_dicom(phantom, folder / f"hand-{seed}.dcm", study_date=dt.date(2022, 5, 2))
    mapping = folder.parent / f"ids-{folder.name}.csv"
    mapping.write_text(f"dicom_patient_id,patient_id\nSYNTHETIC-{seed},{patient}\n")
    return mapping


@pytest.fixture
def image_app(web_settings: WebSettings, tmp_path: Path) -> Iterator[Any]:
    films = tmp_path / "films"
    films.mkdir()
    mapping = write_film(films)
    registry = api.open_registry(web_settings.db_url)
    try:
        api.import_images(registry, films, mapping=mapping, workers=1)
    finally:
        registry.close()
    with running(create_app(dataclasses.replace(web_settings, image_roots=(films,)))) as app:
        yield app


def _image_id(app: Any) -> str:
    record = api.patient_record(app.state.registry, PATIENT)
    return next(i.image_id for i in record.images if i.image_id.startswith("IMG-"))


def _client(app: Any, role: str) -> Any:
    return sign_in(client_for(app), ROLE_USER[role])


def test_patient_page_lists_images_with_thumbnails(image_app):
    client = _client(image_app, "clinician")
    image_id = _image_id(image_app)
    page = client.get(f"/patients/{PATIENT}")
    assert f'href="/images/{image_id}"' in page.text
    assert f'src="/images/{image_id}/thumbnail.png"' in page.text
    png = client.get(f"/images/{image_id}/thumbnail.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")


def test_viewer_pixels_keep_the_grey_levels(image_app):
    client = _client(image_app, "researcher")
    image_id = _image_id(image_app)
    response = client.get(f"/api/images/{image_id}/pixels")
    assert response.status_code == 200
    h = response.headers
    width, height, scale = int(h["x-width"]), int(h["x-height"]), int(h["x-scale"])
    assert scale == 1 and len(response.content) == 2 * width * height
    stored = np.frombuffer(response.content, dtype="<u2").reshape(height, width)
    low, high = float(h["x-value-low"]), float(h["x-value-high"])
    values = low + stored * (high - low) / 65535
    film = api.load_indexed_image(
        image_app.state.registry, image_id, image_app.state.settings.image_roots
    )
    assert values.shape == film.pixels.shape
    # 16 bits over the film's range: far finer than the 256 grey levels of a PNG
    assert np.abs(values - film.pixels).max() <= (high - low) / 65535
    assert len(np.unique(stored)) > 256
    assert low < float(h["x-window-center"]) < high and float(h["x-window-width"]) > 0


def _film_size(app: Any, image_id: str) -> tuple[int, int]:
    film = api.load_indexed_image(app.state.registry, image_id, app.state.settings.image_roots)
    rows, cols = film.pixels.shape
    return rows, cols


def test_measure_an_roi_suggests_the_pattern(image_app):
    client = _client(image_app, "clinician")
    image_id = _image_id(image_app)
    rows, cols = _film_size(image_app, image_id)
    band = round(4.0 / 0.15)
    response = client.post(
        f"/api/images/{image_id}/measure", json={"x0": 0, "y0": band, "x1": cols, "y1": rows}
    )
    assert response.status_code == 200, response.text
    measurement = response.json()["measurement"]
    assert measurement["unit"] == "mm²"
    assert measurement["suggested_pattern"] == "sheet_like"
    assert measurement["suggestion_only"] is True
    outside = client.post(
        f"/api/images/{image_id}/measure", json={"x0": 0, "y0": 0, "x1": cols + 50, "y1": 10}
    )
    assert outside.status_code == 422 and outside.json()["problems"][0]["field"] == "roi"


def test_a_measured_region_is_kept_with_the_reading_form_row(image_app):
    client = _client(image_app, "clinician")
    image_id = _image_id(image_app)
    rows, cols = _film_size(image_app, image_id)
    reply = client.post(
        f"/api/images/{image_id}/measure", json={"x0": 0, "y0": 30, "x1": cols, "y1": rows}
    ).json()
    assert reply["roi"] == f"0,30,{cols},{rows}" and reply["deposit_mask"]
    page = client.get(f"/images/{image_id}")
    assert 'name="roi.hand.right"' in page.text and 'data-own-region="hand.' in page.text
    hand = {
        "presence": "present",
        "florence": "plate",
        "roi": reply["roi"],
        "deposit_mask": reply["deposit_mask"],
    }
    saved = client.post(
        f"/images/{image_id}/readings", data=_form(image_id, client, hand__right=hand)
    )
    assert saved.status_code == 303, saved.text
    shown = client.get(saved.headers["location"])
    assert f"measured region 0,30,{cols},{rows} (deposits kept)" in shown.text
    (reading,) = api.image_readings(image_app.state.registry, image_id)
    assert reading.regions[0]["roi_y0"] == 30 and reading.regions[0]["deposit_mask_png"]
    outside = {"roi": f"0,30,{cols},{rows + 5}", "deposit_mask": ""}
    bad = _form(image_id, client, hand__right=hand | outside)
    refused = client.post(f"/images/{image_id}/readings", data=bad)
    assert refused.status_code == 422 and "reaches outside" in refused.text


def _form(image_id: str, client: Any, **regions: dict[str, str]) -> dict[str, str]:
    data = {
        "csrf_token": client.headers["X-CSRF-Token"],
        "reading_date": "2024-06-01",
        "blinded": "yes",
        "sctc_global_grade": "moderate",
    }
    for key, fields in regions.items():
        site, side = key.split("__")
        data |= {f"{name}.{site}.{side}": value for name, value in fields.items()}
    return data


def test_a_researchers_reading_waits_in_the_queue(image_app):
    image_id = _image_id(image_app)
    reader = _client(image_app, "researcher")
    page = reader.get(f"/images/{image_id}")
    assert page.status_code == 200
    # one row per catalogue region and side; the film's own region (hand) first
    assert page.text.count("<tr data-region=") == 29
    assert page.text.index('data-region="hand.right"') < page.text.index(
        'data-region="fingers.right"'
    )
    assert "suggestions" in page.text
    form = _form(
        image_id,
        reader,
        hand__right={"presence": "present", "florence": "plate", "area_mm2": "41.5"},
        wrist__right={"presence": "absent"},
        fingers__left={"presence": "unknown"},
    )
    saved = reader.post(f"/images/{image_id}/readings", data=form)
    assert saved.status_code == 303, saved.text
    assert "2-suggested" in saved.headers["location"]
    shown = reader.get(saved.headers["location"])
    assert "Reading saved: 2 fact(s), suggested" in shown.text
    assert "Florence plate · sheet_like · 41.5 mm²" in shown.text

    facts = [
        f
        for f in api.patient_record(image_app.state.registry, PATIENT).facts
        if f.source_kind.value == "image"
    ]
    assert {(f.body_site.value, f.status.value, f.review_state.value) for f in facts} == {
        ("hand", "present", "suggested"),
        ("wrist", "absent", "suggested"),
    }
    sheet = next(f for f in facts if f.status.value == "present")
    assert sheet.morphology is Morphology.SHEET_LIKE and sheet.value_num == 41.5
    assert (
        f"image:{image_id}" in sheet.provenance and "reader:rhea (researcher)" in sheet.provenance
    )

    audit = api.audit_log(image_app.state.registry, action="image_reading")
    assert [(a.actor, a.after["image_id"]) for a in audit] == [("rhea", image_id)]

    clinician = _client(image_app, "clinician")
    queue = clinician.get(f"/api/review?patient={PATIENT}").json()
    item = next(i for i in queue["items"] if i["fact_id"] == sheet.fact_id)
    assert item["reason"].endswith(f"(present) suggested from a reading of image {image_id}")
    detail = clinician.get(f"/review/items/{item['item_id']}")
    assert f"/images/{image_id}/thumbnail.png" in detail.text


def test_a_clinicians_reading_is_confirmed_and_same_as_the_csv_import(image_app, tmp_path):
    image_id = _image_id(image_app)
    client = _client(image_app, "clinician")
    response = client.post(
        f"/api/images/{image_id}/readings",
        json={
            "reading_date": "2024-06-02",
            "blinded": "no",
            "regions": [
                {
                    "body_site": "hand",
                    "laterality": "right",
                    "presence": "present",
                    "florence": "net",
                }
            ],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["recorded"] == {
        "readings": 1,
        "regions": 1,
        "confirmed_facts": 1,
        "suggested_facts": 0,
    }
    web_fact = next(
        f
        for f in api.patient_record(image_app.state.registry, PATIENT).facts
        if f.source_kind.value == "image"
    )
    assert (
        web_fact.review_state.value == "confirmed" and web_fact.morphology is Morphology.RETICULAR
    )
    # the same reading as a CSV gives the same fact (one mechanism)
    csv = tmp_path / "readings.csv"
    csv.write_text(
        "image_id,reader,reader_role,reading_date,blinded,body_site,laterality,presence,florence\n"
        f"{image_id},cleo,clinician,2024-06-02,no,hand,right,present,net\n"
    )
    api.import_readings(image_app.state.registry, csv, actor="cleo")
    again = [
        f
        for f in api.patient_record(image_app.state.registry, PATIENT).facts
        if f.source_kind.value == "image"
    ]
    assert [f.fact_id for f in again] == [web_fact.fact_id]


def test_a_bad_reading_saves_nothing_and_names_the_field(image_app):
    image_id = _image_id(image_app)
    client = _client(image_app, "researcher")
    empty = client.post(f"/images/{image_id}/readings", data=_form(image_id, client))
    assert empty.status_code == 422 and "no region read as present or absent" in empty.text
    clash = client.post(
        f"/images/{image_id}/readings",
        data=_form(
            image_id,
            client,
            hand__right={"presence": "present", "florence": "stone", "morphology": "sheet_like"},
            elbow__left={"presence": "absent", "area_mm2": "-3"},
        ),
    )
    assert clash.status_code == 422
    assert "Florence stone maps to nodular, not sheet_like" in clash.text
    assert "area_mm2" in clash.text
    # what was entered stays in the form
    assert "<option selected>stone</option>" in clash.text
    assert api.image_readings(image_app.state.registry, image_id) == []
    assert not [
        f
        for f in api.patient_record(image_app.state.registry, PATIENT).facts
        if f.source_kind.value == "image"
    ]


def test_an_image_outside_the_roots_is_not_opened(web_settings, tmp_path):
    films = tmp_path / "elsewhere"
    films.mkdir()
    mapping = write_film(films)
    registry = api.open_registry(web_settings.db_url)
    try:
        api.import_images(registry, films, mapping=mapping, workers=1)
    finally:
        registry.close()
    with running(
        create_app(dataclasses.replace(web_settings, image_roots=(tmp_path / "other",)))
    ) as application:
        client = _client(application, "clinician")
        image_id = _image_id(application)
        response = client.get(f"/api/images/{image_id}/pixels")
        assert response.status_code == 422
        assert "outside the configured image roots" in response.json()["problems"][0]["message"]
        assert client.get(f"/images/{image_id}").status_code == 200  # the page and the thumbnail
        assert client.get(f"/images/{image_id}/thumbnail.png").status_code == 200


def test_a_colour_photograph_is_sent_in_colour(web_settings, tmp_path):
    from PIL import Image

    photos = tmp_path / "photos"
    photos.mkdir()
    pixels = np.zeros((60, 80, 3), dtype=np.uint8)
    pixels[...] = (200, 90, 70)  # reddish skin
    pixels[20:40, 30:50] = (245, 245, 240)  # a chalky deposit
    Image.fromarray(pixels).save(photos / "lesion.png")
    (photos / "sidecar.csv").write_text(
        "file,patient_id,date,body_site,laterality,modality\n"
        f"lesion.png,{PATIENT},2022-05-02,fingers,right,photograph\n"
    )
    registry = api.open_registry(web_settings.db_url)
    try:
        api.import_images(registry, photos, workers=1)
    finally:
        registry.close()
    with running(
        create_app(dataclasses.replace(web_settings, image_roots=(photos,)))
    ) as application:
        client = _client(application, "clinician")
        response = client.get(f"/api/images/{_image_id(application)}/pixels")
        h = response.headers
        assert response.status_code == 200 and h["x-channels"] == "3"
        width, height = int(h["x-width"]), int(h["x-height"])
        stored = np.frombuffer(response.content, dtype="<u2").reshape(height, width, 3)
        red, green, blue = (int(v) for v in stored[5, 5])
        assert red > green > blue  # the skin's colour, not one grey level
        page = client.get(f"/images/{_image_id(application)}")
        assert page.status_code == 200


def test_another_processs_reading_is_seen_by_a_worker_at_its_next_request(image_app, tmp_path):
    """`images read-import` names no patient: the registry's generation in the change mark does."""
    settings = dataclasses.replace(image_app.state.settings, watch_seconds=0.0)
    with running(
        create_app(settings)
    ) as worker:  # another worker of `serve --workers 2`, keeping its results
        client = _client(worker, "clinician")
        image_id = _image_id(image_app)
        page = f"/api/patients/{PATIENT}"
        before = client.get(page).json()
        panel = client.get(f"{page}/criteria").json()
        registry = image_app.state.registry
        mark = api.registry_changes(registry).mark
        csv = tmp_path / "readings.csv"
        csv.write_text(
            "image_id,reader,reader_role,reading_date,blinded,body_site,laterality,presence,"
            "florence\n"
            f"{image_id},cleo,clinician,2024-06-02,no,hand,right,present,net\n"
        )
        api.import_readings(registry, csv, actor="cleo")  # as the CLI does, in another process
        changes = api.registry_changes(registry, mark)
        assert changes.written and changes.unnamed and not changes.decisions
        after = client.get(page).json()
        assert after != before
        assert len(after["facts"]) == len(before["facts"]) + 1
        fresh = _client(image_app, "clinician")  # computes the panel now
        now = client.get(f"{page}/criteria").json()
        assert now == fresh.get(f"{page}/criteria").json()
        assert now != panel


def test_the_image_page_says_saved_only_after_the_forms_own_redirect(image_app):
    """A link with any other ``saved`` would have the page say a reading was saved."""
    client, image_id = _client(image_app, "clinician"), _image_id(image_app)
    forged = client.get(f"/images/{image_id}", params={"saved": "5-confirmed by the PI"})
    assert forged.status_code == 422 and "saved" in forged.text
    assert "Reading saved" not in forged.text
