"""Phenopacket ``medicalActions`` ⇄ calciscope facts.

Writing: a *present* fact of a procedure concept (``kind: procedure`` in ``concepts.yaml``:
``muscle_biopsy``, ``radiograph``) becomes ``medicalActions[].procedure`` with its code, its
body site and side as a ``calciscope:body_site.hand.left`` class, and its date as the
``performed`` timestamp, when that is all the fact says. A procedure fact with a morphology,
method or text has no place for them in a Procedure and stays a phenotypic feature (as an
absent one does: Phenopackets cannot say "not performed"), so nothing is lost.

Reading: ``procedure`` → a present fact (code, ``performed`` date, calciscope body site and
side); ``treatment`` → a present fact of the agent (a prefix calciscope has no system for is
kept whole: ``calciscope`` / ``DrugCentral:1610``) dated at the earliest dose-interval start.
What a fact has no field for (a foreign body site such as UBERON, the route, doses, the
treatment target, intent, response, adverse events, termination reason) is kept in the fact's
provenance. Radiation therapy and therapeutic regimens are skipped and counted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

from calciscope.errors import Problem
from calciscope.features import load_catalogue
from calciscope.interop.phenopackets.curie import parse_date, time_element_date
from calciscope.interop.phenopackets.modifiers import body_site_class, body_site_fields
from calciscope.model import Fact, Status

__all__ = [
    "SKIPPED_ACTIONS",
    "ActionRead",
    "action_problems",
    "is_procedure_action",
    "procedure_action",
    "read_actions",
]

#: Medical actions calciscope does not map, with the reason counted in the import report.
SKIPPED_ACTIONS = {
    "radiationTherapy": "radiation therapy is not mapped to calciscope facts",
    "therapeuticRegimen": "therapeutic regimen is not mapped to calciscope facts",
}
_REQUIRED = {"procedure": "code", "treatment": "agent"}
_ACTION_CLASSES = (
    "treatmentTarget",
    "treatmentIntent",
    "responseToTreatment",
    "treatmentTerminationReason",
)

#: One fact read from an action: (CURIE, location under the packet, Fact fields and ``note``).
ActionRead = tuple[str, str, dict[str, Any]]


def is_procedure_action(fact: Fact) -> bool:
    """Whether a fact is written as a ``medicalActions[].procedure`` (see the module doc)."""
    return (
        fact.status is Status.PRESENT
        and fact.value_num is None
        and fact.value_text is None
        and fact.morphology is None
        and fact.method is None
        and load_catalogue().is_procedure(fact.system, fact.code)
    )


def procedure_action(fact: Fact, code: dict[str, str]) -> dict[str, Any]:
    """Return the medical action of a procedure fact whose code class is ``code``."""
    procedure: dict[str, Any] = {"code": code}
    if (site := body_site_class(fact)) is not None:
        procedure["bodySite"] = site
    if fact.effective_date:
        procedure["performed"] = {"timestamp": f"{fact.effective_date.isoformat()}T00:00:00Z"}
    return {"procedure": procedure}


def action_problems(packet: dict[str, Any], source: str) -> list[Problem]:
    """Return a problem for each procedure without a code and treatment without an agent."""
    return [
        Problem(source, f"#/medicalActions/{i}/{part}", key, f"{part}.{key}.id is required")
        for i, action in enumerate(packet.get("medicalActions", []))
        for part, key in _REQUIRED.items()
        if part in action and not action[part].get(key, {}).get("id")
    ]


def _class_text(name: str, value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return f"{name} " + ", ".join(
        " ".join(filter(None, (c.get("id"), c.get("label")))) for c in items
    )


def _extras(action: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """Return what a fact has no field for, as text for its provenance."""
    extras = [_class_text(k, action[k]) for k in (*_ACTION_CLASSES, "adverseEvents") if k in action]
    site = body.get("bodySite")
    if site and not body_site_fields(site):
        extras.append(_class_text("bodySite", site))
    if "routeOfAdministration" in body:
        extras.append(_class_text("routeOfAdministration", body["routeOfAdministration"]))
    for key in ("drugType", "doseIntervals", "cumulativeDose"):
        if key in body:
            value = body[key]
            extras.append(
                f"{key} {value if isinstance(value, str) else json.dumps(value, sort_keys=True)}"
            )
    return extras


def _start(treatment: dict[str, Any]) -> dt.date | None:
    starts = [
        parse_date(str(d.get("interval", {}).get("start", "")))
        for d in treatment.get("doseIntervals", [])
    ]
    return min((s for s in starts if s is not None), default=None)


def _read_one(action: dict[str, Any], birth: dt.date | None) -> ActionRead | None:
    if "procedure" in action:
        body = action["procedure"]
        when, note = time_element_date(body.get("performed"), birth)
        fields: dict[str, Any] = {
            "effective_date": when,
            **body_site_fields(body.get("bodySite", {})),
        }
        curie, part = body["code"]["id"], "procedure"
    elif "treatment" in action:
        body, note = action["treatment"], ""
        fields = {"effective_date": _start(body)}
        curie, part = body["agent"]["id"], "treatment"
    else:
        return None
    fields["note"] = "; ".join(filter(None, [note, *_extras(action, body)]))[:1500]
    return curie, part, fields | {"status": Status.PRESENT}


def read_actions(
    packet: dict[str, Any], birth: dt.date | None
) -> tuple[list[tuple[int, ActionRead]], Counter[tuple[str, str]]]:
    """Return the facts (by action index) that a packet's medical actions give, and the skips."""
    read, skipped = [], Counter[tuple[str, str]]()
    for i, action in enumerate(packet.get("medicalActions", [])):
        item = _read_one(action, birth)
        if item is not None:
            read.append((i, item))
            continue
        kind = next((k for k in SKIPPED_ACTIONS if k in action), None)
        reason = SKIPPED_ACTIONS[kind] if kind else "no procedure, treatment or other action"
        skipped[(f"medicalAction.{kind or 'empty'}", reason)] += 1
    return read, skipped
