"""Image files: the real third-party DICOMs in ../shared/data/dicom, photos with a sidecar."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pydicom")
pytest.importorskip("skimage")

from calciscope import api
from calciscope.errors import ValidationError
from calciscope.imaging.mask import deposit_mask_png, mask_text
from calciscope.imaging.measure import Roi, measure_calcification
from calciscope.interop.images import index_folder, read_dicom, thumbnail_png
from calciscope.model import Modality, Morphology, Patient
from calciscope.storage import Batch, Registry
from calciscope.storage.images import ImageRepository, stored_roi

#: PatientID of each shared file (read from the files) -> registry id
MAPPING = {
    "1CT1": "P1", "4MR1": "P1", "2010101610-1": "P2", "XXXXXXXX": "P3", "9RG1": "P4",
    "10RG2": "P5", "11RG3": "P6",
}  # fmt: skip
NO_PATIENT_ID = "JPEG2KLossless_1s_1f_u_16_16.dcm"


@pytest.fixture(scope="module")
def dicom_dir(shared_data: Path) -> Path:
    return shared_data / "dicom"


@pytest.fixture(scope="module")
def decoded(dicom_dir: Path) -> dict:
    files = sorted(dicom_dir.rglob("*.dcm"))
    assert len(files) >= 10
    return {path: read_dicom(path) for path in files}


def test_every_shared_dicom_reads_with_sane_metadata(decoded):
    for path, (image, problem) in decoded.items():
        assert problem is None, problem
        assert image.pixels.ndim == 2 and image.pixels.dtype == np.float32
        assert image.display.dtype == np.uint8 and image.display.shape == image.pixels.shape
        spacing = image.meta.pixel_spacing_mm
        assert spacing is None or 0.05 <= spacing <= 1.0, path.name
        if spacing is None:
            assert any("pixels" in n for n in image.meta.notes)
        assert image.display.std() > 5, f"{path.name}: display is one grey"


@pytest.mark.parametrize(
    ("name", "spacing", "source", "modality"),
    [
        ("NM_Kakadu44_SOTmarkerincons.dcm", 0.115, "PixelSpacing", Modality.RADIOGRAPH),
        (NO_PATIENT_ID, 0.4, "ImagerPixelSpacing", Modality.RADIOGRAPH),
        ("RG1_J2KI.dcm", None, "none", Modality.RADIOGRAPH),  # PixelSpacing 0/0
        ("RG2_JLSL.dcm", 0.2, "PixelSpacing", Modality.RADIOGRAPH),  # JPEG-LS
        ("RG2_JPLL.dcm", 0.2, "PixelSpacing", Modality.RADIOGRAPH),  # JPEG lossless
        ("CT_small.dcm", 0.661468, "PixelSpacing", Modality.CT),
    ],
)
def test_spacing_and_modality(decoded, name, spacing, source, modality):
    image, _ = next(v for k, v in decoded.items() if k.name == name)
    assert image.meta.pixel_spacing_mm == (pytest.approx(spacing) if spacing else None)
    assert image.meta.spacing_source == source and image.meta.modality is modality


def test_lossless_encodings_decode_to_the_same_pixels(decoded):
    ls, ll = (
        next(v[0] for k, v in decoded.items() if k.name == n)
        for n in ("RG2_JLSL.dcm", "RG2_JPLL.dcm")
    )
    assert np.array_equal(ls.pixels, ll.pixels)


def test_monochrome1_is_turned_so_calcium_is_bright(dicom_dir):
    import pydicom

    path = next(dicom_dir.rglob("RG3_J2KR.dcm"))
    raw = pydicom.dcmread(path).pixel_array.astype(np.float32)
    image, _ = read_dicom(path)
    assert image.meta.photometric == "MONOCHROME1"
    assert np.allclose(image.pixels, raw.max() - raw)


def _ramp_dicom(tmp_path: Path, name: str, **tags) -> Path:
    """A SYNTHETIC 16 x 256 MONOCHROME2 ramp (stored values 0..255 along each row)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    ds.PatientName, ds.PatientID, ds.Modality = "SYNTHETIC^RAMP", "X", "DX"
    ds.Rows, ds.Columns = 16, 256
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 16, 16, 15
    ds.PhotometricInterpretation, ds.PixelRepresentation = "MONOCHROME2", 0
    for key, value in tags.items():
        setattr(ds, key, value)
    ds.PixelData = np.tile(np.arange(256, dtype=np.uint16), (16, 1)).tobytes()
    path = tmp_path / name
    ds.save_as(path, enforce_file_format=True)
    return path


