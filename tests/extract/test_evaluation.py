import pytest

from calciscope.extract import Assessment
from calciscope.extract.evaluation import patient_calcinosis, score_assessments, score_patients
from calciscope.model import Fact, Morphology, Status


def test_score_assessments_counts():
    gold = [
        ("Negated", "Recent", "Patient"),
        ("Affirmed", "Historical", "Patient"),
        ("Negated", "Not particular", "Family member"),
        ("Affirmed", "Recent", "Patient"),
    ]
    pred = [
        Assessment("Negated", "Recent", "Patient"),
        Assessment("Negated", "Historical", "Patient"),
        Assessment("Affirmed", "Hypothetical", "Other"),
        Assessment("Possible", "Recent", "Patient"),
    ]
    scores = score_assessments(gold, pred)
    assert (scores.tp, scores.fp, scores.fn, scores.tn) == (1, 1, 1, 1)
    assert scores.precision == scores.recall == scores.f1 == 0.5
    assert scores.temporality_accuracy == 1.0 and scores.experiencer_accuracy == 1.0


def fact(pid, status, morph=None):
    return Fact(patient_id=pid, system="HP", code="HP:0003761", status=status, morphology=morph)


def test_patient_summary_most_sheet_like_wins():
    facts = [
        fact("A", Status.PRESENT, Morphology.NODULAR),
        fact("A", Status.PRESENT, Morphology.SHEET_LIKE),
        fact("A", Status.ABSENT),
        fact("B", Status.ABSENT),
        fact("C", Status.PRESENT, Morphology.UNSPECIFIED),
        Fact(patient_id="D", system="HP", code="HP:0030859"),
    ]
    assert patient_calcinosis(facts, ("HP", "HP:0003761")) == {
        "A": ("present", "sheet_like"),
        "B": ("absent", "none"),
        "C": ("present", "none"),
    }


def test_score_patients():
    gold = {
        "A": ("present", "sheet_like"),
        "B": ("absent", "none"),
        "C": ("not_mentioned", "none"),
        "D": ("present", "nodular"),
    }
    pred = {"A": ("present", "mixed"), "B": ("absent", "none"), "D": ("present", "nodular")}
    scores = score_patients(gold, pred)
    assert scores.present == (1.0, 1.0, 1.0) and scores.absent == (1.0, 1.0, 1.0)
    assert scores.morphology == pytest.approx((0.5, 0.5, 0.5))
    assert scores.status_accuracy == 1.0 and scores.morphology_accuracy == 0.75
