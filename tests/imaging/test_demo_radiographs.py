"""SYNTHETIC demo radiographs: phantom films of each region's true pattern, read by measurement."""

from __future__ import annotations

import csv

import pytest

pytest.importorskip("pydicom", reason="the imaging extra is not installed")

from calciscope import api
from calciscope.datasets.radiographs import READER, write_demo_radiographs


def test_demo_films_index_and_their_suggestions_wait_for_review(tmp_path):
    cohort = tmp_path / "cohort"
    api.generate_demo_data(cohort, patients=200, seed=0, notes=False)
    films = write_demo_radiographs(cohort, seed=0, nodular=2)
    with (cohort / "image_key.csv").open(newline="") as handle:
        key = list(csv.DictReader(handle))
    # the truth of each film: the lesions of its own region, not the patient's worst one
    truth = {(r["patient_id"], r["body_site"]): r["calcinosis_morphology"] for r in key}
    ids = dict(line.split(",") for line in films.mapping.read_text().split()[1:])
    assert films.films == len(ids) >= 3
    drawn_for = {r["calcinosis_morphology"] for r in key if r["patient_id"] in ids.values()}
    assert drawn_for >= {"nodular", "sheet_like"}

    registry = api.open_registry(f"sqlite:///{tmp_path / 'reg.db'}")
    try:
        api.import_directory(registry, cohort)
        indexed = api.import_images(registry, films.folder, mapping=films.mapping, workers=1)
        assert indexed.counts["images"] == films.films
        done = api.import_readings(registry, films.readings, actor="test")
        assert done.confirmed_facts == 0 and done.suggested_facts == films.films
        queue = api.review_queue(registry, kinds=["suggested_fact"])
        from_films = [i for i in queue if "a reading of image IMG-" in i.reason]
        assert len(from_films) == films.films
        # the measurement suggests the true pattern of the film's region (no mixed films)
        shown = [truth[(i.patient_id, i.fact.body_site.value)] for i in from_films]
        assert "mixed" not in shown and "" not in shown
        right = sum(t == i.fact.morphology.value for t, i in zip(shown, from_films, strict=True))
        assert right >= 0.9 * len(from_films)
        assert all(READER in i.fact.provenance for i in from_films)
        record = api.patient_record(registry, from_films[0].patient_id)
        assert any(im.image_id.startswith("IMG-") for im in record.images)
    finally:
        registry.close()