def test_rescale_window_and_voi_lut_sequence(tmp_path):
    from pydicom.dataset import Dataset

    # rescale slope and intercept give the measured values; no window: 0.5-99.5 centiles shown
    image, _ = read_dicom(_ramp_dicom(tmp_path, "r.dcm", RescaleSlope="2", RescaleIntercept="-100"))
    assert np.allclose(image.pixels[0], np.arange(256) * 2 - 100)
    assert image.display[0, 0] == 0 and image.display[0, -1] == 255
    assert image.meta.pixel_spacing_mm is None and image.meta.spacing_source == "none"
    # Window Center/Width (LINEAR) on the rescaled values: black below, white above, linear between
    image, _ = read_dicom(
        _ramp_dicom(
            tmp_path, "w.dcm", RescaleSlope="2", RescaleIntercept="-100",
            WindowCenter="100", WindowWidth="101",
        )
    )  # fmt: skip
    values, shown = image.pixels[0], image.display[0].astype(int)
    assert (shown[values < 50] == 0).all() and (shown[values > 150] == 255).all()
    ramp = shown[(values > 52) & (values < 148)]
    assert (np.diff(ramp) >= 0).all() and 0 < ramp[0] < ramp[-1] < 255
    # a VOI LUT Sequence: a step at stored value 128 (LUT of 256 entries from 0)
    lut = Dataset()
    lut.LUTDescriptor = [256, 0, 16]
    lut.LUTData = np.array([0] * 128 + [4095] * 128, dtype=np.uint16).tobytes()
    image, _ = read_dicom(_ramp_dicom(tmp_path, "v.dcm", VOILUTSequence=[lut]))
    assert set(image.display[0, :128]) == {0} and set(image.display[0, 128:]) == {255}
    # MONOCHROME1: the window is shown inverted and the measured values turned (calcium bright)
    image, _ = read_dicom(
        _ramp_dicom(
            tmp_path, "m1.dcm", PhotometricInterpretation="MONOCHROME1",
            WindowCenter="128", WindowWidth="256", ImagerPixelSpacing=["0.2", "0.2"],
        )
    )  # fmt: skip
    assert image.display[0, 0] == 255 and image.display[0, -1] == 0
    assert image.pixels[0, 0] == 255 and image.pixels[0, -1] == 0
    assert image.meta.pixel_spacing_mm == 0.2 and image.meta.spacing_source == "ImagerPixelSpacing"


def test_every_shared_radiograph_measures_with_sane_units(decoded):
    for path, (image, _) in decoded.items():
        rows, cols = image.pixels.shape
        roi = Roi(
            cols // 4, rows // 4, cols // 4 + min(512, cols // 2), rows // 4 + min(512, rows // 2)
        )
        result = measure_calcification(
            image.pixels, roi, pixel_spacing_mm=image.meta.pixel_spacing_mm
        )
        roi_px = (roi.x1 - roi.x0) * (roi.y1 - roi.y0)
        expected_unit = "px" if image.meta.pixel_spacing_mm is None else "mm²"
        assert result.unit == expected_unit, path.name
        pixel_area = (image.meta.pixel_spacing_mm or 1.0) ** 2
        assert 0 <= result.calcified_area <= roi_px * pixel_area + 1e-6
        assert 0.0 <= result.area_fraction <= 1.0


def test_index_of_the_shared_folder_names_the_one_file_it_cannot_take(dicom_dir):
    index = index_folder(dicom_dir, mapping=MAPPING, known_patients=lambda ids: set(), workers=2)
    unknown = [p for p in index.problems if "not in the registry" in p.message]
    others = [p for p in index.problems if p not in unknown]
    assert [Path(p.source).name for p in others] == [NO_PATIENT_ID]
    assert "no PatientID" in others[0].message
    assert len(unknown) == 9  # every other file reads; only its patient is missing here


@pytest.fixture
def registry(sqlite_url):
    reg = Registry(sqlite_url)
    patients = [Patient(patient_id=f"P{i}", synthetic=True) for i in range(1, 8)]
    reg.import_batch(Batch(patients=patients), source="test", source_hash="x")
    yield reg
    reg.close()


