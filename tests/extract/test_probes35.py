"""Adversarial probes of sides, sheet paraphrases, organs, papules and table rows (probes35).

SYNTHETIC sentences and short documents (tests/extract/data/probes35.jsonl), written in
batches, each committed with its expected reading before the extractor was run on it
(issue 13). Each probe is read as a radiology report and as a letter: calcinosis status,
morphology and body regions must all be as written. The batches:

1. one side denied after (or before) the finding ("Calcinosis of the left knee, and none at
   the right"), papules named a sentence before the calcinosis, pipe-table rows;
2. sheet-like written as near paraphrases ("leaves of calcium", "a calcified brace",
   "pavement-like") and sheet look-alikes (a sheet of the notes, valve leaflets, plaque
   psoriasis, a bone plate, band keratopathy);
3. calcium in organs (bladder, spinal cord, tonsils, tendons ...) against calcium in the skin,
   fat, fascia and muscle;
4. near variants of the three, written after the fixes of 1-3.
"""

from __future__ import annotations

import pytest

from .readings import assert_batches_whole, assert_reads_as_written, load_probes, probe_params

_PROBES = load_probes("probes35.jsonl")
# Read wrong until probes36 (docs/notes.md): a per-site yes/no template with every answer
# "no" (b1-17), and a pipe table whose header row names the finding's column (b4-18).
_OPEN: set[str] = set()


def test_probe_batches_are_whole():
    assert_batches_whole(_PROBES)


@pytest.mark.parametrize("report", [True, False])
@pytest.mark.parametrize("probe", probe_params(_PROBES, _OPEN), ids=[p["id"] for p in _PROBES])
def test_probe_reads_as_written(summary, probe, report):
    assert_reads_as_written(summary(probe["text"], report=report), probe)
