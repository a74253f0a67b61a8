"""Lists of sites: a sites line, and the lines under a list item of the finding's name.

- *A sites line.* A calcinosis that names no site takes the sites of a template line "Sites:",
  "Current sites:", "Location:", "Distribution:", a table head "Site | Size", among the next
  three sentences, when no other finding comes between ("Case: painful calcinosis. ... Sites:
  both forearms."); the list runs on over the next lines or clauses that name only sites.
- *A list item* of the finding's own name ("2. Calcinosis cutis", notesacc13) takes the sites
  of the indented lines under it.
- *A bracketed list* after the finding whose items are split by semicolons ("Calcinosis (bilat
  olecranon bursae; R prepatellar)", notesacc20): the items up to the closing bracket that name
  only sites are the finding's too.
- *A wound chart's "Site:" line above* a siteless calcinosis named in one of its rows
  ("Wound bed: ... calcinosis", or an unlabelled row), up to four sentences up (notesacc34):
  only when the line above the "Site:" line is the chart's heading, no other item ("Wound 2",
  "2.", a heading in capitals), finding or site comes between, and the calcinosis's line is no
  field of its own ("Calcinosis: present"; fix34, review 34 H5).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Mention
from calciscope.extract.restate.lending import _ANCHORS, _LAYERS, _index, _lend, _sites, _untitled
from calciscope.extract.rules import load_word_list

# "Sites:", "Current sites:", a table head "Site | Size", a form's "Sites (free text):" (a short
# bracketed note before the colon; probes36).
_LABEL_WORDS = (
    r"(?:(?:current|present|active|affected)\s+)?(?:sites?|locations?|distribution)(?:\(s\))?"
    r"(?:\s+(?:affected|involved))?(?:[ \t]*\([a-z /-]{1,20}\))?\s*[:|]"
)
_SITE_LABEL = re.compile(r"\W*" + _LABEL_WORDS, re.I)
# a line or sentence start; the run of marks before the label is bounded, since a search from
# every line start over a long run of blank lines would otherwise take quadratic time
_ANY_SITE_LABEL = re.compile(r"(?:^|[.;])\W{0,40}" + _LABEL_WORDS, re.I | re.M)
# A form's item answered yes ("Digital ulcers: yes", "Ulcers present? Y") between the finding
# and a "Sites:" line: the sites are that nearest item's, not the finding's (fix41, review 41).
# Only an item with sites of its own (targets.yaml ``clause_words`` sited_item: not "Raynaud's?
# Yes").
_YES_ITEM = re.compile(
    r"\W*(?=[A-Za-z][A-Za-z '/()-]{0,40}[:?=])[^:?=\n]*?(?<![a-z])(?:"
    + load_word_list("clause_words").alternation("sited_item")
    + r")(?![a-z])[^:?=\n]*[:?=][ \t]*(?:yes|y|present|positive|pos|\+)[ \t]*[.;]?[ \t]*$",
    re.I,
)
# A line or clause that starts with a label of its own ("Treatment:") ends a list of sites.
_OTHER_LABEL = re.compile(r"\W*[A-Za-z][A-Za-z /]{0,24}:")
# A form's "Site:" line above a siteless calcinosis (``_label_above``, notesacc34, fix34): how
# many sentences up it is looked for; the rows of a wound chart that may name the calcinosis
# ("Wound bed: ... calcinosis", "Base:"; any other label names a field of its own, such as
# "Calcinosis: present" or "Past history: calcinosis"); another item of the form between
# ("Wound 2", "2.", a heading line in capitals); and the chart's heading above its "Site:" line.
_ABOVE_REACH = 4
# (the chart's words: targets.yaml ``wound_chart_words``)
_CHART = load_word_list("wound_chart_words")
_CHART_ROW = re.compile(
    rf"\W*(?:(?:{_CHART.alternation('chart')})[ \t]+)?(?:{_CHART.alternation('row')})[ \t]*:", re.I
)
_ITEM_HEAD = re.compile(
    r"[ \t]*(?:(?i:" + _CHART.alternation("item") + r")[ \t]*(?:#|[Nn]o\.?)?[ \t]*\d{1,2}(?![0-9])"
    r"|\d{1,2}[.)][ \t]|[A-Z][A-Z'&/ -]{2,40}:?[ \t]*$)",
    re.M,
)
# (the wound's words: targets.yaml ``wound_words``)
_WOUND_HEAD = re.compile(
    r"(?<![a-z])(?:" + load_word_list("wound_words").alternation("wound") + r"|tissue[ \t]+"
    r"viability|pressure[ \t]+(?:areas?|injur(?:y|ies)))(?![a-z])",
    re.I,
)

# "2. Calcinosis cutis" over indented lines "   - R elbow" / "   - L hip": a list item that
# is only the finding's name heads a list of its sites.
_HEAD_BEFORE = re.compile(r"[\s*\u2022\u2013-]*(?:\d{1,2}[.)]\s*)?")
# matched against the rest of the line with its white space taken out, so no run of spaces can
# be split between optional parts (a pattern with adjacent ``\s*`` is cubic in a long run)
_HEAD_AFTER = re.compile(r"(?:\(?(?:sites?|locations?)\)?)?[:\u2013-]?")
_WHITE = re.compile(r"\s+")
_BULLETS = "-*\u2022\u2013"


def _has_site_label(text: str) -> bool:
    """Return whether a line starts with "Sites:", "Location:" ... (substrings first)."""
    return any(w in text for w in ("ite", "ITE", "ocation", "OCATION", "istribution")) and bool(
        _ANY_SITE_LABEL.search(text)
    )


def _label_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a site-less calcinosis the sites of a "Sites:" line among the next sentences."""
    for anchor in anchors:
        i = _index(every, anchor)
        if i is None:
            continue
        for k in range(i + 1, min(i + 4, len(every))):
            a, b, _section = every[k]
            mentions = find(a, b, _LAYERS, True)
            if any(m.category in _ANCHORS for m in mentions):
                break  # another finding comes first
            if _YES_ITEM.match(text, a, b):
                break  # another item answered yes comes first: the sites are its (fix41)
            if _SITE_LABEL.match(text, a, b):
                _site_list(anchor, every, k, text, find, mentions)
                break
        else:
            _label_above(anchor, every, i, text, find)


