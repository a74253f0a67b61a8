"""The image viewer and reading form in Debian's Chromium (marker ``browser``).

A researcher opens a SYNTHETIC phantom film, changes window and level, zooms, pans, measures a
region and records a reading; a clinician then finds the reading's suggested fact in the review
queue, with the film's thumbnail, and confirms it. Screenshots go to docs/img/ (docs/imaging.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import CHROMIUM, DOCS_IMG, _free_port
from test_web_images import write_film
from web_client import PASSWORDS

from calciscope import api
from calciscope.web import WebSettings, create_app

pytestmark = pytest.mark.browser
pytest.importorskip("pydicom", reason="the imaging extra is not installed")

PATIENT = "P0001"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, str]]:
    """Uvicorn on loopback serving a 30-patient SYNTHETIC registry with one indexed film."""
    uvicorn = pytest.importorskip("uvicorn")
    folder = tmp_path_factory.mktemp("browser-images")
    api.generate_demo_data(folder / "cohort", patients=30, seed=2, notes=False)
    films = folder / "films"
    films.mkdir()
    mapping = write_film(films, patient=PATIENT)
    path = folder / "registry.db"
    registry = api.open_registry(f"sqlite:///{path}")
    try:
        api.import_directory(registry, folder / "cohort")
        api.import_images(registry, films, mapping=mapping, workers=1)
        for name in ("cleo", "rhea"):
            api.add_user(registry, name, PASSWORDS[name][0], PASSWORDS[name][1])
        image_id = next(
            i.image_id
            for i in api.patient_record(registry, PATIENT).images
            if i.image_id.startswith("IMG-")
        )
    finally:
        registry.close()
    settings = WebSettings(
        db_url=f"sqlite:///{path}", secret_key="browser-" + "k" * 40,
        runs_dir=folder / "runs", secure_cookies=False, image_roots=(films,),
    )  # fmt: skip
    app = create_app(settings)
    port = _free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app, image_id
    instance.should_exit = True
    thread.join(timeout=90)  # the app's shutdown waits for its warm-up thread
    app.state.registry.close()


@pytest.fixture(scope="module")
def page(server) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1360, "height": 1000})
        yield context.new_page()
        browser.close()


def _sign_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name][1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _pixel(page: Any, x: int, y: int) -> int:
    script = "([x, y]) => document.getElementById('viewer').getContext('2d').getImageData(x, y, 1, 1).data[0]"
    return int(page.evaluate(script, [x, y]))


def _data(page: Any, name: str) -> str:
    return str(page.get_attribute("#viewer", f"data-{name}"))


def test_view_measure_read_and_confirm(page, server):
    base, app, image_id = server
    _sign_in(page, base, "rhea")
    page.goto(f"{base}/images/{image_id}")
    page.wait_for_selector("#viewer[data-ready='1']")
    box = page.locator("#viewer").bounding_box()
    assert box is not None
    centre = (480, 330)  # canvas pixels (the canvas is 960 x 640, shown at full size)
    before = _pixel(page, *centre)

    # window/level on the real grey levels: a narrow window around a low level whitens the film
    width = float(_data(page, "window"))
    page.fill("#wl-center", f"{float(_data(page, 'level')) - width / 2:.6g}")
    page.fill("#wl-width", f"{width / 8:.6g}")
    page.press("#wl-width", "Enter")
    page.locator("#wl-width").dispatch_event("change")
    assert abs(float(_data(page, "window")) - width / 8) < width / 100
    assert _pixel(page, *centre) != before
    # right-drag: window and level by mouse
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.down(button="right")
    page.mouse.move(box["x"] + 420, box["y"] + 260, steps=5)
    page.mouse.up(button="right")
    assert float(_data(page, "window")) > width / 8

    # zoom (button and wheel) and pan (drag)
    zoom = float(_data(page, "zoom"))
    page.click("#zoom-in")
    assert float(_data(page, "zoom")) == pytest.approx(zoom * 1.5, rel=1e-3)
    page.mouse.move(box["x"] + 480, box["y"] + 320)
    page.mouse.wheel(0, -200)
    page.wait_for_function(f"Number(document.getElementById('viewer').dataset.zoom) > {zoom * 1.6}")
    pan = _data(page, "pan")
    page.mouse.down()
    page.mouse.move(box["x"] + 380, box["y"] + 260, steps=5)
    page.mouse.up()
    assert _data(page, "pan") != pan
    page.click("#zoom-fit")
    page.click("#wl-reset")

    # a region of interest (Shift-drag) measured on the server: a SUGGESTION
    page.keyboard.down("Shift")
    page.mouse.move(box["x"] + 350, box["y"] + 60)
    page.mouse.down()
    page.mouse.move(box["x"] + 620, box["y"] + 600, steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    assert int(page.input_value("#roi-x1")) > int(page.input_value("#roi-x0"))
    page.click("#measure")
    page.locator("table.measurement").wait_for()
    measured = page.locator("#measurement").inner_text()
    assert "SUGGESTED pattern (not a diagnosis)" in measured and "mm²" in measured
    page.locator("#viewer").scroll_into_view_if_needed()
    page.screenshot(path=str(DOCS_IMG / "web-image-viewer.png"))

    # the reading form: hand, right, present, Florence plate; the measured region went with
    # the film's own row (hidden fields, its area filled in), for the report's overlay
    assert page.locator("input[name='roi.hand.right']").input_value().count(",") == 3
    assert page.locator("input[name='deposit_mask.hand.right']").input_value()
    assert page.locator("input[name='area_mm2.hand.right']").input_value()
    page.select_option("select[name='presence.hand.right']", "present")
    page.select_option("select[name='florence.hand.right']", "plate")
    page.click("details.other-regions summary")
    page.select_option("select[name='presence.wrist.right']", "absent")
    page.select_option("select[name=blinded]", "yes")
    page.select_option("select[name=sctc_global_grade]", "moderate")
    page.click("#save-reading")
    page.locator("#saved").wait_for()
    assert "suggested" in page.locator("#saved").inner_text()
    assert "Florence plate · sheet_like" in page.locator("table.readings").inner_text()
    assert "(deposits kept)" in page.locator("table.readings").inner_text()
    page.locator("#saved").scroll_into_view_if_needed()
    page.screenshot(path=str(DOCS_IMG / "web-image-reading.png"), full_page=True)

    # a clinician finds the suggestion in the queue, with the film, and confirms it
    page.click("button:has-text('Sign out')")
    _sign_in(page, base, "cleo")
    page.goto(f"{base}/review?kind=suggested_fact&patient={PATIENT}")
    assert page.locator("#queue .queue-item").count() == 2
    page.keyboard.press("j")
    page.locator("#item .reason").wait_for()
    while "present" not in page.locator("#item .reason").inner_text().lower():
        page.keyboard.press("j")
        page.wait_for_timeout(300)
    page.locator("#item .evidence-image img").wait_for()
    page.screenshot(path=str(DOCS_IMG / "web-image-review.png"))
    page.keyboard.press("c")
    page.locator("#outcome .ok").wait_for()
    facts = [
        f for f in api.patient_record(app.state.registry, PATIENT).facts if f.source_kind.value == "image"
    ]  # fmt: skip
    confirmed = [f for f in facts if f.review_state.value == "confirmed"]
    assert [(f.morphology.value if f.morphology else None) for f in confirmed] == ["sheet_like"]
