"""realfiles35: more files written by others, run through the readers.

The small copies are kept in ``tests/interop/data/realfiles35`` (its README names the source,
version and licence of each). Each test says what calciscope gave before the fix.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from calciscope import api
from calciscope.errors import ValidationError
from calciscope.interop.images import index_folder, read_dicom
from calciscope.interop.phenopackets import read_phenopackets
from calciscope.model import Modality

HERE = Path(__file__).resolve().parent / "data" / "realfiles35"
PYDICOM = HERE / "pydicom"
KNOWN = "known one (CR, DX, RG, MG, CT, MR, US, XC): indexed as a radiograph"


def _pydicom_test_file(name: str) -> Path:
    """Return a test file shipped inside the installed pydicom wheel (too big to copy here)."""
    import pydicom

    path = Path(pydicom.__file__).parent / "data" / "test_files" / name
    if not path.is_file():
        pytest.skip(f"pydicom {pydicom.__version__} does not ship {name}")
    return path


# --- DICOM: pydicom's test files --------------------------------------------------------


def test_rt_dose_grid_is_refused_not_indexed_as_a_radiograph():
    # before: an RT Dose Storage object (Modality RTDOSE, dose in Gy per voxel) read as a
    # radiograph, and calcification was measured on it
    image, problem = read_dicom(PYDICOM / "rtdose_1frame.dcm")
    assert image is None and problem is not None
    assert (problem.source, problem.field) == (str(PYDICOM / "rtdose_1frame.dcm"), "Modality")
    assert problem.message.startswith("Modality RTDOSE (RT Dose Storage) is a radiotherapy dose")


def test_segmentation_is_refused_not_indexed_as_a_radiograph():
    # before: the binary labels of a DICOM SEG (liver) read as a 0/1 radiograph
    path = _pydicom_test_file("liver_1frame.dcm")
    image, problem = read_dicom(path)
    assert image is None and problem is not None and problem.field == "Modality"
    assert "Modality SEG (Segmentation Storage) is a segmentation" in problem.message


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("image_dfl.dcm", "Modality 'OT' is not a "),  # deflated secondary capture
        ("JPEGLSNearLossless_08.dcm", "no Modality, so not a "),  # JPEG-LS near-lossless
    ],
)
def test_secondary_capture_is_a_radiograph_and_says_it_was_assumed(name, said):
    # before: indexed as a radiograph without a word
    image, problem = read_dicom(PYDICOM / name)
    assert problem is None and image is not None
    assert image.meta.modality is Modality.RADIOGRAPH
    assert said + KNOWN in image.meta.notes


def test_known_modalities_say_nothing_of_their_modality():
    image, problem = read_dicom(_pydicom_test_file("MR_small.dcm"))
    assert problem is None and image is not None and image.meta.modality is Modality.MRI
    assert not [note for note in image.meta.notes if "Modality" in note]


def test_an_rt_dose_grid_stops_the_index_naming_file_and_field(tmp_path):
    shutil.copy(PYDICOM / "rtdose_1frame.dcm", tmp_path / "dose.dcm")
    index = index_folder(tmp_path, mapping={"id11111": "P1"}, known_patients=set, workers=1)
    assert index.images == []
    (problem,) = index.problems
    assert (Path(problem.source).name, problem.field) == ("dose.dcm", "Modality")


# --- Phenopackets: the measurement examples of the phenopacket-schema documentation -------

MEASUREMENTS = HERE / "phenopacket_schema" / "measurement-examples.json"


def test_complex_value_gives_a_fact_per_typed_quantity():
    # before: the blood pressure became one fact of its assay (CMO:0000003) without a value:
    # systolic 125 and diastolic 75 mmHg were dropped without a word
    result = read_phenopackets([MEASUREMENTS])
    by_code = {f.code: f for f in result.batch.facts}
    assert set(by_code) == {"26515-7", "5802-4", "NCIT:C25298", "NCIT:C25299"}
    systolic, diastolic = by_code["NCIT:C25298"], by_code["NCIT:C25299"]
    assert (systolic.value_num, diastolic.value_num) == (125.0, 75.0)
    assert systolic.unit == diastolic.unit == "Millimeter of Mercury"
    assert str(systolic.effective_date) == "2021-01-01"
    assert systolic.provenance == (
        f"{MEASUREMENTS}#/measurements/2/complexValue/typedQuantities/0; "
        "assay CMO:0000003 blood pressure measurement"
    )
    assert by_code["26515-7"].value_num == 24000.0  # the plain quantity is read as before


def test_complex_value_survives_an_import_and_a_phenopacket_export(tmp_path):
    db = f"sqlite:///{tmp_path}/pp.db"
    with api.open_registry(db) as registry:
        api.import_phenopackets(registry, [MEASUREMENTS])
        out = tmp_path / "out"
        api.export_phenopackets(registry, out)
    (written,) = out.glob("*.json")
    measurements = json.loads(written.read_text())["measurements"]
    values = {m["assay"]["id"]: m["value"]["quantity"]["value"] for m in measurements}
    assert values["NCIT:C25298"] == 125.0 and values["NCIT:C25299"] == 75.0


def test_typed_quantity_without_its_type_names_the_element(tmp_path):
    packet = json.loads(MEASUREMENTS.read_text())
    del packet["measurements"][2]["complexValue"]["typedQuantities"][1]["type"]
    path = tmp_path / "bp.json"
    path.write_text(json.dumps(packet))
    with pytest.raises(ValidationError) as caught:
        read_phenopackets([path])
    (problem,) = caught.value.problems
    assert (problem.source, problem.field) == (str(path), "type.id")
    assert problem.location == "#/measurements/2/complexValue/typedQuantities/1"


def test_complex_value_observed_at_an_age_keeps_it_through_export(tmp_path):
    # the subject has no date of birth: an age at observation is kept in the provenance,
    # after the assay, and written back as the measurement's timeObserved
    packet = json.loads(MEASUREMENTS.read_text())
    packet["measurements"][2]["timeObserved"] = {"age": {"iso8601duration": "P42Y"}}
    path = tmp_path / "bp.json"
    path.write_text(json.dumps(packet))
    with api.open_registry(f"sqlite:///{tmp_path}/pp.db") as registry:
        api.import_phenopackets(registry, [path])
        api.export_phenopackets(registry, tmp_path / "out")
    (written,) = (tmp_path / "out").glob("*.json")
    by_assay = {m["assay"]["id"]: m for m in json.loads(written.read_text())["measurements"]}
    assert by_assay["NCIT:C25298"]["timeObserved"] == {"age": {"iso8601duration": "P42Y"}}
