"""Write calciscope patients and facts as GA4GH Phenopacket v2 JSON, validated.

* Present facts with a numeric value → ``measurements`` (a measurement cannot say absent: an
  absent one is an excluded feature, without its value).
* MONDO, Orphanet and OMIM codes → ``diseases`` (body site as ``primarySite``, side as
  ``laterality``); one with a morphology, method or text, which a Disease cannot hold, is a
  phenotypic feature with modifiers.
* Present facts of procedure concepts → ``medicalActions``
  (:mod:`~calciscope.interop.phenopackets.actions`).
* Every other fact (HPO terms, and calciscope/SNOMED/ICD codes as ontology classes) → a
  ``phenotypicFeature``, with ``excluded: true`` when absent.

Facts of unknown status are not written (Phenopackets cannot say "unknown"), nor facts not
confirmed by a person (suggested or rejected: a phenopacket cannot say "unreviewed", and every
fact read from one counts as confirmed). The date of a
fact is written as an onset timestamp. Before returning, the packet is checked against the
protobuf schema and the HPO: ids must exist and not be obsolete, and curation problems must be
absent; redundant observed ancestors and redundant excluded descendants are dropped (and
reported), a contradiction raises :class:`~calciscope.errors.ValidationError`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from google.protobuf import json_format
from phenopackets import Phenopacket

from calciscope import __version__
from calciscope.errors import Problem, ValidationError
from calciscope.features import load_catalogue
from calciscope.interop.mappings import (
    PHENOPACKET_SEX,
    RESULT_ANSWERS,
    code_to_curie,
    excluded_status,
)
from calciscope.interop.phenopackets.actions import is_procedure_action, procedure_action
from calciscope.interop.phenopackets.conventions import SYNTHETIC_REFERENCE, centre_reference
from calciscope.interop.phenopackets.curie import onset_from_provenance
from calciscope.interop.phenopackets.hpo import load_hpo
from calciscope.interop.phenopackets.modifiers import (
    disease_site,
    fields_to_modifiers,
    measurement_procedure,
)
from calciscope.interop.phenopackets.validation import Issue, IssueKind, TermUse, check_terms
from calciscope.interop.ucum import is_ucum
from calciscope.model import Fact, Patient, ReviewState, Status

__all__ = ["RESOURCES", "write_phenopacket"]

_DISEASE_PREFIXES = ("MONDO:", "ORPHA:", "OMIM:")
#: The form of an HPO id; an unknown id of this form may be newer than the bundled release.
_HPO_ID = re.compile(r"^HP:\d{7}$")

#: Resource descriptions for ``metaData.resources`` (versions as used by calciscope).
RESOURCES: dict[str, dict[str, str]] = {
    "HP": {
        "id": "hp",
        "name": "human phenotype ontology",
        "url": "http://purl.obolibrary.org/obo/hp.owl",
        "iriPrefix": "http://purl.obolibrary.org/obo/HP_",
    },
    "MONDO": {
        "id": "mondo",
        "name": "Mondo Disease Ontology",
        "url": "http://purl.obolibrary.org/obo/mondo.obo",
        "version": "2026-03-06",
        "iriPrefix": "http://purl.obolibrary.org/obo/MONDO_",
    },
    "LOINC": {
        "id": "loinc",
        "name": "Logical Observation Identifiers Names and Codes",
        "url": "https://loinc.org",
        "version": "2.80",
        "iriPrefix": "https://loinc.org/",
    },
    "SNOMEDCT": {
        "id": "snomedct",
        "name": "SNOMED CT",
        "url": "http://snomed.info/sct",
        "version": "2025-01-01",
        "iriPrefix": "http://snomed.info/id/",
    },
    "ICD10": {
        "id": "icd10",
        "name": "ICD-10",
        "url": "https://icd.who.int/browse10/2019/en",
        "version": "2019",
        "iriPrefix": "https://icd.who.int/browse10/2019/en#/",
    },
    "ICD10CM": {
        "id": "icd10cm",
        "name": "ICD-10-CM",
        "url": "https://www.cdc.gov/nchs/icd/icd-10-cm/",
        "version": "2026",
        "iriPrefix": "https://icd10cmtool.cdc.gov/?fy=FY2026&query=",
    },
    "ORPHA": {
        "id": "orpha",
        "name": "Orphanet Rare Disease Ontology",
        "url": "https://www.orpha.net",
        "version": "4.5",
        "iriPrefix": "http://www.orpha.net/ORDO/Orphanet_",
    },
    "OMIM": {
        "id": "omim",
        "name": "Online Mendelian Inheritance in Man",
        "url": "https://www.omim.org",
        "version": "2025-01-16",
        "iriPrefix": "https://www.omim.org/entry/",
    },
    "UCUM": {
        "id": "ucum",
        "name": "Unified Code for Units of Measure",
        "url": "https://ucum.org",
        "version": "2.1",
        "iriPrefix": "https://ucum.org/ucum#",
    },
    "calciscope": {
        "id": "calciscope",
        "name": "calciscope concept catalogue",
        "url": "https://github.com/calciscope/calciscope",
        "iriPrefix": "https://w3id.org/calciscope/",
    },
}


def _onset(fact: Fact) -> dict[str, Any]:
    """Return the fact's date as a timestamp, or the onset its phenopacket gave (an age)."""
    if fact.effective_date:
        return {"timestamp": f"{fact.effective_date.isoformat()}T00:00:00Z"}
    return onset_from_provenance(fact.provenance) or {}


