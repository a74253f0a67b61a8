"""What the extractor finds: one :class:`Mention` per target match, with its context."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Category", "Mention", "counted_concepts"]


class Category(StrEnum):
    """Target categories used by the packaged rules (user rules may add others)."""

    CALCINOSIS = "CALCINOSIS"
    CALCIFICATION = "CALCIFICATION"
    TISSUE = "TISSUE"
    MORPHOLOGY = "MORPHOLOGY"
    EXTENT = "EXTENT"
    BODY_REGION = "BODY_REGION"
    LATERALITY = "LATERALITY"
    MODALITY = "MODALITY"
    SSC_SUBSET = "SSC_SUBSET"
    MYOSITIS = "MYOSITIS"
    OVERLAP = "OVERLAP"
    ANTIBODY = "ANTIBODY"
    AB_RESULT = "AB_RESULT"
    CK_VALUE = "CK_VALUE"


@dataclass(slots=True, init=False)
class Mention:
    """One target found in a document, with what ConText and linking said about it.

    Attributes
    ----------
    start, end, text
        Character offsets in the document and the matched text.
    category, rule_id
        The target rule's category and id.
    metadata
        The target rule's metadata (``concept``, ``morphology``, ``region``, ...).
    value
        A value captured by a regex rule (a CK level), else None.
    section
        The category of the section the mention is in, if any.
    sentence
        ``(start, end)`` of its sentence.
    modifiers
        Ids of the ConText (and section) rules that modify it.
    is_negated, is_uncertain, is_historical, is_hypothetical, is_family
        The ConText flags.
    links
        Attributes linked to it: for a calcinosis or calcification mention ``morphology``
        (list), ``regions`` (list of ``{"region", "laterality"}``), ``extent`` (list),
        ``tissue`` (list), ``method``, ``counts_as`` (the concept it counts toward) and
        ``also_counts_as`` (further concepts, e.g. intramuscular calcification),
        ``not_counted`` (a phrase of calcium whose tissue, the eye, a tooth or a cyst, counts
        toward nothing: no concept at all; notesacc31); for an
        antibody ``result``; for each linked attribute its offsets under ``spans``.
    """

    start: int
    end: int
    text: str
    category: str
    rule_id: str
    metadata: dict[str, Any] = field(default_factory=dict)
    value: str | None = None
    section: str | None = None
    sentence: tuple[int, int] = (0, 0)
    modifiers: list[str] = field(default_factory=list)
    is_negated: bool = False
    is_uncertain: bool = False
    is_historical: bool = False
    is_hypothetical: bool = False
    is_family: bool = False
    links: dict[str, Any] = field(default_factory=dict)

    # Written out rather than generated (``init=False``): the generated one calls ``dict()``
    # and ``list()`` for the defaults, and a note has a dozen mentions (same signature).
    def __init__(
        self,
        start: int,
        end: int,
        text: str,
        category: str,
        rule_id: str,
        metadata: dict[str, Any] | None = None,
        value: str | None = None,
        section: str | None = None,
        sentence: tuple[int, int] = (0, 0),
        modifiers: list[str] | None = None,
        is_negated: bool = False,
        is_uncertain: bool = False,
        is_historical: bool = False,
        is_hypothetical: bool = False,
        is_family: bool = False,
        links: dict[str, Any] | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.text = text
        self.category = category
        self.rule_id = rule_id
        self.metadata = {} if metadata is None else metadata
        self.value = value
        self.section = section
        self.sentence = sentence
        self.modifiers = [] if modifiers is None else modifiers
        self.is_negated = is_negated
        self.is_uncertain = is_uncertain
        self.is_historical = is_historical
        self.is_hypothetical = is_hypothetical
        self.is_family = is_family
        self.links = {} if links is None else links

    @property
    def concept(self) -> str | None:
        """The catalogue concept this mention counts toward, if any."""
        counted = self.links.get("counts_as")
        if counted is None and self.links.get("not_counted"):
            return None  # a phrase of calcium whose tissue counts toward nothing (notesacc31)
        return counted if counted is not None else self.metadata.get("concept")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the JSON-lines record of ``notes extract-file``)."""
        record = asdict(self)
        record["sentence"] = list(self.sentence)
        record["concept"] = self.concept
        return record


def counted_concepts(mention: Mention) -> list[str]:
    """Return every catalogue concept a mention counts toward (``counts_as`` first)."""
    first = mention.concept
    found = [first] if first is not None else []
    return found + [c for c in mention.links.get("also_counts_as", []) if c not in found]
