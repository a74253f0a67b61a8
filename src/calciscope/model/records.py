"""Typed records: Patient, Fact, Note, Image.

A *fact* is one coded statement about a patient: code system + code, status
(present / absent / unknown), optional value, body site, laterality and morphology,
effective date, where it came from and whether a person has confirmed it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import re
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from calciscope.model.codes import code_problem, normalise_code
from calciscope.model.enums import (
    BodyRegion,
    Laterality,
    Method,
    Modality,
    Morphology,
    NoteType,
    ReviewState,
    Sex,
    SourceKind,
    Status,
)
from calciscope.model.units import normalise_unit

__all__ = [
    "CODE_SYSTEMS",
    "IDENTIFIER_PATTERN",
    "STORED",
    "Fact",
    "Image",
    "Note",
    "Patient",
    "before_birth",
    "make_fact_id",
    "max_length",
]

#: Validation context for a record read back from the registry: the checks of what may *enter*
#: it (a code's form, a date not after today) were made when it was written, and a fact stored
#: before a check existed must still be readable.
STORED = {"stored": True}

#: Code systems a fact may use; ``calciscope`` is our own namespace for concepts that
#: have no verified standard code (clinical-reference.md §6 marks what is verified).
CODE_SYSTEMS: tuple[str, ...] = (
    "calciscope",
    "HP",
    "MONDO",
    "OMIM",
    "SNOMEDCT",
    "LOINC",
    "ICD10",
    "ICD10CM",
    "ORPHA",
    "OMOP",
)

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
#: The shape of an identifier (a patient, note or image id): a letter or digit, then letters,
#: digits and ``. _ : -``. Other patterns that contain an id (a review item id) are built from it.
IDENTIFIER_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:\-]*"
_ID_RE = re.compile(rf"^{IDENTIFIER_PATTERN}$")
_NUMERIC = re.compile(r"^\s*[-+]?[0-9]+(\.[0-9]*)?\s*$")
#: A date written with the day or month first (``31/02/2020``, ``02.03.2020``, ``3/2/20``).
_SLASHED = re.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*$")


def _no_number_date(value: Any) -> Any:
    """Refuse a number given as a date, before pydantic reads it as seconds since 1970.

    pydantic's lax mode takes ``86400`` or ``"1577836800"`` for a date (1970-01-02,
    2020-01-01) and answers a year alone, ``"2019"``, with "Datetimes provided to dates should
    have zero time": a cell holding a number was imported as a made-up date, and a partial date
    was refused with a message about times (fixes22).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return value
    if isinstance(value, str) and _SLASHED.match(value):
        # 31/02/2020 or 02/03/2020: pydantic said "invalid character in year" (hardening34)
        raise ValueError(
            f"{value!r} is not a date: expected YYYY-MM-DD, the year first (a date written "
            "day/month/year or month/day/year is read neither way: the two cannot be told apart)"
        )
    if isinstance(value, str) and not _NUMERIC.match(value):
        return value
    raise ValueError(
        f"{value!r} is not a date: expected YYYY-MM-DD (a year alone is no date here; "
        "leave the cell empty when the day is not known)"
    )


#: A date field: an ISO date or a date object, never a number read as a timestamp.
IsoDate = Annotated[dt.date, BeforeValidator(_no_number_date)]


def after_today(value: dt.date | int, why: str) -> str | None:
    """Return why a date (or a year) after today is refused, or None when it is not after it.

    The one rule every importer applies to a date that cannot be in the future: a fact's
    date, a note's date, a birth date or year, an image's date (``why`` says what it is).
    """
    today = dt.date.today()
    if isinstance(value, int):
        return f"{value} is after this year ({today.year}): {why}" if value > today.year else None
    if value > today:
        return f"{value.isoformat()} is after today ({today.isoformat()}): {why}"
    return None


def before_birth(value: dt.date, birth_date: dt.date | None, birth_year: int | None) -> str | None:
    """Return why a fact dated ``value`` is refused for a patient born then, or None.

    The one rule every importer's facts go through (the bulk writer checks each fact against
    the patient the registry holds once the import's patients are written:
    :meth:`calciscope.storage.BatchWriter.write_fact_rows`, a whole batch at a time). A fact
    dated on the day of birth is accepted (a congenital finding). With the year of birth alone,
    only a date in an earlier year is certainly before birth; a patient with no birth date or
    year, and a fact with no date (a partial date is kept undated:
    :func:`calciscope.interop.mappings.partial_date`), are never refused by it.
    """
    if birth_date is not None and value < birth_date:
        born = birth_date.isoformat()
    elif birth_date is None and birth_year is not None and value.year < birth_year:
        born = f"in {birth_year}"
    else:
        return None
    return (
        f"{value.isoformat()} is before the patient's birth ({born}): "
        "a fact cannot be dated before the patient was born"
    )


