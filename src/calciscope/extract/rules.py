"""Rules as data: target, ConText and section rules loaded from YAML or medspaCy JSON.

The rules (:mod:`~calciscope.extract.rule_set`) follow medspaCy's field names, so rule files
can move between the two tools. The packaged rules live in ``calciscope/extract/rules/``
(read by :mod:`~calciscope.extract.rule_files`). ``targets.yaml`` and ``context.yaml`` also hold
word lists (:mod:`~calciscope.extract.word_lists`), and ``context.yaml`` the words of the
clause patterns (:mod:`~calciscope.extract.clause_patterns`); medspaCy ignores them. Every
name is importable from here, where the rest of the package imports it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from calciscope.errors import CatalogueError
from calciscope.extract.clause_patterns import (
    check_cue,
    found_clause,
    none_aside,
    none_clause,
    none_elsewhere_clause,
    none_elsewhere_word,
    none_owner_clause,
    none_place_clause,
    place_before,
    place_word,
    with_clauses,
)
from calciscope.extract.patterns import SEPARATOR_CHARS, expand_token_pattern, phrase_key
from calciscope.extract.rule_files import (
    field_attribute_labels,
    load_field_attribute_labels,
    load_reach,
    load_section_kinds,
    read_rule_file,
)
from calciscope.extract.rule_files import packaged as _packaged  # noqa: F401 (read from here)
from calciscope.extract.rule_set import (
    ConTextRule,
    Direction,
    RuleSet,
    SectionRule,
    TargetRule,
    freeze_pattern,
)
from calciscope.extract.word_lists import WordList, load_word_list
from calciscope.extract.word_lists import word_list as _word_list  # noqa: F401 (tests)

__all__ = [
    "ConTextRule",
    "Direction",
    "RuleMixWarning",
    "RuleSet",
    "SectionRule",
    "TargetRule",
    "WordList",
    "check_cue",
    "found_clause",
    "load_context_rules_json",
    "load_field_attribute_labels",
    "load_reach",
    "load_rules",
    "load_section_kinds",
    "load_word_list",
    "merge_context_rules",
    "none_aside",
    "none_clause",
    "none_elsewhere_clause",
    "none_elsewhere_word",
    "none_owner_clause",
    "none_place_clause",
    "place_before",
    "place_word",
]


class RuleMixWarning(UserWarning):
    """Added rules were changed or dropped because they clash with the packaged rules."""


def _types(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(str(v).upper() for v in value)


def _target(raw: dict[str, Any], source: str, file: str) -> TargetRule:
    where = f"{file}: target rule {raw.get('literal')!r}"
    metadata = dict(raw.get("metadata") or {})
    absent = metadata.get("absent_code")
    if absent is not None and not (
        isinstance(absent, list | tuple)
        and len(absent) == 2
        and all(isinstance(part, str) and part.strip() for part in absent)
    ):
        raise CatalogueError(
            f"{where}: metadata.absent_code must be [system, code], e.g. "
            f'[MONDO, "MONDO:0016367"]; got {absent!r}'
        )
    return TargetRule(
        literal=str(raw["literal"]),
        category=str(raw["category"]).upper(),
        pattern=freeze_pattern(raw.get("pattern"), where),
        attributes=dict(raw.get("attributes") or {}),
        metadata=metadata,
        rule_id=f"{source}:{str(raw['category']).upper()}:{raw['literal']}",
    )


def _context(raw: dict[str, Any], source: str, file: str) -> ConTextRule:
    where = f"{file}: context rule {raw.get('literal')!r}"
    try:
        direction = Direction(str(raw.get("direction") or "BIDIRECTIONAL").upper())
    except ValueError:
        raise CatalogueError(f"{where}: unknown direction {raw.get('direction')!r}") from None
    category = str(raw["category"]).upper()
    return ConTextRule(
        literal=str(raw["literal"]),
        category=category,
        direction=direction,
        pattern=freeze_pattern(with_clauses(raw.get("pattern")), where),
        max_scope=raw.get("max_scope"),
        allowed_types=_types(raw.get("allowed_types")),
        excluded_types=_types(raw.get("excluded_types")),
        metadata=dict(raw.get("metadata") or {}),
        rule_id=f"{source}:{category}:{direction.value}:{raw['literal']}",
    )


def _section(raw: dict[str, Any], source: str, file: str) -> SectionRule:
    where = f"{file}: section rule {raw.get('literal')!r}"
    return SectionRule(
        literal=str(raw["literal"]),
        category=str(raw["category"]),
        pattern=freeze_pattern(raw.get("pattern"), where),
        metadata=dict(raw.get("metadata") or {}),
        rule_id=f"{source}:{raw['category']}:{raw['literal']}",
    )


def _build(items: Iterable[Any], maker: Any, source: str, kind: str, file: str) -> list[Any]:
    if not isinstance(items, list):
        raise CatalogueError(f"{file}: the {kind} rules must be a list")
    built = []
    for index, raw in enumerate(items):
        if not isinstance(raw, dict) or "literal" not in raw or "category" not in raw:
            named = (
                f" ({raw.get('literal')!r})" if isinstance(raw, dict) and "literal" in raw else ""
            )
            raise CatalogueError(
                f"{file}: {kind} rule #{index + 1}{named} needs 'literal' and 'category'"
            )
        built.append(maker(raw, source, file))
    return built


def load_context_rules_json(path: str | Path) -> tuple[ConTextRule, ...]:
    """Load a medspaCy ``context_rules`` JSON file (``{"context_rules": [...]}``).

    Parameters
    ----------
    path
        A JSON (or YAML) file with a top-level ``context_rules`` list, as in medspaCy's
        ``resources/context_rules.json``.
    """
    data, source, file = read_rule_file(Path(path), "")
    if "context_rules" not in data:
        raise CatalogueError(f"{path}: no 'context_rules' list")
    return tuple(_build(data["context_rules"], _context, source, "context", file))


def load_rules(
    *,
    targets: str | Path | None = None,
    context: str | Path | None = None,
    sections: str | Path | None = None,
    extra_context: Iterable[str | Path] = (),
) -> RuleSet:
    """Load the packaged rules, or the files given instead of them.

    Parameters
    ----------
    targets, context, sections
        YAML (or JSON) files replacing the packaged ``targets.yaml``, ``context.yaml`` and
        ``sections.yaml``.
    extra_context
        medspaCy ``context_rules`` JSON files whose rules are added to the context rules.

    Returns
    -------
    RuleSet
        The rules; ``version`` joins the versions declared in the three files.
    """
    t_data, t_src, t_file = read_rule_file(Path(targets) if targets else None, "targets.yaml")
    c_data, c_src, c_file = read_rule_file(Path(context) if context else None, "context.yaml")
    s_data, s_src, s_file = read_rule_file(Path(sections) if sections else None, "sections.yaml")
    context_rules = _build(c_data.get("context_rules", []), _context, c_src, "context", c_file)
    notices: list[str] = []
    for extra in extra_context:
        kept, said = merge_context_rules(context_rules, load_context_rules_json(extra))
        context_rules.extend(kept)
        notices.extend(said)
    if notices:
        warnings.warn(
            f"{len(notices)} added ConText rule phrase(s) clash with the packaged rules and were"
            " dropped (the packaged meaning is kept); measure before relying on mixed rules:"
            " python benchmarks/notes_accuracy.py --context-rules FILE. First: " + notices[0],
            RuleMixWarning,
            stacklevel=2,
        )
    return RuleSet(
        targets=tuple(_build(t_data.get("target_rules", []), _target, t_src, "target", t_file)),
        context=tuple(context_rules),
        sections=tuple(_build(s_data.get("section_rules", []), _section, s_src, "section", s_file)),
        version="/".join(str(d.get("version", "?")) for d in (t_data, c_data, s_data)),
        notices=tuple(notices),
        field_attribute_labels=field_attribute_labels(s_data.get("field_attribute_labels"), s_file),
    )


def _rule_phrases(rule: ConTextRule) -> list[str] | None:
    if isinstance(rule.pattern, str):
        return None
    if rule.pattern:
        return expand_token_pattern(list(rule.pattern))
    return [rule.literal.lower()] if rule.literal.strip() else []


def merge_context_rules(
    packaged: Sequence[ConTextRule], added: Sequence[ConTextRule]
) -> tuple[list[ConTextRule], list[str]]:
    """Return the added rules that may join the packaged ones, and what was dropped.

    Mixing rule sets must never silently change what the packaged rules say: a phrase the
    packaged rules already read (in any category or direction: medspaCy reads "evaluate for"
    as a negation, calciscope as uncertainty) keeps its packaged meaning, and the added rule
    loses that phrase (a rule left with other phrases is kept as one literal rule per
    phrase). Added rules with new phrases are kept: their effect can only be measured
    (``benchmarks/notes_accuracy.py --context-rules``).

    Parameters
    ----------
    packaged
        The rules in force.
    added
        The rules to add (e.g. medspaCy's ``context_rules.json``).

    Returns
    -------
    tuple
        The rules to add and one notice per dropped phrase.
    """
    owner: dict[str, list[ConTextRule]] = {}
    for rule in packaged:
        for phrase in _rule_phrases(rule) or []:
            owner.setdefault(phrase_key(phrase.strip(SEPARATOR_CHARS)), []).append(rule)
    kept: list[ConTextRule] = []
    notices: list[str] = []
    for rule in added:
        phrases = _rule_phrases(rule)
        if phrases is None:
            kept.append(rule)
            continue
        free = []
        for phrase in phrases:
            owners = owner.get(phrase_key(phrase.strip(SEPARATOR_CHARS)))
            if not owners:
                free.append(phrase)
            elif all((o.category, o.direction) != (rule.category, rule.direction) for o in owners):
                readings = ", ".join(f"{o.category} {o.direction.value}" for o in owners)
                notices.append(
                    f"{rule.rule_id}: {phrase!r} read as {rule.category} {rule.direction.value}"
                    f" is dropped; the packaged rules read it as {readings}"
                )
        if len(free) == len(phrases):
            kept.append(rule)
        else:
            kept.extend(
                replace(rule, literal=p, pattern=None, rule_id=f"{rule.rule_id}:{p}") for p in free
            )
    return kept, notices
