"""The mapping tables every interop reader and writer shares, each in one place.

The fact qualifiers; status ↔ FHIR, Phenopacket, REDCap and OMOP codes; code-system URLs and
CURIE prefix rules; OMOP concept ids (from the OHDSI standard vocabulary as we know it: check
them against yours before merging; their names are in :data:`FIXED_CONCEPTS`).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from calciscope.model import BodyRegion, Laterality, Method, Morphology, Sex, Status

__all__ = [
    "ABSENT_ID",
    "ABSENT_VALUE_IDS",
    "ABSENT_VALUE_NAMES",
    "CALCISCOPE_SYSTEM",
    "CDM_V54_ID",
    "FHIR_BARE_CODE",
    "FHIR_EXTENSION_QUALIFIERS",
    "FHIR_INTERPRETATION",
    "FHIR_NEGATIVE",
    "FHIR_SYSTEM_PREFERENCE",
    "FHIR_URL_SYSTEMS",
    "FHIR_VERIFICATION",
    "FHIR_VERIFICATION_READ",
    "FIXED_CONCEPTS",
    "LOCAL_VOCABULARY",
    "NO_MATCH_ID",
    "OMOP_GENDER",
    "OMOP_QUALIFIER_COLUMNS",
    "OMOP_VOCABULARIES",
    "PHENOPACKET_SEX",
    "PREFIXED_SYSTEMS",
    "PRESENT_ID",
    "QUALIFIERS",
    "QUALIFIER_CLASS",
    "QUALIFIER_ENUMS",
    "REDCAP_STATUS_VALUES",
    "REGISTRY_TYPE_ID",
    "RESULT_ANSWERS",
    "SYSTEM_URLS",
    "VISIT_ID",
    "code_to_curie",
    "curie_to_code",
    "excluded_status",
    "partial_date",
    "prefixed_code",
]

# --- Qualifiers -------------------------------------------------------------------------------

#: Fact fields that qualify a code (where, which side, what shape, how seen), in writing order.
QUALIFIER_ENUMS: dict[str, type[StrEnum]] = {
    "body_site": BodyRegion,
    "laterality": Laterality,
    "morphology": Morphology,
    "method": Method,
}
QUALIFIERS = tuple(QUALIFIER_ENUMS)
#: Qualifiers FHIR has no element for, written (in this order) and read as calciscope extensions;
#: the body site has ``bodySite``.
FHIR_EXTENSION_QUALIFIERS = ("morphology", "method", "laterality")

# --- Status ↔ external codes ------------------------------------------------------------------

#: FHIR Condition ``verificationStatus`` written for each status.
FHIR_VERIFICATION = {
    Status.PRESENT: "confirmed",
    Status.ABSENT: "refuted",
    Status.UNKNOWN: "unconfirmed",
}
#: ``verificationStatus`` codes read as other than present (entered-in-error is skipped apart).
FHIR_VERIFICATION_READ = {
    "refuted": Status.ABSENT,
    "unconfirmed": Status.UNKNOWN,
    "provisional": Status.UNKNOWN,
    "differential": Status.UNKNOWN,
}
#: FHIR Observation ``interpretation`` (v3 ObservationInterpretation) written for each status.
FHIR_INTERPRETATION = {Status.PRESENT: "POS", Status.ABSENT: "NEG", Status.UNKNOWN: "IND"}
#: Interpretation or value codes read as absent (v3 codes; SNOMED CT Negative, Not detected).
FHIR_NEGATIVE = frozenset({"NEG", "ND", "260385009", "260415000"})
#: LOINC answers Positive / Negative for a lab result without a number (Phenopacket measurement).
RESULT_ANSWERS: dict[Status, dict[str, str]] = {
    Status.PRESENT: {"id": "LOINC:LA6576-8", "label": "Positive"},
    Status.ABSENT: {"id": "LOINC:LA6577-6", "label": "Negative"},
}
#: Phenopacket ``subject.sex`` of each sex.
PHENOPACKET_SEX = {
    Sex.FEMALE: "FEMALE",
    Sex.MALE: "MALE",
    Sex.OTHER: "OTHER_SEX",
    Sex.UNKNOWN: "UNKNOWN_SEX",
}
#: REDCap radio codes of a status field (calciscope's template: 1 present, 0 absent, 9 unknown).
REDCAP_STATUS_VALUES = {"1": Status.PRESENT, "0": Status.ABSENT, "9": Status.UNKNOWN}


def excluded_status(excluded: object) -> Status:
    """Return the status of a Phenopacket feature or disease from its ``excluded`` flag."""
    return Status.ABSENT if excluded else Status.PRESENT


# --- Code systems and prefixes ----------------------------------------------------------------

#: FHIR ``Coding.system`` for each calciscope code system.
SYSTEM_URLS: dict[str, str] = {
    "SNOMEDCT": "http://snomed.info/sct",
    "LOINC": "http://loinc.org",
    "ICD10": "http://hl7.org/fhir/sid/icd-10",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "HP": "http://purl.obolibrary.org/obo/hp.owl",
    "MONDO": "http://purl.obolibrary.org/obo/mondo.owl",
    "ORPHA": "http://www.orpha.net",
    # OMIM's own address (omim.org); not checked against HL7's terminology registry
    "OMIM": "https://omim.org",
    "OMOP": "https://athena.ohdsi.org",
    "calciscope": "https://w3id.org/calciscope/concept",
}
CALCISCOPE_SYSTEM = SYSTEM_URLS["calciscope"]
#: The code system of a ``Coding.system`` URL: calciscope's, and others seen in the wild.
FHIR_URL_SYSTEMS = {url: system for system, url in SYSTEM_URLS.items()} | {
    "http://hpo.jax.org": "HP",
    "https://hpo.jax.org": "HP",
    "http://purl.obolibrary.org/obo/mondo.obo": "MONDO",
    "http://www.orpha.net/ORDO": "ORPHA",
    "http://hl7.org/fhir/sid/icd-10-de": "ICD10",
    "http://omim.org": "OMIM",
    "https://www.omim.org": "OMIM",
    "http://www.omim.org": "OMIM",
}
#: Order of preference when a FHIR concept carries several codings.
FHIR_SYSTEM_PREFERENCE = (
    "calciscope",
    *("HP", "MONDO", "SNOMEDCT", "LOINC", "ICD10CM", "ICD10", "ORPHA", "OMIM", "OMOP"),
)
#: Systems whose calciscope code keeps its prefix (``HP:0003761``, ``ORPHA:90291``), as the
#: catalogue writes them; SNOMED CT, LOINC and ICD-10 codes are bare.
PREFIXED_SYSTEMS = frozenset({"HP", "MONDO", "ORPHA", "OMIM"})
#: Systems whose FHIR code is the bare number although calciscope keeps the prefix.
FHIR_BARE_CODE = frozenset({"OMIM"})
#: CURIE prefix → calciscope code system (aliases included).
_PREFIX_TO_SYSTEM = {s: s for s in SYSTEM_URLS} | {
    "Orphanet": "ORPHA",
    "SNOMEDCT_US": "SNOMEDCT",
    "SNOMED": "SNOMEDCT",
}

#: Prefixes read in any case (``hp:0003761``, as the Bioregistry writes them): the systems whose
#: prefix the model upper-cases (:func:`calciscope.model.codes.normalise_code`).
_CASELESS_PREFIXES = {"HP": "HP", "MONDO": "MONDO"}


def prefixed_code(system: str, code: str) -> str:
    """Return ``code`` with its system's prefix when the system keeps one (``OMIM:613454``).

    A prefix in another case (``hp:0003761``) is the prefix: the model writes it in capitals
    (:func:`calciscope.model.codes.normalise_code`), rather than a second one being added.

    >>> prefixed_code("HP", "0003761"), prefixed_code("HP", "hp:0003761")
    ('HP:0003761', 'hp:0003761')
    """
    if system not in PREFIXED_SYSTEMS or code[: len(system) + 1].upper() == f"{system}:":
        return code
    return f"{system}:{code}"


def curie_to_code(curie: str) -> tuple[str, str]:
    """Return calciscope's (system, code) for a CURIE.

    An HP or MONDO prefix is read in any case. A prefix calciscope has no code system for
    (NCIT, ...) is kept whole as a code in the ``calciscope`` namespace, so nothing is lost
    and an export writes the same CURIE back.

    Examples
    --------
    >>> curie_to_code("HP:0003761")
    ('HP', 'HP:0003761')
    >>> curie_to_code("LOINC:2157-6")
    ('LOINC', '2157-6')
    >>> curie_to_code("Orphanet:90291")
    ('ORPHA', 'ORPHA:90291')
    >>> curie_to_code("NCIT:C3262")
    ('calciscope', 'NCIT:C3262')
    >>> curie_to_code("hp:0003761")
    ('HP', 'HP:0003761')
    """
    prefix, sep, local = curie.partition(":")
    system = _PREFIX_TO_SYSTEM.get(_CASELESS_PREFIXES.get(prefix.upper(), prefix)) if sep else None
    if system is None:
        return "calciscope", curie
    return system, f"{system}:{local}" if system in PREFIXED_SYSTEMS else local


def code_to_curie(system: str, code: str) -> str:
    """Return the CURIE for calciscope's (system, code); the inverse of :func:`curie_to_code`."""
    if system in PREFIXED_SYSTEMS or (system == "calciscope" and ":" in code):
        return code
    return f"{system}:{code}"


