"""A pipe table whose header row names the finding's column (probes36).

"| Site | Calcinosis |" over "|---|---|", "| Elbow | Y |", "| Thigh | N |": the finding named
in the header row is answered row by row in its column. The rows answered yes give it the
sites named in their other cells; when every row answers no, the finding is negated
(``links.status_from = "table"``). Only a table whose every row answers the column with a yes
or a no (``targets.yaml`` ``clause_words`` answer_yes, answer_no; "| Knee | 2 mm |" is
another kind of table, read as before), and only a header cell that holds just the finding's
name. A cell of a dash alone is a row not assessed, neither yes nor no (fix41). A calciscope
decision: such a table is a form answered site by site.

The same form turned on its side (notesacc37, :func:`read_site_columns`): one column per site,
"| Finding | Fingers | Elbows | Knees |" over "| Calcinosis | Y | N | Y |". The finding is a
row's first cell, alone; the header row above it (a rule line between is skipped) has as many
cells, and its other cells name at least two different sites (fix43: "| Hands 2023 | Hands
2025 |" are dates of one site, read as before). The columns answered yes give their header's
sites; every answered column no negates the finding, a yes in any column affirms it
(``links.status_from = "table"``); a cell of a dash or left blank is not assessed. Only a row
whose every other cell is an answer, a dash or blank ("| Calcinosis | 2 mm | 3 mm |" is another
kind of table, read as before).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Mention
from calciscope.extract.restate.lending import _LAYERS, _calcinosis, _lend, _sites
from calciscope.extract.rules import load_word_list

__all__ = ["heads_column", "read_site_columns", "read_tables"]

_WORDS = load_word_list("clause_words")
_YES = re.compile(r"(?:" + _WORDS.alternation("answer_yes") + r")", re.I)
_NO = re.compile(r"(?:" + _WORDS.alternation("answer_no") + r")", re.I)
_RULE_LINE = re.compile(r"[ \t]*\|?[ \t:|-]*-[ \t:|-]*")
#: a header cell that names the sites' column ("Site", "Region"; ``clause_words`` site_head)
_SITE_HEAD = re.compile(r"[ \t]*(?:" + _WORDS.alternation("site_head") + r")[ \t]*", re.I)
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


#: what :func:`_answer` reads in a cell
_YES_CELL, _NO_CELL, _NOT_ASSESSED_CELL, _OTHER_CELL = "yes", "no", "-", ""


def _answer(value: str) -> str:
    """Read one answer cell: yes, no, a dash (not assessed; fix41) or no answer at all.

    One reading for both kinds of table (fix43: :func:`_answers` and :func:`_site_columns`
    read their cells here; ``clause_words`` answer_yes, answer_no).
    """
    if value in _NOT_ASSESSED:
        return _NOT_ASSESSED_CELL
    if _YES.fullmatch(value):
        return _YES_CELL
    if _NO.fullmatch(value):
        return _NO_CELL
    return _OTHER_CELL


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
        answer = _answer(text[cells[column][0] : cells[column][1]].strip())
        if answer == _NOT_ASSESSED_CELL:
            continue  # "| Elbow | - |": not assessed, neither yes nor no (fix41)
        if answer == _OTHER_CELL:
            return []  # another kind of table ("| Knee | 2 mm |"): read as before
        others = [c for i, c in enumerate(cells) if i != column]
        rows.append((answer == _YES_CELL, others))
    return rows


def read_site_columns(
    anchors: Sequence[Mention], text: str, find: Callable[..., list[Mention]]
) -> None:
    """Read a finding's row answered under one column per site (in place; see above)."""
    if "|" not in text:
        return
    for anchor in anchors:
        if anchor.is_hypothetical or anchor.is_family or not _calcinosis(anchor):
            continue
        read = _site_columns(anchor, text, find)
        if read is None:
            continue
        yes, answered = read
        if yes:
            anchor.is_negated = False
            anchor.is_uncertain = False
            for mentions in yes:
                _lend(anchor, "regions", _sites(mentions, text), text, mentions)
            anchor.links["status_from"] = "table"
        elif answered:
            anchor.is_negated = True
            anchor.links["status_from"] = "table"


def _row_and_header(
    anchor: Mention, text: str
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """Return the cells of the finding's row (it alone in the first) and of the header above."""
    a, b = _line(text, anchor.start)
    if text.count("|", a, b) < 2 or a < 2:
        return None
    row = _cells(text, a, b)
    if len(row) < 3 or not row[0][0] <= anchor.start < row[0][1]:
        return None
    if text[row[0][0] : row[0][1]].strip() != anchor.text.strip():
        return None
    above = _line(text, a - 1)
    if _RULE_LINE.fullmatch(text, *above) and above[0] >= 2:
        above = _line(text, above[0] - 1)
    header = _cells(text, *above) if "|" in text[above[0] : above[1]] else []
    return (row, header) if len(header) == len(row) else None


def _site_columns(
    anchor: Mention, text: str, find: Callable[..., list[Mention]]
) -> tuple[list[list[Mention]], bool] | None:
    """Return the site mentions of each column answered yes and whether any was answered no."""
    found = _row_and_header(anchor, text)
    if found is None:
        return None
    row, header = found
    columns = [find(ca, cb, ("site",), False) for ca, cb in header[1:]]
    named = [{m.metadata.get("region") for m in _sites(c, text)} for c in columns]
    if sum(1 for n in named if n) < 2 or len(set().union(*named)) < 2:
        return None  # fewer than two sites: columns of dates or films ("Hands 2023 | Hands 2025")
    yes: list[list[Mention]] = []
    answered = False
    for (ca, cb), sites in zip(row[1:], columns, strict=True):
        value = text[ca:cb].strip()
        answer = _answer(value) if value else _NOT_ASSESSED_CELL  # a blank: not assessed
        if answer == _YES_CELL:
            yes.append(sites)
        elif answer == _NO_CELL:
            answered = True
        elif answer == _OTHER_CELL:
            return None  # another kind of table ("| Calcinosis | 2 mm | 3 mm |")
    return yes, answered
