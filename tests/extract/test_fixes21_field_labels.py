"""The field attribute labels are rule data (sections.yaml), read with the rule set (fixes21).

"Calcinosis: yes | Site: left elbow": a "|" before a label that describes the finding before
it does not end the sentence (notesfix22). The labels were a word list in segment.py; now the
segmenter gets them from the rule set the extractor loaded. SYNTHETIC sentences.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from calciscope.errors import CatalogueError
from calciscope.extract.extractor import NoteExtractor
from calciscope.extract.rules import load_field_attribute_labels, load_rules
from calciscope.extract.segment import boundary_pattern, packaged_boundary, split_sentences

TEXT = "Calcinosis: yes | Size: 3 mm"


def _sections(tmp_path: Path, labels: object) -> Path:
    packaged = resources.files("calciscope.extract").joinpath("rules", "sections.yaml")
    data = yaml.safe_load(packaged.read_text("utf-8"))
    if labels is None:
        del data["field_attribute_labels"]
    else:
        data["field_attribute_labels"] = labels
    path = tmp_path / "sections.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _sentences(extractor: NoteExtractor, text: str) -> list[str]:
    return [text[a:b] for a, b, _ in extractor.sentences(text, extractor.sections(text))]


def test_the_packaged_rules_carry_the_labels() -> None:
    labels = load_rules().field_attribute_labels
    assert {"site", "location", "region", "size", "laterality"} <= set(labels)
    assert labels == load_field_attribute_labels()
    assert NoteExtractor()._boundary is packaged_boundary()
    assert split_sentences(TEXT) == [(0, len(TEXT))]


def test_the_extractor_splits_by_its_own_rule_sets_labels(tmp_path: Path) -> None:
    # a sections file without "size": "| Size: 3 mm" is then a new field, its own sentence
    labels = [w for w in load_field_attribute_labels() if w != "size"]
    extractor = NoteExtractor(load_rules(sections=_sections(tmp_path, labels)))
    assert _sentences(extractor, TEXT) == ["Calcinosis: yes |", "Size: 3 mm"]
    assert _sentences(NoteExtractor(), TEXT) == [TEXT]
    assert split_sentences(TEXT, boundary=boundary_pattern(labels)) == [(0, 17), (18, len(TEXT))]


def test_a_sections_file_without_the_list_uses_the_packaged_one(tmp_path: Path) -> None:
    rules = load_rules(sections=_sections(tmp_path, None))
    assert rules.field_attribute_labels == load_field_attribute_labels()


@pytest.mark.parametrize("labels", ["site", [1, 2], ["Site"], ["site:"]])
def test_a_bad_list_is_refused(tmp_path: Path, labels: object) -> None:
    with pytest.raises(CatalogueError, match="field_attribute_labels"):
        load_rules(sections=_sections(tmp_path, labels))
