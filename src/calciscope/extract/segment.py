"""Section and sentence splitting for clinic letters and radiology reports.

Letters and reports break sentences in ways a newspaper-trained splitter does not expect:
headers ending in a colon, bullets and numbered lists, lines with no final full stop, and
abbreviations ("Dr.", "e.g.", "approx."). The rules here are deliberately simple and fast:

* a known section header (see ``rules/sections.yaml``) at the start of a line or sentence,
  followed by a colon or alone on its line, starts a section and is a sentence of its own;
* ``. ! ?`` followed by white space end a sentence, unless the word before is a known
  abbreviation or a single letter, or the next word is written all in lower case (a word
  that starts in lower case but has capitals in it, "dcSSc", "lcSSc", "mRSS", starts one),
  or a "?" is followed on its line by an answer ("Calcinosis? No.", "Ulcers? Yes");
* a semicolon ends a sentence (a clause: "Calcinosis - no; ulcers - yes"), and so does a
  "|" before a "Label:" field ("Digital ulcers: nil | Calcinosis: present - L elbow"); a "|"
  between table cells ("Calcinosis | both knees") does not, nor one before a label that
  describes the finding before it (``field_attribute_labels`` in ``rules/sections.yaml``:
  "Calcinosis: yes | Site: left elbow");
* a run of capitalised words ending in a colon ("REFERRING DIAGNOSIS:", "Past History:") after
  a line break or two spaces starts a sentence (a header inside running text);
* an inline numbered item ("Plan: 1) continue MMF 2) diltiazem 3) repeat US knee") ends the
  item before it: a single-digit number and ")" after white space, when the item numbered one
  less comes before it on its line ("(CK 8)" is no item), unless the list lists a finding's
  sites ("Calcinosis cutis: 1) right index finger 2) left elbow"; ``lists``);
* a blank line ends a sentence; so does a line break before a bullet or a numbered item, a
  line break after a template line ("Label: value"), and a line break before a line that
  starts with a capital letter or a digit, unless the line before is long (50+ characters)
  and plainly runs on (it ends with a comma, a hyphen or a word such as "of", "the", "with"
  that cannot end a sentence).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Collection, Iterable
from typing import NamedTuple

from calciscope.extract.rules import (
    check_cue,
    found_clause,
    none_aside,
    none_clause,
    none_owner_clause,
    none_place_clause,
    place_before,
)

__all__ = [
    "ABBREVIATIONS",
    "Section",
    "boundary_pattern",
    "find_headers",
    "join_line_hyphens",
    "packaged_boundary",
    "paragraph_breaks",
    "section_end",
    "sentence_spans",
    "split_sentences",
]

#: Words that end with a full stop without ending the sentence (compared lowercased, no dots).
_ABBREVIATIONS = (
    "dr mr mrs ms prof st vs eg ie etc approx appr fig figs no nos dept ca cf al esp inc "
    "ltd jan feb mar apr jun jul aug sep sept oct nov dec mg ml pt pts hx dx rx tx sx yr "
    "yrs wk wks min max incl ref resp vol bd tds od qds prn po iv im sc"
)
ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())

# A run of ".!?" and the closing quotes or brackets after it, then white space (or the end),
# unless a word all in lower case follows. Possessive (``*+``): the run never gives back a
# mark, which could only leave a mark where white space is needed, so the same matches
# without the backtracking.
_PUNCT_REST = (
    r"[.!?]*+[\"')\]]*+(?=\s|$)(?!\s+[a-z][a-z0-9'\-]*(?![A-Za-z0-9]))"
    # a question and its answer or ticked boxes, "Calcinosis? No.", "? [ ] Yes [x] No", one sentence
    r"(?!(?<=\?)[ \t]+(?:(?:No|NO|Yes|YES|Nil|NIL|None|NONE|N|Y)(?![A-Za-z0-9])"
    r"|\[[ \txX\u2713\u2714]?\]|[\u2610\u2611\u2612\u25a1]))(?P<punct>)"
)


#: Labels of a field that describes the finding in the field before it ("Calcinosis: yes |
#: Site: left elbow | Size: 5 mm") are rule data: ``field_attribute_labels`` in
#: ``rules/sections.yaml`` (``RuleSet.field_attribute_labels``). A "|" before one of them
#: (alone before its colon, any case, a plural "s" or "(s)" allowed) does not end the
#: sentence, so the finding keeps its site; a "|" before any other "Label:" (a new problem, "|
#: Calcinosis: present") does (notesfix22).
def _attribute_label(labels: Iterable[str]) -> str:
    if not labels:
        return ""
    return (
        r"(?![ \t]*(?i:"
        + "|".join(re.escape(w) for w in sorted(set(labels), key=lambda w: (-len(w), w)))
        + r")(?:s|\(s\))?[ \t]*:)"
    )


# Every alternative starts at one of ".!?;|", a line break or a capital letter, so the pattern
# starts by consuming that character: `re` then skips every other position in C (a leading
# character set is what its search loop looks for), and lookbehinds tell which alternative
# applies. Same boundaries as testing each alternative at every position; the ``header``
# alternative consumes the capital it starts at, where the sentence starts. ``punct`` is only
# tried at the first mark of a run (``(?<![.!?][.!?])``): tried inside the run, it would read
# to the run's end again and fail there as it did at the run's start (a match never ends
# inside a run), so "a" + 10,000 "!" + "b" took quadratic time; see ``split_sentences`` for a
# part that starts inside a run.
#: A semicolon before a clause that opens with "none" or "neither" and says only that they
#: were not there ("Examined for calcinosis and digital ulcers; none were found", "Asked about
#: calcinosis or ulcers; neither reported") does not end the sentence: that clause has no
#: finding of its own and refers back to the findings just listed (notesacc30). Only when
#: nothing but time words follow its verb ("none seen today", "none found on examination";
#: notesfix30, review 25): "none found elsewhere", "none seen on the left", "none palpable at
#: the elbows" name a place of their own and say nothing of the findings before, so that
#: semicolon ends the sentence as any other does ("No ulcers; calcinosis of both elbows"), and
#: so does a comma before such a clause ("Calcinosis at the fingertips, none seen at the
#: elbows": the calcinosis stays affirmed at its own sites).
#: The clause is ``context.yaml``'s ``none_clause_words`` (calciscope.extract.rules.none_clause).
_NONE_CLAUSE = r"[ \t]*(?i:" + none_clause() + ")"
#: ... nor does a semicolon before a clause that only reports deposits found, with no finding
#: of its own, when the clause before holds a check ("Checked for calcinosis at the elbows;
#: several deposits found"): it answers the check (notesacc31; context.yaml "checked for,
#: deposits found"). Such a semicolon is the ``found`` boundary: :func:`sentence_spans` drops it
#: only after a check cue in the sentence so far, so a negation never crosses it ("No tophi;
#: several deposits found at the fingertips, consistent with calcinosis" stays two sentences;
#: notesfix31, review 26). The words are ``context.yaml``'s ``found_clause_words``.
_FOUND_CLAUSE = r"[ \t]*(?i:" + found_clause() + ")"
_CHECK_CUE = re.compile(check_cue(), re.IGNORECASE)
_REFERS_BACK = r"(?!" + _NONE_CLAUSE + r"|" + _FOUND_CLAUSE + r")"
#: a comma before a "none" clause that does not refer back ("none seen at the elbows")
#: ... and one with no verb before a place of its own ("Calcinosis of the left knee, none at
#: the right knee"; notesacc34: ``rules.none_place_clause``). Either is a boundary only when
#: the sentence so far names a place (``_PLACE_BEFORE``: "of the left knee", "L knee"): after
#: a bare "Calcinosis, none seen at the elbows" the "none" denies the calcinosis itself.
#: ``_PLACE_BEFORE`` is only the cheap first test: the extractor then asks its matched
#: mentions (``sentence_spans``'s ``place``; fix34, review 34 H2): a body region and the
#: finding before the comma, a body region or side in the "none" clause ("Calcinosis checked
#: in clinic today, none at the fingers" and "..., none on the X-ray" stay one sentence).
#: A dash between spaces (hyphen, en dash, em dash, "--"; an em dash also unspaced: fix36,
#: review 36 M6) is such a comma too, and a joining word may open the clause
#: ("Calcinosis over the left elbow - none at the right", "..., and none at the right";
#: probes35: ``none_clause_words`` variant ``lead``), and so is one whose place "has none"
#: ("Calcinosis of the right thumb, and the left thumb has none": ``none_owner_clause``;
#: probes36).
_NONE_ELSEWHERE = (
    r"(?=[ \t]*(?i:"
    + none_clause(tail=False)
    + "|"
    + none_place_clause()
    + "|"
    + none_owner_clause()
    + "))"
    + _REFERS_BACK
)
#: ... but not a dash that opens an aside closed by a second dash with the sentence going on
#: after it ("Calcinosis of the right knee - none at the feet - and of the left elbow"): the
#: elbow is the calcinosis's too (probes36; ``rules.none_aside``, and context.yaml's
#: pseudo-trigger "- none at the feet -").
_NOT_ASIDE = r"(?!(?i:" + none_aside() + "))"
#: (its words: ``context.yaml``'s ``none_clause_words``, ``rules.place_before``)
_PLACE_BEFORE = re.compile(place_before(), re.IGNORECASE)
_BOUNDARY_HEAD = (
    r"[.!?;|\nA-Z),\-\u2013\u2014](?:"
    # a capital can start a header only: that alternative is tried first, and the others only
    # after another character (``(?<![A-Z])``), so a capital costs one alternative, not eight
    # (the same boundaries, the alternatives being exclusive by the character; notesspeed16)
    r"(?:(?<=\s\s[A-Z])|(?<=\n[A-Z]))(?=[\w/&()\-]*(?: [A-Z][\w/&()\-]*){0,5}:\s)(?P<header>)"
    r"|(?<![A-Z])(?:"
    r"(?<=[.!?])(?<![.!?][.!?])"
    + _PUNCT_REST
    + r"|(?<=;)"
    + _REFERS_BACK
    + r"(?P<semi>)|(?<=;)(?="
    + _FOUND_CLAUSE
    + r")(?P<found>)"
    r"|(?:(?<=,)|(?<=[ \t][-\u2013\u2014])|(?<=[ \t]--)|(?<=\w\u2014))"
    + _NONE_ELSEWHERE
    + r"(?:(?<=,)|"
    + _NOT_ASIDE
    + ")"
    + r"(?P<comma>)"
    r"|(?<=\|)(?=[ \t]*[A-Za-z][A-Za-z0-9 /&()'\-]{0,40}:[ \t]*\S)"
)
_BOUNDARY_TAIL = (
    r"(?P<field>)"
    r"|(?<=\n)[ \t\r]*+\n\s*(?P<blank>)"
    r"|(?<=\n)(?=[ \t]*(?:[-*\u2022\u00b7\u25aa\u2023>\u2610\u2611\u2612\u25a1]|\d{1,2}[.)]|\[[ \t]?[xX\u2713\u2714]?[ \t]?\])\s)(?P<bullet>)"
    r"|(?<=\n)(?![ \t]*[(,])(?P<nl>)"
    r"|(?<=[ \t][2-9]\))(?=[ \t]+[A-Za-z])(?P<item>)"
    r"))"
)


@functools.lru_cache(maxsize=8)
def _compiled_boundary(labels: frozenset[str]) -> re.Pattern[str]:
    # no labels: every "|" before a "Label:" ends the sentence
    return re.compile(_BOUNDARY_HEAD + _attribute_label(labels) + _BOUNDARY_TAIL)


def boundary_pattern(field_attribute_labels: Iterable[str]) -> re.Pattern[str]:
    """Return the sentence-boundary pattern for a rule set's field attribute labels.

    The extractor compiles it once from its rules (``RuleSet.field_attribute_labels``) and
    passes it to :func:`sentence_spans`; the same labels give the same (cached) pattern.
    """
    return _compiled_boundary(frozenset(field_attribute_labels))


def packaged_boundary() -> re.Pattern[str]:
    """Return the packaged ``sections.yaml``'s boundary pattern (for a caller without rules)."""
    from calciscope.extract.rules import load_field_attribute_labels

    return boundary_pattern(load_field_attribute_labels())