def _label(curie: str) -> str:
    term = load_hpo().resolve(curie) if curie.startswith("HP:") else None
    if term is not None:
        return term.name
    concept = load_catalogue().concepts.get(curie.removeprefix("calciscope:"))
    return concept.label if concept is not None else curie


def _feature(fact: Fact) -> dict[str, Any]:
    curie = code_to_curie(fact.system, fact.code)
    feature: dict[str, Any] = {"type": {"id": curie, "label": _label(curie)}}
    if fact.value_text:
        feature["description"] = fact.value_text
    if fact.status is Status.ABSENT:
        feature["excluded"] = True
    if modifiers := fields_to_modifiers(fact):
        feature["modifiers"] = modifiers
    if onset := _onset(fact):
        feature["onset"] = onset
    return feature


def _measurement(fact: Fact) -> dict[str, Any]:
    curie = code_to_curie(fact.system, fact.code)
    unit = unit_class(fact.unit, fact.unit_code)
    quantity: dict[str, Any] = {"unit": unit, "value": fact.value_num}
    if fact.reference_high is not None:
        # the laboratory's upper limit of normal, in the value's unit (low is not recorded)
        quantity["referenceRange"] = {"unit": unit, "high": fact.reference_high}
    measurement: dict[str, Any] = {
        "assay": {"id": curie, "label": _label(curie)},
        "value": {"quantity": quantity},
    }
    # an undated fact keeps the age it was observed at (realfiles35: it was dropped on export)
    if observed := _onset(fact):
        measurement["timeObserved"] = observed
    if procedure := measurement_procedure(fact):
        measurement["procedure"] = procedure
    return measurement


def unit_class(unit: str | None, code: str | None = None) -> dict[str, str]:
    """Return a measured value's unit as a Phenopacket ``OntologyClass``.

    A UCUM code (:func:`calciscope.interop.ucum.is_ucum`) is ``UCUM:<code>``; no unit is UCUM
    ``1`` (dimensionless). Any other unit (a label a source gave, ``unit per liter``,
    ``IU/ml``) is a class of calciscope's own namespace with the text as its label
    (``calciscope:unit/unit%20per%20liter``): before hardening36 it was written ``UCUM:<label>``,
    a UCUM code that does not exist. The reader takes a non-UCUM unit's label back. A unit the
    source named by another ontology's class (``code``, the fact's ``unit_code``: RareLink's
    ``UO:0000175``) is written with that id again (imports37).
    """
    if code:
        return {"id": code, "label": unit or code}
    if not unit:
        return {"id": "UCUM:1", "label": "1"}
    if is_ucum(unit):
        return {"id": f"UCUM:{unit}", "label": unit}
    return {"id": f"calciscope:unit/{quote(unit, safe='')}", "label": unit}


