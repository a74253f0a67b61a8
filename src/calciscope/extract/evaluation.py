"""Accuracy of the extractor: NegEx-style assessments and patient-level calcinosis.

Pure functions over gold labels and predictions; reading the files is the caller's job
(``benchmarks/notes_accuracy.py`` and the tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from calciscope.extract.extractor import Assessment
from calciscope.model import Fact, Morphology, Status

__all__ = [
    "MORPHOLOGY_ORDER",
    "AssessmentScores",
    "PatientScores",
    "patient_calcinosis",
    "score_assessments",
    "score_patients",
]

#: Patient-level morphology: the most sheet-like recorded pattern wins.
MORPHOLOGY_ORDER = ("none", "nodular", "mixed", "reticular", "sheet_like")
#: NegEx test-kit temporality labels -> calciscope's.
_TEMPORALITY = {"recent": "Recent", "historical": "Historical", "hypothetical": "Hypothetical",
                "not particular": "Hypothetical"}  # fmt: skip


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
        """Share of rows whose temporality is right ("Not particular" = Hypothetical)."""
        return self.temporality_correct / self.n if self.n else 0.0

    @property
    def experiencer_accuracy(self) -> float:
        """Share of rows whose experiencer is right (any non-patient gold = Other)."""
        return self.experiencer_correct / self.n if self.n else 0.0


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
        counts["t"] += _TEMPORALITY.get(temp.strip().lower(), temp) == pred.temporality
        gold_exp = "Patient" if exp.strip().lower() == "patient" else "Other"
        counts["e"] += gold_exp == pred.experiencer
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
        n, _f1(counts["ptp"], counts["pfp"], counts["pfn"]), _f1(counts["atp"], counts["afp"], counts["afn"]),
        _f1(counts["mtp"], counts["mfp"], counts["mfn"]), status_ok / n if n else 0.0, morph_ok / n if n else 0.0,
    )  # fmt: skip


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