def _label_above(
    anchor: Mention,
    every: Sequence[tuple[int, int, int]],
    i: int,
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Lend the sites of a form's "Site:" line a few lines above the finding (notesacc34).

    A wound chart heads its rows with "Site: lateral malleolus, L ankle" and names the
    calcinosis in its "Wound bed:" row below; only when no finding, and no other site label,
    comes between, nor a line with a site of its own (the label's own line only: the rows
    after it are the chart's).
    """
    above = range(i - 1, max(-1, i - _ABOVE_REACH - 1), -1)
    if not any(_SITE_LABEL.match(text, every[k][0], every[k][1]) for k in above):
        return  # (no label line above: nothing to find, the common case)
    own = every[i]
    row = _OTHER_LABEL.match(text, own[0], anchor.start)
    if row is not None and not _CHART_ROW.match(text, own[0], anchor.start):
        return  # a field of its own ("Calcinosis: present", "Past history: calcinosis")
    if _ITEM_HEAD.match(text, own[0], own[1]):
        return  # an item of its own ("2. Calcinosis noted")
    for k in above:
        a, b, _section = every[k]
        if _ITEM_HEAD.match(text, a, b):
            return  # another item of the form ("Wound 2", "2.", a heading) comes between
        mentions = find(a, b, _LAYERS, True)
        if any(m.category in _ANCHORS for m in mentions):
            return  # another finding comes between
        label = _SITE_LABEL.match(text, a, b)
        sites = _sites(mentions, text)
        if label and sites and _chart_item(every, k, text):
            _untitled(anchor)
            _lend(anchor, "regions", sites, text, mentions)
        if label or sites or any(m.metadata.get("other_finding") for m in mentions):
            return  # (a line between with a site or a finding of its own: not this one's)


def _chart_item(every: Sequence[tuple[int, int, int]], k: int, text: str) -> bool:
    """Return whether the "Site:" line ``k`` heads the rows of a wound chart (fix34).

    Its item is the line above it: a wound chart's heading ("Tissue Viability - Wound
    Assessment", "WOUND CHART", "Wound 1"), whose rows are the wound's and so the calcinosis's;
    not another finding's heading ("RAYNAUD'S", "Pain", "PROCEDURE NOTE"; review 34 H5).
    """
    if k == 0:
        return False
    a, b, _section = every[k - 1]
    return _WOUND_HEAD.search(text, a, b) is not None


def _site_list(
    anchor: Mention,
    every: Sequence[tuple[int, int, int]],
    k: int,
    text: str,
    find: Callable[..., list[Mention]],
    mentions: Sequence[Mention],
) -> None:
    """Lend the sites of a "Sites:" line and of the list lines or clauses that go on with it.

    "Current sites:" over a bulleted list, "Sites: R) index pulp; L) elbow; sacrum" and the rows
    of a "Site | Size" table are split into sentences; the list runs on while each part names
    sites and nothing else (no finding, other skin finding, negation or label of its own).
    """
    _untitled(anchor)
    _lend(anchor, "regions", _sites(mentions, text), text, mentions)
    for a, b, _section in every[k + 1 : k + 12]:
        if _OTHER_LABEL.match(text, a, b):
            break
        part = find(a, b, _LAYERS, True)
        sites = _only_sites(part, text)
        if not sites:
            break
        _lend(anchor, "regions", sites, text, part)


def _heads_list(anchor: Mention, text: str) -> bool:
    """Return whether a calcinosis is a list item of its own name ("2. Calcinosis cutis")."""
    a, b = anchor.sentence
    return bool(
        _HEAD_BEFORE.fullmatch(text, a, anchor.start)
        and _HEAD_AFTER.fullmatch(_WHITE.sub("", text[anchor.end : b]))
        and text.startswith("\n", b + len(text[b : b + 80]) - len(text[b : b + 80].lstrip(" \t")))
    )


def _indent(text: str, pos: int) -> tuple[int, str]:
    start = text.rfind("\n", 0, pos) + 1
    line = text[start : start + 80]
    rest = line.lstrip(" \t")
    return len(line) - len(rest), rest[:1]


def _heading_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a calcinosis list item the sites of the sub-items under it.

    "2. Calcinosis cutis" / "   - R elbow (olecranon)" / "   - L hip" / "3. Reflux": each line
    after the item that is indented further (or bulleted under a numbered item), starts its
    line and names sites and nothing else (no finding, other skin finding or negation) is a
    site of the calcinosis; the first line that is not ends the list.
    """
    for anchor in anchors:
        i = _index(every, anchor)
        if i is None:
            continue
        depth, mark = _indent(text, anchor.sentence[0])
        for a, b, _section in every[i + 1 : i + 12]:
            line = text.rfind("\n", 0, a) + 1
            if text[line:a].strip(" \t" + _BULLETS):
                break  # not at a line start
            sub, bullet = _indent(text, a)
            if not (sub > depth or (bullet in _BULLETS and mark not in _BULLETS)):
                break
            part = find(a, b, _LAYERS, True)
            sites = _only_sites(part, text)
            if not sites:
                break
            _untitled(anchor)
            _lend(anchor, "regions", sites, text, part)


def _only_sites(part: Sequence[Mention], text: str) -> list[Mention]:
    """Return the sites a list item names (none if it ends a site list).

    An item that also names a finding, another skin finding or a negation ends the list.
    """
    if any(m.category in _ANCHORS or m.metadata.get("other_finding") or m.is_negated for m in part):
        return []
    return _sites(part, text)


def _opens_list(anchor: Mention, text: str) -> bool:
    """Return whether a finding's sentence opens a bracket after it and ends at a semicolon."""
    b = anchor.sentence[1]
    part = text[anchor.end : b].rstrip()
    if not part.endswith(";"):
        return False
    opened = part.rfind("(")
    return opened >= 0 and ")" not in part[opened:]


def _bracket_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Lend the sites of the items after a semicolon inside a bracket opened after a finding.

    "Calcinosis (bilat olecranon bursae; R prepatellar)": each later item up to the closing
    bracket that names sites and nothing else (no finding, other skin finding or negation) is
    a site of the finding; the first that is not ends the list.
    """
    for anchor in anchors:
        i = _index(every, anchor)
        if i is None:
            continue
        for a, b, _section in every[i + 1 : i + 8]:
            close = text.find(")", a, b)
            if close >= 0:  # the list ends at its bracket ("R elbow) and ulcers (L heel;")
                b = close + 1
            part = find(a, b, _LAYERS, True)
            sites = _only_sites(part, text)
            if not sites:
                break
            _lend(anchor, "regions", sites, text, part)
            if ")" in text[a:b] or not text[a:b].rstrip().endswith(";"):
                break
