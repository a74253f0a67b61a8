"""Review 22 of the merged notes round: three mended defects, in our own SYNTHETIC sentences.

1. A verb-less denial after a population statement ("..., but she has not.") ends at the
   sentence or before a new clause, not at any comma: "..., but she has not, to date, had an
   x-ray" denies the x-ray, not the calcinosis.
2. A target rule's ``metadata.absent_code`` is checked when the rules load ([system, code]),
   with the file and rule named, instead of failing later while a note is extracted.
3. "Noticed" makes a relative's sentence the patient's again, but not an aspirate's or pus's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calciscope.errors import CatalogueError
from calciscope.extract import NoteExtractor, load_rules
from calciscope.extract.evaluation import summarise_document
from calciscope.extract.restate.guards import _chalky_own


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Calcinosis is common in SSc, but she has not, to date, had an x-ray of her hands.",
         "not_mentioned"),
        ("Many patients with SSc develop calcinosis, but she has not, so far, had an x-ray.",
         "not_mentioned"),
        ("While he did not, as far as we know, smoke, calcinosis is common in SSc.",
         "not_mentioned"),
        # the denials the population rule is for still negate
        ("Many patients with SSc develop calcinosis, but she has not.", "negated"),
        ("Many patients with SSc develop calcinosis, but she has not yet.", "negated"),
        ("Many patients with SSc develop calcinosis, but she has not, and her skin is soft.",
         "negated"),
        ("Many people develop calcinosis, but this patient has none.", "negated"),
    ],
)  # fmt: skip
def test_a_verb_less_denial_ends_at_its_clause(
    extractor: NoteExtractor, text: str, status: str
) -> None:
    assert summarise_document(extractor.extract(text)).calcinosis == status


def _targets_with(tmp_path: Path, absent_code: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(
        'version: "test"\n'
        "target_rules:\n"
        '  - {literal: "dermatomyositis", category: MYOSITIS,\n'
        f"     metadata: {{concept: myositis_diagnosis, absent_code: {absent_code}}}}}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("absent_code", ['"MONDO:0016367"', "[MONDO]", '[MONDO, ""]', "[1, 2]"])
def test_a_malformed_absent_code_is_refused_when_the_rules_load(
    tmp_path: Path, absent_code: str
) -> None:
    path = _targets_with(tmp_path, absent_code)
    with pytest.raises(
        CatalogueError, match=r"targets\.yaml: target rule 'dermatomyositis'.*absent_code"
    ):
        load_rules(targets=path)


def test_a_well_formed_absent_code_loads(tmp_path: Path) -> None:
    rules = load_rules(targets=_targets_with(tmp_path, '[MONDO, "MONDO:0016367"]'))
    (rule,) = rules.targets
    assert list(rule.metadata["absent_code"]) == ["MONDO", "MONDO:0016367"]


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("The aspirate felt gritty and chalky.", False),
        ("Pus found with chalky white flecks.", False),
        ("Aspiration found chalky white material at the elbow.", False),
        ("Her mother had chalky white material expressed from the knee.", False),
        # a relative who only noticed the patient's deposits
        ("Her mum has noticed chalky white material coming from the elbow.", True),
        ("Chalky white material was expressed from her elbow.", True),
    ],
)
def test_noticed_makes_only_a_persons_sentence_the_patients(text: str, own: bool) -> None:
    assert _chalky_own(text, 0, len(text)) is own
