"""The hand-written evaluation sets stay apart from each other and from the text rules come from.

Issue 13 asks for a development set (rules tuned on it) and a test set (scored only at the
end), kept apart from the text the rules are written from: the packaged rule files and the
demo generator's phrase bank. A test document that shares a sentence with those would score
the rules on text they were written from.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent / "data" / "notes_eval"
_FIELDS = {"id", "kind", "locale", "source", "text", "calcinosis", "morphology", "regions"}


def _documents(name: str) -> list[dict]:
    lines = (FOLDER / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _sentences(text: str) -> set[str]:
    """Sentences of 40+ characters, lowercased, white space collapsed (short ones recur)."""
    pieces = re.split(r"(?<=[.;!?])\s+|\n", text.lower())
    return {" ".join(p.split()) for p in pieces if len(p.strip()) >= 40}


def _rule_and_phrase_text() -> str:
    parts = [
        resources.files("calciscope.extract").joinpath("rules", name).read_text("utf-8")
        for name in ("targets.yaml", "context.yaml", "sections.yaml")
    ]
    parts.append(resources.files("calciscope.datasets").joinpath("phrases.yaml").read_text("utf-8"))
    return " ".join(" ".join(parts).lower().split())


SETS = (
    "dev",
    "test",
    "heldout",
    "fresh",
    "fresh2",
    "fresh3",
    "fresh4",
    "fresh5",
    "fresh6",
    "fresh7",
    "fresh8",
    "fresh9",
    "fresh10",
    "fresh11",
    "fresh12",
    "fresh13",
    "fresh14",
    "fresh15",
    "fresh16",
)


def test_every_document_is_annotated_and_says_where_its_wording_came_from():
    for name in SETS:
        for doc in _documents(name):
            assert set(doc) >= _FIELDS, (name, doc.get("id"))
            assert doc["source"].strip(), (name, doc["id"])


# fresh5 keeps two stock Open-i chest sentences that test and heldout also have (its README).
_STOCK = {("test", "fresh5"), ("heldout", "fresh5")}


@pytest.mark.parametrize(
    ("first", "second"),
    [(a, b) for i, a in enumerate(SETS) for b in SETS[i + 1 :] if (a, b) not in _STOCK],
)
def test_no_two_sets_share_a_document_or_a_sentence(first, second):
    one, other = _documents(first), _documents(second)
    # ids are a set's own: fresh12 and fresh13 were written at the same time by two sessions and
    # both number J01...; a document is named with its set ("fresh13 J23"), so only the
    # documents themselves must differ
    if {first, second} != {"fresh12", "fresh13"}:
        assert not {d["id"] for d in one} & {d["id"] for d in other}
    assert not {d["text"] for d in one} & {d["text"] for d in other}
    one_sentences = set().union(*(_sentences(d["text"]) for d in one))
    shared = [(d["id"], s) for d in other for s in _sentences(d["text"]) & one_sentences]
    assert shared == []


def test_the_regression_tests_do_not_copy_the_held_out_sentences():
    here = Path(__file__).resolve().parent
    files = [*sorted(here.glob("test_generalise*.py")), here / "test_described_elsewhere.py"]
    tests = " ".join(p.read_text("utf-8") for p in files)
    tests = " ".join(tests.lower().split())
    copied = [
        (d["id"], s)
        for name in SETS[2:]
        for d in _documents(name)
        for s in _sentences(d["text"])
        if s in tests
    ]
    assert copied == []


@pytest.mark.parametrize("name", SETS)
def test_no_sentence_comes_from_the_rule_files_or_the_demo_phrase_bank(name):
    source = _rule_and_phrase_text()
    sentences = [(d["id"], s) for d in _documents(name) for s in _sentences(d["text"])]
    assert len(sentences) > 30  # most documents have a long sentence to compare
    assert [(i, s) for i, s in sentences if s in source] == []
