"""Where a note's attributes are looked for, and its target matches grouped by sentence.

:func:`anchor_ranges` gives the stretches around each calcinosis or calcification where the
attribute layers are matched; :func:`merge_attributes` merges the finding and attribute matches
(a word inside another finding's name is no attribute); :func:`group_by_sentence` gives each
sentence with a key target its matches and its bounds, in one walk by position.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from calciscope.extract.linking import lend_reach
from calciscope.extract.matcher import Match

__all__ = ["anchor_ranges", "by_position", "group_by_sentence", "merge_attributes"]

_LAST = 1 << 62  # sorts after every offset (for bisecting ``(start, end, ...)`` tuples)


def by_position(match: Match) -> tuple[int, int]:
    """Sort key of matches: by start, the longer first."""
    return match.start, -match.end


def group_by_sentence(
    targets: Sequence[Match], spans: Sequence[tuple[int, int, int]], key: Sequence[bool]
) -> tuple[list[tuple[int, list[Match]]], list[tuple[int, int]]]:
    """Return ``(sentence index, its targets)`` of the sentences with a key target, and bounds.

    Both are by position, so one walk does. A sentence's bounds reach to the end of its last
    target (one may run over its end). Sentences with only attribute targets are left out.
    """
    groups: list[tuple[int, list[Match]]] = []
    bounds: list[tuple[int, int]] = []
    count = len(spans)
    index = -1
    span_end = -1
    current: list[Match] = []
    current_index = -1
    has_key = False
    reach = 0
    for match in targets:
        begin = match.start
        if index + 1 < count and spans[index + 1][0] <= begin:
            index = bisect.bisect_right(spans, (begin, _LAST)) - 1
            span_end = spans[index][1]
        if index >= 0 and begin < span_end:
            if index != current_index:
                if has_key:
                    groups.append((current_index, current))
                    bounds.append((spans[current_index][0], reach))
                current, current_index = [], index
                has_key, reach = False, span_end
            current.append(match)
            if key[match.rule]:
                has_key = True
            if match.end > reach:
                reach = match.end
    if has_key:
        groups.append((current_index, current))
        bounds.append((spans[current_index][0], reach))
    return groups, bounds


def merge_attributes(
    findings: list[Match], attributes: list[Match], anchor: Sequence[bool]
) -> list[Match]:
    """Merge finding and attribute matches; a word inside a finding's name is no attribute.

    ("limited cutaneous SSc" is a subset, not an extent and a tissue.) Words inside a
    calcinosis or calcification name do describe it ("sheets of calcification").
    """
    if not attributes:
        return findings
    findings_named = [f for f in findings if not anchor[f.rule]]
    spans = [(f.start, f.end) for f in findings_named]
    starts = [f.start for f in findings_named]
    kept = list(findings)
    for match in attributes:
        i = bisect.bisect_right(starts, match.start) - 1
        if i >= 0 and spans[i][0] <= match.start and match.end <= spans[i][1]:
            continue
        kept.append(match)
    kept.sort(key=by_position)
    return kept


def anchor_ranges(
    text: str,
    findings: Sequence[Match],
    spans: Sequence[tuple[int, int, int]],
    anchor: Sequence[bool],
) -> list[tuple[int, int]]:
    """Return where attributes are looked for: around each calcinosis/calcification.

    That is its sentence and the next one of the same section (which may lend it a
    morphology), and the one after when it refers back (``lend_reach``); attributes
    elsewhere link to nothing.
    """
    starts = [s[0] for s in spans]
    ranges: list[tuple[int, int]] = []
    for match in findings:
        if not anchor[match.rule]:
            continue
        i = bisect.bisect_right(starts, match.start) - 1
        if i < 0:
            continue
        a, b = spans[i][0], lend_reach(text, spans, i, max(spans[i][1], match.end))
        if ranges and a <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(b, ranges[-1][1]))
        else:
            ranges.append((a, b))
    return ranges