def _disease(fact: Fact) -> dict[str, Any]:
    curie = code_to_curie(fact.system, fact.code)
    disease: dict[str, Any] = {"term": {"id": curie, "label": _label(curie)}}
    if fact.status is Status.ABSENT:
        disease["excluded"] = True
    if onset := _onset(fact):
        disease["onset"] = onset
    return disease | disease_site(fact)


def _action(fact: Fact) -> dict[str, Any]:
    curie = code_to_curie(fact.system, fact.code)
    return procedure_action(fact, {"id": curie, "label": _label(curie)})


def _resources(packet: dict[str, Any]) -> list[dict[str, str]]:
    text = json.dumps(packet)
    versions = {"HP": load_hpo().version, "calciscope": load_catalogue().version}
    used = [prefix for prefix in RESOURCES if f'"{prefix}:' in text]
    return [
        {
            **RESOURCES[p],
            "namespacePrefix": p,
            "version": versions.get(p, RESOURCES[p].get("version", "")),
        }
        for p in used
    ]


def _prune(
    features: list[dict[str, Any]], source: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Problem]]:
    """Take out redundant HPO terms; raise on unknown or obsolete ids and on contradictions.

    Returns the features kept, the redundant ones that travel as measurements
    (:func:`_as_result`), and a warning for each redundant term.

    Ancestor checks compare features with the same modifiers only: "no skin thickening of the
    chest" does not contradict "sclerodactyly", and a site-specific term is not redundant.
    """
    groups: dict[str, list[TermUse]] = {}
    for i, f in enumerate(features):
        if f["type"]["id"].startswith("HP:"):
            key = json.dumps(f.get("modifiers", []), sort_keys=True)
            use = TermUse(f["type"]["id"], bool(f.get("excluded")), f"#/phenotypicFeatures/{i}")
            groups.setdefault(key, []).append(use)
    issues = [i for uses in groups.values() for i in check_terms(uses, load_hpo())]
    # The same term at other dates is not a duplicate (identical features were merged).
    issues = [i for i in issues if i.kind is not IssueKind.DUPLICATE]
    # A well-formed id the bundled HPO does not know may be newer than its release: it is
    # written as given, with a warning (refusing the patient would drop every other finding);
    # a malformed one (HP:0003125x) is refused.
    newer = [i for i in issues if i.kind is IssueKind.UNKNOWN and _HPO_ID.match(i.use.hpo_id)]
    fatal = [i for i in issues if i.kind is not IssueKind.REDUNDANT and i not in newer]
    if fatal:
        raise ValidationError(
            [_problem(i, source) for i in fatal], summary="phenopacket export refused"
        )
    redundant = [i for i in issues if i.kind is IssueKind.REDUNDANT]
    drop = {int(i.use.location.rsplit("/", 1)[1]) for i in redundant}
    kept = [f for index, f in enumerate(features) if index not in drop]
    results = {index: _as_result(features[index]) for index in sorted(drop)}
    warnings = [_problem(i, source, results) for i in redundant] + [
        _problem(i, source) for i in newer
    ]
    return kept, [r for r in results.values() if r is not None], warnings


def _as_result(feature: dict[str, Any]) -> dict[str, Any] | None:
    """Return a redundant antibody-like term as a Positive/Negative measurement, or None.

    The curation rule keeps a term and its ancestor out of ``phenotypicFeatures``; a catalogue
    concept's result (ANA positive beside anti-Scl-70 positive) still travels, as a measurement
    of the concept's LOINC assay (else its calciscope code) valued with the LOINC answer.
    """
    if feature.get("modifiers") or feature.get("description"):
        return None
    catalogue = load_catalogue()
    names = catalogue.concepts_for_code("HP", feature["type"]["id"])
    if not names:
        return None
    concept = catalogue.concepts[names[0]]
    assay = next(
        (code_to_curie(s, c) for s, c in concept.codes if s == "LOINC"),
        f"calciscope:{concept.name}",
    )
    answer = RESULT_ANSWERS[excluded_status(feature.get("excluded"))]
    result = {"assay": {"id": assay, "label": concept.label}, "value": {"ontologyClass": answer}}
    if "onset" in feature:
        result["timeObserved"] = feature["onset"]
    return result


