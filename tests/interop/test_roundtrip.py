"""The default demo cohort → each format → back gives the same feature table (through the registry).

The cohort is the session's ``demo_registry_url`` (600 patients, seed 0; read-only here): each
test exports it, imports the file into a fresh registry and compares the feature tables.
"""

from __future__ import annotations

import datetime as dt

import pytest

from calciscope import api

INDEX = dt.date(2026, 1, 1)
pytestmark = pytest.mark.slow  # the three take about 22 s on 2 cores: CI runs them


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_registry_url):
    root = tmp_path_factory.mktemp("roundtrip")
    registry = api.open_registry(demo_registry_url)
    yield root, registry, _table(registry)
    registry.close()


def _table(registry):
    return (
        api.feature_table(registry, index_date=INDEX)
        .to_pandas()
        .sort_values("patient_id")
        .reset_index(drop=True)
    )


def _differing(before, after):
    assert list(before.patient_id) == list(after.patient_id)
    return {c for c in before.columns if not before[c].astype(str).equals(after[c].astype(str))}


def test_fhir_round_trip_keeps_the_feature_table(demo):
    root, source, before = demo
    report = api.export_fhir(source, root / "cohort.json", group_name="demo")
    assert report.written["Patient"] == source.counts()["patients"] == 600
    assert report.written["Group"] == 1
    target = api.open_registry(f"sqlite:///{root}/fhir.db")
    result = api.import_fhir(target, [root / "cohort.json"])
    assert result.read.skipped == {("Group", "cohort membership is not stored in the registry"): 1}
    assert _differing(before, _table(target)) == set()
    assert (
        target.counts()["notes"] == source.counts()["notes"]
        and target.counts()["images"] == source.counts()["images"]
    )


def test_redcap_round_trip_keeps_the_feature_table(demo):
    root, source, before = demo
    report = api.export_redcap(source, root / "redcap")
    # only what a one-value number field cannot hold: other values and the date (counted)
    fields = {reason.split(": ")[1].split(" ")[0] for reason in report.skipped}
    assert all(r.startswith(("not kept: ", "date not kept: ")) for r in report.skipped)
    assert "ck_max" in fields and all(f == "ck_max" or f.startswith("mrss_") for f in fields)
    target = api.open_registry(f"sqlite:///{root}/redcap.db")
    folder = root / "redcap"
    api.import_redcap(
        target, folder / "data.csv", folder / "dictionary.csv", folder / "mapping.yaml"
    )
    assert _differing(before, _table(target)) == set()


def test_phenopackets_round_trip_differs_only_where_documented(demo):
    root, source, before = demo
    report = api.export_phenopackets(source, root / "packets")
    assert report.written["phenopacket"] == 600 and not report.skipped
    target = api.open_registry(f"sqlite:///{root}/packets.db")
    api.import_phenopackets(target, [root / "packets"])
    # The curation rule (no term with its ancestor) keeps redundant HPO terms out of the
    # features; antibody results travel as Positive / Negative measurements instead, and the
    # centre and synthetic flag as calciscope external references.
    redundant = [w.message for w in report.warnings if w.message.startswith("redundant")]
    assert redundant and all(m.endswith("written as a measurement") for m in redundant)
    after = _table(target)
    assert _differing(before, after) == set()
    assert after.synthetic.all()
