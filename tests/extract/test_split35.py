"""split35: rules.py split by concept, and the last word lists written in Python moved to YAML.

The expected strings are the regular expressions as written in code before the move; the
chart's name is now a group of its own (``(?:(?:wound)[ \\t]+)?``), which matches the same.
"""

from __future__ import annotations

import re

import pytest

from calciscope.extract import clause_patterns, rule_files, rule_set, rules, segment, word_lists
from calciscope.extract.restate import site_lists

_OLD_PLACE_BEFORE = (
    r"(?<![a-z])(?:(?:at|in|on|over|around|near|along|across|under|behind|of)[ \t]+"
    r"(?:(?:the|her|his|their|both|its|each)[ \t]+)?"
    r"|(?:l|r|lt|rt|left|right|both|bilateral)[ \t]+)[a-z]"
)
_OLD_CHART_ROW = (
    r"\W*(?:wound[ \t]+)?(?:bed|base|floor|appearance|description|tissue(?:[ \t]+type)?|"
    r"comments?)[ \t]*:"
)
_OLD_ITEM_HEAD = (
    r"[ \t]*(?:(?i:wound|ulcer|lesion|item)[ \t]*(?:#|[Nn]o\.?)?[ \t]*\d{1,2}(?![0-9])"
    r"|\d{1,2}[.)][ \t]|[A-Z][A-Z'&/ -]{2,40}:?[ \t]*$)"
)


def test_place_before_compiles_to_the_old_pattern() -> None:
    assert segment._PLACE_BEFORE.pattern == _OLD_PLACE_BEFORE
    assert rules.place_word().endswith("|of")


def test_item_head_compiles_to_the_old_pattern() -> None:
    assert site_lists._ITEM_HEAD.pattern == _OLD_ITEM_HEAD


@pytest.mark.parametrize(
    "line",
    ["Wound bed: calcinosis", "bed: x", "  Base :", "Tissue type:", "wound  comments:", "-Floor:"],
)
def test_chart_row_reads_as_before(line: str) -> None:
    assert site_lists._CHART_ROW.match(line)
    assert re.compile(_OLD_CHART_ROW, re.I).match(line)


@pytest.mark.parametrize(
    "line", ["Calcinosis: present", "Past history: calcinosis", "wounds bed:", "Ulcer bed:"]
)
def test_chart_row_reads_no_other_label(line: str) -> None:
    assert not site_lists._CHART_ROW.match(line)
    assert not re.compile(_OLD_CHART_ROW, re.I).match(line)


def test_chart_words_are_rule_data() -> None:
    words = rules.load_word_list("wound_chart_words")
    assert words.version == rules._packaged("targets.yaml")["version"]
    assert [w for w, _forms in words.words][:4] == ["wound", "ulcer", "lesion", "item"]
    assert words.alternation("chart") == "wound"


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("ConTextRule", rule_set),
        ("Direction", rule_set),
        ("RuleSet", rule_set),
        ("SectionRule", rule_set),
        ("TargetRule", rule_set),
        ("WordList", word_lists),
        ("load_word_list", word_lists),
        ("load_reach", rule_files),
        ("load_section_kinds", rule_files),
        ("load_field_attribute_labels", rule_files),
        ("none_clause", clause_patterns),
        ("found_clause", clause_patterns),
        ("check_cue", clause_patterns),
        ("place_word", clause_patterns),
    ],
)
def test_names_stay_importable_from_rules(name: str, module: object) -> None:
    assert getattr(rules, name) is getattr(module, name)
