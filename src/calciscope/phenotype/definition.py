"""Phenotype definitions as data (``phenotype/phenotypes.yaml``) and their loader.

References
----------
Achieng S, Harris J, Samaranayaka M, Herrick AL. A rare form of calcinosis in patients with
systemic sclerosis-myositis overlap: report of four cases. Rheumatol Adv Pract 2024;8:rkae011.
DOI 10.1093/rap/rkae011.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from calciscope.criteria.expression import Predicate, parse_predicate
from calciscope.criteria.results import html_table
from calciscope.errors import CatalogueError

__all__ = [
    "Phenotype",
    "PhenotypeKind",
    "PhenotypeResult",
    "PhenotypeSet",
    "assessment_cutoff",
    "load_phenotypes",
    "output_columns",
    "substitute_parameters",
]


class PhenotypeKind(StrEnum):
    """How a phenotype is computed (see the header of ``phenotypes.yaml``)."""

    PREDICATE = "predicate"
    VALUE = "value"
    YEARS_BETWEEN = "years_between"
    FIRST_KNOWN = "first_known"
    MISMATCH = "mismatch"
    PROMPT = "prompt"


@dataclass(frozen=True)
class Phenotype:
    """One phenotype; the fields used depend on ``kind``."""

    id: str
    kind: PhenotypeKind
    label: str
    rule: Predicate | None = None
    sources: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    otherwise: str | None = None
    anchor: str | None = None
    months: int = 12
    text: str = ""
    beside: tuple[str, ...] = ()
    #: a prompt is not shown when one of these features is true (what it asks is known)
    unless: tuple[str, ...] = ()
    #: first_known: a source's values that say none was determined ("undetermined"): the next
    #: source stands in, as for no value (any other value outside `values` is recorded but
    #: unknown, and the result is `otherwise`)
    not_determined: tuple[str, ...] = ()
    #: predicate: the explanation's note when the value is unknown (what could decide it)
    unknown_note: str = ""


@dataclass(frozen=True)
class PhenotypeSet:
    """The phenotypes in evaluation order, with the parameters they were built with."""

    version: str
    parameters: Mapping[str, Any]
    phenotypes: tuple[Phenotype, ...]


@dataclass(frozen=True)
class PhenotypeResult:
    """One phenotype for one patient: its value, what the value rests on, and its rule as text."""

    id: str
    label: str
    value: Any
    note: str = ""
    rule: str = ""

    def _repr_html_(self) -> str:
        value = "unknown" if self.value is None else self.value
        return html_table(
            ("phenotype", "value", "note", "rule"), [(self.id, value, self.note, self.rule)]
        )


def assessment_cutoff(index_date: dt.date, months: int) -> dt.date:
    """Return the date ``months`` calendar months before ``index_date`` (day clipped to the month).

    A cutoff that would fall before year 1 (an index date in the first years of the calendar,
    which the api refuses: :func:`calciscope.api.check_index_date`) is 0001-01-01, the first
    date there is: every fact up to the index date is read, and nothing fails.
    """
    year, month0 = divmod(index_date.year * 12 + index_date.month - 1 - months, 12)
    if year < dt.MINYEAR:
        return dt.date.min
    day = min(index_date.day, calendar.monthrange(year, month0 + 1)[1])
    return dt.date(year, month0 + 1, day)


def output_columns(phenotype: Phenotype) -> tuple[str, ...]:
    """Return the result columns of a phenotype.

    A prompt adds its text and the features beside it; ``years_between`` adds
    ``<id>_reversed``, true when the end is dated before the start (the interval itself is then
    unknown: a data-quality item, never a negative interval).
    """
    suffixes = {
        PhenotypeKind.YEARS_BETWEEN: ("reversed",),
        PhenotypeKind.PROMPT: ("text", *phenotype.beside),
    }
    return (phenotype.id, *(f"{phenotype.id}_{s}" for s in suffixes.get(phenotype.kind, ())))


#: ``${name}`` or ``$name`` in a string of a definition file
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def substitute_parameters(raw: Any, params: Mapping[str, Any]) -> Any:
    """Return parsed YAML with its ``$name`` and ``${name}`` placeholders replaced from ``params``.

    A string that is one whole ``$name`` takes the parameter itself (a number stays a number).
    """
    if isinstance(raw, dict):
        return {k: substitute_parameters(v, params) for k, v in raw.items()}
    if isinstance(raw, list):
        return [substitute_parameters(v, params) for v in raw]
    if isinstance(raw, str) and raw.startswith("$") and raw[1:] in params:
        return params[raw[1:]]
    if isinstance(raw, str):
        return _PLACEHOLDER.sub(lambda m: str(params.get(m[1] or m[2], m[0])), raw)
    return raw


def _phenotype(raw: Mapping[str, Any]) -> Phenotype:
    where = f"phenotype {raw.get('id', '?')!r}"
    kind = PhenotypeKind(raw["kind"])
    sources = raw.get("sources") or [raw[k] for k in ("feature", "from", "to") if k in raw]
    return Phenotype(
        id=str(raw["id"]),
        kind=kind,
        label=str(raw.get("label", raw["id"])),
        rule=parse_predicate(raw.get("rule") or raw.get("when"), where)
        if kind in (PhenotypeKind.PREDICATE, PhenotypeKind.PROMPT)
        else None,
        sources=tuple(map(str, sources or raw.get("no_recent", ()))),
        values=tuple(map(str, raw.get("values", ()))),
        otherwise=raw.get("otherwise"),
        anchor=raw.get("anchor"),
        months=int(raw.get("months", 12)),
        text=" ".join(str(raw.get("text", "")).split()),
        beside=tuple(map(str, raw.get("beside", ()))),
        unless=tuple(map(str, raw.get("unless", ()))),
        not_determined=tuple(map(str, raw.get("not_determined", ()))),
        unknown_note=" ".join(str(raw.get("unknown_note", "")).split()),
    )


def load_phenotypes(**overrides: Any) -> PhenotypeSet:
    """Load the packaged phenotypes, with parameters optionally overridden.

    Parameters
    ----------
    **overrides
        ``min_sheet_like_regions`` (default 2), ``assessment_months`` (12),
        ``overlap_definition`` (``criteria`` | ``clinician`` | ``either``, default ``either``),
        ``sheet_like_morphology`` (``sheet_like`` | ``sheet_like_or_mixed``), ``region_unit``
        (``regions`` | ``sides``), ``onset_event`` (``calcinosis`` | ``calcinosis_sheet_like`` |
        ``calcinosis_sheet_like_or_mixed``); the choices are listed in ``phenotypes.yaml``.

    Raises
    ------
    CatalogueError
        When the file is malformed or an override names no parameter.
    """
    return _load(tuple(sorted((k, v) for k, v in overrides.items() if v is not None)))


@cache
def _load(overrides: tuple[tuple[str, Any], ...]) -> PhenotypeSet:
    text = resources.files("calciscope.phenotype").joinpath("phenotypes.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    params = dict(raw["parameters"])
    unknown = sorted({k for k, _ in overrides} - set(params))
    if unknown:
        raise CatalogueError(f"unknown phenotype parameter(s) {unknown}; known: {sorted(params)}")
    for name, value in overrides:  # a whole-number parameter takes a whole number
        default = params[name]
        whole = isinstance(default, int) and not isinstance(default, bool)
        if whole and (isinstance(value, bool) or not isinstance(value, int)):
            raise CatalogueError(
                f"phenotype parameter {name}={value!r}: a whole number is expected"
            )
    params |= dict(overrides)
    for name, allowed in (raw.get("choices") or {}).items():
        if str(params.get(name)) not in map(str, allowed):
            raise CatalogueError(
                f"phenotype parameter {name}={params.get(name)!r}; expected one of {allowed}"
            )
    try:
        phenotypes = tuple(_phenotype(substitute_parameters(p, params)) for p in raw["phenotypes"])
    except (KeyError, ValueError, TypeError) as exc:
        raise CatalogueError(f"phenotypes.yaml: {exc!r}") from None
    return PhenotypeSet(version=str(raw["version"]), parameters=params, phenotypes=phenotypes)
