"""A pipe table whose header row names the finding's column (probes36).

"| Site | Calcinosis |" over "|---|---|", "| Elbow | Y |", "| Thigh | N |": the finding named
in the header row is answered row by row in its column. The rows answered yes give it the
sites named in their other cells; when every row answers no, the finding is negated
(``links.status_from = "table"``). Only a table whose every row answers the column with a yes
or a no (``targets.yaml`` ``clause_words`` answer_yes, answer_no; "| Knee | 2 mm |" is
another kind of table, read as before), and only a header cell that holds just the finding's
name. A cell of a dash alone is a row not assessed, neither yes nor no (fix41). A calciscope
decision: such a table is a form answered site by site.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Mention
from calciscope.extract.restate.lending import _LAYERS, _lend, _sites
from calciscope.extract.rules import load_word_list

__all__ = ["heads_column", "read_tables"]

_WORDS = load_word_list("clause_words")
_YES = re.compile(r"(?:" + _WORDS.alternation("answer_yes") + r")", re.I)
_NO = re.compile(r"(?:" + _WORDS.alternation("answer_no") + r")", re.I)
_RULE_LINE = re.compile(r"[ \t]*\|?[ \t:|-]*-[ \t:|-]*")
_SITE_HEAD = re.compile(
    r"[ \t]*(?:sites?|regions?|locations?|areas?|side|body[ \t]+(?:sites?|regions?|parts?))[ \t]*",
    re.I,
)
#: a dash alone: the row was not assessed (fix41, review 41: a table of "-" cells negates nothing)
_NOT_ASSESSED = frozenset({"-", "--", "\u2013", "\u2014"})
#: at most this many rows are read
_ROWS = 40


def _line(text: str, pos: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    return a, len(text) if b < 0 else b


def _cells(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of each cell of a pipe row (outer pipes dropped)."""
    cuts = [i for i in range(a, b) if text[i] == "|"]
    bounds = [a - 1, *cuts, b]
    cells = [(x + 1, y) for x, y in itertools.pairwise(bounds)]
    if cells and not text[cells[0][0] : cells[0][1]].strip():
        cells = cells[1:]
    if cells and not text[cells[-1][0] : cells[-1][1]].strip():
        cells = cells[:-1]
    return cells


def heads_column(anchor: Mention, text: str) -> bool:
    """Return whether a finding is a header cell of its own in a pipe table's header row.

    A header row: a rule line ("|---|---|") under it, or another cell of it that names the
    sites ("Site", "Region"); not a value row that holds the finding ("| Fingers | calcinosis
    | 1 mm |").
    """
    a, b = _line(text, anchor.start)
    if text.count("|", a, b) < 2 or b >= len(text):
        return False
    cells = _cells(text, a, b)
    cell = next((c for c in cells if c[0] <= anchor.start < c[1]), None)
    if cell is None or text[cell[0] : cell[1]].strip() != anchor.text.strip():
        return False
    below = _line(text, b + 1)
    return _RULE_LINE.fullmatch(text, *below) is not None or any(
        _SITE_HEAD.fullmatch(text, ca, cb) for ca, cb in cells if (ca, cb) != cell
    )


def read_tables(found: Sequence[Mention], text: str, find: Callable[..., list[Mention]]) -> None:
    """Read the rows under each affirmed finding that heads a table's column (in place)."""
    if "|" not in text:
        return
    for anchor in found:
        if not heads_column(anchor, text):
            continue
        rows = _answers(anchor, text)
        if not rows:
            continue
        yes = [cells for answer, cells in rows if answer]
        if not yes:
            anchor.is_negated = True
            anchor.links["status_from"] = "table"
        for cells in yes:
            for ca, cb in cells:
                mentions = find(ca, cb, _LAYERS, False)
                _lend(anchor, "regions", _sites(mentions, text), text, mentions)


def _answers(anchor: Mention, text: str) -> list[tuple[bool, list[tuple[int, int]]]]:
    """Return each row's answer in the finding's column and its other cells ([] if not yes/no)."""
    a, b = _line(text, anchor.start)
    header = _cells(text, a, b)
    column = next(i for i, c in enumerate(header) if c[0] <= anchor.start < c[1])
    rows: list[tuple[bool, list[tuple[int, int]]]] = []
    pos = b + 1
    while pos < len(text) and len(rows) < _ROWS:
        ra, rb = _line(text, pos)
        pos = rb + 1
        if _RULE_LINE.fullmatch(text, ra, rb):
            continue
        cells = _cells(text, ra, rb) if "|" in text[ra:rb] else []
        if len(cells) != len(header):
            break
        value = text[cells[column][0] : cells[column][1]].strip()
        if value in _NOT_ASSESSED:
            continue  # "| Elbow | - |": not assessed, neither yes nor no (fix41)
        if not (_YES.fullmatch(value) or _NO.fullmatch(value)):
            return []  # another kind of table ("| Knee | 2 mm |"): read as before
        others = [c for i, c in enumerate(cells) if i != column]
        rows.append((_YES.fullmatch(value) is not None, others))
    return rows
