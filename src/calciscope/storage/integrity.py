"""What an import may change in the registry: the one check every importer goes through.

Patients
    A patient record of an import is compared with the stored patient of that id and with the
    other records of the same import. A *stated* value (sex other than unknown, a birth date or
    year, a centre, the synthetic flag) that disagrees is a
    :class:`~calciscope.errors.Problem` naming the file, the row or entry and the field: the
    import fails. With ``update_patients`` a disagreement with the *stored* patient replaces it
    instead, and the import's batch counts ``patients_updated``; two records of one import that
    disagree always fail (there is no rule for which of them is right). A value the registry
    lacks is filled in (``patients_completed``); a value the import lacks never erases one.
    Two different source ids that become the same calciscope id (``Case 4`` and ``Case/4``)
    fail too. What the check remembers of each patient of the import (the registry's record
    before it, the import's merged record and where it was read, the source id) is kept in a
    :class:`PatientStates`: in memory for small imports and Spark, in a temporary table of
    the registry's database for SQLite and PostgreSQL (:mod:`calciscope.storage.registry`), so
    that an import of a million patients holds only the current chunk's in memory.

Facts
    A fact already held by the registry is not added again. Two facts are the same statement
    when they say the same about the same patient: the same code (or codes that mean the same
    catalogue concepts, as a phenopacket's Negative LOINC result and the HPO term it was
    written from), status, value, unit, site, side, morphology and method, and the same date -
    or no date, which the dated fact already says. Where it was read from (provenance, source
    kind) does not count, so re-importing calciscope's own export of a patient adds nothing;
    only confirmed stored facts count, so new evidence for a suggested or rejected fact is
    kept. The batch counts the facts left out as ``facts_already_in_registry``.

    What a fact may say is checked before it reaches this module, by the model every importer
    builds its facts with (:class:`calciscope.model.Fact`: a code's form, a date not after
    today, a concept's declared ``value_text`` values - ``ssc_subset`` dcssc / lcssc / sine -
    folded to lower case, anything else a problem naming file, row and field ``value_text``).
    A fact dated before its patient's birth is refused by the bulk writer once the import's
    patients are written (:mod:`calciscope.storage.lifetime`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Protocol

from calciscope.errors import Problem
from calciscope.features import load_catalogue
from calciscope.model import STORED, Fact, Patient, Sex
from calciscope.model.units import normalise_unit

__all__ = [
    "FactKey",
    "MemoryPatientStates",
    "PatientOrigin",
    "PatientReconciler",
    "PatientState",
    "PatientStates",
    "StatementIndex",
    "statement_key",
]

#: The fields of a fact that make its clinical content (besides patient, code and date).
_CONTENT = (
    "status",
    "value_num",
    "value_text",
    "unit",
    "unit_code",  # fix45: a unit id the registry lacked is new information, not held
    "reference_high",
    "body_site",
    "laterality",
    "morphology",
    "method",
)

FactKey = tuple[Any, ...]


@dataclass(frozen=True)
class PatientOrigin:
    """Where a patient record of an import was read, for the problems that name it.

    Parameters
    ----------
    source
        The file (or other source).
    location
        The row, entry or JSON path.
    raw_id
        The id as the source wrote it, before it was made a calciscope id (``Case 4``).
    stub
        The record only names the patient (a reference to ``Patient/<id>``): it states no
        sex, birth or centre and never changes a patient.
    """

    source: str
    location: str
    raw_id: str | None = None
    stub: bool = False


def _stated(patient: Patient) -> dict[str, Any]:
    """Return the values a patient record states (unknown sex and missing values say nothing)."""
    values: dict[str, Any] = {"synthetic": patient.synthetic}
    if patient.sex is not Sex.UNKNOWN:
        values["sex"] = patient.sex
    if patient.birth_date is not None:
        values["birth_date"] = patient.birth_date
    if patient.birth_year is not None:
        values["birth_year"] = patient.birth_year
    if patient.centre is not None:
        values["centre"] = patient.centre
    return values


def patient_disagreements(old: Patient, new: Patient) -> list[tuple[str, Any, Any]]:
    """Return ``(field, old value, new value)`` for each value both state differently."""
    a, b = _stated(old), _stated(new)
    names = ["sex", "birth_date", "centre", "synthetic"]
    if "birth_date" not in a or "birth_date" not in b:
        names.append("birth_year")  # two birth dates that differ say so themselves
    return [(k, a[k], b[k]) for k in names if k in a and k in b and a[k] != b[k]]


def merge_patients(old: Patient, new: Patient) -> Patient:
    """Return ``old`` with every value ``new`` states (``new`` wins where both state one)."""
    values = _stated(old) | _stated(new)
    if "birth_date" in values and values["birth_year"] != values["birth_date"].year:
        del values["birth_date"]  # ``new`` states only a year, which old's birth date contradicts
    # both were judged when they entered; a stored value is not judged again (model.STORED)
    return Patient.model_validate({"patient_id": new.patient_id, **values}, context=STORED)


def _shown(value: Any) -> str:
    if isinstance(value, Enum):
        return repr(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value)


@dataclass
class PatientState:
    """What the import check remembers of one patient id of an import."""

    #: The registry's patient before the import (None: not there).
    before: Patient | None
    #: This import's records of the id, merged, and where the first was read.
    seen: Patient | None = None
    origin: PatientOrigin | None = None
    #: The first source id (as written) that became this id, and where it was read.
    raw_id: str | None = None
    raw_origin: PatientOrigin | None = None
    #: The source id to record in ``patient_source_ids`` when the import ends.
    new_source_id: str | None = None

    def to_json(self) -> str:
        """Return the state as JSON text (for a table row)."""
        patient = lambda p: None if p is None else p.model_dump(mode="json")  # noqa: E731
        origin = lambda o: None if o is None else asdict(o)  # noqa: E731
        return json.dumps(
            [
                patient(self.before),
                patient(self.seen),
                origin(self.origin),
                self.raw_id,
                origin(self.raw_origin),
                self.new_source_id,
            ]
        )

    @classmethod
    def from_json(cls, text: str) -> PatientState:
        """Return the state :meth:`to_json` wrote."""
        before, seen, origin, raw_id, raw_origin, new_source_id = json.loads(text)
        patient = lambda p: None if p is None else Patient.model_validate(p, context=STORED)  # noqa: E731
        place = lambda o: None if o is None else PatientOrigin(**o)  # noqa: E731
        return cls(
            patient(before),
            patient(seen),
            place(origin),
            raw_id,
            place(raw_origin),
            new_source_id,
        )


class PatientStates(Protocol):
    """Where the import check keeps its :class:`PatientState` of each patient id of an import."""

    def get(self, ids: set[str]) -> dict[str, PatientState]:
        """Return the states of those ``ids`` that have one."""
        ...

    def put(self, states: Mapping[str, PatientState]) -> None:
        """Store (add or replace) states."""
        ...

    def new_source_ids(self) -> Iterator[tuple[str, str]]:
        """Yield ``(patient id, source id)`` to record, in patient id order."""
        ...

    def new_in_registry(self, ids: set[str]) -> set[str]:
        """Return those of ``ids`` whose state says the registry did not hold them."""
        ...


@dataclass
class MemoryPatientStates:
    """:class:`PatientStates` in a dict: one entry per patient of the import."""

    states: dict[str, PatientState] = field(default_factory=dict)

    def get(self, ids: set[str]) -> dict[str, PatientState]:
        """Return the states of those ``ids`` that have one."""
        return {pid: self.states[pid] for pid in ids if pid in self.states}

    def put(self, states: Mapping[str, PatientState]) -> None:
        """Store (add or replace) states."""
        self.states.update(states)

    def new_source_ids(self) -> Iterator[tuple[str, str]]:
        """Yield ``(patient id, source id)`` to record, in patient id order."""
        for pid in sorted(self.states):
            raw = self.states[pid].new_source_id
            if raw is not None:
                yield pid, raw

    def new_in_registry(self, ids: set[str]) -> set[str]:
        """Return those of ``ids`` whose state says the registry did not hold them."""
        return {pid for pid in ids if pid in self.states and self.states[pid].before is None}


@dataclass
class PatientReconciler:
    """Compares the patient records of one import with each other and with the registry.

    Parameters
    ----------
    update
        Let the import's stated values replace disagreeing stored ones (``--update-patients``).
    source_ids
        Returns the source ids the registry holds for the given patient ids (``Case 4`` for
        ``Case_4``), so that another source id becoming the same patient id is refused.
    states
        Where each patient's state is kept between chunks (in memory by default).
    """

    update: bool = False
    source_ids: Callable[[set[str]], Mapping[str, set[str]]] | None = None
    states: PatientStates = field(default_factory=MemoryPatientStates)
    problems: list[Problem] = field(default_factory=list)
    updated: set[str] = field(default_factory=set)
    completed: set[str] = field(default_factory=set)

    def rows(
        self,
        patients: Iterable[tuple[Patient, PatientOrigin]],
        lookup: Callable[[set[str]], Mapping[str, Patient]],
    ) -> list[Patient]:
        """Return the patients to write (new or changed), collecting problems on the way.

        ``lookup`` returns the registry's patients of the given ids; it is asked once per id,
        so what is compared is the registry as it was before this import.
        """
        records = list(patients)
        ids = {p.patient_id for p, _ in records}
        states = self.states.get(ids)
        unknown = ids - states.keys()
        if unknown:
            found = lookup(unknown)
            states.update({pid: PatientState(before=found.get(pid)) for pid in unknown})
        stored = self._stored_source_ids(records)
        out: dict[str, Patient] = {}
        for patient, origin in records:
            state = states[patient.patient_id]
            self._check_raw_id(state, patient.patient_id, origin)
            self._check_source_id(state, patient.patient_id, origin, stored)
            merged = self._against_import(state, patient, origin)
            if merged is None:
                continue
            old = state.before
            written = merged if old is None else self._against_registry(old, merged, origin)
            if written is not None and written != old:
                out[patient.patient_id] = written
        self.states.put(states)
        return list(out.values())

    def new_in_registry(self, ids: set[str]) -> set[str]:
        """Return those of ``ids`` that this import brings and the registry did not hold."""
        return self.states.new_in_registry(ids)

    def seen(self, ids: set[str]) -> set[str]:
        """Return those of ``ids`` that this import has brought so far."""
        return {pid for pid, state in self.states.get(ids).items() if state.seen is not None}

    def counts(self) -> dict[str, int]:
        """Return the counts recorded with the batch (only those that are not zero)."""
        counts = {
            "patients_updated": len(self.updated),
            "patients_completed": len(self.completed - self.updated),
        }
        return {k: v for k, v in counts.items() if v}

    def _check_raw_id(self, state: PatientState, patient_id: str, origin: PatientOrigin) -> None:
        if origin.raw_id is None:
            return
        if state.raw_id is None or state.raw_origin is None:
            state.raw_id, state.raw_origin = origin.raw_id, origin
            return
        if state.raw_id != origin.raw_id:
            first = state.raw_origin
            self.problems.append(
                Problem(
                    origin.source,
                    origin.location,
                    "id",
                    f"{origin.raw_id!r} and {state.raw_id!r} ({first.source}, "
                    f"{first.location}) both become patient id {patient_id!r}; "
                    "give them distinct ids",
                )
            )

    def _stored_source_ids(
        self, records: list[tuple[Patient, PatientOrigin]]
    ) -> Mapping[str, set[str]]:
        """Return the registry's source ids of the patients whose source id is not their id."""
        renamed = {p.patient_id for p, o in records if o.raw_id not in (None, p.patient_id)}
        if not renamed or self.source_ids is None:
            return {}
        return self.source_ids(renamed)

    def _check_source_id(
        self,
        state: PatientState,
        patient_id: str,
        origin: PatientOrigin,
        stored: Mapping[str, set[str]],
    ) -> None:
        """Refuse a source id that becomes a patient id the registry holds for another one.

        A source id equal to the patient id (calciscope's own export read back) always matches.
        """
        raw = origin.raw_id
        if raw is None or raw == patient_id:
            return
        others = sorted(stored.get(patient_id, set()) - {raw})
        if others:
            self.problems.append(
                Problem(
                    origin.source,
                    origin.location,
                    "id",
                    f"{raw!r} becomes patient id {patient_id!r}, which the registry already "
                    f"holds for {others[0]!r} from an earlier import; give them distinct ids",
                )
            )
        elif raw not in stored.get(patient_id, set()) and state.new_source_id is None:
            state.new_source_id = raw

    def _against_import(
        self, state: PatientState, patient: Patient, origin: PatientOrigin
    ) -> Patient | None:
        """Merge with this import's earlier records of the id; None for a stub of a known one."""
        earlier, where = state.seen, state.origin
        if earlier is None or where is None or where.stub:
            state.seen, state.origin = patient, origin
            return patient
        if origin.stub:
            return None
        for name, before, now in patient_disagreements(earlier, patient):
            message = (
                f"{name} {_shown(now)} disagrees with {_shown(before)} in {where.source}, "
                f"{where.location} (another record of this import)"
            )
            self.problems.append(Problem(origin.source, origin.location, name, message))
        merged = merge_patients(earlier, patient)
        state.seen = merged
        return merged

    def _against_registry(
        self, old: Patient, new: Patient, origin: PatientOrigin
    ) -> Patient | None:
        if origin.stub:
            return None
        disagreements = patient_disagreements(old, new)
        if disagreements and not self.update:
            for name, before, now in disagreements:
                message = (
                    f"{name} {_shown(now)} disagrees with the registry's {_shown(before)} for "
                    f"patient {new.patient_id!r}; use --update-patients to replace it"
                )
                self.problems.append(Problem(origin.source, origin.location, name, message))
            return None
        merged = merge_patients(old, new)
        if merged != old:
            (self.updated if disagreements else self.completed).add(new.patient_id)
        return merged


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def statement_key(content: Mapping[str, Any]) -> FactKey:
    """Return what a fact says (its fields, as a mapping) without date, provenance or review.

    The code counts as the catalogue concepts it means, so two codes of one concept (an HPO
    term and the LOINC result written for it) make the same statement; the unit counts with
    its white space normalised (:func:`calciscope.model.units.normalise_unit`).
    """
    system, code = str(content["system"]), str(content["code"])
    concepts = load_catalogue().concepts_for_code(system, code)
    what = ("concepts", *sorted(concepts)) if concepts else (system, code)
    # a fact stored before units were normalised on entry ("U/L\xa0") says what its
    # re-import ("U/L") says: the re-import adds nothing (fixes16)
    said = {**content, "unit": normalise_unit(content.get("unit"))}
    return (content["patient_id"], what, *(_plain(said.get(name)) for name in _CONTENT))


@dataclass
class StatementIndex:
    """The statements the registry held, per patient, before the import began."""

    dated: set[FactKey] = field(default_factory=set)
    undated: set[FactKey] = field(default_factory=set)

    def add(self, row: Mapping[str, Any]) -> None:
        """Add a stored confirmed fact (a row of the facts table)."""
        key = statement_key(row)
        self.undated.add(key)
        self.dated.add((*key, row.get("effective_date")))

    def __bool__(self) -> bool:
        return bool(self.undated)

    def holds(self, fact: Fact | Mapping[str, Any]) -> bool:
        """Whether the registry already says what ``fact`` says (an undated fact: at any date).

        ``fact`` is a record or a row of a fact table (:mod:`calciscope.storage.bulk`).
        """
        content = fact if isinstance(fact, Mapping) else fact.__dict__
        key = statement_key(content)
        date = content.get("effective_date")
        if date is None:
            return key in self.undated
        return (*key, date) in self.dated