#: ``punct`` at a part's first character when that is inside a run of marks.
_PUNCT_AT = re.compile(r"[.!?]" + _PUNCT_REST)
_MARKS = frozenset(".!?")
#: Boundaries that always end a sentence, and those whose mark stays with the sentence before.
#: ``bullet`` is a line break before a bullet (``_BULLET``) found inside the scan: always a
#: break, as ``nl`` would be after ``_is_break`` saw the bullet (most of the demo letters' line
#: breaks), without that call; a bullet reaching past the scan's end is left to ``nl``.
_ALWAYS = frozenset({"blank", "bullet", "header", "semi", "comma", "field"})
_AFTER = frozenset({"punct", "semi", "comma", "item", "field", "found"})
#: The item before an inline numbered item ("1) " before "2)"), by the later item's number.
_ITEM_BEFORE = {n: re.compile(rf"(?<![^ \t:;,.]){n - 1}\)[ \t]") for n in range(2, 10)}
#: A word broken at a line end by a hyphen (a scanned or OCR'd letter: "calci-\nnosis"): the
#: word before the hyphen (two letters at least) and the rest in lower case on the next line.
_LINE_HYPHEN = re.compile(r"(?<![A-Za-z])([A-Za-z]{2,})-(\r?\n)([a-z]+)")
_WORD_BEFORE = re.compile(r"([A-Za-z]+(?:\.[A-Za-z]+)*)$")
#: (A ticked-box form's line starts with its box, "\u2610 Calcinosis", "[x] Raynaud's", and is
#: an item as a bullet is; notesacc20.)
_BULLET = re.compile(
    r"[ \t]*(?:[-*\u2022\u00b7\u25aa\u2023>\u2610\u2611\u2612\u25a1]|\d{1,2}[.)]|\[[ \t]?[xX\u2713\u2714]?[ \t]?\])\s"
)
_SHORT_LINE = 50
_NON_SPACE = re.compile(r"\S")
_PARAGRAPH_END = re.compile(r"\n[ \t\r]*\n")
#: A line break before a line that does not run on (it does not start in lower case).
_LINE_END = re.compile(r"\n[ \t\r]*(?=[^\sa-z(,])")
_LIST_NUMBER = re.compile(r"[ \t]*\d{1,2}")
_LABEL_LINE = re.compile(r"[ \t]*[A-Z][A-Za-z0-9 /&()'\-]{0,40}:[ \t]*\S")
#: A template line in lower case ("calcinosis: nil", "calcinosis? no"): a field of its own.
_LOWER_LABEL_LINE = re.compile(r"[ \t]*[a-z][a-z0-9/&()'\-]*(?: [a-z0-9/&()'\-]+){0,2}[:?][ \t]*\S")
#: Words that cannot end a sentence: a line ending in one runs on.
# fmt: off
_RUNS_ON_WORDS = [
    "a", "an", "the", "of", "and", "or", "nor", "with", "without", "to", "in", "at", "by", "for",
    "from", "on", "onto", "as", "than", "but", "no", "not", "is", "are", "was", "were", "be",
    "been", "has", "have", "had", "that", "which", "who", "whose", "show", "shows", "showed",
    "including", "into", "over", "under", "per", "dr", "mr", "mrs", "ms", "prof", "left", "right",
    "both", "bilateral", "this", "these", "her", "his", "their", "its", "very", "also", "then",
]
# fmt: on
_RUNS_ON = re.compile(
    r"(?:[,\-/(&+]|\b(?:" + "|".join(_RUNS_ON_WORDS) + r"|and/or))[ \t\r]*$", re.IGNORECASE
)
_RUNS_ON_SET = frozenset(_RUNS_ON_WORDS)
_WORD_CHARS = "0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _runs_on(tail: str) -> bool:
    r"""Whether ``_RUNS_ON.search(tail)`` finds a match (a line's end that runs on).

    ``re`` tries that pattern at every character of the tail (about 13 us a line break on
    the demo notes); an ASCII tail is read from its end instead: a mark, or a whole word of
    the list (``\w`` before it is no boundary; "and/or" ends with "or"), then only white
    space (notesspeed18).
    """
    if not tail.isascii() or "\n" in tail:
        return _RUNS_ON.search(tail) is not None
    kept = tail.rstrip(" \t\r")
    if not kept:
        return False
    if kept[-1] in ",-/(&+":
        return True
    return kept[len(kept.rstrip(_WORD_CHARS)) :].lower() in _RUNS_ON_SET


