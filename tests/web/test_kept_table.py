"""The web app's patient table is computed once per registry generation and kept in a file.

SYNTHETIC demo registry. ``api.kept_patient_table`` gives the table ``list_patients`` gives;
while the registry's generation is the same it reads the kept file instead of computing, two
askers at once compute it once between them, and any write makes it compute again.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from calciscope import api
from calciscope.api import kept_table


@pytest.fixture
def registry_url(tmp_path: Path, demo_registry_url: str) -> str:
    path = tmp_path / "demo.db"
    shutil.copy(demo_registry_url.split(":///", 1)[1], path)
    return f"sqlite:///{path}"


def test_the_kept_table_is_computed_once_per_generation(
    registry_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "kept"
    computed: list[int] = []
    compute = kept_table.list_patients

    def counting(registry: api.Registry, **options: object) -> tuple[object, int]:
        computed.append(1)
        return compute(registry, **options)

    monkeypatch.setattr(kept_table, "list_patients", counting)
    with api.open_registry(registry_url) as registry:
        expected = compute(registry)[0]
        tables = []
        askers = [
            threading.Thread(target=lambda: tables.append(api.kept_patient_table(registry, folder)))
            for _ in range(3)
        ]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
        assert len(computed) == 1  # the others waited for it and read its file
        assert all(t.equals(expected) for t in tables) and len(tables) == 3
        (kept,) = folder.glob("patients-*.arrow")
        assert kept.stat().st_mode & 0o077 == 0  # patient data: the owner's only
        assert api.kept_patient_table(registry, folder).equals(expected)
        assert len(computed) == 1
        pid = str(expected["patient_id"][0])
        api.add_fact(
            registry,
            {"patient_id": pid, "system": "calciscope", "code": "sclerodactyly"},
            author="tester",
            reason="SYNTHETIC",
        )
        again = api.kept_patient_table(registry, folder)
        assert len(computed) == 2
        assert again.equals(compute(registry)[0])
        assert [p.name for p in folder.glob("patients-*.arrow")] != [kept.name]
        assert len(list(folder.glob("patients-*.arrow"))) == 1


def test_two_registries_kept_in_one_folder_never_share_a_table(
    registry_url: str, tmp_path: Path
) -> None:
    """Two copies of one registry have the same generation: each is kept under its own name."""
    other = tmp_path / "copy.db"
    shutil.copy(registry_url.split(":///", 1)[1], other)
    folder = tmp_path / "kept"
    with (
        api.open_registry(registry_url) as first,
        api.open_registry(f"sqlite:///{other}") as second,
    ):
        assert first.generation() == second.generation()
        api.kept_patient_table(first, folder)
        pid = str(api.kept_patient_table(first, folder)["patient_id"][0])
        api.add_fact(
            second,
            {"patient_id": pid, "system": "calciscope", "code": "sclerodactyly"},
            author="tester",
            reason="SYNTHETIC",
        )
        assert api.kept_patient_table(second, folder).equals(api.list_patients(second)[0])
        assert len(list(folder.glob("patients-*.arrow"))) == 2  # neither removed the other's
        assert api.kept_patient_table(first, folder).equals(api.list_patients(first)[0])


def test_a_damaged_kept_table_is_computed_again(registry_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "kept"
    with api.open_registry(registry_url) as registry:
        expected = api.kept_patient_table(registry, folder)
        (kept,) = folder.glob("patients-*.arrow")
        kept.write_bytes(kept.read_bytes()[:100])  # truncated (a disk fault, say)
        assert api.kept_patient_table(registry, folder).equals(expected)
        assert api.kept_patient_table(registry, folder).equals(expected)  # kept again, whole
        assert [p.name for p in folder.iterdir() if p.name != ".lock"] == [kept.name]


def test_a_table_that_cannot_be_kept_is_still_returned(
    registry_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no space left")

    with api.open_registry(registry_url) as registry:
        expected = api.list_patients(registry)[0]
        monkeypatch.setattr(kept_table.feather, "write_feather", full)
        assert api.kept_patient_table(registry, tmp_path / "kept").equals(expected)
        assert [p.name for p in (tmp_path / "kept").iterdir()] == [".lock"]  # no part file
        (tmp_path / "file").write_text("a file where the folder would be")
        assert api.kept_patient_table(registry, tmp_path / "file" / "kept").equals(expected)
