"""Which of the note extractor's modules run compiled (mypyc) and which as Python source.

A plain ``pip install .`` compiles the modules in :data:`COMPILED_MODULES` with mypyc when a C
compiler and mypy are at hand (``setup.py``) and installs them as Python source otherwise; the
Python files are the only source either way, and both give the same mentions (checked by
``tests/extract/test_compiled.py``). An editable install (``pip install -e .``) is never
compiled, so an edit to a module takes effect at once. ``CALCISCOPE_PURE_PYTHON=1`` makes a
compiled install run the Python source (see :mod:`calciscope._pure`). To see which is in use::

    python -m calciscope.extract.compiled
"""

from __future__ import annotations

import importlib
import importlib.machinery

__all__ = ["COMPILED_MODULES", "compiled_modules", "main"]

#: The modules ``setup.py`` compiles: every step of :meth:`NoteExtractor.extract`.
#: (``facts.py`` stays Python: it is not in the extraction loop, and its tests replace its
#: functions, which calls inside a compiled module would not see.)
COMPILED_MODULES: tuple[str, ...] = (
    "calciscope.extract.anchors",
    "calciscope.extract.antibodies",
    "calciscope.extract.assessment",
    "calciscope.extract.context",
    "calciscope.extract.extractor",
    "calciscope.extract.grouping",
    "calciscope.extract.labels",
    "calciscope.extract.linking",
    "calciscope.extract.literals",
    "calciscope.extract.matcher",
    "calciscope.extract.mention",
    "calciscope.extract.network",
    "calciscope.extract.patterns",
    "calciscope.extract.rule_words",
    "calciscope.extract.segment",
    "calciscope.extract.sites",
    "calciscope.extract.title",
    "calciscope.extract.word_before",
    "calciscope.extract.restate",
    "calciscope.extract.restate.addendum",
    "calciscope.extract.restate.deposits",
    "calciscope.extract.restate.described_before",
    "calciscope.extract.restate.explained",
    "calciscope.extract.restate.guards",
    "calciscope.extract.restate.imaging_field",
    "calciscope.extract.restate.lending",
    "calciscope.extract.restate.past_deposits",
    "calciscope.extract.restate.population",
    "calciscope.extract.restate.restated_pattern",
    "calciscope.extract.restate.site_lists",
    "calciscope.extract.restate.sites_again",
    "calciscope.extract.restate.table_column",
    "calciscope.extract.restate.wound_base",
)


def compiled_modules() -> tuple[str, ...]:
    """Return the modules of :data:`COMPILED_MODULES` that were loaded from a compiled file."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    found = []
    for name in COMPILED_MODULES:
        path = getattr(importlib.import_module(name), "__file__", None) or ""
        if path.endswith(suffixes):
            found.append(name)
    return tuple(found)


def main() -> None:
    """Print whether the note extractor runs compiled, module by module."""
    compiled = set(compiled_modules())
    state = "compiled (mypyc)" if compiled else "Python source"
    print(f"calciscope note extractor: {state}, {len(compiled)}/{len(COMPILED_MODULES)} compiled")
    for name in COMPILED_MODULES:
        print(f"  {name}: {'compiled' if name in compiled else 'Python'}")


if __name__ == "__main__":
    main()