@pytest.fixture
def mapping_csv(tmp_path):
    path = tmp_path / "ids.csv"
    lines = ["dicom_patient_id,patient_id", *(f"{k},{v}" for k, v in MAPPING.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_is_all_or_nothing(registry, dicom_dir, mapping_csv):
    with pytest.raises(ValidationError) as caught:
        api.import_images(registry, dicom_dir, mapping=mapping_csv, workers=1)
    assert NO_PATIENT_ID in str(caught.value)
    assert registry.counts()["images"] == 0


def test_import_indexes_hash_and_thumbnail(registry, dicom_dir, mapping_csv, tmp_path):
    folder = tmp_path / "films"
    folder.mkdir()
    for path in dicom_dir.rglob("*.dcm"):
        if path.name != NO_PATIENT_ID:
            shutil.copy(path, folder / path.name)
    summary = api.import_images(registry, folder, mapping=mapping_csv, workers=2)
    assert summary.counts["images"] == 9
    repo = ImageRepository(registry)
    hand = next(i for i in registry.images_for("P3"))
    assert hand.body_site.value == "hand" and hand.file_ref == "NM_Kakadu44_SOTmarkerincons.dcm"
    row = repo.file(hand.image_id)
    assert row["sha256"].startswith(hand.image_id.removeprefix("IMG-"))
    assert row["pixel_spacing_mm"] == pytest.approx(0.115)
    assert row["thumbnail_png"][:8] == b"\x89PNG\r\n\x1a\n"
    # the files stay where they are: the registry resolves them only inside a configured root
    with pytest.raises(ValidationError, match="no image root"):
        api.resolve_image_path(registry, hand.image_id)
    with pytest.raises(ValidationError, match="outside"):
        api.resolve_image_path(registry, hand.image_id, roots=[tmp_path / "elsewhere"])
    path = api.resolve_image_path(registry, hand.image_id, roots=[folder])
    assert path == (folder / hand.file_ref).resolve()


def test_unreadable_files_are_problems_naming_the_file(registry, dicom_dir, mapping_csv, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    good = next(dicom_dir.rglob("RG2_JPLL.dcm")).read_bytes()
    (folder / "truncated.dcm").write_bytes(good[: len(good) // 3])
    (folder / "text.dcm").write_text("not a DICOM file")
    with pytest.raises(ValidationError) as caught:
        api.import_images(registry, folder, mapping=mapping_csv, workers=1)
    message = str(caught.value)
    assert "truncated.dcm" in message and "text.dcm" in message
    assert registry.counts()["images"] == 0


def test_unsupported_transfer_syntax_is_named(tmp_path):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import MPEG2MPML, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.TransferSyntaxUID = MPEG2MPML
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    ds.PatientID, ds.Modality, ds.Rows, ds.Columns = "X", "CR", 4, 4
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 8, 8, 7
    ds.PhotometricInterpretation, ds.PixelRepresentation = "MONOCHROME2", 0
    ds.PixelData = encapsulate([b"\x00" * 16])
    path = tmp_path / "mpeg.dcm"
    ds.save_as(path, enforce_file_format=True)
    image, problem = read_dicom(path)
    assert image is None and "unsupported transfer syntax" in problem.message


def test_photographs_need_a_sidecar_row(registry, tmp_path):
    from PIL import Image as PilImage

    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("hand.png", "elbow.jpg"):
        PilImage.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8)).save(folder / name)
    (folder / "sidecar.csv").write_text(
        "file,patient_id,date,body_site,laterality,modality,pixel_spacing_mm\n"
        "hand.png,P1,2024-03-01,hand,right,photograph,\n"
    )
    with pytest.raises(ValidationError, match=r"elbow\.jpg"):
        api.import_images(registry, folder, workers=1)
    with (folder / "sidecar.csv").open("a") as handle:
        handle.write("elbow.jpg,P2,2024-03-02,elbow,left,photograph,0.2\n")
    assert api.import_images(registry, folder, workers=1).counts["images"] == 2
    (image,) = registry.images_for("P2")
    assert image.modality is Modality.PHOTOGRAPH and image.laterality.value == "left"


def test_colour_photographs_keep_their_colour_and_radiographs_stay_grey(registry, tmp_path):
    import base64
    import re
    from io import BytesIO

    import pandas as pd
    from PIL import Image as PilImage

    from calciscope.interop.images.viewer import viewer_pixels
    from calciscope.report.radiographs import radiograph_panel

    folder = tmp_path / "photos"
    folder.mkdir()
    picture = np.zeros((60, 90, 3), dtype=np.uint8)
    picture[..., 0] = 200  # red skin, a blue-green lesion on the right
    picture[:, 45:] = (20, 120, 160)
    for name in ("lesion.jpg", "film.png"):
        PilImage.fromarray(picture).save(folder / name, quality=95)
    (folder / "sidecar.csv").write_text(
        "file,patient_id,date,body_site,laterality,modality,pixel_spacing_mm\n"
        "lesion.jpg,P1,2024-03-01,hand,right,photograph,\n"
        "film.png,P2,2024-03-01,hand,left,radiograph,0.2\n"
    )
    api.import_images(registry, folder, workers=1)
    ids = {"lesion.jpg": registry.images_for("P1")[0].image_id}
    ids["film.png"] = registry.images_for("P2")[0].image_id
    rows = {name: api.indexed_image_file(registry, i) for name, i in ids.items()}

    def rgb(png: bytes) -> PilImage.Image:
        return PilImage.open(BytesIO(png)).convert("RGB")

    photo_thumb = rgb(rows["lesion.jpg"]["thumbnail_png"])
    red, green, blue = photo_thumb.getpixel((5, 5))
    assert red > 150 and green < 60 and blue < 60  # still red
    assert photo_thumb.getpixel((photo_thumb.width - 5, 5))[2] > 120  # still blue-green
    film_thumb = rgb(rows["film.png"]["thumbnail_png"])
    assert len(set(film_thumb.getpixel((5, 5)))) == 1  # grey: R = G = B

    photo = api.load_indexed_image(registry, ids["lesion.jpg"], roots=[folder])
    view = viewer_pixels(photo)
    values = np.frombuffer(view.data, dtype="<u2").reshape(view.height, view.width, 3)
    assert view.channels == 3 and values[5, 5, 0] > 2 * values[5, 5, 1]
    film = api.load_indexed_image(registry, ids["film.png"], roots=[folder])
    assert viewer_pixels(film).channels == 1 and film.display.ndim == 2

    frame = pd.DataFrame(
        [{**rows["lesion.jpg"], "image_id": ids["lesion.jpg"], "patient_id": "P1",
          "laterality": "right", "body_site": "hand",
          "modality": "photograph", "image_date": None, "reading": None}]
    )  # fmt: skip
    html = radiograph_panel(frame, {"P1": "Case 1"})
    embedded = base64.b64decode(re.search(r"base64,([^\"]+)", html).group(1))
    assert rgb(embedded).getpixel((5, 5))[0] > 150 and rgb(embedded).getpixel((5, 5))[1] < 60


@pytest.mark.parametrize("name", [NO_PATIENT_ID, "RG1_J2KI.dcm", "966_fixed.dcm"])
def test_jpeg2000_thumbnails_decode_only_the_coarse_levels(dicom_dir, decoded, name):
    # the first has a padding byte after its end-of-codestream marker, which Pillow refuses
    # unless it is dropped; the second has 5 levels in COD but Pillow reads only one
    path = next(dicom_dir.rglob(name))
    preview, problem = read_dicom(path, preview=256)
    full = decoded[path][0]
    assert problem is None and 256 <= max(preview.display.shape) < max(full.display.shape) / 1.9
    assert (preview.meta.rows, preview.meta.columns) == full.pixels.shape
    # the coarse level is the full image, smaller: its mean grey agrees
    assert abs(float(preview.pixels.mean()) - float(full.pixels.mean())) < 0.02 * float(
        np.ptp(full.pixels)
    )


def test_thumbnail_is_at_most_256_px():
    from io import BytesIO

    from PIL import Image as PilImage

    png = thumbnail_png(np.zeros((2500, 2000), dtype=np.uint8))
    assert max(PilImage.open(BytesIO(png)).size) == 256


@pytest.mark.postgres
def test_images_and_readings_on_postgresql(postgres_database, dicom_dir, tmp_path):
    with Registry(postgres_database()) as registry:
        registry.import_batch(
            Batch(patients=[Patient(patient_id="P6", synthetic=True)]), source="t", source_hash="x"
        )
        folder = tmp_path / "films"
        folder.mkdir()
        shutil.copy(next(dicom_dir.rglob("RG3_J2KR.dcm")), folder)
        mapping = tmp_path / "ids.csv"
        mapping.write_text("dicom_patient_id,patient_id\n11RG3,P6\n")
        api.import_images(registry, folder, mapping=mapping, workers=1)
        (image,) = registry.images_for("P6")
        assert ImageRepository(registry).file(image.image_id)["thumbnail_png"][:4] == b"\x89PNG"
        readings = tmp_path / "readings.csv"
        readings.write_text(
            "image_id,reader,reader_role,reading_date,blinded,body_site,laterality,presence,"
            "florence,roi,deposit_mask\n"
            f"{image.image_id},dr_a,clinician,2024-01-01,yes,ankle_foot,right,present,plate,"
            f'"10,10,90,90",{mask_text(deposit_mask_png(np.eye(80, dtype=bool)))}\n'
        )
        done = api.import_readings(registry, readings)
        assert done.confirmed_facts == 1
        assert api.import_readings(registry, readings).readings == 1  # re-import replaces
        assert len(ImageRepository(registry).regions()) == 1
        (reading,) = ImageRepository(registry).readings_of(image.image_id)
        assert stored_roi(reading.regions[0]) == Roi(10, 10, 90, 90)  # migration 0009's columns
        assert bytes(reading.regions[0]["deposit_mask_png"])[:4] == b"\x89PNG"


def test_missing_extra_gives_the_install_hint(monkeypatch):
    import sys

    from calciscope.errors import MissingExtraError
    from calciscope.interop.images import require_imaging

    monkeypatch.setitem(sys.modules, "pydicom", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'calciscope\[imaging\]'"):
        require_imaging()


def test_a_phantom_written_as_dicom_measures_as_in_memory(tmp_path):
    from calciscope.imaging.phantom import make_phantom
    from calciscope.interop.images.phantom_dicom import write_phantom_dicom

    phantom = make_phantom(Morphology.SHEET_LIKE, seed=5)
    path = write_phantom_dicom(phantom, tmp_path / "phantom.dcm")
    image, problem = read_dicom(path)
    assert problem is None and image.meta.patient_ref.startswith("SYNTHETIC")
    assert image.meta.pixel_spacing_mm == pytest.approx(phantom.pixel_spacing_mm)
    result = api.measure_image(path, Roi(*phantom.roi))
    assert result.unit == "mm²"
    assert result.calcified_area == pytest.approx(phantom.truth_area_mm2, rel=0.05)
    assert result.suggestion.pattern is phantom.pattern


def _index(folder: Path):
    return index_folder(folder, mapping={"X": "P1"}, known_patients=set, workers=1)  # all known


def test_a_dicom_cd_folder_dicomdir_is_not_an_image(tmp_path):
    """Every DICOM CD has a DICOMDIR (PS3.10 §8.6): an index of the media, no pixel data."""
    _ramp_dicom(tmp_path, "IM0001")
    (tmp_path / "DICOMDIR").write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 16)
    index = _index(tmp_path)
    assert index.problems == [] and [i.file_ref for i in index.images] == ["IM0001"]


def test_a_data_set_without_preamble_is_read_and_noise_is_named(tmp_path):
    """Older systems write the data set without the 128-byte preamble and ``DICM``."""
    whole = _ramp_dicom(tmp_path, "whole.dcm", StudyDate="20200102")
    (tmp_path / "bare.dcm").write_bytes(whole.read_bytes()[132:])
    whole.unlink()
    image, problem = read_dicom(tmp_path / "bare.dcm", preview=None)
    assert problem is None and image is not None and image.meta.rows == 16
    (tmp_path / "bare.dcm").write_bytes(b"hello world " * 50)
    image, problem = read_dicom(tmp_path / "bare.dcm", preview=None)
    assert image is None and problem is not None
    assert "not a DICOM file" in problem.message and "force=True" not in problem.message


def test_a_bare_data_set_without_suffix_is_found(tmp_path):
    """fix11: ``IM0001`` without preamble (common on CDs) was passed over; noise still is."""
    from pydicom.uid import SecondaryCaptureImageStorage

    whole = _ramp_dicom(tmp_path, "whole.dcm", SOPClassUID=SecondaryCaptureImageStorage)
    data = whole.read_bytes()
    whole.unlink()
    (tmp_path / "IM0001").write_bytes(data[132:])  # the file meta group kept, no preamble
    meta_length = 12 + int.from_bytes(data[140:144], "little")  # (0002,0000) gives the group's
    (tmp_path / "IM0002").write_bytes(data[132 + meta_length :])  # the data set alone: 0008
    assert data[132 + meta_length : 132 + meta_length + 2] == b"\x08\x00"
    (tmp_path / "README").write_bytes(b"\x08\x00 not a data set " * 20)
    (tmp_path / "notes").write_text("plain text")
    index = _index(tmp_path)
    assert index.problems == []
    assert sorted(i.file_ref for i in index.images) == ["IM0001", "IM0002"]


def test_a_study_date_after_today_is_refused(tmp_path):
    _ramp_dicom(tmp_path, "future.dcm", StudyDate="29991201")
    index = _index(tmp_path)
    (problem,) = index.problems
    assert (problem.source, problem.field) == ("future.dcm", "image_date")
