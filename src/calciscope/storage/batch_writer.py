"""The writer every importer writes through, inside the transaction of an import.

:class:`BatchWriter` runs inside the transaction of
:meth:`~calciscope.storage.registry.Registry.bulk_import`: patients are checked against the
registry and each other (:mod:`calciscope.storage.integrity`), notes and images upserted by id
(:mod:`calciscope.storage.imported_notes`), and facts whose statement the registry already
holds left out, so a batch (:class:`~calciscope.storage.batch.Batch`) lands whole or not at
all and importing it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from calciscope.errors import Problem, ValidationError
from calciscope.model import STORED, Fact, Image, Note, Patient, before_birth
from calciscope.storage import schema
from calciscope.storage.batch import CHUNK, Batch, model_rows, stored_patient_ids
from calciscope.storage.bulk import FACT_COLUMNS, FactSink, fact_sink, fact_table
from calciscope.storage.bulk_sql import copy_upsert, one_of
from calciscope.storage.imported_notes import ImportedNotes, drop_rtf_suggestions, note_content
from calciscope.storage.integrity import (
    PatientOrigin,
    PatientReconciler,
    PatientStates,
    StatementIndex,
    statement_key,
)
from calciscope.storage.lifetime import ORIGIN_COLUMNS, Birth, BirthCheck
from calciscope.storage.patient_states import TablePatientStates
from calciscope.storage.reimport import (
    FactStore,
    SqlFacts,
    Stated,
    record_slot,
    supersede_reimported,
)

if TYPE_CHECKING:
    from calciscope.storage.registry import Registry

__all__ = ["BatchWriter"]


def _with_patient_problems(exc: ValidationError, problems: list[Problem]) -> ValidationError:
    if not problems:
        return exc
    return ValidationError([*exc.problems, *problems], summary=exc.summary)


def _id(patient: Patient) -> str:
    return patient.patient_id


def _birth_changed(before: Patient | None, after: Patient) -> bool:
    """Whether a stored patient's birth date or year is changed (None: not stored)."""
    if before is None:
        return False
    return (before.birth_date, before.birth_year) != (after.birth_date, after.birth_year)


