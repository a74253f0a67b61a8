"""The third-party files kept in tests/data: unmodified copies, documented, used without ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

IN_REPO_DATA = Path(__file__).resolve().parents[1] / "data"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
COPIES = sorted(p for p in IN_REPO_DATA.rglob("*") if p.is_file() and p.name != "README.md")


def test_the_subset_is_small_and_documented():
    assert COPIES, "tests/data holds the third-party subset"
    assert sum(p.stat().st_size for p in COPIES) < 3_000_000
    readme = (IN_REPO_DATA / "README.md").read_text(encoding="utf-8")
    for top in {p.relative_to(IN_REPO_DATA).parts[:2] for p in COPIES}:
        assert "/".join(top) in readme, top


def _fetched_upstream() -> set[str]:
    """Return the files the README lists as fetched upstream, not copied from ../shared/data."""
    readme = (IN_REPO_DATA / "README.md").read_text(encoding="utf-8")
    section = readme.partition("## Fetched from upstream")[2]
    return {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}


@pytest.mark.parametrize("path", COPIES, ids=lambda p: str(p.relative_to(IN_REPO_DATA)))
def test_each_copy_is_identical_to_its_original(path):
    relative = path.relative_to(IN_REPO_DATA)
    if relative.as_posix() in _fetched_upstream():
        assert not (SHARED / relative).exists(), "a copy of ../shared/data belongs above"
        return
    original = SHARED / relative
    if not SHARED.is_dir():
        pytest.skip("../shared/data is absent: nothing to compare with")
    assert original.read_bytes() == path.read_bytes()


def test_without_shared_data_the_copies_serve_and_the_rest_skips(data_dir, monkeypatch, tmp_path):
    monkeypatch.setitem(data_dir.__globals__, "DATA", tmp_path / "absent")
    monkeypatch.delenv("CI", raising=False)
    folder = data_dir("redcap", "rarelink_evaluation_cohort", "phenopackets")
    assert folder.is_relative_to(IN_REPO_DATA) and (folder / "8.json").is_file()
    with pytest.raises(pytest.skip.Exception):
        data_dir("redcap", "REDCapR_test_projects", "projects")  # the whole set is not kept
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI needs \.\./shared/data"):
        data_dir("omop", "synthea27nj_v5.4_csv")


def test_rarelink_phenopackets_from_the_repository_copy(data_dir, monkeypatch, tmp_path):
    import datetime as dt

    from calciscope.interop.phenopackets import read_phenopackets

    monkeypatch.setitem(data_dir.__globals__, "DATA", tmp_path / "absent")
    folder = data_dir("redcap", "rarelink_evaluation_cohort", "phenopackets")
    result = read_phenopackets(sorted(folder.glob("[0-9]*.json")))
    assert len(result.batch.patients) == 10
    eight = next(p for p in result.batch.patients if p.patient_id == "8")
    assert eight.birth_date == dt.date(2009, 12, 3)
