"""Rules as data: target, ConText and section rules loaded from YAML or medspaCy JSON.

Field names follow medspaCy (``TargetRule``: literal, category, pattern, attributes, metadata;
``ConTextRule``: literal, category, direction, pattern, max_scope, allowed_types,
excluded_types, metadata; ``SectionRule``: literal, category, pattern, metadata), so rule files
can move between the two tools. The packaged rules live in ``calciscope/extract/rules/``.
``targets.yaml`` also holds word lists the cross-sentence rules read (:class:`WordList`:
``calcium_words``, ``addendum_words``, ``look_alike_words``, ``person_words``,
``skin_deposit_words``, ``hardness_words``); medspaCy ignores them.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from calciscope.errors import CatalogueError, ValidationError
from calciscope.extract.patterns import SEPARATOR_CHARS, expand_token_pattern, phrase_key

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
    "load_reach",
    "load_rules",
    "load_word_list",
    "merge_context_rules",
    "none_clause",
]

Pattern = str | tuple[Any, ...] | None


class Direction(StrEnum):
    """Which way a ConText modifier reaches (medspaCy's direction values)."""

    FORWARD = "FORWARD"
    BACKWARD = "BACKWARD"
    BIDIRECTIONAL = "BIDIRECTIONAL"
    TERMINATE = "TERMINATE"
    PSEUDO = "PSEUDO"


def _freeze_pattern(pattern: Any, where: str) -> Pattern:
    if pattern is None or isinstance(pattern, str):
        return pattern
    if isinstance(pattern, list) and all(isinstance(t, dict) for t in pattern):
        return tuple(pattern)
    raise CatalogueError(f"{where}: pattern must be a regex string or a list of token dicts")


@dataclass(frozen=True)
class TargetRule:
    """A concept or attribute to find in text (medspaCy ``TargetRule`` fields)."""

    literal: str
    category: str
    pattern: Pattern = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    rule_id: str = ""


@dataclass(frozen=True)
class ConTextRule:
    """A ConText modifier: a trigger phrase, its category and the direction it reaches."""

    literal: str
    category: str
    direction: Direction = Direction.BIDIRECTIONAL
    pattern: Pattern = None
    max_scope: int | None = None
    allowed_types: frozenset[str] | None = None
    excluded_types: frozenset[str] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    rule_id: str = ""


@dataclass(frozen=True)
class SectionRule:
    """A section header; ``metadata['modifier']`` names a category applied to the section."""

    literal: str
    category: str
    pattern: Pattern = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    rule_id: str = ""


@dataclass(frozen=True)
class RuleSet:
    """Every rule the extractor uses, with the versions of the files they came from."""

    targets: tuple[TargetRule, ...]
    context: tuple[ConTextRule, ...]
    sections: tuple[SectionRule, ...]
    version: str = ""
    notices: tuple[str, ...] = ()
    #: Labels of a field that describes the finding of the field before it ("Calcinosis: yes
    #: | Site: left elbow"): ``field_attribute_labels`` of sections.yaml (``segment``).
    field_attribute_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class WordList:
    """A list of words, each written once, with the named variants (readings) that use it.

    ``words`` holds ``(word, forms)``: ``word`` is a regular-expression fragment and ``forms``
    maps each variant that reads it to the fragment that variant matches (the word itself, or
    the form given under ``as``).
    """

    name: str
    words: tuple[tuple[str, Mapping[str, str]], ...]
    version: str = ""

    def alternation(self, variant: str) -> str:
        """Return ``a|b|...``: the forms of the words a variant reads, in the list's order."""
        forms = [f[variant] for _word, f in self.words if variant in f]
        if not forms:
            raise CatalogueError(f"word list {self.name!r} has no variant {variant!r}")
        return "|".join(forms)

    def skipping(self, variant: str) -> str:
        """Return the variant's words as a fragment that starts with their first letters.

        ``[hs](?<![a-z][hs])(?:(?<=h)ard|(?<=s)tony)`` matches what ``(?<![a-z])(?:hard|stony)``
        does, but ``re`` skips in C to a candidate first letter instead of trying the
        alternation at every character. Each form must start with a plain lower-case letter (not
        an optional one: ``s?tony``);
        the caller adds what may follow (``(?![a-z])``). A form may hold a group of its own
        (``ston(?:y|e-hard)``), not a bare ``|``.
        """
        self.alternation(variant)  # the variant is known
        forms = [f[variant] for _word, f in self.words if variant in f]
        if any(not f[:1].isalpha() or not f[:1].islower() or not f[:1].isascii() for f in forms):
            raise CatalogueError(
                f"word list {self.name!r}: {variant!r} has a form that starts with no letter"
            )
        if any(f[1:2] in ("?", "*", "{") for f in forms):
            # "s?tony" would lose the form without its first letter ("tony")
            raise CatalogueError(
                f"word list {self.name!r}: {variant!r} has a form whose first letter is optional"
            )
        if any(_bare_bar(f) for f in forms):
            raise CatalogueError(
                f"word list {self.name!r}: {variant!r} has a form with a '|' outside a group"
            )
        firsts = "".join(dict.fromkeys(f[0] for f in forms))
        rests = "|".join(f"(?<={f[0]}){f[1:]}" for f in forms)
        return f"[{firsts}](?<![a-z][{firsts}])(?:{rests})"

    def pattern(self, variant: str) -> re.Pattern[str]:
        """Return a pattern matching a variant's words as whole words, ignoring case."""
        return re.compile(r"(?<![a-z])(?:" + self.alternation(variant) + r")(?![a-z])", re.I)


def _bare_bar(form: str) -> bool:
    """Return whether a regular-expression fragment has a ``|`` outside its groups."""
    depth, escaped, in_class = 0, False, False
    for ch in form:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False


def _word_list(name: str, items: Any, variants: Sequence[str], version: str) -> WordList:
    if not isinstance(items, list):
        raise CatalogueError(f"targets.yaml: no word list {name!r}")
    words: list[tuple[str, Mapping[str, str]]] = []
    for raw in items:
        if not isinstance(raw, dict) or "word" not in raw:
            raise CatalogueError(f"{name}: each item needs a 'word'")
        word = str(raw["word"])
        if any(word == w for w, _ in words):
            raise CatalogueError(f"{name}: {word!r} is written twice")
        forms = dict(raw.get("as") or {})
        unknown = (set(raw.get("variants") or ()) | set(forms)) - set(variants)
        if unknown:
            raise CatalogueError(f"{name}: {word!r} names unknown variants {sorted(unknown)}")
        used = raw.get("variants") or variants
        if set(forms) - set(used):
            raise CatalogueError(f"{name}: {word!r} gives a form for a variant it is not in")
        words.append((word, {v: str(forms.get(v, word)) for v in variants if v in used}))
    return WordList(name, tuple(words), version)


#: the variants of each packaged word list (read by extract/restate/)
_WORD_LIST_VARIANTS = {
    "calcium_words": ("far_deposit", "removed_lump", "flat_calcium"),
    "addendum_words": ("retraction", "qualifier", "no_site"),  # notesfix23
    "look_alike_words": ("not_calcium", "not_chalky", "other_lump"),  # wordlists22, notesacc28
    "hardness_words": ("described", "like_stone", "firm_plaque"),  # notesacc28 (described_before)
    "person_words": ("relative", "other_person"),  # wordlists22 (restate/guards.py)
    "skin_deposit_words": ("deposit_colour", "skin_layer"),  # wordlists22 (described_before)
    "wound_words": ("wound",),  # notesfix28 (restate/wound_base.py)
    "those_sites_words": ("noun", "which", "place"),  # fix34 (restate/deposits.py)
    # notesfix30 (anaphora.py, sites.py, restate/restated_pattern.py)
    "clause_words": (
        "contrast",
        "papule",
        "not_deposit",
        "deposit_site",
        "denial",  # notesfix31 (sites.py: a denied site; network.py: a net's elements)
        "denied_noun",
        "finding_verb",
        "element",
        "own_nodule",
        "spared",  # probes35 (sites.py: a site a contrast clause says has none)
        "spared_verb",
    ),
}


@cache
def load_word_list(name: str) -> WordList:
    """Load a word list of the packaged ``targets.yaml`` (read once per process).

    Parameters
    ----------
    name
        The list's key in the file, e.g. ``"calcium_words"`` (variants: far_deposit,
        removed_lump, flat_calcium; docs/notes.md, Rules), ``"addendum_words"``
        (retraction, qualifier, no_site), ``"look_alike_words"`` (not_calcium, not_chalky,
        other_lump), ``"person_words"`` (relative, other_person), ``"skin_deposit_words"``
        (deposit_colour, skin_layer), ``"hardness_words"`` (described, like_stone,
        firm_plaque), ``"wound_words"`` (wound), ``"those_sites_words"`` (noun, which, place;
        fix34) or ``"clause_words"`` (contrast, papule, not_deposit, deposit_site; notesfix30).

    Returns
    -------
    WordList
        The words, with the version of the file they came from.
    """
    if name not in _WORD_LIST_VARIANTS:
        raise CatalogueError(f"unknown word list {name!r}")
    try:
        data = _packaged("targets.yaml")  # read only: no copy
    except OSError as exc:
        raise CatalogueError(f"cannot read the packaged targets.yaml: {exc}") from exc
    return _word_list(name, data.get(name), _WORD_LIST_VARIANTS[name], str(data.get("version")))


#: the variants of the word lists of the packaged ``context.yaml`` (notesfix30, notesfix31)
_CONTEXT_WORD_LISTS = {
    "none_clause_words": ("aux", "verb", "time", "place", "not_place", "elsewhere", "lead"),
    "found_clause_words": ("check", "count", "adjective", "noun", "aux", "verb", "other"),
}


def _context_words(name: str) -> WordList:
    try:
        data = _packaged("context.yaml")
    except OSError as exc:
        raise CatalogueError(f"cannot read the packaged context.yaml: {exc}") from exc
    return _word_list(name, data.get(name), _CONTEXT_WORD_LISTS[name], str(data.get("version")))


@cache
def none_clause(*, tail: bool = True) -> str:
    """Return the pattern of a "none" clause that refers back (``context.yaml`` ``none_clause_words``).

    "none" or "neither", up to three auxiliary words, a verb of finding, then only time words
    until the clause ends ("none were seen today"); lower case, as the context rules read. A
    context rule's pattern writes it ``{none_clause}``; segment.py reads it case-insensitively.
    Without ``tail``, only up to the verb (whatever follows it).
    """
    words = _context_words("none_clause_words")
    aux, verb, time = (words.alternation(v) for v in ("aux", "verb", "time"))
    head = rf"(?:none|neither)[ \t]+(?:(?:{aux})[ \t]+){{0,3}}(?:{verb})(?![a-z])"
    return head + rf"(?:[ \t]+(?:{time}))*(?![ \t]*[a-z0-9(])" if tail else head


@cache
def none_place_clause() -> str:
    """Return the pattern of a "none" clause that names a place of its own, with no verb.

    "none at the right knee", "none over the elbows" (``context.yaml`` ``none_clause_words``
    variants ``aux`` and ``place``), not a time or an examination ("none at present", "none on
    examination": variant ``not_place``); lower case (notesacc34). segment.py reads it
    case-insensitively after a comma or a dash. A joining word may open it ("and none at the
    right", variant ``lead``; probes35).
    """
    words = _context_words("none_clause_words")
    aux, place, not_place, lead = (
        words.alternation(v) for v in ("aux", "place", "not_place", "lead")
    )
    return (
        rf"(?:(?:{lead})[ \t]+)?(?:none|neither)[ \t]+(?:(?:{aux})[ \t]+){{0,3}}(?:(?:{place})[ \t]+"
        rf"(?!(?:{not_place})(?![a-z]))|{none_elsewhere_word()})"
    )


@cache
def none_elsewhere_word() -> str:
    """Return "elsewhere", "anywhere else" (``none_clause_words`` variant ``elsewhere``; fix34)."""
    words = _context_words("none_clause_words").alternation("elsewhere")
    return rf"(?:{words})(?![a-z])"


@cache
def none_elsewhere_clause() -> str:
    """Return the pattern of "none elsewhere" with no verb ("none now anywhere else"; fix34).

    A joining word may open it ("with none elsewhere", variant ``lead``; probes35).
    """
    words = _context_words("none_clause_words")
    aux, lead = words.alternation("aux"), words.alternation("lead")
    return (
        rf"(?:(?:{lead})[ \t]+)?(?:none|neither)[ \t]+(?:(?:{aux})[ \t]+){{0,3}}"
        + none_elsewhere_word()
    )


@cache
def place_word() -> str:
    """Return the prepositions of a place (``none_clause_words`` variant ``place``), and "of"."""
    return _context_words("none_clause_words").alternation("place") + "|of"


@cache
def found_clause() -> str:
    """Return the pattern of a clause that only reports deposits found (``found_clause_words``).

    "(count) (adjective) deposits / nodules / lumps (were) found / palpable / ...", lower case,
    as the context rules read ("several deposits found", "two hard nodules palpable"), and no
    word of ``other`` nor a "?" later in the sentence ("nodules found ... are rheumatoid
    nodules, not calcinosis": named as something else). A context
    rule's pattern writes it ``{found_clause}``; segment.py reads it case-insensitively
    (notesfix31: one place for the pseudo rule and the semicolon boundary).
    """
    words = _context_words("found_clause_words")
    count, adjective, noun, aux, verb, other = (
        words.alternation(v) for v in ("count", "adjective", "noun", "aux", "verb", "other")
    )
    return (
        rf"(?:(?:{count})[ \t]+)?(?:(?:{adjective})[ \t]+)?(?:{noun})[ \t]+"
        rf"(?:(?:{aux})[ \t]+)?(?:{verb})(?![a-z])"
        rf"(?![^.!?\n]*?(?:(?<![a-z])(?:{other})(?![a-z])|\?))"
    )


@cache
def check_cue() -> str:
    """Return the pattern of a check ("checked for", "screened for"; ``found_clause_words``).

    Lower case, as the context rules read; written ``{check_cue}`` in a context rule's pattern
    (notesfix31).
    """
    check = _context_words("found_clause_words").alternation("check")
    return rf"(?<![a-z])(?:{check})[ \t]+(?:for|about)(?![a-z])"


@cache
def load_section_kinds(name: str) -> frozenset[str]:
    """Return a list of section categories of the packaged ``sections.yaml`` (read once).

    ``name`` is the list's key, e.g. ``"found_sections"`` (the sections that describe what was
    found; restate/restated_pattern.py).
    """
    try:
        data = _packaged("sections.yaml")
    except OSError as exc:
        raise CatalogueError(f"cannot read the packaged sections.yaml: {exc}") from exc
    kinds = data.get(name)
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise CatalogueError(f"sections.yaml: {name!r} is not a list of section categories")
    return frozenset(kinds)


#: the packaged reaches (how many sentences back a rule of extract/restate/ looks), by key
#: in ``targets.yaml`` (notesacc30, moved from code)
_REACHES = ("wound_base_reach",)


@cache
def load_reach(name: str) -> int:
    """Return a reach of the packaged ``targets.yaml``: a number of sentences (read once).

    ``name`` is its key, e.g. ``"wound_base_reach"`` (how many sentences before a wound's base
    the sentence naming the wound may be; restate/wound_base.py).
    """
    if name not in _REACHES:
        raise CatalogueError(f"unknown reach {name!r}")
    try:
        data = _packaged("targets.yaml")
    except OSError as exc:
        raise CatalogueError(f"cannot read the packaged targets.yaml: {exc}") from exc
    reach = data.get(name)
    if not isinstance(reach, int) or isinstance(reach, bool) or reach < 1:
        raise CatalogueError(f"targets.yaml: {name!r} must be a whole number of sentences >= 1")
    return reach


class RuleMixWarning(UserWarning):
    """Added rules were changed or dropped because they clash with the packaged rules."""


class _RuleLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML loader where only ``true``/``false`` are booleans: ``no``, ``on``, ``yes`` are words."""


_RuleLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RuleLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


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
        pattern=_freeze_pattern(raw.get("pattern"), where),
        attributes=dict(raw.get("attributes") or {}),
        metadata=metadata,
        rule_id=f"{source}:{str(raw['category']).upper()}:{raw['literal']}",
    )


def _with_none_clause(pattern: Any) -> Any:
    """Return a context rule's pattern with ``{none_clause}`` written out (:func:`none_clause`).

    ... and ``{found_clause}``, ``{check_cue}`` (:func:`found_clause`, :func:`check_cue`).
    """
    if isinstance(pattern, str) and "{" in pattern:
        if "{none_clause}" in pattern:
            pattern = pattern.replace("{none_clause}", none_clause())
        if "{found_clause}" in pattern:
            pattern = pattern.replace("{found_clause}", found_clause())
        if "{check_cue}" in pattern:
            pattern = pattern.replace("{check_cue}", check_cue())
    return pattern


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
        pattern=_freeze_pattern(_with_none_clause(raw.get("pattern")), where),
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
        pattern=_freeze_pattern(raw.get("pattern"), where),
        metadata=dict(raw.get("metadata") or {}),
        rule_id=f"{source}:{raw['category']}:{raw['literal']}",
    )


@cache
def _packaged(name: str) -> dict[str, Any]:
    """Parse a packaged rule file once per process (the extractor and the word lists share it)."""
    text = resources.files("calciscope.extract").joinpath("rules", name).read_text("utf-8")
    return yaml.load(text, Loader=_RuleLoader) or {}


#: How an error names a packaged rule file (a file given instead is named by its path).
_PACKAGED_FILE = "the packaged calciscope/extract/rules/{}"


def _read(path: Path | None, packaged: str) -> tuple[dict[str, Any], str, str]:
    """Return a rule file's data, the source its rule ids start with, and the file's name.

    The source is the file's stem (``targets``: rule ids, recorded in provenance, stay the
    same whatever folder the file is read from); errors name the file by its path.
    """
    try:
        if path is None:  # a copy: the rules built from it must not share the cached lists
            data = copy.deepcopy(_packaged(packaged))
            return data, Path(packaged).stem, _PACKAGED_FILE.format(packaged)
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read rule file {path}: {exc}") from exc
    # not UTF-8, not YAML (or JSON): the file, the line and what is wrong there, never the
    # codec's or parser's own message or a traceback (hardening24). Imported here: only a
    # file given by the user comes through, and the extractor imports no reader otherwise.
    from calciscope.textfile import check_utf8_bytes
    from calciscope.yamltext import parse_yaml

    try:
        text = check_utf8_bytes(raw, str(path))
        if str(path).endswith(".json"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CatalogueError(
                    f"rule file {path}, line {exc.lineno}: not JSON: {exc.msg} (column {exc.colno})"
                ) from None
        else:
            data = parse_yaml(text, source=str(path), loader=_RuleLoader)
    except ValidationError as exc:
        raise CatalogueError(f"rule file {'; '.join(map(str, exc.problems))}") from None
    return data or {}, Path(path).stem, str(path)


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
    data, source, file = _read(Path(path), "")
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
    t_data, t_src, t_file = _read(Path(targets) if targets else None, "targets.yaml")
    c_data, c_src, c_file = _read(Path(context) if context else None, "context.yaml")
    s_data, s_src, s_file = _read(Path(sections) if sections else None, "sections.yaml")
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
        field_attribute_labels=_labels(s_data.get("field_attribute_labels"), s_file),
    )


def _labels(items: Any, file: str) -> tuple[str, ...]:
    """Return a sections file's field attribute labels (the packaged ones when it has none)."""
    if items is None:  # a sections file written before the list moved to rule data (fixes21)
        return load_field_attribute_labels()
    if not isinstance(items, list):
        raise CatalogueError(f"{file}: field_attribute_labels must be a list of lower-case words")
    for word in items:
        if not (isinstance(word, str) and re.fullmatch(r"[a-z][a-z ]*", word)):
            raise CatalogueError(
                f"{file}: field_attribute_labels must be a list of lower-case words; got {word!r}"
            )
    return tuple(items)


@cache
def load_field_attribute_labels() -> tuple[str, ...]:
    """Return the packaged ``sections.yaml``'s field attribute labels (read once per process)."""
    try:
        data = _packaged("sections.yaml")  # read only: no copy
    except OSError as exc:
        raise CatalogueError(f"cannot read the packaged sections.yaml: {exc}") from exc
    return _labels(data.get("field_attribute_labels", []), _PACKAGED_FILE.format("sections.yaml"))


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