# --- OMOP constants ---------------------------------------------------------------------------

#: Vocabulary and concept class of calciscope's local concepts (ids above 2,000,000,000).
LOCAL_VOCABULARY = "calciscope"
QUALIFIER_CLASS = "Qualifier"
PRESENT_ID, ABSENT_ID = 4181412, 4132135
VISIT_ID, REGISTRY_TYPE_ID = 9202, 32879
NO_MATCH_ID, CDM_V54_ID = 0, 756265  # "No matching concept"; the CDM version (ETL-Synthea's)
#: ``gender_concept_id`` of each sex (any other reads back as unknown).
OMOP_GENDER = {Sex.MALE: 8507, Sex.FEMALE: 8532}
#: (name, domain, vocabulary, class, code) of each id calciscope writes without a vocabulary.
FIXED_CONCEPTS = {
    PRESENT_ID: ("Present", "Meas Value", "SNOMED", "Qualifier Value", "52101004"),
    ABSENT_ID: ("Absent", "Meas Value", "SNOMED", "Qualifier Value", "2667000"),
    VISIT_ID: ("Outpatient Visit", "Visit", "Visit", "Visit", "OP"),
    REGISTRY_TYPE_ID: ("Registry", "Type Concept", "Type Concept", "Type Concept", "Registry"),
    OMOP_GENDER[Sex.MALE]: ("MALE", "Gender", "Gender", "Gender", "M"),
    OMOP_GENDER[Sex.FEMALE]: ("FEMALE", "Gender", "Gender", "Gender", "F"),
    NO_MATCH_ID: ("No matching concept", "Metadata", "None", "Undefined", "No matching concept"),
    CDM_V54_ID: ("OMOP CDM Version 5.4.0", "Metadata", "CDM", "CDM", "CDM v5.4.0"),
}
#: The column of each CDM table that holds calciscope's qualifier concept (site, side, shape, how).
OMOP_QUALIFIER_COLUMNS = {
    "observation": "qualifier_concept_id",
    "procedure_occurrence": "modifier_concept_id",
}
#: calciscope code systems that have an OMOP vocabulary of the same meaning.
OMOP_VOCABULARIES = {"SNOMEDCT": "SNOMED", "LOINC": "LOINC", "ICD10": "ICD10", "ICD10CM": "ICD10CM"}
#: Value concepts read as absent even when the CDM's concept table lacks them (Meas Value
#: "Negative" 9189 and "Not detected" 9190, SNOMED "Absent"), and value names read as absent.
ABSENT_VALUE_IDS: tuple[int, ...] = (9189, 9190, ABSENT_ID)
ABSENT_VALUE_NAMES: tuple[str, ...] = ("Absent", "Negative", "Not detected", "Not present", "No")