class BatchWriter:
    """Writes records inside the transaction of :meth:`Registry.bulk_import`.

    Every importer writes through here, so the checks of :mod:`calciscope.storage.integrity`
    apply to all of them: patients that disagree are collected as problems (raised when the
    import ends, rolling it back), statements the registry already holds are not added again.
    """

    def __init__(self, registry: Registry, batch_id: str, *, update_patients: bool = False) -> None:
        self.registry = registry
        self.batch_id = batch_id
        self.conn: Connection | None = None
        self.counts = {"patients": 0, "facts": 0, "notes": 0, "images": 0}
        self.source = ""
        self.reconciler = PatientReconciler(
            update=update_patients, source_ids=self._source_ids, states=self._patient_states()
        )
        self.already = 0
        #: the notes of this import, and the stored notes whose raw RTF they replace
        self._notes = ImportedNotes()
        self._statements: dict[str, StatementIndex] = {}
        self._sink: FactSink | None = None
        self._births: BirthCheck | None = None
        #: record slots (:mod:`calciscope.storage.reimport`) of rows left out as already held
        self._stated: Stated = {}
        #: the confirmed superseded facts of the stored patients (a source may revert to one)
        self._superseded_ids: dict[str, set[str]] = {}  # per patient
        #: whether facts of patients the registry held before were written (else no re-import)
        self._stored_patients_facts = False
        #: the counts of :func:`~calciscope.storage.reimport.supersede_reimported`
        self._reimport_counts: dict[str, int] = {}

    def write(self, batch: Batch) -> None:
        """Write patients (checked), notes and images; insert facts the registry does not hold.

        Facts, as records or as fact tables, all go through :meth:`write_fact_rows`.
        """
        assert self.conn is not None, "use Registry.bulk_import()"
        upsert = self.registry._upsert
        origins = [
            origin or PatientOrigin(self.source, f"patient {p.patient_id}")
            for p, origin in zip(batch.patients, batch.origins(), strict=True)
        ]
        # a patient read twice in one import (two Patient entries of a bundle, a repeated row)
        # is one patient of the summary, not two
        ids = {p.patient_id for p in batch.patients}
        fresh = len(ids - self.reconciler.seen(ids)) if ids else 0
        patients = self.reconciler.rows(zip(batch.patients, origins, strict=True), self._stored)
        self._check_stored_facts(
            patients, dict(zip(map(_id, batch.patients), origins, strict=True))
        )
        write = copy_upsert if self.dialect == "postgresql" else upsert  # COPY: bulk_sql
        write(self.conn, schema.patients, model_rows(patients), "patient_id", update=True)
        notes = self._check_notes(batch.notes)
        self._check_dated(notes, batch.images, batch.record_origins)
        upsert(self.conn, schema.notes, model_rows(notes), "note_id", update=True)
        upsert(self.conn, schema.images, model_rows(batch.images), "image_id", update=True)
        if batch.facts:
            self.write_fact_rows(fact_table(batch.facts))
        for rows in batch.fact_rows:
            self.write_fact_rows(rows)
        if batch.folded:
            self.write_fact_rows(fact_table(self._unfolded(batch.folded)))
        for key, value in batch.counts().items():
            if key not in ("facts", "patients"):
                self.counts[key] += value
        self.counts["patients"] += fresh

    def _check_dated(
        self, notes: list[Note], images: list[Image], origins: dict[str, PatientOrigin]
    ) -> None:
        """Refuse a note or image dated before its patient's birth (the facts' rule).

        The facts read from a note or image take its date (note extraction, image readings),
        so one dated before birth would give facts no importer may write (fixes16). The birth
        is the registry's once this batch's patients are written, as for the facts. The
        problem names the file and line or row the record was read from (``origins``, by
        ``"note ID"``), as the other import errors do (fixes17); a reader that does not say
        where leaves the import's source and the record's id.
        """
        dated = [
            *((n.patient_id, n.note_date, f"note {n.note_id}", "note_date") for n in notes),
            *((i.patient_id, i.image_date, f"image {i.image_id}", "image_date") for i in images),
        ]
        dated = [item for item in dated if item[1] is not None]
        births = self._birth_of({pid for pid, *_ in dated}) if dated else {}
        for pid, when, where, name in dated:
            assert when is not None
            problem = pid in births and before_birth(when, *births[pid])
            if problem:
                kind = where.split(" ", 1)[0]
                message = problem.replace("a fact cannot", f"a {kind} cannot")
                origin = origins.get(where)
                if origin is None:
                    problem_at = Problem(self.source, where, name, f"{message} (patient {pid!r})")
                else:
                    message = f"{message} ({where}, patient {pid!r})"
                    problem_at = Problem(origin.source, origin.location, name, message)
                self.reconciler.problems.append(problem_at)

    def _check_notes(self, notes: list[Note]) -> list[Note]:
        """Refuse a note that another note of the import, or a stored note, gives other content.

        See :meth:`ImportedNotes.check <calciscope.storage.imported_notes.ImportedNotes.check>`.
        Returns the notes to write.
        """
        if not notes:
            return notes
        stored = self._stored_notes({n.note_id for n in notes}, {n.patient_id for n in notes})
        return self._notes.check(notes, stored, self.source, self.reconciler.problems)

    def _stored_notes(self, ids: set[str], patients: set[str]) -> dict[str, tuple[Any, ...]]:
        """Return the content (:func:`~calciscope.storage.imported_notes.note_content`) of the stored notes of these ids."""
        assert self.conn is not None
        found: dict[str, tuple[Any, ...]] = {}
        wanted, t = sorted(ids), schema.notes
        for start in range(0, len(wanted), CHUNK):
            q = sa.select(*(t.c[name] for name in Note.model_fields)).where(
                one_of(t.c.note_id, wanted[start : start + CHUNK], self.dialect)
            )
            for row in self.conn.execute(q).mappings():
                note = Note.model_validate(dict(row), context=STORED)
                found[note.note_id] = note_content(note)
        return found

    def write_fact_rows(self, rows: pa.Table) -> None:
        """Insert validated fact rows (:mod:`calciscope.storage.bulk`) the registry does not hold.

        Rows whose statement a confirmed stored fact already makes are left out (counted as
        ``facts_already_in_registry``); rows whose ``fact_id`` is stored keep the stored row.
        """
        assert self.conn is not None, "use Registry.bulk_import()"
        self.counts["facts"] += rows.num_rows
        born = self._born(rows)
        kept = self._new_statement_rows(born)
        self.already += born.num_rows - kept.num_rows
        if self._sink is None:
            self._sink = self._fact_sink()
        if any(name in kept.column_names for name in ORIGIN_COLUMNS):
            kept = kept.select(list(FACT_COLUMNS))  # where a row was read is not stored
        self._sink.write(kept, self.batch_id)

    def _born(self, rows: pa.Table) -> pa.Table:
        """Return the rows not dated before their patient's birth (the others are problems).

        The import's patients are written before its facts, so the birth compared with is
        the registry's at the end of the import (:mod:`calciscope.storage.lifetime`).
        """
        if self._births is None:
            self._births = BirthCheck(self.source, self.reconciler.problems)
        if rows.column("effective_date").null_count == rows.num_rows:
            return rows
        ids = set(pc.unique(rows.column("patient_id")).to_pylist())
        return self._births.rows_born(rows, self._birth_of(ids))

    def _check_stored_facts(
        self, patients: list[Patient], origins: dict[str, PatientOrigin]
    ) -> None:
        """Refuse a birth this import gives a stored patient that its stored facts precede.

        A birth date added to a patient stored without one (or replaced, ``update_patients``)
        is compared with the earliest fact the registry holds for the patient (confirmed or
        suggested, not superseded), as the facts an import brings are compared with it.
        """
        born = [p for p in patients if p.birth_date is not None or p.birth_year is not None]
        states = self.reconciler.states.get({p.patient_id for p in born}) if born else {}
        # only a birth this import changes: a stored patient whose birth stays is not judged
        # again (a registry older than the check may hold such facts)
        born = [p for p in born if _birth_changed(states[p.patient_id].before, p)]
        earliest = self._earliest_facts({p.patient_id for p in born}) if born else {}
        for patient in born:
            first = earliest.get(patient.patient_id)
            problem = first and before_birth(first, patient.birth_date, patient.birth_year)
            if not first or not problem:
                continue
            origin = origins[patient.patient_id]
            field = "birth_date" if patient.birth_date else "birth_year"
            fact_id = self._fact_dated(patient.patient_id, first)
            message = (
                f"the registry holds a fact of patient {patient.patient_id!r} dated "
                f"{first.isoformat()}: {problem}; correct the birth given, or correct or "
                f"reject fact {fact_id} first (calciscope facts correct / review reject)"
            )
            self.reconciler.problems.append(Problem(origin.source, origin.location, field, message))

    def _fact_dated(self, patient_id: str, day: dt.date) -> str:
        """Return the id of a current fact of the patient dated ``day`` (for a message)."""
        assert self.conn is not None
        t = schema.facts
        q = (
            sa.select(t.c.fact_id)
            .where(
                t.c.patient_id == patient_id,
                t.c.effective_date == day,
                t.c.superseded_by.is_(None),
                t.c.review_state != "rejected",
            )
            .order_by(t.c.fact_id)
            .limit(1)
        )
        return str(self.conn.execute(q).scalar())

    def _earliest_facts(self, ids: set[str]) -> dict[str, dt.date]:
        """Return the earliest stored fact date of each patient (not superseded or rejected)."""
        assert self.conn is not None
        t, wanted, found = schema.facts, sorted(ids), dict[str, dt.date]()
        for start in range(0, len(wanted), CHUNK):
            q = (
                sa.select(t.c.patient_id, sa.func.min(t.c.effective_date))
                .where(
                    one_of(t.c.patient_id, wanted[start : start + CHUNK], self.dialect),
                    t.c.superseded_by.is_(None),
                    t.c.review_state != "rejected",
                )
                .group_by(t.c.patient_id)
            )
            found.update((pid, first) for pid, first in self.conn.execute(q) if first)
        return found

    def _birth_of(self, ids: set[str]) -> dict[str, Birth]:
        """Return the registry's birth date and year of each patient (as this import sees it)."""
        assert self.conn is not None
        found: dict[str, Birth] = {}
        wanted, t = sorted(ids), schema.patients
        for start in range(0, len(wanted), CHUNK):
            q = sa.select(t.c.patient_id, t.c.birth_date, t.c.birth_year).where(
                one_of(t.c.patient_id, wanted[start : start + CHUNK], self.dialect),
                sa.or_(t.c.birth_date.is_not(None), t.c.birth_year.is_not(None)),
            )
            found.update((pid, (date, year)) for pid, date, year in self.conn.execute(q))
        return found

    def _patient_states(self) -> PatientStates:
        """Return where the import check keeps each patient's state: a temporary table."""
        return TablePatientStates(self)

    @property
    def dialect(self) -> str:
        """The registry's dialect (where the import's temporary tables are written)."""
        return self.registry.dialect

    @contextmanager
    def checked(self) -> Iterator[BatchWriter]:
        """Run the import's block; fail it on the reader's or the integrity checks' problems.

        Every registry's ``bulk_import`` runs its block in here, inside its own transaction (or
        staging folder), so that the problems are reported alike: the reader's and the
        patients' together. On success the import's source ids are recorded.
        """
        try:
            yield self
        except ValidationError as exc:
            self._count_unlisted()
            raise _with_patient_problems(exc, self.reconciler.problems) from None
        self._count_unlisted()
        if self.reconciler.problems:
            raise ValidationError(self.reconciler.problems, summary=f"cannot import {self.source}")
        self.finish()

    def _count_unlisted(self) -> None:
        if self._births is not None:
            self._births.finish()

    def batch_row(self, source_hash: str) -> dict[str, Any]:
        """Return the import's ``import_batches`` row (written when the import commits)."""
        return {
            "batch_id": self.batch_id,
            "source": self.source,
            "source_hash": source_hash,
            "imported_at": dt.datetime.now(dt.UTC),
            "counts": self.summary_counts(),
        }

    def finish(self) -> None:
        """Supersede re-imported facts, record the import's source ids, drop its temporary table."""
        self.supersede_reimported()
        self.drop_rtf_suggestions()
        self.write_source_ids()
        states = self.reconciler.states
        if isinstance(states, TablePatientStates):
            states.drop()

    def supersede_reimported(self) -> None:
        """Let this import's facts supersede older versions of the same source records.

        See :mod:`calciscope.storage.reimport`; only when facts of patients stored before this
        import were written (an import of new patients only has nothing to supersede).
        """
        assert self.conn is not None
        if self._stored_patients_facts:
            store = self._fact_store()
            self._reimport_counts = supersede_reimported(
                store, self.batch_id, self.source, self._stated
            )

    def _fact_store(self) -> FactStore:
        """Return where the re-import matching reads and writes facts (the import's connection)."""
        assert self.conn is not None
        return SqlFacts(self.conn, self.dialect)

    def drop_rtf_suggestions(self) -> None:
        """Delete the undecided suggestions read from notes whose raw RTF this import replaced.

        See :func:`~calciscope.storage.imported_notes.drop_rtf_suggestions`. Counted as
        ``notes_rtf_replaced`` and ``note_suggestions_dropped``.
        """
        assert self.conn is not None
        replaced = self._notes.rtf_replaced
        if not replaced:
            return
        dropped = drop_rtf_suggestions(
            self.conn, replaced, source=self.source, batch_id=self.batch_id, dialect=self.dialect
        )
        self._reimport_counts["notes_rtf_replaced"] = len(replaced)
        if dropped:
            self._reimport_counts["note_suggestions_dropped"] = dropped

    def _fact_sink(self) -> FactSink:
        """Return the bulk fact writer of this import (the Spark registry stages Parquet)."""
        assert self.conn is not None
        return fact_sink(self.conn)

    def existing_patient_ids(self, ids: Iterable[str]) -> set[str]:
        """Return which ids are in the registry, as seen inside this import's transaction."""
        assert self.conn is not None, "use Registry.bulk_import()"
        return stored_patient_ids(self.conn, ids)

    def summary_counts(self) -> dict[str, int]:
        """Return the batch's counts: records carried, plus what the integrity checks did."""
        extra = self.reconciler.counts() | self._reimport_counts
        if self.already:
            extra["facts_already_in_registry"] = self.already
        return self.counts | extra

    def _stored(self, ids: set[str]) -> dict[str, Patient]:
        assert self.conn is not None
        found: dict[str, Patient] = {}
        wanted = sorted(ids)
        for start in range(0, len(wanted), CHUNK):
            t = schema.patients
            columns = [t.c[name] for name in Patient.model_fields]
            q = sa.select(*columns).where(
                one_of(t.c.patient_id, wanted[start : start + CHUNK], self.dialect)
            )
            found.update(
                (r["patient_id"], Patient.model_validate(dict(r), context=STORED))
                for r in self.conn.execute(q).mappings()
            )
        return found

    def _source_ids(self, ids: set[str]) -> dict[str, set[str]]:
        assert self.conn is not None
        found: dict[str, set[str]] = {}
        wanted, t = sorted(ids), schema.patient_source_ids
        for start in range(0, len(wanted), CHUNK):
            q = sa.select(t.c.patient_id, t.c.source_id).where(
                one_of(t.c.patient_id, wanted[start : start + CHUNK], self.dialect)
            )
            for patient_id, source_id in self.conn.execute(q):
                found.setdefault(patient_id, set()).add(source_id)
        return found

    def write_source_ids(self) -> None:
        """Record the source ids this import brought (called once its patients are written)."""
        assert self.conn is not None
        rows: list[dict[str, str]] = []
        for pid, raw in self.reconciler.states.new_source_ids():
            rows.append({"patient_id": pid, "source_id": raw, "batch_id": self.batch_id})
            if len(rows) == CHUNK:
                self.conn.execute(schema.patient_source_ids.insert(), rows)
                rows = []
        if rows:
            self.conn.execute(schema.patient_source_ids.insert(), rows)

    def _new_statement_rows(self, rows: pa.Table) -> pa.Table:
        """Return the rows whose statement the registry did not hold before this import."""
        pids = set(pc.unique(rows.column("patient_id")).to_pylist())
        # patients new to the registry hold no statements; only this block's are kept
        ids = pids - self.reconciler.new_in_registry(pids)
        self._statements = {p: self._statements[p] for p in ids if p in self._statements}
        self._load_statements(ids - self._statements.keys())
        if ids:
            self._stored_patients_facts = True
        self._superseded_ids = {
            p: self._superseded_ids[p] for p in ids if p in self._superseded_ids
        }
        if self._superseded_ids:
            earlier = [f for found in self._superseded_ids.values() for f in found]
            again = pc.is_in(rows.column("fact_id"), pa.array(earlier, pa.string()))
            for row in rows.filter(again).to_pylist():
                self._note_stated(row, "revive")
        held_by = [p for p in ids if self._statements[p]]
        if not held_by:
            return rows
        check = pc.is_in(rows.column("patient_id"), pa.array(held_by, pa.string()))
        positions = pc.indices_nonzero(check).to_pylist()
        candidates = rows.take(positions).to_pylist()
        drop = []
        for position, row in zip(positions, candidates, strict=True):
            if self._statements[row["patient_id"]].holds(row):
                drop.append(position)
                self._note_stated(row, "held")
        if not drop:
            return rows
        keep = pc.invert(pc.is_in(pa.array(range(rows.num_rows)), pa.array(drop)))
        return rows.filter(keep)

    def _unfolded(self, folded: list[tuple[Fact, tuple[Fact, ...]]]) -> list[Fact]:
        """Return the folded facts to write: not those whose parts the registry all holds."""
        ids = {one.patient_id for one, _ in folded}
        stored = ids - self.reconciler.new_in_registry(ids)
        self._load_statements(stored - self._statements.keys())
        kept = []
        for one, parts in folded:
            held = self._statements.get(one.patient_id)
            if held and all(held.holds(part) for part in parts):
                self.counts["facts"] += 1
                self.already += 1
                self._note_stated(one.__dict__, "held")
            else:
                if one.fact_id in self._superseded_ids.get(one.patient_id, ()):
                    self._note_stated(one.__dict__, "revive")
                kept.append(one)
        return kept

    def _load_statements(self, ids: set[str]) -> None:
        """Index the confirmed facts of earlier imports of ``ids``: current ones are held."""
        wanted = sorted(ids)
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            self._statements.update((pid, StatementIndex()) for pid in chunk)
            for row in self._confirmed_rows(chunk):
                # only current facts are held: a superseded value stated again is new again
                if row["superseded_by"] is not None:
                    self._superseded_ids.setdefault(row["patient_id"], set()).add(row["fact_id"])
                else:
                    self._statements[row["patient_id"]].add(row)

    def _confirmed_rows(self, ids: list[str]) -> Iterable[dict[str, Any]]:
        """Return the confirmed fact rows of the patients ``ids`` not of this import."""
        assert self.conn is not None
        t = schema.facts
        skip = ("provenance", "review_state", "fact_id", "superseded_by")
        columns = [c for c in t.columns if c.name not in skip]
        columns += [t.c.fact_id, t.c.superseded_by]
        q = sa.select(*columns).where(
            one_of(t.c.patient_id, ids, self.dialect),
            t.c.review_state == "confirmed",
            sa.or_(t.c.batch_id.is_(None), t.c.batch_id != self.batch_id),
        )
        return [dict(row) for row in self.conn.execute(q).mappings()]

    def _note_stated(self, row: Mapping[str, Any], kind: str) -> None:
        """Note a row of this import not written as a new row (:data:`reimport.Stated`)."""
        slot = record_slot(row)
        if slot is None:
            return
        if kind == "held":
            what: Any = (*statement_key(row), row.get("effective_date"))
        else:
            what = row["fact_id"]
        entries, entry = self._stated.setdefault(slot, []), (str(row["patient_id"]), kind, what)
        if entry not in entries:  # one row stated twice (a folded fact passes twice) is one
            entries.append(entry)
