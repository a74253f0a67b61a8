"""Whether a body region names the field of an imaging method.

"Plain films of the wrists and shins reveal ...": the wrists and shins are where the films were
taken, and give way to other sites a lending sentence names. ``names_field`` is also used by
linking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calciscope.extract.mention import Mention

__all__ = ["names_field"]

# A body region this close after an imaging word ("X-rays of the arms", "films of both
# thighs"), or just before one ("hand X-ray"; not before a bracket, "L olecranon (XR 2026)",
# where the bracket says how the site was seen, notesacc19), names the imaging field.
_FIELD_BEFORE = 2
_FIELD_AFTER = 14


# Between two regions of one list ("the wrists, ankles and shins", "arms and legs").
_LIST_GAP = re.compile(
    r"[ \t]*(?:,[ \t]*)?(?:(?:and|or|&)[ \t]+)?(?:(?:the|both|left|right)[ \t]+)?"
)


def names_field(regions: Sequence[Mention], modalities: Sequence[Mention], text: str) -> list[bool]:
    """Return, for each body region (by position), whether it names an imaging field.

    A region just after an imaging word ("films of the hands") or just before one ("hand
    X-ray") names the field, and so does each region listed after one that follows an imaging
    method ("Films of the wrists, ankles and shins"; not "palpable over the elbows and
    shins", an examination).
    """
    fields: list[bool] = []
    imaging = False  # the previous region names the field of an imaging method
    for n, region in enumerate(regions):
        near = [
            m
            for m in modalities
            if (
                0 <= m.start - region.end <= _FIELD_BEFORE and "(" not in text[region.end : m.start]
            )
            or 0 <= region.start - m.end <= _FIELD_AFTER
        ]
        listed = (
            imaging
            and bool(text)
            and _LIST_GAP.fullmatch(text, regions[n - 1].end, region.start) is not None
        )
        fields.append(bool(near) or listed)
        imaging = listed or any(_imaging(m) for m in near)
    return fields


def _imaging(modality: Mention) -> bool:
    return modality.metadata.get("method") not in (None, "clinical_examination")