#: A short bracketed note between a header and its colon: who wrote it, when ("(Dr K, 16:40)").
_HEADER_NOTE = re.compile(r"[ \t]*\([^()\n]{1,40}\)[ \t]*(?::|[-\u2013\u2014](?=[ \t]))")
#: ... or a time or date stamp, then a colon or a spaced dash ("Addendum 14:20 - ...",
#: "ADDENDUM 07/12/2026: ..."; notesacc37).
_HEADER_STAMP = re.compile(
    r"[ \t]+(?:\d{1,2}[:.]\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)(?:[ \t]+\d{1,2}[:.]\d{2})?"
    r"[ \t]*(?::|[-\u2013\u2014](?=[ \t]))"
)


class Section(NamedTuple):
    """A section: its span, its category and the header rule that opened it (if any).

    (A named tuple: a document has several, and a frozen dataclass took about five times as
    long to build.)
    """

    start: int
    end: int
    category: str | None = None
    rule: int | None = None
    header_end: int | None = None


def find_headers(
    text: str, candidates: list[tuple[int, int, int]], stamped: frozenset[int] = frozenset()
) -> list[tuple[int, int, int]]:
    """Keep the header-phrase matches that really are headers.

    Parameters
    ----------
    text
        The document.
    candidates
        ``(start, end, rule)`` for each match of a section phrase.
    stamped
        The rules whose header may carry a time or date stamp before its dash ("Addendum 14:20
        - ..."): the addendum's alone (fix43, review 43 L13: "Family history 14:20 - reviewed"
        is no header).

    Returns
    -------
    list of tuple
        ``(start, header_end, rule)``; ``header_end`` is just past the colon or line end.
    """
    headers: list[tuple[int, int, int]] = []
    for start, end, rule in candidates:
        if start > 0 and text[start - 1] != "\n":  # else it starts the text or a line
            before = text[max(0, start - 3) : start].rstrip(" \t")
            if before and before[-1] not in "\n.:;!?-*\u2022":
                continue
        after = text[end : end + 4]
        stripped = after.lstrip(" \t")
        if stripped.startswith(":"):
            header = (start, end + (len(after) - len(stripped)) + 1, rule)
        elif stripped.startswith("(") and (noted := _HEADER_NOTE.match(text, end)) is not None:
            header = (start, noted.end(), rule)  # "ADDENDUM (Dr Kaur, 16:40):" (notesacc23)
        elif (
            rule in stamped
            and after[:1] in " \t"
            and (stamp := _HEADER_STAMP.match(text, end)) is not None
        ):
            header = (start, stamp.end(), rule)  # "Addendum 14:20 - ..." (notesacc37)
        elif stripped.startswith("\n") or (not stripped and end == len(text)):
            header = (start, end, rule)
        else:
            continue
        if headers and headers[-1][0] == start:  # two rules name one header ("Examination:")
            if header[1] > headers[-1][1]:  # the longer wins, else the first rule
                headers[-1] = header
            continue
        headers.append(header)
    return headers


