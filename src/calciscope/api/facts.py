"""Verbs for facts a person enters or corrects, and a fact's history.

A person's fact is validated by the same model as every import (:class:`~calciscope.model.Fact`)
and is confirmed. A correction never overwrites: it writes a new fact, marks the old one as
superseded by it (kept, with its review state) and records who, when and why; studies and the
feature table read only facts that are not superseded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pydantic
import sqlalchemy as sa

from calciscope.api.users import default_actor, require_text
from calciscope.errors import NotFoundError, Problem, ValidationError
from calciscope.features import Feature, UpperLimit, load_catalogue
from calciscope.model import Fact, Patient, ReviewState, Status, before_birth
from calciscope.model.bounds import read_bound, settled_above
from calciscope.storage import Registry
from calciscope.storage.review import (
    FactRevision,
    ReviewRepository,
    StoredFact,
    as_utc,
    fact_content,
)

__all__ = ["FactRevision", "LabLimit", "add_fact", "correct_fact", "fact_history", "lab_limit"]

#: Fields a correction may not change (an id is derived; the review state is a decision; a fact
#: about the wrong patient is rejected and added again to the right one).
_FIXED = frozenset({"fact_id", "review_state", "patient_id", "source_kind", "provenance"})


def _validated(fields: Mapping[str, Any], source: str, location: str) -> Fact:
    try:
        return Fact.model_validate(dict(fields))
    except pydantic.ValidationError as exc:
        problems = [
            Problem(source, location, ".".join(map(str, e["loc"])) or "fact", e["msg"])
            for e in exc.errors()
        ]
        raise ValidationError(problems, summary=f"cannot {source.split()[0]} the fact") from None


#: The longest reason a fact entered or corrected by hand takes, as a review decision's.
MAX_REASON_LENGTH = 2000


def _author_reason(source: str, author: str | None, reason: str) -> str:
    problems: list[Problem] = []
    actor = author or default_actor()
    require_text(problems, source, "reason", reason)
    if isinstance(reason, str) and len(reason) > MAX_REASON_LENGTH:
        message = f"has at most {MAX_REASON_LENGTH:,} characters, not {len(reason):,}"
        problems.append(Problem(source, "reason", "reason", message))
    require_text(problems, source, "author", actor)
    if problems:
        raise ValidationError(problems, summary=f"cannot {source.split()[0]} the fact")
    return actor


def add_fact(
    registry: Registry, fields: Mapping[str, Any], *, author: str | None = None, reason: str
) -> Fact:
    """Enter a fact by hand: validated like an import, confirmed, recorded with who and why.

    Parameters
    ----------
    registry
        The registry.
    fields
        The fact's fields (``patient_id``, ``system``, ``code``, ``status``, ...); the id is
        derived from them.
    author
        Who enters it (:func:`~calciscope.api.users.default_actor` by default).
    reason
        Why; required.

    Raises
    ------
    ValidationError
        Naming the field: a bad value, an unknown patient, an identical fact already there.
    """
    actor = _author_reason("add fact", author, reason)
    extra = sorted(set(fields) & {"fact_id", "review_state"})
    if extra:
        raise ValidationError(
            [Problem("add fact", "", f, "is set by calciscope, not entered") for f in extra],
            summary="cannot add the fact",
        )
    fact = _validated(fields, "add fact", str(fields.get("patient_id", "")))
    repo = ReviewRepository(registry)
    with repo.transaction() as conn:
        problems = []
        if not repo.patient_exists(conn, fact.patient_id):
            problems.append(Problem("add fact", fact.patient_id, "patient_id", "no such patient"))
        if repo.stored_fact(conn, fact.fact_id) is not None:
            problems.append(
                Problem("add fact", fact.patient_id, "fact", f"already recorded as {fact.fact_id}")
            )
        problems += _born_by(repo, conn, fact, "add fact", fact.patient_id)
        if problems:
            raise ValidationError(problems, summary="cannot add the fact")
        repo.insert_fact(conn, fact, action="added", author=actor, reason=reason.strip())
        repo.append_audit(
            conn,
            actor=actor,
            action="fact.add",
            target=f"fact:{fact.fact_id}",
            after=fact_content(fact),
            detail=reason.strip(),
        )
    return fact


def _cannot_correct(fact_id: str, field: str, message: str) -> ValidationError:
    problem = Problem("correct fact", fact_id, field, message)
    return ValidationError([problem], summary="cannot correct the fact")


def _correction(
    repo: ReviewRepository, conn: sa.Connection, fact_id: str, changes: Mapping[str, Any]
) -> tuple[StoredFact, Fact]:
    """Return the stored fact and the fact that corrects it, or raise naming what is wrong."""
    stored = repo.stored_fact(conn, fact_id)
    if stored is None:
        raise _cannot_correct(fact_id, "fact_id", "no such fact")
    if stored.superseded_by:  # only the newest fact of a chain is corrected: no forks
        raise _cannot_correct(fact_id, "fact_id", f"already corrected by {stored.superseded_by}")
    bad = [
        Problem(
            "correct fact", fact_id, k, "cannot be corrected" if k in _FIXED else "no such field"
        )
        for k in changes
        if k in _FIXED or k not in Fact.model_fields
    ]
    if not changes:
        bad.append(Problem("correct fact", fact_id, "changes", "nothing to correct"))
    if bad:
        raise ValidationError(bad, summary="cannot correct the fact")
    content = {k: v for k, v in fact_content(stored.fact).items() if k != "fact_id"}
    # a correction is a person's decision, so the new fact is confirmed whatever the old one was
    changed = content | dict(changes) | {"review_state": ReviewState.CONFIRMED}
    new = _validated(changed, "correct fact", fact_id)
    if new.fact_id == fact_id:  # the id is a hash of the content: same id, same fact
        raise _cannot_correct(fact_id, "changes", "the correction changes nothing")
    if repo.stored_fact(conn, new.fact_id) is not None:
        raise _cannot_correct(fact_id, "changes", f"the result is already fact {new.fact_id}")
    born = _born_by(repo, conn, new, "correct fact", fact_id)
    if born:
        raise ValidationError(born, summary="cannot correct the fact")
    return stored, new


def _born_by(
    repo: ReviewRepository, conn: sa.Connection, fact: Fact, source: str, location: str
) -> list[Problem]:
    """Return the problem of a fact dated before its patient's birth (the importers' rule)."""
    if fact.effective_date is None:
        return []
    message = before_birth(fact.effective_date, *repo.birth_of(conn, fact.patient_id))
    return [] if message is None else [Problem(source, location, "effective_date", message)]


def correct_fact(
    registry: Registry,
    fact_id: str,
    changes: Mapping[str, Any],
    *,
    author: str | None = None,
    reason: str,
    expected_version: int | None = None,
) -> Fact:
    """Correct a fact: a new confirmed fact supersedes it; the old one is kept with its history.

    Parameters
    ----------
    registry
        The registry.
    fact_id
        The fact to correct (current, not already superseded).
    changes
        New values of some fields (``status``, ``effective_date``, ``body_site``,
        ``morphology``, ``value_num``, ``reference_high``, ...), validated like an import. A
        field mapped to ``None`` is cleared (``{"reference_high": None}`` removes the
        laboratory's upper limit of normal, so the default table applies again); the old fact,
        with its value, stays in the history.
    author, reason
        Who corrects it and why (reason required).
    expected_version
        The fact's version when the author read it; a newer one raises ReviewConflict.

    Returns
    -------
    Fact
        The new fact.

    Raises
    ------
    ValidationError
        Naming the field; nothing is written.
    ReviewConflict
        When the fact changed since ``expected_version``.
    """
    actor = _author_reason("correct fact", author, reason)
    repo = ReviewRepository(registry)
    with repo.transaction() as conn:
        stored, new = _correction(repo, conn, fact_id, changes)
        version = stored.version if expected_version is None else expected_version
        repo.supersede(conn, fact_id, new.fact_id, version)
        repo.insert_fact(
            conn, new, action="corrected", author=actor, reason=reason.strip(), supersedes=fact_id
        )
        repo.append_audit(
            conn,
            actor=actor,
            action="fact.correct",
            target=f"fact:{fact_id}",
            before=fact_content(stored.fact) | {"version": stored.version},
            after=fact_content(new) | {"supersedes": fact_id},
            detail=reason.strip(),
        )
    return new


def _chain(repo: ReviewRepository, conn: sa.Connection, fact_id: str) -> list[str]:
    """Return the ids of a fact's correction chain, oldest first."""
    chain = [fact_id]
    while True:  # back through what each fact superseded
        rev = repo.revisions(conn, [chain[0]]).get(chain[0])
        if rev is None or not rev["supersedes"] or rev["supersedes"] in chain:
            break
        chain.insert(0, rev["supersedes"])
    while True:  # forward through what superseded it
        stored = repo.stored_fact(conn, chain[-1])
        if stored is None or not stored.superseded_by or stored.superseded_by in chain:
            break
        chain.append(stored.superseded_by)
    return chain


def fact_history(registry: Registry, fact_id: str) -> list[FactRevision]:
    """Return a fact's correction chain, oldest first: each fact, who wrote it, when and why.

    Beside each version, its latest review decision (who, when, why), if any (fix38).

    Raises
    ------
    NotFoundError
        When there is no such fact (a :class:`ValidationError`).
    """
    repo = ReviewRepository(registry)
    with repo.read() as conn:
        if repo.stored_fact(conn, fact_id) is None:
            raise NotFoundError([Problem("fact history", fact_id, "fact_id", "no such fact")])
        chain = _chain(repo, conn, fact_id)
        stored = repo.stored_facts(conn, chain)
        revisions = repo.revisions(conn, chain)
        batches = repo.import_times(conn, [stored[i].fact.fact_id for i in chain])
        decided = repo.latest_fact_decisions(conn, chain)
    history = []
    for fid in chain:
        rev = revisions.get(fid)
        made: tuple[str, str | None, dt.datetime | None, str | None] = (
            rev["action"] if rev else "imported",
            rev["author"] if rev else None,
            as_utc(rev["at"]) if rev else _maybe_utc(batches.get(fid)),
            rev["reason"] if rev else None,
        )
        decision = decided.get(fid)  # a review decision came after: shown beside, not instead
        history.append(
            FactRevision(
                fact=stored[fid].fact,
                version=stored[fid].version,
                superseded_by=stored[fid].superseded_by,
                supersedes=rev["supersedes"] if rev else None,
                action=made[0],
                author=made[1],
                at=made[2],
                reason=made[3],
                decision=decision.new_state if decision else None,
                decided_by=decision.reviewer if decision else None,
                decided_at=decision.decided_at if decision else None,
                decision_reason=(decision.reason or None) if decision else None,
            )
        )
    return history


def _maybe_utc(value: Any) -> Any:
    return None if value is None else as_utc(value)


@dataclass(frozen=True)
class LabLimit:
    """The upper limit of normal a measured value is compared with, and where it comes from.

    ``source`` is ``laboratory`` (the fact's own ``reference_high``), ``default`` (the
    catalogue's default table, by the patient's sex and age at the measurement) or
    ``not compared`` (the value's unit is not one the default table is in). ``low`` and
    ``high`` are the lowest and highest limit the value could have: equal unless sex or age is
    unknown (then a value counts as raised only above ``high``, as normal only at or below
    ``low``). ``feature`` is the feature whose rule reads the value; ``text`` says it all in
    words (for a page or a terminal).
    """

    source: Literal["laboratory", "default", "not compared"]
    low: float | None
    high: float | None
    unit: str | None
    feature: str
    text: str


def _ages(patient: Patient, day: dt.date | None) -> tuple[int, int] | None:
    """Return the lowest and highest whole age at ``day`` (None when the age is unknown)."""
    if day is None:
        return None
    if patient.birth_date is not None:
        b = patient.birth_date
        age = day.year - b.year - ((day.month, day.day) < (b.month, b.day))
        return age, age
    if patient.birth_year is not None:
        # born 31 December at the youngest (1 January at the oldest): on 31 December every
        # birthday of the year is past, so the age is known (edge13; features.py _age_bounds)
        years = day.year - patient.birth_year
        return years - ((day.month, day.day) < (12, 31)), years
    return None


def lab_limit(fact: Fact, patient: Patient) -> LabLimit | None:
    """Return the upper limit of normal a criteria rule compares this fact's value with.

    None when no rule compares it (not a measured value of a concept with an upper-limit
    table, such as CK, LDH, AST or ALT for the IIM 2017 enzyme item). The default table and
    its age and sex bands are the catalogue's (``features.yaml``, cited in docs/criteria.md);
    this only says which limit applies to one value.
    """
    bound = read_bound(fact.value_text) if fact.value_num is None else None
    if (fact.value_num is None and bound is None) or fact.status is not Status.PRESENT:
        return None
    tables = load_catalogue().upper_limits(fact.system, fact.code)
    if not tables:
        return None
    found = _limit(fact, patient, *tables[0])
    if bound is None or found.low is None or found.high is None:
        return found
    # a bound ("<5", ">1000") is compared as the feature table compares it (model.bounds)
    raised, normal = settled_above(bound, found.high), settled_above(bound, found.low)
    verdict = (
        "above it"
        if raised is True
        else "at or below it"
        if normal is False
        else "not settled by the bound: unknown"
    )
    text = f"{found.text}; {bound.comparator}{bound.number:g} is {verdict}"
    return dataclasses.replace(found, text=text)


def _limit(fact: Fact, patient: Patient, feature: Feature, limit: UpperLimit) -> LabLimit:
    """Return the limit ``fact``'s value is compared with (the fact's own, else the table's)."""
    unit = fact.unit
    if fact.reference_high is not None:
        high = fact.reference_high
        text = f"ULN {high:g} {unit or ''} (the laboratory's, recorded with the value)"
        return LabLimit("laboratory", high, high, unit, feature.name, " ".join(text.split()))
    if not limit.takes_unit(unit):
        text = f"not compared: the default table is in {', '.join(limit.units)}, not {unit!r}"
        return LabLimit("not compared", None, None, unit, feature.name, text)
    ages = _ages(patient, fact.effective_date)
    sex = patient.sex.value
    low, high = limit.bounds(sex, ages)
    unit = unit or limit.units[0]
    who = [sex if sex in ("female", "male") else "sex unknown"]
    if ages is None:
        who.append("age unknown")
    else:
        who.append(f"aged {ages[0]}" if ages[0] == ages[1] else f"aged {ages[0]}-{ages[1]}")
    shown = f"{high:g}" if low == high else f"{low:g}-{high:g}"
    text = f"ULN {shown} {unit} (default table for {', '.join(who)}; none recorded)"
    return LabLimit("default", low, high, unit, feature.name, text)
