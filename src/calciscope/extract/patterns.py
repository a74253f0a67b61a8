"""Turn rule literals and spaCy-style token patterns into phrases and regular expressions.

medspaCy rules give either a literal phrase, a regular expression string, or a spaCy token
pattern (a list of ``{"LOWER": ...}`` dicts). calciscope matches over lowercased text without a
tokenizer, so a token pattern is expanded into the finite set of phrases it matches (``IN``
lists, ``OP: "?"``); a pattern that cannot be expanded (``OP: "*"``/``"+"``, ``REGEX``) is
compiled into one regular expression instead. Words in a phrase may be separated by spaces,
line breaks, hyphens, slashes or apostrophes, or by nothing ("sheet like" = "sheet-like" =
"sheetlike").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

from calciscope.errors import CatalogueError

__all__ = [
    "MAX_EXPANSION",
    "SEPARATOR_CHARS",
    "expand_token_pattern",
    "phrase_key",
    "token_pattern_regex",
]

#: Characters that may separate the words of a phrase (any number of them, or none).
SEPARATOR_CHARS = " \t\r\n\f\v-\u2010\u2011\u2013/'\u2019"
#: A token pattern that expands to more phrases than this is compiled to a regex instead.
MAX_EXPANSION = 5000

_SEPARATOR_RUN = re.compile("[" + re.escape(SEPARATOR_CHARS) + "]+")
_TEXT_KEYS = ("LOWER", "TEXT", "ORTH", "NORM", "LEMMA")
_SEP_RE = "[" + re.escape(SEPARATOR_CHARS) + "]*"


def phrase_key(text: str) -> str:
    """Return the lookup key of a phrase: lowercase, word separators removed.

    Parameters
    ----------
    text
        A phrase as written in a rule or as found in a note.
    """
    return _SEPARATOR_RUN.sub("", text.lower())


def _token_alternatives(token: dict[str, Any]) -> list[str] | None:
    """Return the literal strings one token may be, or None when it is not a plain literal."""
    keys = [k for k in token if k != "OP"]
    if len(keys) != 1 or keys[0] not in _TEXT_KEYS:
        return None
    value = token[keys[0]]
    if isinstance(value, str):
        return [value.lower()]
    if isinstance(value, dict) and set(value) == {"IN"}:
        return [str(v).lower() for v in value["IN"]]
    return None


def expand_token_pattern(pattern: Sequence[dict[str, Any]]) -> list[str] | None:
    """Return every phrase a token pattern matches, or None when it cannot be expanded.

    Parameters
    ----------
    pattern
        A spaCy Matcher pattern: a list of token dicts.

    Returns
    -------
    list of str or None
        Phrases (words joined by single spaces), or None for patterns using ``OP`` ``*``/``+``/
        ``!``, attributes other than the text ones, or expanding past :data:`MAX_EXPANSION`.
    """
    choices: list[list[str]] = []
    total = 1
    for token in pattern:
        alternatives = _token_alternatives(token)
        op = token.get("OP")
        if alternatives is None or op not in (None, "?", "1"):
            return None
        choices.append(alternatives + ([""] if op == "?" else []))
        total *= len(choices[-1])
        if total > MAX_EXPANSION:
            return None
    phrases = {" ".join(w for w in combo if w) for combo in itertools.product(*choices)}
    return sorted(p for p in phrases if p)


def _token_regex(token: dict[str, Any]) -> str:
    alternatives = _token_alternatives(token)
    if alternatives is not None:
        body = "|".join(re.escape(a) for a in sorted(alternatives, key=len, reverse=True))
        return f"(?:{body})"
    keys = [k for k in token if k != "OP"]
    for key in keys:
        value = token[key]
        if isinstance(value, dict) and "REGEX" in value:
            return f"(?:{value['REGEX']})"
        if isinstance(value, dict) and "IN" in value:
            return "(?:" + "|".join(re.escape(str(v).lower()) for v in value["IN"]) + ")"
    if not keys:
        return r"\S+"
    if keys == ["IS_PUNCT"]:
        return r"[^\w\s]"
    if keys in (["IS_DIGIT"], ["LIKE_NUM"]):
        return r"\d+(?:[.,]\d+)?"
    raise CatalogueError(f"unsupported token pattern attribute(s) {keys} in {token!r}")


def token_pattern_regex(pattern: Sequence[dict[str, Any]]) -> str:
    """Compile a spaCy token pattern into a regular expression over lowercased text.

    Parameters
    ----------
    pattern
        A spaCy Matcher pattern; ``OP`` ``?``, ``*``, ``+`` and ``!`` are honoured (``!`` as a
        negative look-ahead: the next word is none of the token's words, a word that merely
        starts with one of them, "lungs" after ``lung``, does not count), ``REGEX`` values are
        used as they are.

    Returns
    -------
    str
        A regular expression; tokens are separated by :data:`SEPARATOR_CHARS`.
    """
    parts: list[str] = []
    head = "(?<![a-z0-9])"
    for token in pattern:
        op = token.get("OP")
        words = _token_alternatives(token) if not parts and op in (None, "1") else None
        if words and all(words):  # the word boundary checked after each word's first character
            parts.append(_first_word_regex(words))
            head = ""
            continue
        body = _token_regex(token)
        piece = f"(?:{_SEP_RE}{body})" if parts else body
        if op == "?":
            piece += "?"
        elif op == "*":
            piece = f"(?:{_SEP_RE}{body})*" if parts else f"(?:{body}(?:{_SEP_RE}{body})*)?"
        elif op == "+":
            piece = f"(?:{_SEP_RE}{body})+" if parts else f"{body}(?:{_SEP_RE}{body})*"
        elif op == "!":
            piece = f"(?!{_SEP_RE}{body}(?![a-z0-9]))"  # a whole word, as a spaCy token
        parts.append(piece)
    return head + "".join(parts) + "(?![a-z0-9])"


def _first_word_regex(words: Sequence[str]) -> str:
    """Return the regex of a pattern's first token, a word boundary before each of its words.

    ``(?<![a-z0-9])(?:ssc|scleroderma)`` would be tried by ``re`` at every position of the
    text (a pattern that starts with a look-behind gives its search loop nothing to look for);
    ``(?:s(?<![a-z0-9]s)sc|s(?<![a-z0-9]s)cleroderma)`` matches the same text at the same
    places, and ``re`` skips in C to the characters a match can start with.
    """
    return (
        "(?:"
        + "|".join(
            f"{re.escape(w[0])}(?<![a-z0-9]{re.escape(w[0])}){re.escape(w[1:])}"
            for w in sorted(words, key=len, reverse=True)
        )
        + ")"
    )
