"""Counts in words, for every face (web pages, the terminal): "1 open item", "12,345 patients".

One helper for a count with its noun, so that no page writes "1 open items" (hardening35), and
one for a count alone, so that every count reads 12,345, not 12345 (web38).
"""

from __future__ import annotations

import operator

__all__ = ["counted", "number", "synthetic_label"]


def number(value: int) -> str:
    """Return a count as the pages and the terminal write it: ``12,345`` (commas every three digits).

    For counts only (patients, facts, queue sizes, denominators), never an id, a year or a
    code. numpy's and pyarrow's integers too; a value that is not an integer (``None``, text)
    is returned as text, unchanged.
    """
    return _grouped(value)


def _grouped(value: int) -> str:
    if isinstance(value, bool):
        return str(value)
    try:  # an int, or numpy's and pyarrow's integers (``operator.index`` takes them)
        whole = operator.index(value)
    except TypeError:
        as_py = getattr(value, "as_py", None)  # a pyarrow scalar
        plain: object = as_py() if callable(as_py) else None
        if isinstance(plain, bool) or not isinstance(plain, int):
            return str(value)
        whole = plain
    return f"{whole:,}"


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """Return ``number`` and ``noun``, the noun plural unless the number is 1.

    Parameters
    ----------
    number
        How many (written with thousands separators, :func:`number`).
    noun
        The singular (``"open item"``); its plural adds ``s`` unless ``plural`` is given
        (``counted(2, "study", "studies")``).
    plural
        The plural when it is not the noun with ``s``.

    Returns
    -------
    str
        ``"1 open item"``, ``"0 open items"``, ``"12,345 patients"``.
    """
    word = noun if number == 1 else (plural or f"{noun}s")
    return f"{_grouped(number)} {word}"


def synthetic_label(synthetic: int, patients: int, *, counts: bool = True) -> str | None:
    """Return what a page says of the registry's SYNTHETIC patients, or None when it has none.

    Every patient synthetic (the demo registry): that; some: how many of how many; none (a
    hospital's registry, an empty one): nothing. ``counts=False`` (a page before sign-in):
    no number, so that the registry's size is not shown to anyone who is not signed in.
    """
    if synthetic <= 0 or patients <= 0:
        return None
    if not counts:
        return "This registry holds SYNTHETIC patients."
    if synthetic >= patients:
        return "Every patient in this registry is SYNTHETIC: no number describes real patients."
    verb = "is" if synthetic == 1 else "are"
    return (
        f"SYNTHETIC data: {_grouped(synthetic)} of {counted(patients, 'patient')} in this "
        f"registry {verb} synthetic; the others are real."
    )