def paragraph_breaks(text: str) -> list[int]:
    """Return where each blank line of ``text`` starts (for :func:`section_end`)."""
    return [m.start() for m in _PARAGRAPH_END.finditer(text)]


def section_end(
    text: str, body: int, end: int, *, inline: bool = False, breaks: list[int] | None = None
) -> int:
    r"""Return where a section's scope ends: its first paragraph end, or ``end``.

    Parameters
    ----------
    text
        The document.
    body, end
        Where the section's body starts (just past its header) and where the next header is.
    inline
        End the scope at the end of the header's own line when the body starts on it
        ("Family history: mother had SSc.\nShe has calcinosis..." - the second line is the
        patient's): a line break before a line that does not start in lower case ends it.
    breaks
        :func:`paragraph_breaks` of ``text``, if already known.

    Returns
    -------
    int
        The first blank line after the body's first text, the end of an inline header's line
        (with ``inline``), or ``end``, whichever comes first.
    """
    if breaks is None:
        breaks = paragraph_breaks(text)
    cut = end
    i = bisect.bisect_left(breaks, body)
    while i < len(breaks) and breaks[i] < end:
        if breaks[i] > body and _NON_SPACE.search(text, body, breaks[i]) is not None:
            cut = breaks[i]  # a blank line after the body's first text
            break
        i += 1
    if inline:
        first = _NON_SPACE.search(text, body, cut)
        if first is not None and "\n" not in text[body : first.start()]:
            line_end = _LINE_END.search(text, first.start(), cut)
            if line_end is not None:
                cut = line_end.start()
        elif first is not None and _LIST_LINE.match(text, first.start()):
            # a list under the header ("Family history:\n- Mother: SSc\n- Sister: lupus"):
            # the first line after it that is no item is the patient's (notesacc21)
            for line in _NEXT_LINE.finditer(text, first.start(), cut):
                if not _LIST_LINE.match(text, line.end()):
                    cut = line.start()
                    break
    return cut