def _problem(
    issue: Issue, source: str, results: dict[int, dict[str, Any] | None] | None = None
) -> Problem:
    message = f"{issue.kind.value}: {issue.message}"
    if issue.kind is IssueKind.UNKNOWN:
        message += "; written as given (newer than the bundled HPO?)"
    if results is not None and issue.kind is IssueKind.REDUNDANT:
        kept = results[int(issue.use.location.rsplit("/", 1)[1])] is not None
        message += "; written as a measurement" if kept else "; not written"
    return Problem(source, issue.use.location, "type", message)


def _unique(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for item in items:
        key = repr(sorted(item.items()))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _part(fact: Fact) -> str:
    """Return where a written fact goes: measurements, diseases, actions or others (features)."""
    if fact.value_num is not None and fact.status is Status.PRESENT:
        return "measurements"  # a measurement cannot be excluded: an absent one is a feature
    if code_to_curie(fact.system, fact.code).startswith(_DISEASE_PREFIXES) and not (
        fact.morphology or fact.method or fact.value_text
    ):
        return "diseases"  # a Disease has a site and a side, but no morphology, method or text
    return "actions" if is_procedure_action(fact) else "others"


def _meta(patient: Patient, created: dt.datetime | None) -> dict[str, Any]:
    """Return ``metaData`` without its resources: creation, and the synthetic/centre references."""
    meta: dict[str, Any] = {
        "created": (created or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "createdBy": f"calciscope {__version__}",
        "phenopacketSchemaVersion": "2.0",
    }
    references = [SYNTHETIC_REFERENCE] if patient.synthetic else []
    references += [centre_reference(patient.centre)] if patient.centre else []
    if references:
        meta["externalReferences"] = references
    return meta


def write_phenopacket(
    patient: Patient, facts: list[Fact], *, created: dt.datetime | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Return a validated Phenopacket v2 (lowerCamelCase JSON object) for one patient.

    Parameters
    ----------
    patient
        The subject.
    facts
        The patient's facts; unknown-status and unconfirmed facts are not written.
    created
        Creation time for ``metaData.created`` (now when not given).

    Returns
    -------
    tuple
        The phenopacket and the curation warnings for terms that were dropped as redundant.

    Raises
    ------
    ValidationError
        When an HPO id is unknown or obsolete, or observed and excluded terms contradict.
    """
    written = sorted(
        (
            f
            for f in facts
            if f.status is not Status.UNKNOWN and f.review_state is ReviewState.CONFIRMED
        ),
        key=lambda f: (f.code, str(f.effective_date)),
    )
    parts: dict[str, list[Fact]] = {"measurements": [], "diseases": [], "actions": [], "others": []}
    for fact in written:
        parts[_part(fact)].append(fact)
    features, results, warnings = _prune(
        _unique(_feature(f) for f in parts["others"]), patient.patient_id
    )
    subject: dict[str, Any] = {"id": patient.patient_id, "sex": PHENOPACKET_SEX[patient.sex]}
    if patient.birth_date:
        subject["dateOfBirth"] = f"{patient.birth_date.isoformat()}T00:00:00Z"
    packet: dict[str, Any] = {
        "id": patient.patient_id,
        "subject": subject,
        "phenotypicFeatures": features,
        "diseases": _unique(_disease(f) for f in parts["diseases"]),
        "measurements": _unique([*(_measurement(f) for f in parts["measurements"]), *results]),
        "medicalActions": _unique(_action(f) for f in parts["actions"]),
    }
    packet["metaData"] = _meta(patient, created)
    packet["metaData"]["resources"] = _resources(packet)
    json_format.ParseDict(packet, Phenopacket())
    return {k: v for k, v in packet.items() if v}, warnings
