"""Concept ids for an exported CDM: the OHDSI standard vocabulary where given, local ones otherwise.

OMOP reserves concept ids above 2,000,000,000 for local (site-specific) concepts (OHDSI, "The
Book of OHDSI", ch. 5, and the CDM v5.4 conventions). calciscope gives every (system, code) it
writes a local concept in the vocabulary ``calciscope`` (id = 2,000,000,000 + a hash of the code,
so the same code gets the same id in every export), and every combination of qualifiers
(body site, side, morphology, method) a local ``Qualifier`` concept whose name spells them out
(``body_site=hand; laterality=left; morphology=sheet_like``), read back by
:func:`parse_qualifiers`. When the user passes an Athena ``CONCEPT.csv``, codes of SNOMED CT,
LOINC, ICD-10 and ICD-10-CM that it holds as standard concepts use those ids instead.

The fixed standard ids (:data:`calciscope.interop.mappings.FIXED_CONCEPTS`) are also written
into the exported ``concept`` table with their names, with ``domain``, ``vocabulary`` and ``concept_class`` rows for what the concept table
uses, so the export loads into the official DDL with its foreign keys. calciscope reads absence
by name, so a round trip does not depend on them.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calciscope.errors import Problem, ValidationError
from calciscope.interop.csvtext import ANY_COLUMN, StrictDictReader
from calciscope.interop.mappings import (
    FIXED_CONCEPTS,
    LOCAL_VOCABULARY,
    NO_MATCH_ID,
    OMOP_VOCABULARIES,
    QUALIFIER_CLASS,
    QUALIFIERS,
)
from calciscope.textfile import open_text

__all__ = [
    "FIXED_IDS",
    "ConceptRegistry",
    "load_vocabulary",
    "parse_qualifiers",
    "qualifier_name",
]

#: Concept ids calciscope writes without a vocabulary; each gets a row in the export's concept table.
FIXED_IDS = frozenset(FIXED_CONCEPTS)
_LOCAL_BASE, _LOCAL_SPAN = 2_000_000_000, 147_000_000
CONCEPT_COLUMNS = (
    "concept_id",
    "concept_name",
    "domain_id",
    "vocabulary_id",
    "concept_class_id",
    "standard_concept",
    "concept_code",
    "valid_start_date",
    "valid_end_date",
    "invalid_reason",
)


@dataclass(frozen=True)
class StandardConcept:
    """A concept of the user's OHDSI vocabulary."""

    concept_id: int
    name: str
    domain: str
    standard: bool


def load_vocabulary(path: Path) -> dict[tuple[str, str], StandardConcept]:
    """Read an Athena ``CONCEPT.csv`` (tab- or comma-separated) keyed by (vocabulary_id, code)."""
    try:
        with open_text(path) as handle:
            # Athena writes tab-separated files without quoting (a name may begin with '"');
            # a comma-separated file is read strictly: a quote left open, or stray quotes
            # paired over rows, is a problem naming its rows (hardening23)
            tab = "\t" in handle.readline()
            handle.seek(0)
            options: dict[str, Any] = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if tab else {}
            reader = StrictDictReader(handle, str(path), single_line=ANY_COLUMN, **options)
            rows = list(reader)
    except OSError as exc:
        raise ValidationError([Problem(str(path), "file", "", f"cannot read: {exc}")]) from None
    missing = {"concept_id", "vocabulary_id", "concept_code"} - set(rows[0] if rows else ())
    if missing:
        raise ValidationError(
            [Problem(str(path), "row 1", c, "column missing in CONCEPT.csv") for c in missing]
        )
    wanted = set(OMOP_VOCABULARIES.values())
    return {
        (row["vocabulary_id"], row["concept_code"]): StandardConcept(
            int(row["concept_id"]),
            row.get("concept_name", ""),
            row.get("domain_id", ""),
            row.get("standard_concept") == "S" and not row.get("invalid_reason"),
        )
        for row in rows
        if row["vocabulary_id"] in wanted
    }