# A line that is an item of a list: a bullet or a number ("- Mother: SSc", "2) Sister").
_LIST_LINE = re.compile(r"[ \t]*(?:[-*\u2022\u2013]|\d{1,2}[.)])[ \t]")
_NEXT_LINE = re.compile(r"\n(?=[ \t]*\S)")


def _abbreviation_before(text: str, at: int) -> bool:
    m = _WORD_BEFORE.search(text, max(0, at - 12), at)
    if not m:
        return False
    word = m.group(1)
    if len(word) == 1:  # an initial ("A. Smith"), not a unit ("U/L.")
        return m.start() == 0 or text[m.start() - 1].isspace()
    return word.replace(".", "").lower() in ABBREVIATIONS


def _list_number_before(text: str, at: int) -> bool:
    line_start = text.rfind("\n", 0, at) + 1
    return bool(_LIST_NUMBER.fullmatch(text, line_start, at))


def _next_char(text: str, at: int) -> str:
    char = text[at : at + 1]
    if char and not char.isspace():  # the common case: no white space to skip (as ``\S``)
        return char
    m = _NON_SPACE.search(text, at)
    return m.group() if m else ""


def join_line_hyphens(text: str, known: Collection[str] = ()) -> str:
    r"""Join words hyphenated across a line break, keeping every other character's offset.

    "extensive calci-\nnosis of" becomes "extensive calcinosis   of": the word's rest moves
    up to the hyphen and the hyphen and line break become spaces after it, so the text keeps
    its length and everything after the word its offsets (a mention of the joined word has
    the offsets of its first characters in the original). Only a hyphen right after a word of
    two letters or more and right before a line break, with the next line starting in lower
    case (a list item or a new sentence starts otherwise); most texts have none and are
    returned as they are.

    Parameters
    ----------
    text
        The document.
    known
        The words of the rules, lower case, and the pairs of words that follow each other in a
        rule phrase ("sheet like", one space between). With them a hyphen at a line end is
        read as a typesetter's or OCR's break only when that makes a word the rules know or
        the part before it is no word they know: a joined word they know is joined
        ("calci-\nnosis"); a pair they know keeps its hyphen ("sheet-\nlike" becomes
        "sheet-like "); a word they know before the hyphen is a whole word, the hyphen a dash
        ("in the fingers-\nno ulceration" is left as it is); any other part is a fragment and
        is joined ("ol-\necranon"). Without them every such word is joined.
    """
    if "-\n" not in text and "-\r\n" not in text:
        return text

    def join(m: re.Match[str]) -> str:
        part, brk, rest = m.groups()
        if known:
            low = part.lower()
            if low + rest in known:
                pass
            elif f"{low} {rest}" in known:
                return part + "-" + rest + " " * len(brk)
            elif low in known:
                return m.group()
        return part + rest + " " * (1 + len(brk))

    return _LINE_HYPHEN.sub(join, text)


