"""``notes extract`` writes its suggested facts in large transactions; what lands is the same."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from calciscope import api
from calciscope.api import notes as notes_api
from calciscope.extract.pipeline import extractor_for
from calciscope.model import Note, Patient
from calciscope.storage import Batch

_TEXTS = [
    "Sheet-like calcinosis of both thighs. Anti-PM/Scl positive.",
    "No calcinosis. Creatine kinase 300 U/L.",
    "Nodular calcinosis at the left thumb; dcSSc.",
]


def _registry(url: str):
    registry = api.open_registry(url)
    notes = [
        Note(
            note_id=f"P{p}-L{i}",
            patient_id=f"P{p}",
            note_date=dt.date(2020, 1, 1 + i),
            text=text,
            synthetic=True,
        )
        for p in range(3)
        for i, text in enumerate(_TEXTS)
    ]
    patients = [Patient(patient_id=f"P{p}", synthetic=True) for p in range(3)]
    registry.import_batch(Batch(patients=patients, notes=notes), source="test", source_hash="t")
    return registry


def _facts(registry) -> list[tuple]:
    with registry.engine.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(sa.text("SELECT * FROM facts WHERE source_kind = 'note'"))
        )


def test_writing_every_batch_or_once_stores_the_same_rows(tmp_path, monkeypatch):
    once = _registry(f"sqlite:///{tmp_path / 'once.db'}")
    summary = api.extract_notes(once, chunk=2)
    monkeypatch.setattr(notes_api, "_WRITE_ROWS", 1)  # a transaction per batch of 2 notes
    each = _registry(f"sqlite:///{tmp_path / 'each.db'}")
    assert api.extract_notes(each, chunk=2) == summary
    assert summary.notes == 9 and summary.new_facts == summary.facts > 9
    assert summary.engine == extractor_for().version  # read from the rules, none compiled
    stored = _facts(once)
    assert stored == _facts(each)
    assert all(row[16] is None for row in stored)  # batch_id: from no import
    again = api.extract_notes(once, chunk=4)
    assert again.new_facts == 0 and _facts(once) == stored


def test_notes_read_by_id_range_or_streamed_give_the_same_facts(tmp_path, monkeypatch):
    since = dt.date(2020, 1, 2)
    ranged = _registry(f"sqlite:///{tmp_path / 'ranged.db'}")
    assert len(list(notes_api._note_ranges(ranged, since, 2) or [])) == 3  # 6 notes, 2 a batch
    by_range = api.extract_notes(ranged, chunk=2, since=since)
    monkeypatch.setattr(notes_api, "_note_ranges", lambda *args: None)  # as a Spark registry
    streamed = _registry(f"sqlite:///{tmp_path / 'streamed.db'}")
    assert api.extract_notes(streamed, chunk=2, since=since) == by_range
    assert by_range.notes == 6 and by_range.new_facts > 0
    assert _facts(ranged) == _facts(streamed)


def _plain(rows: list[tuple]) -> list[tuple]:
    """Rows with dates as ISO text (SQLite returns the stored text, PostgreSQL a date)."""
    return sorted(tuple(v.isoformat() if isinstance(v, dt.date) else v for v in r) for r in rows)


def test_suggested_facts_are_the_same_on_postgresql(tmp_path, postgres_database):
    lite = _registry(f"sqlite:///{tmp_path / 'lite.db'}")
    server = _registry(postgres_database())
    try:
        summary = api.extract_notes(lite, chunk=2)
        assert api.extract_notes(server, chunk=2) == summary
        assert summary.new_facts == summary.facts > 9
        assert _plain(_facts(server)) == _plain(_facts(lite))
        assert api.extract_notes(server, chunk=4).new_facts == 0  # re-run: nothing new
    finally:
        server.close()


def test_a_reviewed_fact_is_kept_when_extraction_runs_again(tmp_path):
    registry = _registry(f"sqlite:///{tmp_path / 'reviewed.db'}")
    api.extract_notes(registry, chunk=2)
    with registry.engine.begin() as conn:
        fact_id = conn.execute(
            sa.text("SELECT fact_id FROM facts WHERE source_kind = 'note' ORDER BY fact_id")
        ).scalar()
        conn.execute(
            sa.text("UPDATE facts SET review_state = 'rejected', version = 2 WHERE fact_id = :f"),
            {"f": fact_id},
        )
    again = api.extract_notes(registry, chunk=3)
    assert again.new_facts == 0 and again.facts > 9
    with registry.engine.connect() as conn:
        state = conn.execute(
            sa.text("SELECT review_state, version FROM facts WHERE fact_id = :f"), {"f": fact_id}
        ).one()
    assert tuple(state) == ("rejected", 2)


def test_fact_values_need_every_fact_column(tmp_path):
    from calciscope.storage.bulk import FACT_COLUMNS, write_fact_values

    registry = _registry(f"sqlite:///{tmp_path / 'names.db'}")
    with registry.write() as conn, pytest.raises(ValueError, match="fact columns expected"):
        write_fact_values(conn, FACT_COLUMNS[:-1], [("x",) * (len(FACT_COLUMNS) - 1)])


def _rows(registry, where: str = "") -> dict[str, tuple]:
    query = (
        "SELECT fact_id, review_state, provenance FROM facts WHERE source_kind = 'note' " + where
    )
    with registry.engine.connect() as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(sa.text(query))}


def test_a_new_rules_version_replaces_only_never_reviewed_suggestions(tmp_path):
    from importlib import resources

    registry = _registry(f"sqlite:///{tmp_path / 'r.db'}")
    first = api.extract_notes(registry)
    assert first.replaced_facts == 0 and first.new_facts == first.facts
    ids = sorted(_rows(registry))
    confirmed, rejected = ids[0], ids[1]
    assert registry.set_review_state(confirmed, "confirmed")
    assert registry.set_review_state(rejected, "rejected")
    # a note fact that calciscope's extractor did not make (imported with its own provenance)
    with registry.write() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO facts (fact_id, patient_id, system, code, status, effective_date,"
                " source_kind, provenance, review_state, version) SELECT 'foreign-1', patient_id,"
                ' system, code, status, effective_date, source_kind, \'{"note_id": "X"}\','
                " 'suggested', 1 FROM facts WHERE fact_id = :id"
            ),
            {"id": ids[2]},
        )
    text = (
        resources.files("calciscope.extract").joinpath("rules", "targets.yaml").read_text("utf-8")
    )
    newer = tmp_path / "targets.yaml"
    newer.write_text(text.replace('version: "', 'version: "newer-', 1), encoding="utf-8")

    second = api.extract_notes(registry, target_rules=newer)
    assert second.engine != first.engine
    # the two decided findings are not suggested again under the new version's ids
    assert (second.facts, second.already_decided) == (first.facts - 2, 2)
    # every old suggestion is replaced by the new version's; the reviewed ones stay as they were
    assert second.replaced_facts == first.facts - 2
    rows = _rows(registry)
    assert rows[confirmed][0] == "confirmed" and rows[rejected][0] == "rejected"
    assert rows["foreign-1"][0] == "suggested"
    current = [f for f, (state, prov) in rows.items() if second.engine in (prov or "")]
    assert len(current) == second.facts
    assert len(rows) == second.facts + 3

    again = api.extract_notes(registry, target_rules=newer)  # same version: nothing changes
    assert (again.new_facts, again.replaced_facts) == (0, 0) and _rows(registry) == rows


def test_a_run_since_a_date_replaces_only_the_suggestions_of_the_notes_it_read(tmp_path):
    from importlib import resources

    registry = _registry(f"sqlite:///{tmp_path / 'r.db'}")
    first = api.extract_notes(registry)
    text = (
        resources.files("calciscope.extract").joinpath("rules", "targets.yaml").read_text("utf-8")
    )
    newer = tmp_path / "targets.yaml"
    newer.write_text(text.replace('version: "', 'version: "newer-', 1), encoding="utf-8")
    since = dt.date(2020, 1, 3)  # the third note of each patient
    second = api.extract_notes(registry, target_rules=newer, since=since)
    old = _rows(registry, f"AND provenance LIKE '%{first.engine}%'")
    assert old and second.replaced_facts == second.facts
    with registry.engine.connect() as conn:
        dates = {r[0] for r in conn.execute(sa.text(
            "SELECT effective_date FROM facts WHERE fact_id IN ("
            + ",".join(f"'{f}'" for f in old) + ")"))}  # fmt: skip
    assert all(str(d) < since.isoformat() for d in dates)


def test_a_correction_or_decision_is_not_suggested_again_by_a_new_rules_version(tmp_path):
    from importlib import resources

    registry = _registry(f"sqlite:///{tmp_path / 'decided.db'}")
    first = api.extract_notes(registry)
    with registry.engine.connect() as conn:
        thighs = (
            conn.execute(
                sa.text(
                    "SELECT fact_id FROM facts WHERE source_kind = 'note' AND patient_id = 'P0'"
                    ' AND provenance LIKE \'%"note_id": "P0-L0"%\' ORDER BY fact_id'
                )
            )
            .scalars()
            .all()
        )
    assert len(thighs) >= 2
    assert registry.set_review_state(thighs[0], "confirmed")
    # a correction supersedes the note fact: the old row keeps its words, with superseded_by set
    with registry.write() as conn:
        conn.execute(
            sa.text("UPDATE facts SET superseded_by = 'by-hand', version = 2 WHERE fact_id = :f"),
            {"f": thighs[1]},
        )
    text = (
        resources.files("calciscope.extract").joinpath("rules", "targets.yaml").read_text("utf-8")
    )
    newer = tmp_path / "targets.yaml"
    newer.write_text(text.replace('version: "', 'version: "newer-', 1), encoding="utf-8")
    second = api.extract_notes(registry, target_rules=newer)
    assert second.already_decided == 2 and second.facts == first.facts - 2
    with registry.engine.connect() as conn:
        again = conn.execute(
            sa.text(
                "SELECT count(*) FROM facts WHERE review_state = 'suggested'"
                ' AND provenance LIKE \'%"note_id": "P0-L0"%\''
                " AND provenance LIKE :engine"
            ),
            {"engine": f"%{second.engine}%"},
        ).scalar()
    assert again == len(thighs) - 2  # the undecided findings of that letter, and no others
