"""Counts in words, for every face (web pages, the terminal): "1 open item", "3 open items".

One helper, so that no page writes "1 open items" (hardening35).
"""

from __future__ import annotations

__all__ = ["counted"]


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """Return ``number`` and ``noun``, the noun plural unless the number is 1.

    Parameters
    ----------
    number
        How many.
    noun
        The singular (``"open item"``); its plural adds ``s`` unless ``plural`` is given
        (``counted(2, "study", "studies")``).
    plural
        The plural when it is not the noun with ``s``.

    Returns
    -------
    str
        ``"1 open item"``, ``"0 open items"``, ``"12 patients"``.
    """
    word = noun if number == 1 else (plural or f"{noun}s")
    return f"{number} {word}"