def _is_break(text: str, m: re.Match[str], kind: str | None, lists: Collection[int] = ()) -> bool:
    if kind == "item":
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = _ITEM_BEFORE[int(text[m.start() - 1])]
        if before.search(text, line_start, m.start() - 1) is None:
            return False
        if lists:  # the list's first item ("1) ") heads a finding's list of sites: no break
            firsts = [f.start() for f in _ITEM_BEFORE[2].finditer(text, line_start, m.start() - 1)]
            return not firsts or firsts[-1] not in lists
        return True
    if kind == "punct":
        marks = m.group()  # a run of ".!?", then closing quotes or brackets
        if marks[0] != "." or marks[1:2] in (".", "!", "?"):
            return True
        return not (_abbreviation_before(text, m.start()) or _list_number_before(text, m.start()))
    nxt = m.end()
    if _BULLET.match(text, nxt):
        return True
    line_start = text.rfind("\n", 0, m.start()) + 1
    if _LABEL_LINE.match(text, line_start, m.start()):
        return True
    following = _next_char(text, nxt)
    if following == "|":  # a table's row ("| Calcinosis cutis | inactive | refuted |"; notesacc25)
        return True
    line = text[line_start : m.start()]
    if not (following.isupper() or following.isdigit()):
        # a lower-case template line after a line that does not run on starts a sentence
        return bool(_LOWER_LABEL_LINE.match(text, nxt)) and not _runs_on(line[-24:])
    return len(line.strip()) < _SHORT_LINE or not _runs_on(line[-24:])


