"""Readers and writers for other formats: Phenopackets v2, FHIR R4, REDCap and OMOP CDM.

Every reader validates a whole source before anything is written and returns a
:class:`ReadResult`: the :class:`~calciscope.storage.Batch` to import, the counts of what was
mapped and skipped (nothing is skipped silently) and curation warnings that did not stop it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from calciscope.errors import Problem

# every reader's facts are checked against the concepts' declared values (model.Fact), which the
# feature catalogue hands the model when it is imported: import it here, for every reader
from calciscope.features import catalogue as _catalogue  # noqa: F401
from calciscope.storage import Batch

__all__ = ["ReadResult"]


@dataclass
class ReadResult:
    """What a reader produced from one or more source files.

    Parameters
    ----------
    batch
        The records to import (all or nothing).
    mapped
        Count of source items mapped, by kind (for FHIR, by resource type).
    skipped
        Count of source items not mapped, by ``(kind, reason)``.
    warnings
        Problems that did not stop the import (curation issues, unknown codes).
    """

    batch: Batch = field(default_factory=Batch)
    mapped: Counter[str] = field(default_factory=Counter)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    warnings: list[Problem] = field(default_factory=list)

    def merge(self, other: ReadResult) -> None:
        """Add another result's records, counts and warnings to this one."""
        self.batch.extend(other.batch)
        self.mapped.update(other.mapped)
        self.skipped.update(other.skipped)
        self.warnings += other.warnings