def _entering(info: ValidationInfo) -> bool:
    """Return whether a record is entering the registry (not read back with :data:`STORED`)."""
    return not (info.context and info.context.get("stored"))


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store U+0000 in text; refuse it on every backend alike.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character (U+0000), which a registry cannot store")
        return value


_UNBORN = "a patient cannot be born in the future"
_FUTURE_FACT = "a fact cannot be dated in the future"
_FUTURE_NOTE = "a note cannot be dated in the future"


class Patient(_Record):
    """A pseudonymous patient.

    Parameters
    ----------
    patient_id
        Pseudonymous identifier (letters, digits, ``.``, ``_``, ``:``, ``-``).
    sex
        Administrative sex.
    birth_date
        Date of birth, when known; otherwise ``birth_year``.
    birth_year
        Year of birth; filled from ``birth_date`` when that is given.
    centre
        The centre that holds the record.
    synthetic
        True for generated (demo) patients.
    """

    patient_id: Identifier
    sex: Sex = Sex.UNKNOWN
    birth_date: IsoDate | None = None
    birth_year: int | None = Field(default=None, ge=1880, le=2100)
    # every text bound here is the registry column's length too (max_length, storage.schema)
    centre: str | None = Field(default=None, max_length=128)
    synthetic: bool = False

    @field_validator("patient_id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError("must be letters, digits, '.', '_', ':' or '-'")
        return value

    @field_validator("birth_date")
    @classmethod
    def _born_by_today(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        problem = after_today(value, _UNBORN) if value is not None and _entering(info) else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("birth_year")
    @classmethod
    def _born_by_this_year(cls, value: int | None, info: ValidationInfo) -> int | None:
        # a birth_date refused already (not in info.data) is the one problem: its year is the
        # same mistake (2030-05-01 and 2030 in one patients.csv row), not a second one (fix11)
        given = "birth_date" in info.data
        if (
            value is not None
            and given
            and _entering(info)
            and (problem := after_today(value, _UNBORN))
        ):
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _year_from_date(self) -> Patient:
        if self.birth_date is not None:
            if self.birth_year is not None and self.birth_year != self.birth_date.year:
                raise ValueError("birth_year disagrees with birth_date")
            object.__setattr__(self, "birth_year", self.birth_date.year)
        return self


class Fact(_Record):
    """One coded statement about a patient.

    Parameters
    ----------
    patient_id
        The patient the fact is about.
    system, code
        The code system (one of :data:`CODE_SYSTEMS`) and the code in it. A code whose case
        carries no meaning is stored as its system writes it (``m34.82`` → ``M34.82``,
        ``hp:0003761`` → ``HP:0003761``; :func:`calciscope.model.codes.normalise_code`), then
        its form is checked (:func:`calciscope.model.codes.code_problem`).
    status
        Present, absent or unknown. Absent is a recorded negative, not a missing value.
    effective_date
        When the finding held (exam, test or onset date).
    value_num, value_text, unit
        A measured or categorical value (for example CK in U/L, an mRSS site score).
    reference_high
        The upper end of the reference range the laboratory gave with ``value_num``, in the
        same unit (FHIR ``Observation.referenceRange.high``, OMOP ``measurement.range_high``).
        When present it is the upper limit of normal the value is compared with; otherwise the
        feature catalogue's default table is used. A finite number, 0 or more.
    body_site, laterality, morphology, method
        Where, which side, what shape, and how it was found.
    source_kind, provenance
        Where the fact came from (a file and row, a note id and offsets, an image reading).
    review_state
        Confirmed facts count; suggested facts wait for a person.
    fact_id
        Stable identifier; derived from the content (all fields but the review state) when not
        given, so re-imports are idempotent and never duplicate a confirmed or rejected fact.
    """

    patient_id: Identifier
    system: str
    code: Identifier
    status: Status = Status.PRESENT
    effective_date: IsoDate | None = None
    value_num: float | None = None
    value_text: str | None = Field(default=None, max_length=2000)
    unit: str | None = Field(default=None, max_length=32)
    reference_high: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    #: imports37: the unit's code in an ontology other than UCUM (UO ``UO:0000175``, whose label
    #: is ``unit``); a UCUM unit is its own code (``unit``), so none here
    unit_code: str | None = Field(default=None, max_length=64)
    body_site: BodyRegion | None = None
    laterality: Laterality | None = None
    morphology: Morphology | None = None
    method: Method | None = None
    source_kind: SourceKind = SourceKind.STRUCTURED
    provenance: str | None = Field(default=None, max_length=2000)
    review_state: ReviewState = ReviewState.CONFIRMED
    fact_id: str = Field(default="", max_length=64)

    @field_validator("system")
    @classmethod
    def _check_system(cls, value: str) -> str:
        if value not in CODE_SYSTEMS:
            raise ValueError(
                f"unknown code system {value!r}; expected one of {', '.join(CODE_SYSTEMS)}"
            )
        return value

    @field_validator("code")
    @classmethod
    def _check_code(cls, value: str, info: ValidationInfo) -> str:
        system = info.data.get("system")
        if _entering(info) and isinstance(system, str):
            # before the fact id is computed (from the code as stored): one fact, one id
            value = normalise_code(system, value)
            problem = code_problem(system, value)
            if problem is not None:
                raise ValueError(problem)
        return value

    @field_validator("value_text")
    @classmethod
    def _check_value_text(cls, value: str | None, info: ValidationInfo) -> str | None:
        system, code = info.data.get("system"), info.data.get("code")
        if value is None or not _entering(info) or not isinstance(code, str):
            return value
        closed = closed_values(str(system), code)
        if not closed:
            return value
        # before the fact id is computed: " DCSSC " and "dcssc" are one fact, one id
        folded = value.strip().lower()
        for concept, allowed in closed:
            if folded not in allowed:
                raise ValueError(
                    f"{concept} value_text {value!r} is not one of {', '.join(allowed)}"
                )
        return folded

    @field_validator("value_num")
    @classmethod
    def _finite_value(cls, value: float | None, info: ValidationInfo) -> float | None:
        # "nan", "inf" parse as floats; a value that is no number would be compared (CK above
        # its limit) and summarised as one (fixes19); a stored fact is read back as it was
        if value is None or not _entering(info):
            return value
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, not {value!r}")
        system, code = info.data.get("system"), info.data.get("code")
        if isinstance(code, str) and (problem := range_problem(str(system), code, value)):
            raise ValueError(problem)
        return value

    @field_validator("unit")
    @classmethod
    def _normalise_unit(cls, value: str | None, info: ValidationInfo) -> str | None:
        # before the fact id is computed: "U/L\xa0" and "U/L" are one unit, one fact id;
        # a stored fact is read back as it was written (fixes16)
        return normalise_unit(value) if _entering(info) else value

    @field_validator("effective_date")
    @classmethod
    def _not_in_future(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        problem = (
            after_today(value, _FUTURE_FACT) if value is not None and _entering(info) else None
        )
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _fill_id(self) -> Fact:
        if not self.fact_id:
            object.__setattr__(
                self,
                "fact_id",
                make_fact_id(
                    {k: plain_value(v) for k, v in self.__dict__.items() if k not in _NOT_HASHED}
                ),
            )
        return self


#: Where the closed sets of ``value_text`` come from: the feature catalogue (a higher layer, which
#: reads this model's enums) hands its lookup in when it is imported (``features.catalogue``),
#: so the model does not import it. Every importer, the bulk writer and the api import the
#: catalogue before they read a fact.
_CLOSED_VALUES: list[Callable[[str, str], tuple[tuple[str, tuple[str, ...]], ...]]] = []


def use_closed_values(
    lookup: Callable[[str, str], tuple[tuple[str, tuple[str, ...]], ...]],
) -> None:
    """Set the lookup :func:`closed_values` answers from (the feature catalogue's)."""
    _CLOSED_VALUES[:] = [functools.cache(lookup)]


def closed_values(system: str, code: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return ``(concept, values)`` for each concept of a code that declares its ``values``.

    The closed sets of ``value_text`` of ``concepts.yaml`` (``ssc_subset``: dcssc, lcssc,
    sine, undetermined): the one check every importer's facts go through (:class:`Fact`)
    refuses any other text, and the bulk import's fast path
    (:mod:`calciscope.interop.native_facts`) leaves such a row to it. Empty until the feature
    catalogue is imported (:func:`use_closed_values`).
    """
    return _CLOSED_VALUES[0](system, code) if _CLOSED_VALUES else ()


#: Where the value ranges come from: the feature catalogue, as for :data:`_CLOSED_VALUES`.
_VALUE_RANGES: list[
    Callable[[str, str], tuple[tuple[str, tuple[float | None, float | None]], ...]]
] = []


def use_value_ranges(
    lookup: Callable[[str, str], tuple[tuple[str, tuple[float | None, float | None]], ...]],
) -> None:
    """Set the lookup :func:`value_ranges` answers from (the feature catalogue's)."""
    _VALUE_RANGES[:] = [functools.cache(lookup)]


def value_ranges(
    system: str, code: str
) -> tuple[tuple[str, tuple[float | None, float | None]], ...]:
    """Return ``(concept, (low, high))`` for each concept of a code that bounds ``value_num``.

    The ``value_range`` of ``concepts.yaml`` (``mrss_site``: 0 to 3, Clements 1995; an enzyme
    activity: 0 or more): the one check every importer's facts go through (:class:`Fact`), as
    for :func:`closed_values`. Empty until the feature catalogue is imported.
    """
    return _VALUE_RANGES[0](system, code) if _VALUE_RANGES else ()


def range_problem(system: str, code: str, value: float) -> str | None:
    """Return why ``value`` is outside a range its code's concepts declare, or None."""
    for concept, (low, high) in value_ranges(system, code):
        below, above = low is not None and value < low, high is not None and value > high
        if (below or above) and low is not None and high is not None:
            return f"{concept} value_num {value:g} is outside {low:g} to {high:g}"
        if below:
            return f"{concept} value_num {value:g} is below {low:g}, the least it can be"
        if above:
            return f"{concept} value_num {value:g} is above {high:g}"
    return None


def max_length(model: type[BaseModel], name: str) -> int | None:
    """Return the longest text a model's field takes, or None when it is unbounded.

    The bound is written once, in the field's constraint; the registry's column lengths
    (``storage.schema``) and the bulk import's checks are read from here.
    """
    for constraint in model.model_fields[name].metadata:
        if getattr(constraint, "max_length", None) is not None:
            return int(constraint.max_length)
    return None


_NOT_HASHED = frozenset({"fact_id", "review_state"})
#: Fields added after fact ids were first issued: hashed only when set, so the id of every fact
#: without them stays what it was (re-imports of older extracts stay idempotent).
HASHED_WHEN_SET = frozenset({"reference_high", "unit_code"})


def plain_value(value: Any) -> Any:
    """Return a field value as stored and hashed: Enum members by value, dates as ISO text.

    This is what ``model_dump(mode="json")`` gives for calciscope's field types, without the
    cost of serialising the whole model (fact ids must not change with the implementation).
    """
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def make_fact_id(content: dict[str, Any]) -> str:
    """Return a stable id for a fact from its content (SHA-1 of the sorted fields).

    Parameters
    ----------
    content
        The fact's fields, without ``fact_id``. A field of :data:`HASHED_WHEN_SET` counts only
        when it has a value.

    Returns
    -------
    str
        ``F`` followed by 20 hex digits.
    """
    keys = tuple(sorted(content))
    return fact_id_of_values(keys, [content[key] for key in keys])


def fact_id_of_values(keys: tuple[str, ...], values: Sequence[Any]) -> str:
    """Return :func:`make_fact_id` of ``dict(zip(keys, values))``; ``keys`` must be sorted.

    For callers that hash many facts with the same fields (``notes extract``): the text that is
    hashed is laid out once per set of keys. A field of :data:`HASHED_WHEN_SET` without a value
    is left out, so adding such a field kept the ids of every fact that does not use it.
    """
    optional = _optional_positions(keys)
    if optional and any(values[i] is None for i in optional):
        kept = [i for i in range(len(keys)) if i not in optional or values[i] is not None]
        keys, values = tuple(keys[i] for i in kept), [values[i] for i in kept]
    text = _id_layout(keys).format(*["" if value is None else value for value in values])
    return "F" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


@functools.cache
def _optional_positions(keys: tuple[str, ...]) -> frozenset[int]:
    return frozenset(i for i, key in enumerate(keys) if key in HASHED_WHEN_SET)


@functools.cache
def _id_layout(keys: tuple[str, ...]) -> str:
    return "|".join(key.replace("{", "{{").replace("}", "}}") + "={}" for key in keys)


class Note(_Record):
    """A free-text document about a patient (clinic letter, radiology report, ...)."""

    note_id: Identifier
    patient_id: Identifier
    note_type: NoteType = NoteType.CLINIC_LETTER
    note_date: IsoDate | None = None
    text: str
    synthetic: bool = False

    @field_validator("note_date")
    @classmethod
    def _written_by_today(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        # the facts read from a note take its date: a note dated after today would import, and
        # then every fact extracted from it would be refused (realfiles11)
        problem = (
            after_today(value, _FUTURE_NOTE) if value is not None and _entering(info) else None
        )
        if problem:
            raise ValueError(problem)
        return value


class Image(_Record):
    """A stored image (radiograph, photograph, ...) and where its file lives."""

    image_id: Identifier
    patient_id: Identifier
    modality: Modality = Modality.RADIOGRAPH
    body_site: BodyRegion | None = None
    laterality: Laterality | None = None
    image_date: IsoDate | None = None
    file_ref: str | None = None