# --- Dates ------------------------------------------------------------------------------------

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
# a time may follow the date (kept local, ignored); any other text is refused, not dropped
_FULL_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


def partial_date(text: str) -> tuple[dt.date | None, str | None]:
    """Read a date cell: ``(date, None)``, or ``(None, text)`` for a year or a year and month.

    Every reader keeps a partial date the same way (FHIR ``2019-05``, a REDCap text field
    holding ``2019``): the fact is **undated** and the partial date stays in its provenance. A
    date is never invented from part of one (no 1 January, no mid-year), because a made-up day
    would move a fact across an index date or a look-back window without anyone seeing it.
    A time after the date (``2019-05-01 10:30``, ``2019-05-01T10:30:00+02:00``) is ignored:
    the local date is kept.

    Raises
    ------
    ValueError
        When ``text`` is neither (``2020-13-45``, ``05/01/2019``, ``2019-5``), with a message
        saying what is expected.

    Examples
    --------
    >>> partial_date("2019-05-01T23:30:00-05:00")
    (datetime.date(2019, 5, 1), None)
    >>> partial_date("2019-05")
    (None, '2019-05')
    """
    value = text.strip()
    full = _FULL_DATE.match(value)
    try:
        if full:
            return dt.date(*(int(part) for part in full.groups())), None
        partial = _PARTIAL_DATE.match(value)
        if partial and 1 <= int(partial.group(2) or 1) <= 12:
            return None, value
    except ValueError:
        pass
    raise ValueError(
        f"{text!r} is not a date: expected YYYY-MM-DD (a year, YYYY, or a year and month, "
        "YYYY-MM, is kept undated with the partial date in the provenance)"
    )
