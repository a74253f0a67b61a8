"""Find calcinosis, its pattern and sites, subsets, myositis, antibodies and CK in notes.

Rules are data (``rules/*.yaml``, medspaCy-compatible field names); the engine splits
sections and sentences, matches every rule in one pass, applies ConText (negation,
uncertainty, history, hypothetical, family) and links attributes to the finding they describe.
"""

from calciscope.extract.assessment import Assessment
from calciscope.extract.extractor import ENGINE_VERSION, NoteExtractor
from calciscope.extract.mention import Category, Mention
from calciscope.extract.rules import (
    ConTextRule,
    Direction,
    RuleSet,
    SectionRule,
    TargetRule,
    load_context_rules_json,
    load_rules,
)

__all__ = [
    "ENGINE_VERSION",
    "Assessment",
    "Category",
    "ConTextRule",
    "Direction",
    "Mention",
    "NoteExtractor",
    "RuleSet",
    "SectionRule",
    "TargetRule",
    "load_context_rules_json",
    "load_rules",
]