def split_sentences(
    text: str,
    start: int = 0,
    end: int | None = None,
    *,
    lists: Collection[int] = (),
    boundary: re.Pattern[str] | None = None,
) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences.

    Parameters
    ----------
    text
        The document.
    start, end
        The part to split (a section); offsets in the result refer to ``text``.
    lists
        Where the first item ("1) ") of an inline numbered list starts that lists a finding's
        sites ("Calcinosis cutis: 1) right index finger 2) left elbow"): its items are not
        split (the extractor finds these; see ``NoteExtractor.extract``).
    boundary
        The boundary pattern of the rules in use (:func:`boundary_pattern` of their
        ``field_attribute_labels``; the extractor passes its own); the packaged rules' by
        default.

    Returns
    -------
    list of tuple
        ``(start, end)`` of each non-empty sentence, white space trimmed.
    """
    spans = sentence_spans(text, start, end, 0, lists=lists, boundary=boundary)
    return [(a, b) for a, b, _ in spans]


def _no_check_so_far(text: str, start: int, end: int) -> bool:
    """``found``: a break unless the sentence so far holds a check (notesfix31)."""
    return _CHECK_CUE.search(text, start, end) is None


def _place_so_far(text: str, start: int, end: int) -> bool:
    """``comma``: a "none" clause of its own place, a break after a place only (notesacc34)."""
    return _PLACE_BEFORE.search(text, start, end) is not None


#: The boundaries that break or not by the sentence so far.
_SO_FAR = {"found": _no_check_so_far, "comma": _place_so_far}


def sentence_spans(
    text: str,
    start: int,
    end: int | None,
    tag: int,
    *,
    lists: Collection[int] = (),
    boundary: re.Pattern[str] | None = None,
    place: Callable[[str, int, int], bool] | None = None,
) -> list[tuple[int, int, int]]:
    """:func:`split_sentences` with ``tag`` (a section's index) as each span's third item.

    ``place(text, start, comma)``, when given, decides a ``comma`` boundary before a "none" clause
    once ``_PLACE_BEFORE`` has let it through: the extractor passes one that asks its matched
    mentions whether the sentence so far ties its finding to a body region and the "none"
    clause names a place of its own (fix34, review 34 H2).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int, int]] = []
    append = spans.append
    cursor = start
    finditer = (packaged_boundary() if boundary is None else boundary).finditer
    matches: Iterable[re.Match[str]] = finditer(text, start, end)
    if 0 < start < end and text[start] in _MARKS and text[start - 1] in _MARKS:
        # the part starts inside a run of marks: the run's rest may end a sentence
        rest = _PUNCT_AT.match(text, start, end)
        if rest is not None:
            matches = itertools.chain((rest,), finditer(text, rest.end(), end))
    for m in matches:
        kind = m.lastgroup
        if kind in _SO_FAR:
            if not _SO_FAR[kind](text, cursor, m.start()):
                continue
            if kind == "comma" and place is not None and not place(text, cursor, m.start()):
                continue
        elif not (kind in _ALWAYS or _is_break(text, m, kind, lists)):
            continue
        a, b = m.span()
        # trim white space here, in the one walk (this runs for every sentence)
        part = text[cursor : b if kind in _AFTER else a]
        kept = part.strip()
        if kept:
            first = cursor + part.index(kept[0])
            append((first, first + len(kept), tag))
        cursor = a if kind == "header" else b
    part = text[cursor:end]
    kept = part.strip()
    if kept:
        first = cursor + part.index(kept[0])
        append((first, first + len(kept), tag))
    return spans
