"""Accuracy against outside material (figures also printed by benchmarks/notes_accuracy.py).

NegEx/ConText test kit (Chapman et al.; ../shared/data/negex/negex_dev.tsv, 1,216 sentences;
the rest of the 2,376 is held out): published NegEx negation precision 0.984, recall 0.978.
The assertions sit just under what calciscope achieves (P 0.987, R 0.979, temporality 0.944,
experiencer 0.998 on 2026-11-25) so that a regression shows.
"""

import pytest

from calciscope.api import evaluate_demo_notes, evaluate_negex


@pytest.fixture(scope="module")
def negex_scores(shared_data):
    path = shared_data / "negex" / "negex_dev.tsv"
    if not path.is_file():
        pytest.skip(f"NegEx test kit not found at {path}")
    return evaluate_negex(path)


def test_negex_negation_meets_published_negex(negex_scores):
    assert negex_scores.n == 1216
    assert negex_scores.precision >= 0.984
    assert negex_scores.recall >= 0.975
    assert negex_scores.f1 >= 0.98


def test_negex_temporality_and_experiencer(negex_scores):
    assert negex_scores.temporality_accuracy >= 0.935
    assert negex_scores.experiencer_accuracy >= 0.99


def test_demo_cohort_notes_agree_with_answer_key(tmp_path):
    datasets = pytest.importorskip("calciscope.datasets")
    datasets.generate_demo_cohort(tmp_path)
    scores = evaluate_demo_notes(tmp_path / "notes.jsonl", tmp_path / "answer_key.csv")
    assert scores.n > 100
    assert scores.present[2] >= 0.99
    assert scores.absent[2] >= 0.99
    assert scores.morphology[2] >= 0.99
