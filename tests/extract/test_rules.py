import json

import pytest

from calciscope.errors import CatalogueError
from calciscope.extract import Direction, NoteExtractor, load_context_rules_json, load_rules
from calciscope.extract.rules import RuleMixWarning

# A few rules in the layout of medspaCy's resources/context_rules.json (literal, category,
# pattern as spaCy token dicts or null, direction, optional max_scope).
MEDSPACY_STYLE = {
    "context_rules": [
        {
            "category": "NEGATED_EXISTENCE",
            "literal": "exclusion of",
            "pattern": None,
            "direction": "FORWARD",
        },
        {
            "category": "NEGATED_EXISTENCE",
            "literal": "absence of",
            "pattern": [{"LOWER": {"IN": ["absence", "absent"]}}, {"LOWER": "of", "OP": "?"}],
            "direction": "FORWARD",
        },
        {
            "category": "POSSIBLE_EXISTENCE",
            "literal": "worrisome",
            "pattern": None,
            "direction": "BIDIRECTIONAL",
            "max_scope": 3,
        },
        {
            "category": "FAMILY",
            "literal": "grandmother",
            "pattern": None,
            "direction": "FORWARD",
            "allowed_types": ["CALCINOSIS"],
        },
    ]
}


def test_packaged_rules_load_with_ids_and_versions():
    rules = load_rules()
    assert len(rules.targets) > 50 and len(rules.context) > 50 and len(rules.sections) > 10
    assert rules.version.count("/") == 2
    ids = [r.rule_id for r in rules.context]
    assert len(ids) == len(set(ids))
    directions = {r.direction for r in rules.context}
    assert directions == set(Direction)


def test_yaml_words_like_no_stay_words():
    no_rule = next(r for r in load_rules().context if r.literal == "no")
    assert no_rule.pattern is None and no_rule.category == "NEGATED_EXISTENCE"
    pseudo = next(r for r in load_rules().context if r.literal == "no change")
    assert pseudo.pattern[0]["LOWER"]["IN"] == ["no", "not", "without"]


def test_medspacy_context_rules_json_loads_and_applies(tmp_path):
    path = tmp_path / "context_rules.json"
    path.write_text(json.dumps(MEDSPACY_STYLE))
    loaded = load_context_rules_json(path)
    assert [r.direction for r in loaded] == [
        Direction.FORWARD,
        Direction.FORWARD,
        Direction.BIDIRECTIONAL,
        Direction.FORWARD,
    ]
    assert loaded[2].max_scope == 3 and loaded[3].allowed_types == frozenset({"CALCINOSIS"})
    with pytest.warns(RuleMixWarning, match="'absent' read as NEGATED_EXISTENCE FORWARD"):
        extractor = NoteExtractor(load_rules(extra_context=[path]))
    (mention,) = [
        m for m in extractor.extract("Exclusion of calcinosis.") if m.category == "CALCINOSIS"
    ]
    assert mention.is_negated
    assert any(m.endswith("exclusion of") for m in mention.modifiers)
    (fam,) = [
        m
        for m in extractor.extract("Grandmother: calcinosis of the hands.")
        if m.category == "CALCINOSIS"
    ]
    assert fam.is_family


def test_user_target_rules_replace_packaged(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(
        "target_rules:\n"
        "  - {literal: chalky lumps, category: CALCINOSIS, metadata: {concept: calcinosis}}\n"
    )
    extractor = NoteExtractor(load_rules(targets=path))
    found = extractor.extract("No chalky lumps. Sheet-like calcinosis.")
    assert [(m.text, m.is_negated) for m in found] == [("chalky lumps", True)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "context_rules:\n  - {literal: no, category: X, direction: SIDEWAYS}\n",
            "unknown direction",
        ),
        ("context_rules:\n  - {category: X}\n", "needs 'literal' and 'category'"),
        ("context_rules:\n  - {literal: a, category: X, pattern: 3}\n", "pattern must be"),
    ],
)
def test_malformed_rule_files_raise_catalogue_error(tmp_path, content, message):
    path = tmp_path / "context.yaml"
    path.write_text(content)
    with pytest.raises(CatalogueError, match=message):
        load_rules(context=path)


def test_json_without_context_rules_is_rejected(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text("{}")
    with pytest.raises(CatalogueError, match="context_rules"):
        load_context_rules_json(path)


def test_bad_regex_is_reported(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("target_rules:\n  - {literal: x, category: X, pattern: '(unclosed'}\n")
    with pytest.raises(CatalogueError, match="bad regular expression"):
        NoteExtractor(load_rules(targets=path))
