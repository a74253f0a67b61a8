"""The image commands, in process: import images, images measure/read-import/agreement."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("pydicom")
pytest.importorskip("skimage")

from calciscope import api
from calciscope.cli.app import app
from calciscope.model import Patient, ReviewState, SourceKind
from calciscope.storage import Batch, Registry

runner = CliRunner()
FILES = {"NM_Kakadu44_SOTmarkerincons.dcm": ("XXXXXXXX", "P1"), "RG3_J2KR.dcm": ("11RG3", "P2")}


def invoke(*args, code=0):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def indexed(sqlite_url, shared_data, tmp_path):
    registry = Registry(sqlite_url)
    patients = [Patient(patient_id="P1", synthetic=True), Patient(patient_id="P2", synthetic=True)]
    registry.import_batch(Batch(patients=patients), source="test", source_hash="x")
    registry.close()
    films = tmp_path / "films"
    films.mkdir()
    for name in FILES:
        shutil.copy(next((shared_data / "dicom").rglob(name)), films / name)
    mapping = tmp_path / "ids.csv"
    mapping.write_text(
        "dicom_patient_id,patient_id\n" + "".join(f"{a},{b}\n" for a, b in FILES.values())
    )
    out = invoke("import", "images", films, "--mapping", mapping, "--db", sqlite_url, "--jobs", 1)
    assert "indexed 2 image(s)" in out.output
    return sqlite_url, films


def _image_ids(url):
    with Registry(url) as registry:
        return {p: registry.images_for(p)[0].image_id for p in ("P1", "P2")}


def test_import_without_mapping_fails_naming_files(sqlite_url, shared_data, tmp_path):
    films = tmp_path / "films"
    films.mkdir()
    shutil.copy(next((shared_data / "dicom").rglob("RG3_J2KR.dcm")), films)
    out = invoke("import", "images", films, "--db", sqlite_url, code=1)
    assert "RG3_J2KR.dcm" in out.output and "mapping" in out.output
    assert "Traceback" not in out.output


def test_readings_become_image_facts_and_agreement(indexed, tmp_path):
    url, _ = indexed
    ids = _image_ids(url)
    head = "image_id,reader,reader_role,reading_date,blinded,body_site,laterality,presence,florence,morphology,sctc_global_grade,area_mm2\n"
    rows = [
        f"{ids['P1']},dr_a,clinician,2024-02-01,yes,hand,right,present,plate,,moderate,40.5",
        f"{ids['P1']},dr_a,clinician,2024-02-01,yes,wrist,right,absent,,,moderate,",
        f"{ids['P1']},res_b,researcher,2024-02-03,yes,hand,right,present,net,,severe,35.0",
        f"{ids['P1']},res_b,researcher,2024-02-03,yes,wrist,right,absent,,,severe,",
        f"{ids['P2']},dr_a,clinician,2024-02-01,no,ankle_foot,right,present,stone,,mild,5.0",
        f"{ids['P2']},res_b,researcher,2024-02-03,no,ankle_foot,right,present,stone,,mild,6.0",
    ]
    path = tmp_path / "readings.csv"
    path.write_text(head + "\n".join(rows) + "\n")
    out = invoke("images", "read-import", path, "--db", url)
    assert "3 confirmed and 3 suggested" in out.output
    with Registry(url) as registry:
        facts = [f for f in registry.facts_for("P1") if f.source_kind is SourceKind.IMAGE]
    sheet = [f for f in facts if f.morphology and f.morphology.value == "sheet_like"]
    assert sheet and sheet[0].review_state is ReviewState.CONFIRMED
    assert any(f.review_state is ReviewState.SUGGESTED for f in facts)
    # the facts flow into features like any other: the clinician's plate is sheet-like calcinosis;
    # P2's stone is nodular, and the researcher's net on P1 counts only with suggestions
    with Registry(url) as registry:
        table = api.feature_table(
            registry,
            features=["calcinosis_any", "calcinosis_sheet_like", "calcinosis_nodular_only"],
        )
    rows = {r["patient_id"]: r for r in table.to_pylist()}
    assert rows["P1"]["calcinosis_sheet_like"] is True
    assert rows["P2"]["calcinosis_any"] is True and rows["P2"]["calcinosis_nodular_only"] is True
    out = invoke("images", "agreement", "--db", url)
    assert "dr_a vs res_b" in out.output and "ICC(2,1)" in out.output
    assert "Cohen's kappa" in out.output
    # the ordered SCTC grade: a weighted kappa, as Chung et al. 2015 used for the simple score
    assert "weighted kappa (linear)" in out.output


def test_bad_readings_import_nothing(indexed, tmp_path):
    url, _ = indexed
    path = tmp_path / "readings.csv"
    path.write_text(
        "image_id,reader,reader_role,reading_date,blinded,body_site,laterality,presence\n"
        "IMG-nope,dr_a,clinician,2024-13-01,maybe,hand,right,present\n"
    )
    out = invoke("images", "read-import", path, "--db", url, code=1)
    for field in ("reading_date", "blinded"):
        assert field in out.output
    with Registry(url) as registry:
        assert not [f for f in registry.facts_for("P1") if f.source_kind is SourceKind.IMAGE]


def test_measure_json_and_overlay(indexed, tmp_path):
    _, films = indexed
    overlay = tmp_path / "overlay.png"
    out = invoke(
        "images", "measure", films / "RG3_J2KR.dcm", "--roi", "600,600,1100,1100",
        "--pixel-spacing", "0.17", "--json", "--overlay", overlay,
    )  # fmt: skip
    data = json.loads(out.output)
    assert data["unit"] == "mm²" and data["pixel_spacing_mm"] == 0.17
    assert data["suggestion_only"] is True
    assert overlay.read_bytes()[:4] == b"\x89PNG"
    # the readings.csv columns that keep the measurement with a reading
    from calciscope.imaging.mask import decode_mask_text

    assert data["roi"] == [600, 600, 1100, 1100]
    assert decode_mask_text(data["deposit_mask"], (500, 500))[:4] == b"\x89PNG"
    out = invoke("images", "measure", films / "RG3_J2KR.dcm", "--roi", "600,600,1100,1100")
    assert "px" in out.output and "SUGGESTION" in out.output
    out = invoke("images", "measure", films / "RG3_J2KR.dcm", "--roi", "0,0,99999,10", code=1)
    assert "outside" in out.output


def test_measure_a_colour_photograph_without_sidecar(tmp_path):
    from PIL import Image

    pixels = np.zeros((200, 300, 3), dtype=np.uint8)
    pixels[...] = (180, 120, 100)  # skin
    pixels[80:120, 100:160] = 250  # a bright deposit
    photo, overlay = tmp_path / "photo.png", tmp_path / "out" / "overlay.png"
    Image.fromarray(pixels).save(photo)
    out = invoke("images", "measure", photo, "--roi", "10,10,290,190", "--overlay", overlay)
    assert "no pixel spacing" in out.output and "overlay written" in out.output
    with Image.open(overlay) as picture:
        # the photograph keeps its colour outside the deposit (skin, not grey)
        assert picture.mode == "RGB" and picture.getpixel((40, 40)) == (180, 120, 100)
    # a sidecar row, when there is one, gives the spacing
    (tmp_path / "sidecar.csv").write_text(
        "file,patient_id,date,body_site,laterality,pixel_spacing_mm\nphoto.png,P1,,,,0.2\n"
    )
    data = json.loads(invoke("images", "measure", photo, "--roi", "10,10,290,190", "--json").output)
    assert data["unit"] == "mm²" and data["pixel_spacing_mm"] == 0.2


@pytest.mark.parametrize(
    ("mode", "suffix"),
    [("L", ".png"), ("LA", ".png"), ("P", ".png"), ("I;16", ".png"), ("L", ".jpg")],
)
def test_measure_overlay_is_in_colour_on_a_grey_or_palette_file_without_sidecar(
    tmp_path, mode, suffix
):
    """Without a sidecar, the overlay of any PNG/JPEG is RGB: grey stays grey, deposits are red."""
    from PIL import Image

    grey = np.full((200, 300), 90, dtype=np.uint8)
    grey[80:120, 100:160] = 250  # a bright deposit
    picture = Image.fromarray(grey)
    if mode == "I;16":
        picture = Image.fromarray(grey.astype(np.uint16) * 256)
    elif mode != "L":
        picture = picture.convert(mode)
    photo, overlay = tmp_path / f"film{suffix}", tmp_path / "overlay.png"
    picture.save(photo)
    out = invoke("images", "measure", photo, "--roi", "10,10,290,190", "--overlay", overlay)
    assert "overlay written" in out.output
    with Image.open(overlay) as drawn:
        assert drawn.mode == "RGB"
        red, green, blue = drawn.getpixel((120, 90))  # inside the deposit (ROI coordinates)
        assert red > green + 60 and red > blue + 60
        r, g, b = drawn.getpixel((30, 40))  # soft tissue: grey, as in the file
        assert r == g == b


def test_measure_an_indexed_image_only_inside_an_image_root(indexed, tmp_path, monkeypatch):
    url, films = indexed
    monkeypatch.delenv("CALCISCOPE_IMAGE_ROOTS", raising=False)
    image_id = _image_ids(url)["P2"]
    roi = "600,600,1100,1100"
    out = invoke("images", "measure", image_id, "--roi", roi, "--db", url, code=1)
    assert "no image root configured" in out.output
    other = tmp_path / "other"
    other.mkdir()
    args = ("images", "measure", image_id, "--roi", roi, "--db", url, "--json")
    out = invoke(*args, "--image-root", other, code=1)
    assert "outside the configured image roots" in out.output
    data = json.loads(invoke(*args, "--image-root", films).output)
    assert data["unit"] == "px"  # RG3 has no pixel spacing
