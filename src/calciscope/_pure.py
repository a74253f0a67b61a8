"""Run the note extractor's Python source even when compiled modules are installed.

``calciscope/__init__.py`` calls :func:`prefer_source` when ``CALCISCOPE_PURE_PYTHON`` is set to
a value other than ``""`` or ``"0"``: modules under ``calciscope.extract`` are then loaded from
their ``.py`` files, never from the compiled files that ``setup.py`` may have installed beside
them (see :mod:`calciscope.extract.compiled`). Other packages load as usual.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["ENV", "prefer_source"]

ENV = "CALCISCOPE_PURE_PYTHON"
_PREFIX = "calciscope.extract"


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Find ``calciscope.extract`` modules among ``.py`` files only."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if path is None or not (fullname == _PREFIX or fullname.startswith(_PREFIX + ".")):
            return None
        loader = (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES)
        for entry in path:
            spec = importlib.machinery.FileFinder(entry, loader).find_spec(fullname)
            if spec is not None:
                return spec
        return None


def prefer_source() -> None:
    """Put the source-only finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _SourceFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceFinder())
