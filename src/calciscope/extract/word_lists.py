"""Word lists of the rule files: each word written once, with the readings that use it.

``targets.yaml`` holds word lists the cross-sentence rules read (:class:`WordList`:
``calcium_words``, ``addendum_words``, ``look_alike_words``, ``person_words``,
``skin_deposit_words``, ``hardness_words`` ...), ``context.yaml`` those of the "none" and
"found" clauses (:mod:`~calciscope.extract.clause_patterns`); medspaCy ignores them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from calciscope.errors import CatalogueError
from calciscope.extract.rule_files import packaged_data

__all__ = ["WordList", "context_words", "load_word_list", "word_list"]


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


def word_list(name: str, items: Any, variants: Sequence[str], version: str) -> WordList:
    """Return the word list ``name`` read from a rule file's ``items`` (a clear error if wrong)."""
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
    # notesfix23, notesacc35, fix37 (confirming)
    # probes36 (relocated)
    "addendum_words": (
        "retraction",
        "qualifier",
        "no_site",
        "reread",
        "confirming",
        "relocated",
        "relocated_generic",  # fix41 (only when called calcific)
        "calcific",
        "other_kind",  # fix41 (the sentence says it is something else)
        "site_clear",  # notesacc37 (a site the addendum calls clear is withdrawn)
        "clear_verb",  # fix43 (moved from code: "the knee is / remains clear")
        "clear_adverb",  # fix43 (moved from code: "is now / entirely clear")
        "clear_not_after",  # fix43 ("clear of infection" says nothing of calcinosis)
        "clear_lead",  # fix43 ("on review the knee is clear")
        "called_verb",  # fix43 ("the previously reported calcification is artefact")
        "called_adverb",
        "called_not_between",  # fix43 ("... is adjacent to a small cyst" calls it nothing)
        "not_site_place",  # notesacc37 (moved from code: "..., not at the right knee")
        "not_site_det",
        "not_site_side",
        "subject_det",  # notesacc37 (moved from code: "the / a further deposit is at")
    ),
    "look_alike_words": ("not_calcium", "not_chalky", "other_lump"),  # wordlists22, notesacc28
    "hardness_words": ("described", "like_stone", "firm_plaque"),  # notesacc28 (described_before)
    "person_words": ("relative", "other_person"),  # wordlists22 (restate/guards.py)
    "skin_deposit_words": ("deposit_colour", "skin_layer"),  # wordlists22 (described_before)
    "outer_pattern_words": ("clause_end", "joined", "predicate"),  # fix37 (linking.py)
    "wound_words": ("wound",),  # notesfix28 (restate/wound_base.py)
    "wound_chart_words": ("chart", "row", "item"),  # split35 (restate/site_lists.py)
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
        "answer_cell",  # probes36 (sites.py: a site across an answer cell of a table row)
        "answer_yes",  # probes36 (restate/table_column.py: a finding's column answered yes)
        "answer_no",
        "sited_item",  # fix41 (restate/site_lists.py: a form's item with sites of its own)
        "test_subject",  # notesacc37 (restate/population.py: a test that shows none)
        "test_det",  # fix43 (moved from code: "the / repeat X-ray shows none")
        "test_when",  # fix43 (moved from code: "Ultrasound today shows none")
        "site_head",  # notesacc37 (restate/table_column.py: a header cell of sites, from code)
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
        (retraction, qualifier, no_site, reread, confirming), ``"look_alike_words"`` (not_calcium, not_chalky,
        other_lump), ``"person_words"`` (relative, other_person), ``"skin_deposit_words"``
        (deposit_colour, skin_layer), ``"hardness_words"`` (described, like_stone,
        firm_plaque), ``"wound_words"`` (wound), ``"those_sites_words"`` (noun, which, place;
        fix34), ``"clause_words"`` (contrast, papule, not_deposit, deposit_site; notesfix30) or
        ``"wound_chart_words"`` (chart, row, item; split35).

    Returns
    -------
    WordList
        The words, with the version of the file they came from.
    """
    if name not in _WORD_LIST_VARIANTS:
        raise CatalogueError(f"unknown word list {name!r}")
    data = packaged_data("targets.yaml")  # read only: no copy
    return word_list(name, data.get(name), _WORD_LIST_VARIANTS[name], str(data.get("version")))


#: the variants of the word lists of the packaged ``context.yaml`` (notesfix30, notesfix31)
_CONTEXT_WORD_LISTS = {
    "none_clause_words": (
        "aux",
        "verb",
        "time",
        "place",
        "not_place",
        "elsewhere",
        "place_before",  # split35 (segment.py: the place named before a comma)
        "owner",
        "side",
        "lead",  # probes35 (a joining word opening a "none" clause)
        "owns",  # probes36 ("the left thumb has none": a subject place owning the "none")
        "body",  # fix41 (a part of the body named as a place: "at the hands", "R hand")
        "history",  # fix41 (a word that dates a finding to the past: "in 2019", "previously")
    ),
    "found_clause_words": ("check", "count", "adjective", "noun", "aux", "verb", "other"),
}


def context_words(name: str) -> WordList:
    """Return a word list of the packaged ``context.yaml`` (``none_clause_words``, ...)."""
    data = packaged_data("context.yaml")
    return word_list(name, data.get(name), _CONTEXT_WORD_LISTS[name], str(data.get("version")))
