"""The patient list (filters and text search, paginated) and the patient page.

Researchers see pseudonyms (and open patients by them), never registry ids, and no note text
unless the server allows it (``calciscope serve --researchers-read-notes``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from calciscope import api
from calciscope.errors import NotFoundError, Problem, ValidationError
from calciscope.web.as_of import as_of_text, current_as_of
from calciscope.web.cache import Kept
from calciscope.web.pages import PageData, page
from calciscope.web.security import READERS, WebUser, current_user

__all__ = ["LIST_COLUMNS", "read_patient", "router"]

router = APIRouter()

#: Columns of the patient list (the same as ``calciscope patients list``).
LIST_COLUMNS = {
    "patient_id": "id",
    "sex": "sex",
    "birth_year": "born",
    "ssc_diagnosis": "SSc diagnosis",
    "subset_recorded": "subset",
    "overlap_recorded": "overlap",
    "calcinosis_any": "calcinosis",
    "calcinosis_sheet_like": "sheet-like",
    "last_visit_date": "last visit",
}
PAGE_SIZES = (25, 50, 100, 200)
#: At most this many ``where`` filters, each at most ``MAX_FILTER_LENGTH`` characters (web37:
#: a thousand filters, or one of 30,000 characters, were read and shown back as form fields).
MAX_FILTERS = 20
MAX_FILTER_LENGTH = 200


def shown_id(request: Request, user: WebUser, patient_id: str) -> str:
    """Return the id this user sees: the registry id, or a pseudonym for researchers."""
    return patient_id if user.sees_real_ids else request.app.state.pseudonyms.of(patient_id)


def registry_id(request: Request, user: WebUser, shown: str) -> str:
    """Return the registry id behind the id in a URL; a researcher must use a pseudonym."""
    real = shown if user.sees_real_ids else request.app.state.pseudonyms.resolve(shown)
    if real is None:
        raise NotFoundError([Problem("url", shown, "patient_id", "no such patient")])
    return real


def _cell(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, float):
        return round(value, 2)
    return value


def _list_row(request: Request, user: WebUser, row: dict[str, Any]) -> dict[str, Any]:
    cells = {k: _cell(v) for k, v in row.items()}
    cells["patient_id"] = shown_id(request, user, cells["patient_id"])
    return cells


@page(router, "/patients", "patients.html", roles=READERS, summary="Patient list")
def patients(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    where: Annotated[list[str], Query(description="NAME=VALUE filters on features")] = [],  # noqa: B006
    q: Annotated[str, Query(max_length=200, description="text search in every column")] = "",
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Patients matching every filter (the ``patients list --where`` syntax) and the search."""
    clauses = tuple(w for w in where if w.strip())
    _check_filters(clauses)
    as_of = current_as_of(request)
    try:
        table, total = request.app.state.patient_table.filtered(clauses)
    except TypeError as exc:  # a value the api could not compare (REVIEW_CONTRACT.md)
        problem = Problem("where", " AND ".join(clauses), "where", f"cannot compare: {exc}")
        raise ValidationError([problem], summary="cannot filter patients") from None
    needle = q.strip().lower()
    shown = table.select(list(LIST_COLUMNS))
    start = min((page_number - 1) * size, shown.num_rows)
    if not needle:  # only the page's rows become Python values
        matching = shown.num_rows
        rows = [_list_row(request, user, r) for r in shown.slice(start, size).to_pylist()]
    else:  # the search reads every cell as shown (pseudonyms included)
        every = (_list_row(request, user, r) for r in shown.to_pylist())
        found = [r for r in every if any(needle in str(v).lower() for v in r.values())]
        matching, rows = len(found), found[start : start + size]
    return {
        "columns": LIST_COLUMNS,
        "rows": rows,
        "matching": matching,
        "total": total,
        "where": list(clauses),
        "q": q,
        "page": page_number,
        "size": size,
        "pages": max(1, -(-matching // size)),
        "filters": sorted(api.FILTER_ALIASES),
        # the date the features are evaluated at: the patient pages' and the queue's (the
        # registry's as-of date, web.as_of), and why
        "index_date": as_of.date,
        "as_of_source": as_of.source.value,
        "as_of": as_of.describe(),
    }


def _check_filters(clauses: tuple[str, ...]) -> None:
    """Refuse more filters, or longer ones, than a person types: a 422 naming ``where``."""
    problems = []
    if len(clauses) > MAX_FILTERS:
        message = f"at most {MAX_FILTERS} filters, not {len(clauses)}"
        problems.append(Problem("where", f"{len(clauses)} filters", "where", message))
    for clause in clauses:
        if len(clause) > MAX_FILTER_LENGTH:
            message = f"a filter has at most {MAX_FILTER_LENGTH} characters, not {len(clause):,}"
            problems.append(Problem("where", clause[:40] + "…", "where", message))
            break
    if problems:
        raise ValidationError(problems, summary="cannot filter patients")


def _evidence(fact: Any) -> dict[str, Any] | None:
    """Return the note span a suggested fact came from (its provenance), when it has one."""
    if not fact.provenance or not fact.provenance.startswith("{"):
        return None
    try:
        record = json.loads(fact.provenance)
    except ValueError:
        return None
    if not isinstance(record, dict) or "note_id" not in record:
        return None
    return {k: record.get(k) for k in ("note_id", "start", "end", "rule")}


def note_segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, highlighted) at the evidence spans (merged where they overlap)."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        pieces += [(text[position:start], False), (text[start:end], True)]
        position = end
    pieces.append((text[position:], False))
    return [p for p in pieces if p[0]]


def shown_code(system: str, code: str) -> str:
    """Return the code as a reader knows it: ``HP:0003493`` (prefixed already), ``LOINC:2157-6``.

    HPO, MONDO and other ontologies' codes carry their prefix; ``system:code`` showed them
    as ``HP:HP:0003493``.
    """
    return code if code.startswith(f"{system}:") else f"{system}:{code}"


#: Turns a registry identifier other than the patient's (a note's, an image's) into the one
#: shown: itself for registry ids, a keyed stand-in beside a pseudonym (``Pseudonyms.other``).
Conceal = Callable[[str, str], str] | None


def _fact_row(
    fact: Any, concept_names: Any, private: bool, patient: Any, conceal: Conceal
) -> dict[str, Any]:
    names = concept_names(fact.system, fact.code)
    code = shown_code(fact.system, fact.code)
    evidence = _evidence(fact)
    if evidence is not None and conceal is not None:
        evidence["note_id"] = conceal("N", str(evidence["note_id"]))
    limit = api.lab_limit(fact, patient)  # which ULN the criteria compare the value with
    return {
        "fact_id": fact.fact_id,
        "date": fact.effective_date,
        "concept": ", ".join(names) if names else code,
        "code": code,
        "status": fact.status.value,
        "value": fact.value_num if fact.value_num is not None else fact.value_text,
        "unit": fact.unit,
        "uln": None if limit is None else {"source": limit.source, "text": limit.text},
        "site": " ".join(v.value for v in (fact.laterality, fact.body_site) if v is not None),
        "morphology": fact.morphology.value if fact.morphology else None,
        "method": fact.method.value if fact.method else None,
        "source": fact.source_kind.value,
        # free text of the source (a file, a record number): not beside a pseudonym
        "provenance": None if (private and evidence) or conceal else fact.provenance,
        "evidence": None if private else evidence,
        "review_state": fact.review_state.value,
    }


def _timeline(facts: list[dict[str, Any]], notes: list[Any], images: list[Any]) -> list[Any]:
    events = [(f["date"], "fact", f"{f['concept']} ({f['status']})") for f in facts if f["date"]]
    events += [(n.note_date, "note", n.note_type.value) for n in notes if n.note_date]
    events += [
        (i.image_date, "image", f"{i.modality.value} {i.body_site.value if i.body_site else ''}")
        for i in images
        if i.image_date
    ]
    return [{"date": d, "kind": k, "what": w} for d, k, w in sorted(events, key=lambda e: e[0])]


def reads_notes(request: Request, user: WebUser) -> bool:
    """Clinicians read note text; researchers only when the server allows it."""
    return user.sees_real_ids or request.app.state.settings.researcher_notes


def read_patient(registry: Any, patient_id: str) -> Kept:
    """Read a patient whole (one connection) and which of its images are indexed, to be kept.

    Raises :class:`~calciscope.errors.ValidationError` when there is no such patient.
    """
    record = api.patient_record(registry, patient_id)
    images = [i.image_id for i in record.images]
    return Kept((record, api.indexed_image_ids(registry, images) if images else set()))


#: The ``index_date`` a patient page and its criteria take, as the review queue's.
IndexDateQuery = Annotated[
    dt.date | None,
    Query(
        description="date the criteria are evaluated at (the registry's as-of date if none), "
        "as `calciscope patients show --explain --index-date`"
    ),
]


def chosen_as_of(request: Request, index_date: dt.date | None) -> api.AsOf:
    """Return the date a page evaluates at: ``index_date`` if chosen, else the registry's.

    A chosen date the api refuses (before 1900, after today) is a 422 naming the field, as
    the review queue's and the CLI's ``--index-date`` (hardening24: the patient page and its
    criteria ignored the date a reviewer chose in the queue, and showed another answer).
    """
    if index_date is None:
        return current_as_of(request)
    return api.AsOf(api.check_index_date(index_date), api.AsOfSource.CHOSEN)


def patient_data(
    request: Request, user: WebUser, shown: str, index_date: dt.date | None = None
) -> dict[str, Any]:
    """Everything of one patient but the criteria (see :func:`criteria`); the read is audited.

    The patient is read from the registry when a write named it (or the registry changed
    outside the app: see ``app.state.patients``), and its page data is made once per view
    (registry id or pseudonym, note text or not); every read is an audit row all the same.
    ``index_date``: the date chosen (the registry's as-of date if none); the page data of a
    chosen date is made for the request, not kept (one per date would be kept otherwise).
    """
    state = request.app.state
    as_of = chosen_as_of(request, index_date)
    pid = registry_id(request, user, shown)
    kept = state.patients.get(pid)
    # a read, not a write: its row need not wait for PostgreSQL's disk (SQLite's never does)
    api.record_audit(
        state.registry, actor=user.name, action="patient_read", target=pid, wait_for_disk=False
    )
    private = not reads_notes(request, user)
    # beside a pseudonym, the note and file ids (often made from the registry id) are not shown
    conceal = None if user.sees_real_ids else state.pseudonyms.other
    record, indexed = kept.value
    if as_of.source is api.AsOfSource.CHOSEN:
        return _patient_page(record, indexed, shown, (private, conceal), as_of)
    page_data: PageData = kept.made(
        (shown, private, as_of),
        lambda: PageData(_patient_page(record, indexed, shown, (private, conceal), as_of)),
    )
    return page_data


def _patient_page(
    record: Any, indexed: set[str], shown: str, view: tuple[bool, Conceal], as_of: api.AsOf
) -> dict[str, Any]:
    """Return the page's data; ``view``: whether note text is hidden, how other ids are shown."""
    private, conceal = view
    catalogue = api.load_catalogue()
    facts = [
        _fact_row(f, catalogue.concepts_for_code, private, record.patient, conceal)
        for f in record.facts
    ]
    facts.sort(key=lambda f: (f["date"] or dt.date.min, f["concept"]))
    spans: dict[str, list[tuple[int, int]]] = {}
    for f in facts:
        if f["evidence"] and f["review_state"] != "rejected":
            ev = f["evidence"]
            spans.setdefault(ev["note_id"], []).append((int(ev["start"]), int(ev["end"])))
    notes = [
        {
            "note_id": note_id,
            "note_type": n.note_type.value,
            "note_date": n.note_date,
            "segments": None if private else note_segments(n.text, spans.get(note_id, [])),
        }
        for n in sorted(record.notes, key=lambda n: n.note_date or dt.date.min)
        for note_id in [conceal("N", n.note_id) if conceal else n.note_id]
    ]
    p = record.patient
    return {
        "patient": {
            "id": shown,
            "sex": p.sex.value,
            "birth_year": p.birth_year,
            "centre": p.centre,
            "synthetic": p.synthetic,
        },
        "facts": facts,
        "notes": notes,
        "notes_hidden": private,
        "images": [_image_row(i, i.image_id in indexed, conceal) for i in record.images],
        "timeline": _timeline(facts, record.notes, record.images),
        # the date the criteria section is evaluated at (the registry's as-of date, as the
        # review queue and `calciscope patients show --explain`: one answer), and why
        "index_date": as_of.date,
        "index_date_chosen": as_of.source is api.AsOfSource.CHOSEN,
        "as_of_source": as_of.source.value,
        "as_of": as_of.describe(),
        **_after_index_date(record, as_of.date),
    }


def _image_row(image: Any, indexed: bool, conceal: Conceal) -> dict[str, Any]:
    """Return an image row of the page; beside a pseudonym, no file name nor registry-made id.

    An indexed image's id is its content's hash (``IMG-`` + SHA-256), which the viewer opens
    and which names no patient; an image only listed keeps the id it was imported with.
    """
    image_id = image.image_id
    if conceal is not None and not indexed:
        image_id = conceal("I", image_id)
    return {
        "image_id": image_id,
        "modality": image.modality.value,
        "site": " ".join(v.value for v in (image.laterality, image.body_site) if v is not None),
        "date": image.image_date,
        "file_ref": None if conceal else image.file_ref,
        "indexed": indexed,
    }


def _after_index_date(record: Any, index_date: dt.date) -> dict[str, Any]:
    """Return how many facts the criteria section does not read: dated after its date.

    A registry whose patients are seen after the study's index date would otherwise show
    every criterion undetermined beside a timeline full of findings (review16 item 3).
    """
    p = record.patient
    after = sum(
        1
        for f in record.facts
        if f.effective_date is not None
        and f.effective_date > index_date
        and f.review_state.value != "rejected"
    )
    born = p.birth_date.year if p.birth_date else p.birth_year
    return {"facts_after": after, "born_after": born is not None and born > index_date.year}


@page(
    router,
    "/patients/{patient_id}",
    "patient.html",
    roles=READERS,
    summary="Patient page",
    body="patient_body.html",
)
def patient(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    patient_id: str,
    index_date: IndexDateQuery = None,
) -> dict[str, Any]:
    """Show a patient's timeline, facts with provenance and review state, notes and images."""
    return patient_data(request, user, patient_id, index_date)


def criteria_data(
    request: Request, user: WebUser, shown: str, index_date: dt.date | None = None
) -> dict[str, Any]:
    """Every criteria set and phenotype of one patient, with the item-level explanation.

    At the registry's as-of date the explanation is the one kept per patient; at a date
    chosen (``index_date``) it is computed for the request (milliseconds: one patient).
    """
    as_of = chosen_as_of(request, index_date)
    pid = registry_id(request, user, shown)
    if as_of.source is api.AsOfSource.CHOSEN:
        explanation = api.explain_patient(request.app.state.registry, pid, index_date=as_of.date)
        return _criteria_page(explanation, shown, as_of)
    kept = request.app.state.explanations.get(pid)
    page_data: PageData = kept.made(
        (shown, as_of), lambda: PageData(_criteria_page(kept.value, shown, as_of))
    )
    return page_data


def _criteria_page(explanation: Any, shown: str, as_of: api.AsOf) -> dict[str, Any]:
    return {
        "patient_id": shown,
        "index_date": explanation.index_date,
        # the explanation's own date, with why when it is the registry's as-of date
        "as_of": as_of_text(explanation.index_date, as_of),
        "criteria": [
            {
                "criteria_set": c.criteria_set,
                "name": c.name,
                "version": c.version,
                "citation": c.citation,
                "status": c.status,
                "decided": c.decided,
                "score_min": c.score_min,
                "score_max": c.score_max,
                "could_flip": list(c.could_flip),
                "notes": list(c.notes),
                "items": [
                    {
                        "id": i.id,
                        "label": i.label,
                        "group": i.group,
                        "state": i.state.value,
                        "weight": i.weight,
                        "could_flip": i.could_flip,
                    }
                    for i in c.items
                ],
            }
            for c in explanation.criteria
        ],
        "phenotypes": [
            {"id": p.id, "label": p.label, "value": _cell(p.value), "note": p.note}
            for p in explanation.phenotypes
        ],
    }


@page(
    router,
    "/patients/{patient_id}/criteria",
    "fragment.html",
    roles=READERS,
    summary="Criteria and phenotypes of a patient, explained",
    body="criteria.html",
)
def criteria(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    patient_id: str,
    index_date: IndexDateQuery = None,
) -> dict[str, Any]:
    """Every criteria set with items, score bounds and what could flip; every phenotype."""
    return criteria_data(request, user, patient_id, index_date)
