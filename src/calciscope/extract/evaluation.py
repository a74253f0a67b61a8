"""Accuracy of the extractor: NegEx-style assessments and patient-level calcinosis.

Pure functions over gold labels and predictions; reading the files is the caller's job
(``benchmarks/notes_accuracy.py`` and the tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calciscope.extract.assessment import Assessment
from calciscope.extract.mention import Category, Mention, counted_concepts
from calciscope.model import Fact, Morphology, Status

__all__ = [
    "DOCUMENT_STATUSES",
    "MORPHOLOGY_ORDER",
    "AssessmentScores",
    "DocumentScores",
    "DocumentSummary",
    "PatientScores",
    "patient_calcinosis",
    "score_assessments",
    "score_documents",
    "score_patients",
    "summarise_document",
]

#: Patient-level morphology: the most sheet-like recorded pattern wins.
MORPHOLOGY_ORDER = ("none", "nodular", "mixed", "reticular", "sheet_like")
#: Temporality labels compared ignoring case; "Hypothetical" (older calciscope) = "Not particular".
_TEMPORALITY = {"hypothetical": "not particular"}


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(frozen=True)
class AssessmentScores:
    """Negated-vs-not confusion counts, precision/recall/F1, and accuracies."""

    n: int
    tp: int
    fp: int
    fn: int
    tn: int
    temporality_correct: int
    experiencer_correct: int

    @property
    def precision(self) -> float:
        """Precision of "Negated"."""
        return _f1(self.tp, self.fp, self.fn)[0]

    @property
    def recall(self) -> float:
        """Recall of "Negated"."""
        return _f1(self.tp, self.fp, self.fn)[1]

    @property
    def f1(self) -> float:
        """F1 of "Negated"."""
        return _f1(self.tp, self.fp, self.fn)[2]

    @property
    def temporality_accuracy(self) -> float:
        """Share of rows whose temporality is right (Recent / Historical / Not particular)."""
        return self.temporality_correct / self.n if self.n else 0.0

    @property
    def experiencer_accuracy(self) -> float:
        """Share of rows whose experiencer is right (Family member and Other: not the patient)."""
        return self.experiencer_correct / self.n if self.n else 0.0


def _temporality(label: str) -> str:
    low = label.strip().lower()
    return _TEMPORALITY.get(low, low)


def score_assessments(
    gold: Iterable[tuple[str, str, str]], predicted: Iterable[Assessment]
) -> AssessmentScores:
    """Score assessments against gold ``(negation, temporality, experiencer)`` labels.

    Parameters
    ----------
    gold
        Labels as in the NegEx/ConText test kit (Negated/Affirmed/Possible;
        Recent/Historical/Not particular; Patient/Other/Family member).
    predicted
        calciscope's assessments, in the same order.
    """
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "t": 0, "e": 0, "n": 0}
    for (neg, temp, exp), pred in zip(gold, predicted, strict=True):
        g, p = neg.strip().lower() == "negated", pred.negation == "Negated"
        counts[
            {(True, True): "tp", (False, True): "fp", (True, False): "fn"}.get((g, p), "tn")
        ] += 1
        counts["t"] += _temporality(temp) == _temporality(pred.temporality)
        gold_patient = exp.strip().lower() == "patient"
        counts["e"] += gold_patient == (pred.experiencer.strip().lower() == "patient")
        counts["n"] += 1
    return AssessmentScores(
        counts["n"],
        counts["tp"],
        counts["fp"],
        counts["fn"],
        counts["tn"],
        counts["t"],
        counts["e"],
    )


def patient_calcinosis(facts: Iterable[Fact], code: tuple[str, str]) -> dict[str, tuple[str, str]]:
    """Summarise each patient's calcinosis facts as ``(status, morphology)``.

    Parameters
    ----------
    facts
        Facts (from notes).
    code
        The calcinosis ``(system, code)``.

    Returns
    -------
    dict
        ``patient_id -> (present | absent, morphology)``; present wins over absent, and the
        most sheet-like morphology (:data:`MORPHOLOGY_ORDER`) over the others.
    """
    summary: dict[str, tuple[str, str]] = {}
    for fact in facts:
        if (fact.system, fact.code) != code:
            continue
        status, morph = summary.get(fact.patient_id, ("absent", "none"))
        if fact.status is Status.PRESENT:
            status = "present"
            value = (
                fact.morphology.value
                if fact.morphology not in (None, Morphology.UNSPECIFIED)
                else "none"
            )
            if MORPHOLOGY_ORDER.index(value) > MORPHOLOGY_ORDER.index(morph):
                morph = value
        summary[fact.patient_id] = (status, morph)
    return summary


@dataclass(frozen=True)
class PatientScores:
    """Patient-level agreement with an answer key."""

    n: int
    present: tuple[float, float, float]
    absent: tuple[float, float, float]
    morphology: tuple[float, float, float]
    status_accuracy: float
    morphology_accuracy: float


def score_patients(
    gold: Mapping[str, tuple[str, str]], predicted: Mapping[str, tuple[str, str]]
) -> PatientScores:
    """Compare patient-level ``(status, morphology)`` with the answer key.

    Parameters
    ----------
    gold
        ``patient_id -> (present | absent | not_mentioned, morphology or "none")``.
    predicted
        The same from :func:`patient_calcinosis` (patients without facts: not mentioned).

    Returns
    -------
    PatientScores
        Precision, recall and F1 for "present", for "absent", and for the morphology label
        (micro-averaged over patients whose gold or predicted morphology is not "none").
    """
    counts: dict[str, int] = dict.fromkeys(
        ("ptp", "pfp", "pfn", "atp", "afp", "afn", "mtp", "mfp", "mfn"), 0
    )
    status_ok = morph_ok = 0
    for pid, (g_status, g_morph) in gold.items():
        p_status, p_morph = predicted.get(pid, ("not_mentioned", "none"))
        for label, prefix in (("present", "p"), ("absent", "a")):
            _count(counts, prefix, g_status == label, p_status == label)
        if g_morph != "none" or p_morph != "none":
            counts["mtp"] += g_morph == p_morph
            counts["mfp"] += p_morph not in ("none", g_morph)
            counts["mfn"] += g_morph not in ("none", p_morph)
        status_ok += g_status == p_status
        morph_ok += g_morph == p_morph
    n = len(gold)
    return PatientScores(
        n,
        _f1(counts["ptp"], counts["pfp"], counts["pfn"]),
        _f1(counts["atp"], counts["afp"], counts["afn"]),
        _f1(counts["mtp"], counts["mfp"], counts["mfn"]),
        status_ok / n if n else 0.0,
        morph_ok / n if n else 0.0,
    )


def _count(counts: dict[str, int], prefix: str, gold: bool, pred: bool) -> None:
    if gold and pred:
        counts[prefix + "tp"] += 1
    elif pred:
        counts[prefix + "fp"] += 1
    elif gold:
        counts[prefix + "fn"] += 1


def read_label_rows(rows: Sequence[Mapping[str, str]]) -> list[tuple[str, str, str]]:
    """Return ``(negation, temporality, experiencer)`` from NegEx test-kit rows (by column prefix)."""

    def pick(row: Mapping[str, str], prefix: str) -> str:
        return next(v for k, v in row.items() if k.lower().startswith(prefix))

    return [(pick(r, "negation"), pick(r, "temporality"), pick(r, "experiencer")) for r in rows]


# --- document-level evaluation (tests/extract/data/notes_eval/{dev,test}.jsonl) ----------------------

#: Document-level calcinosis status labels.
DOCUMENT_STATUSES = ("affirmed", "negated", "uncertain", "not_mentioned")
_SPECIFIC_MORPHOLOGY = frozenset({"nodular", "reticular", "sheet_like"})


@dataclass(frozen=True)
class DocumentSummary:
    """What a document says about the patient, as an annotator would write it."""

    calcinosis: str
    morphology: tuple[str, ...]
    regions: tuple[str, ...]
    subset: str | None
    myositis: bool | None


def _mention_status(mention: Mention) -> str | None:
    if mention.is_hypothetical or mention.is_family:
        return None
    if mention.is_uncertain:
        return "uncertain"
    return "negated" if mention.is_negated else "affirmed"


def _doc_status(statuses: Sequence[str | None]) -> str:
    for label in DOCUMENT_STATUSES[:3]:
        if label in statuses:
            return label
    return "not_mentioned"


def summarise_document(mentions: Sequence[Mention]) -> DocumentSummary:
    """Summarise one document's mentions at document level.

    Parameters
    ----------
    mentions
        The document's mentions (:meth:`NoteExtractor.extract`).

    Returns
    -------
    DocumentSummary
        Calcinosis is affirmed when any mention counting toward it is affirmed, else negated,
        else uncertain (hypothetical and family mentions say nothing about the patient);
        morphology and regions are gathered from the affirmed calcinosis mentions ("mixed"
        only when no specific pattern is named).
    """
    calcinosis = [
        m
        for m in mentions
        if m.category in (Category.CALCINOSIS, Category.CALCIFICATION)
        and not m.links.get("label")
        and "calcinosis" in counted_concepts(m)
    ]
    statuses = [_mention_status(m) for m in calcinosis]
    affirmed = [m for m, s in zip(calcinosis, statuses, strict=True) if s == "affirmed"]
    morphology = {str(v) for m in affirmed for v in m.links.get("morphology", [])}
    if morphology & _SPECIFIC_MORPHOLOGY:
        morphology &= _SPECIFIC_MORPHOLOGY
    morphology.discard("unspecified")
    regions = {str(r["region"]) for m in affirmed for r in m.links.get("regions", [])}
    subsets = [
        str(m.metadata.get("value"))
        for m in mentions
        if m.category == Category.SSC_SUBSET and _mention_status(m) == "affirmed"
    ]
    myo = _doc_status(
        [
            _mention_status(m)
            for m in mentions
            if m.category in (Category.MYOSITIS, Category.OVERLAP)
        ]
    )
    return DocumentSummary(
        _doc_status(statuses),
        tuple(sorted(morphology)),
        tuple(sorted(regions)),
        subsets[0] if subsets else None,
        {"affirmed": True, "negated": False}.get(myo),
    )


@dataclass(frozen=True)
class DocumentScores:
    """Document-level agreement with annotations (see ``tests/extract/data/notes_eval/README.md``)."""

    n: int
    status_correct: int
    affirmed: int
    morphology_correct: int
    regions_correct: int
    sheet_gold: int
    sheet_found: int
    sheet_false: int
    subset_correct: int
    myositis_correct: int
    chest_calcinosis_facts: int
    errors: tuple[tuple[str, str, str, str], ...]

    @property
    def status_accuracy(self) -> float:
        """Share of documents whose calcinosis status is right."""
        return self.status_correct / self.n if self.n else 0.0

    @property
    def morphology_accuracy(self) -> float:
        """Share of gold-affirmed documents whose set of patterns is exactly right."""
        return self.morphology_correct / self.affirmed if self.affirmed else 0.0

    @property
    def regions_exact(self) -> float:
        """Share of gold-affirmed documents whose set of regions is exactly right."""
        return self.regions_correct / self.affirmed if self.affirmed else 0.0

    @property
    def sheet_recall(self) -> float:
        """Share of sheet-like documents found sheet-like."""
        return self.sheet_found / self.sheet_gold if self.sheet_gold else 0.0


def score_documents(
    gold: Sequence[Mapping[str, Any]], predicted: Sequence[DocumentSummary]
) -> DocumentScores:
    """Score document summaries against annotated documents.

    Parameters
    ----------
    gold
        Annotated documents: ``id``, ``calcinosis``, ``morphology`` (list), ``regions``
        (list), ``subset``, ``myositis``; ``source`` mentioning "chest" marks a chest report,
        and a calcinosis fact from one that the annotation does not have is counted (a chest
        report that does describe chest-wall calcinosis is no error).
    predicted
        :func:`summarise_document` of each document, in the same order.
    """
    c: dict[str, int] = dict.fromkeys(
        ("status", "aff", "morph", "reg", "sg", "sf", "sx", "sub", "myo", "chest"), 0
    )
    errors: list[tuple[str, str, str, str]] = []
    for doc, pred in zip(gold, predicted, strict=True):
        doc_id = str(doc.get("id"))
        c["status"] += _check(errors, doc_id, "calcinosis", doc["calcinosis"], pred.calcinosis)
        c["sub"] += _check(errors, doc_id, "subset", doc.get("subset"), pred.subset)
        c["myo"] += _check(errors, doc_id, "myositis", doc.get("myositis"), pred.myositis)
        gold_sheet = "sheet_like" in doc.get("morphology", [])
        pred_sheet = "sheet_like" in pred.morphology and pred.calcinosis == "affirmed"
        c["sg"] += gold_sheet
        c["sf"] += gold_sheet and pred_sheet
        c["sx"] += pred_sheet and not gold_sheet
        if (
            "chest" in str(doc.get("source", "")).lower()
            and pred.calcinosis in ("affirmed", "negated")
            and pred.calcinosis != doc["calcinosis"]
        ):
            c["chest"] += 1
        if doc["calcinosis"] != "affirmed":
            continue
        c["aff"] += 1
        c["morph"] += _check(
            errors, doc_id, "morphology", tuple(sorted(doc["morphology"])), pred.morphology
        )
        c["reg"] += _check(errors, doc_id, "regions", tuple(sorted(doc["regions"])), pred.regions)
    return DocumentScores(
        len(gold),
        c["status"],
        c["aff"],
        c["morph"],
        c["reg"],
        c["sg"],
        c["sf"],
        c["sx"],
        c["sub"],
        c["myo"],
        c["chest"],
        tuple(errors),
    )


def _check(errors: list[tuple[str, str, str, str]], doc: str, field: str, g: Any, p: Any) -> bool:
    if g == p:
        return True
    errors.append((doc, field, repr(g), repr(p)))
    return False