def qualifier_name(values: dict[str, str]) -> str:
    """Return the name of a qualifier concept: ``body_site=hand; laterality=left``."""
    return "; ".join(f"{k}={values[k]}" for k in QUALIFIERS if values.get(k))


def parse_qualifiers(name: str) -> dict[str, str]:
    """Return the qualifiers spelled out in a qualifier concept's name (inverse of the above)."""
    pairs = (part.strip().partition("=") for part in name.split(";"))
    return {k: v for k, _, v in pairs if k in QUALIFIERS and v}


def _local_id(key: str, taken: set[int]) -> int:
    number = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    concept_id = _LOCAL_BASE + number % _LOCAL_SPAN
    while concept_id in taken:  # a collision: the next free id (rare: 147 M slots)
        concept_id = _LOCAL_BASE + (concept_id - _LOCAL_BASE + 1) % _LOCAL_SPAN
    return concept_id


@dataclass
class ConceptRegistry:
    """Concept ids handed out during one export, and the ``concept`` rows that describe them."""

    vocabulary: dict[tuple[str, str], StandardConcept] = field(default_factory=dict)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    used: dict[tuple[str, str], int] = field(default_factory=dict)
    _by_key: dict[str, int] = field(default_factory=dict)

    def code(self, system: str, code: str, label: str, domain: str) -> tuple[int, int]:
        """Return (concept_id, source_concept_id) for a calciscope (system, code).

        A standard concept of the user's vocabulary is used as both; a non-standard one is the
        source concept beside a local standard one; otherwise both are local.
        """
        known = self.vocabulary.get((OMOP_VOCABULARIES.get(system, ""), code))
        if known is not None:
            self._describe(
                known.concept_id,
                known.name,
                known.domain,
                OMOP_VOCABULARIES[system],
                "Standard" if known.standard else "Source",
                code,
                known.standard,
            )
        if known is not None and known.standard:
            ids = known.concept_id, known.concept_id
        else:
            key = code if code.startswith(f"{system}:") else f"{system}:{code}"
            local = self._local(key, label, domain, "Code")
            ids = local, (known.concept_id if known is not None else local)
        self.used[(system, code)] = ids[0]
        return ids

    def qualifier(self, values: dict[str, str]) -> int:
        """Return the local qualifier concept for these qualifiers (0 when there are none)."""
        name = qualifier_name(values)
        return self._local(f"qualifier:{name}", name, "Observation", QUALIFIER_CLASS) if name else 0

    def fixed(self, concept_id: int) -> int:
        """Return one of the fixed standard ids, describing it in the concept table."""
        name, domain, vocabulary, klass, code = FIXED_CONCEPTS[concept_id]
        self._describe(concept_id, name, domain, vocabulary, klass, code, concept_id != NO_MATCH_ID)
        return concept_id

    def _local(self, key: str, name: str, domain: str, klass: str) -> int:
        if key not in self._by_key:
            concept_id = _local_id(key, set(self.rows))
            self._by_key[key] = concept_id
            code = (
                key
                if len(key) <= 50
                else f"calciscope:{hashlib.sha256(key.encode()).hexdigest()[:24]}"
            )
            self._describe(concept_id, name, domain, LOCAL_VOCABULARY, klass, code, True)
        return self._by_key[key]

    def _describe(
        self,
        concept_id: int,
        name: str,
        domain: str,
        vocabulary: str,
        klass: str,
        code: str,
        standard: bool,
    ) -> None:
        self.rows.setdefault(
            concept_id,
            {
                "concept_id": concept_id,
                "concept_name": name[:255],
                "domain_id": domain,
                "vocabulary_id": vocabulary,
                "concept_class_id": klass,
                "standard_concept": "S" if standard else None,
                "concept_code": code[:50],
                "valid_start_date": dt.date(1970, 1, 1),
                "valid_end_date": dt.date(2099, 12, 31),
                "invalid_reason": None,
            },
        )

    def concept_rows(self) -> list[dict[str, Any]]:
        """Return the ``concept`` table rows, sorted by id."""
        return [self.rows[k] for k in sorted(self.rows)]
