"""Patterns of the "none" and "found" clauses, written out from ``context.yaml``'s word lists.

A context rule's pattern writes them ``{none_clause}``, ``{found_clause}`` and ``{check_cue}``
(:func:`with_clauses`); segment.py reads them for its semicolon and comma boundaries
(notesfix30, notesfix31: one place for both).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from calciscope.extract.word_lists import context_words

__all__ = [
    "aside_site",
    "check_cue",
    "found_clause",
    "none_aside",
    "none_body",
    "none_clause",
    "none_elsewhere_clause",
    "none_elsewhere_word",
    "none_history",
    "none_owner_clause",
    "none_place_clause",
    "none_side",
    "none_verb",
    "place_before",
    "place_word",
    "with_clauses",
]


@cache
def none_clause(*, tail: bool = True) -> str:
    """Return the pattern of a "none" clause that refers back (``context.yaml`` ``none_clause_words``).

    "none" or "neither", up to three auxiliary words, a verb of finding, then only time words
    until the clause ends ("none were seen today"); lower case, as the context rules read. A
    context rule's pattern writes it ``{none_clause}``; segment.py reads it case-insensitively.
    Without ``tail``, only up to the verb (whatever follows it).
    """
    words = context_words("none_clause_words")
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
    words = context_words("none_clause_words")
    aux, place, not_place, lead = (
        words.alternation(v) for v in ("aux", "place", "not_place", "lead")
    )
    return (
        rf"(?:(?:{lead})[ \t]+)?(?:none|neither)[ \t]+(?:(?:{aux})[ \t]+){{0,3}}(?:(?:{place})[ \t]+"
        rf"(?!(?:{not_place})(?![a-z]))|{none_elsewhere_word()})"
    )


@cache
def none_owner_clause() -> str:
    """Return the pattern of a place of the body that "has none" ("and the left thumb has none").

    A joining word (``lead``), an owner or a side word first (so most commas fail at once),
    one or two words of the place, a verb of ``owns`` ("has", "shows"), then "none" or
    "nothing" (``none_clause_words``;
    probes36). segment.py reads it case-insensitively after a comma or a dash, as
    :func:`none_place_clause`: the extractor then asks that it names a place of the body.
    """
    words = context_words("none_clause_words")
    lead, owner, side, owns = (words.alternation(v) for v in ("lead", "owner", "side", "owns"))
    return (
        rf"(?:(?:{lead})[ \t]+(?:(?:{owner})[ \t]+)?|(?:{owner})[ \t]+|(?=(?:{side})[ \t]))"
        rf"(?:(?:{side})[ \t]+)?[a-z]++(?:[ \t]+[a-z]++)?[ \t]+(?:{owns})[ \t]+(?:none|nothing)"
        r"(?![a-z])"
    )


@cache
def none_aside() -> str:
    """Return the pattern of a "none" clause between two dashes, the text going on after it.

    "Calcinosis of the right knee - none at the feet - and of the left elbow": read after the
    first dash (lower case), up to the closing dash and, after it, a return to the finding with
    another place of the body ("and of the left elbow"; probes36, fix41: not "- reviewed by Dr
    X", "- stable", where the aside's "none" is the finding's answer, as on main). The aside
    may own its "none" ("- the left hand has none -"; fix41). Such
    an aside is no clause of its own (segment.py): the sentence goes on after it, and
    ``context.yaml``'s pseudo-trigger keeps its "none" from negating the finding.
    """
    words = context_words("none_clause_words")
    lead, before, owner, side, body = (
        words.alternation(v) for v in ("lead", "place_before", "owner", "side", "body")
    )
    return (
        rf"[ \t]*(?:{none_place_clause()}|{none_owner_clause()})[^.;!?\n]*?"
        r"(?:[ \t](?:--|[-\u2013\u2014])|[a-z]\u2014)"
        rf"[ \t]*(?:(?:{lead})[ \t]+)?(?:also[ \t]+)?(?:{before})[ \t]+(?:(?:{owner})[ \t]+)?"
        rf"(?:(?:{side})[ \t]+)?(?:[a-z]+[ \t]+)?(?:{body})(?![a-z])"
    )


@cache
def aside_site() -> str:
    """Return the pattern of the finding's own site just before a dashed aside (fix41).

    "of the right knee -" in "Calcinosis of the right knee - none at the feet - and of the left
    elbow": a place word, a part of the body (``none_clause_words`` variant ``body``) and the
    opening dash. Written ``{aside_site}`` in context.yaml's pseudo-trigger, before
    ``{none_aside}`` (:func:`none_aside`).
    """
    words = context_words("none_clause_words")
    before, owner, side, body = (
        words.alternation(v) for v in ("place_before", "owner", "side", "body")
    )
    return (
        rf"(?<![a-z])(?:{before})[ \t]+(?:(?:{owner})[ \t]+)?(?:(?:{side})[ \t]+)?"
        rf"(?:[a-z]+[ \t]+)?(?:{body})(?:[ \t]+(?:--|[-\u2013\u2014])|\u2014)"
    )


@cache
def none_elsewhere_word() -> str:
    """Return "elsewhere", "anywhere else" (``none_clause_words`` variant ``elsewhere``; fix34)."""
    words = context_words("none_clause_words").alternation("elsewhere")
    return rf"(?:{words})(?![a-z])"


@cache
def none_elsewhere_clause() -> str:
    """Return the pattern of "none elsewhere" with no verb ("none now anywhere else"; fix34).

    A joining word may open it ("with none elsewhere", variant ``lead``; probes35), and a
    subject that has none ("and she has none elsewhere", "the patient has none elsewhere";
    variants ``owner``, ``owns``; probes36).
    """
    words = context_words("none_clause_words")
    aux, lead = words.alternation("aux"), words.alternation("lead")
    owner, owns = words.alternation("owner"), words.alternation("owns")
    return (
        rf"(?:(?:{lead})[ \t]+)?(?:(?:(?:{owner})[ \t]+)?[a-z]+[ \t]+(?:{owns})[ \t]+)?"
        rf"(?:none|neither)[ \t]+(?:(?:{aux})[ \t]+){{0,3}}" + none_elsewhere_word()
    )


@cache
def place_word() -> str:
    """Return the prepositions of a place and "of" (``none_clause_words`` variant ``place_before``)."""
    return context_words("none_clause_words").alternation("place_before")


@cache
def place_before() -> str:
    """Return the pattern of a place named before a comma ("of the left knee", "L knee").

    A preposition of a place (:func:`place_word`) with an optional ``owner`` word, or a
    ``side`` word, then a letter (``none_clause_words``; split35, moved from segment.py). Read
    case-insensitively: a "none" clause after the comma may then be a clause of its own.
    """
    words = context_words("none_clause_words")
    owner, side = (words.alternation(v) for v in ("owner", "side"))
    return (
        rf"(?<![a-z])(?:(?:{place_word()})[ \t]+(?:(?:{owner})[ \t]+)?"
        rf"|(?:{side})[ \t]+)[a-z]"
    )


@cache
def none_verb() -> str:
    """Return the verbs of finding (``none_clause_words`` variant ``verb``), as an alternation.

    Written ``{none_verb}`` in a context rule's pattern ("No calcinosis on the right, but
    present on the left": the verb after "but"; probes36, review 36 L4: one list, not inline).
    """
    return context_words("none_clause_words").alternation("verb")


@cache
def none_side() -> str:
    """Return the side words (``none_clause_words`` variant ``side``): ``{none_side}`` (probes36)."""
    return context_words("none_clause_words").alternation("side")


@cache
def none_body() -> str:
    """Return the parts of the body (``none_clause_words`` variant ``body``): ``{none_body}`` (fix41)."""
    return context_words("none_clause_words").alternation("body")


@cache
def none_history() -> str:
    """Return the words dating a finding (``none_clause_words`` variant ``history``; fix41).

    Written ``{none_history}`` in a context rule's pattern.
    """
    return context_words("none_clause_words").alternation("history")


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
    words = context_words("found_clause_words")
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
    check = context_words("found_clause_words").alternation("check")
    return rf"(?<![a-z])(?:{check})[ \t]+(?:for|about)(?![a-z])"


#: each placeholder a context rule's pattern may hold, and what writes it out
_PLACEHOLDERS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("{none_clause}", none_clause),
    ("{found_clause}", found_clause),
    ("{check_cue}", check_cue),
    ("{none_verb}", none_verb),
    ("{none_side}", none_side),
    ("{aside_site}", aside_site),
    ("{none_aside}", none_aside),
    ("{none_body}", none_body),
    ("{none_history}", none_history),
    ("{none_place}", none_place_clause),
)


def with_clauses(pattern: Any) -> Any:
    """Return a context rule's pattern with ``{none_clause}`` written out (:func:`none_clause`).

    ... and ``{found_clause}``, ``{check_cue}``, ``{none_verb}``, ``{none_side}``,
    ``{none_place}`` (:func:`found_clause`, :func:`check_cue`, :func:`none_verb`,
    :func:`none_side`, :func:`none_place_clause`), ``{aside_site}``, ``{none_aside}``,
    ``{none_body}``, ``{none_history}`` (:func:`aside_site`, :func:`none_aside`,
    :func:`none_body`, :func:`none_history`; fix41).
    """
    if isinstance(pattern, str) and "{" in pattern:
        for name, write in _PLACEHOLDERS:
            if name in pattern:
                pattern = pattern.replace(name, write())
    return pattern
