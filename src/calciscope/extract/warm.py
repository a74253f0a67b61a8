"""Build the packaged extractor when imported: for the fork server of ``notes extract``.

The fork server imports this module once (``set_forkserver_preload``), so every worker it
forks starts with the compiled packaged rules and the loaded catalogue instead of building
them itself (about half a second of CPU per worker). Nothing else should import it.
"""

from __future__ import annotations

from calciscope.extract.pipeline import extractor_for
from calciscope.features import load_catalogue

__all__: list[str] = []

extractor_for()
load_catalogue()
