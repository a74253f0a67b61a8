"""Probes of last round's leftovers (probes36, issue 13): each cause, several variants.

SYNTHETIC sentences and short documents (tests/extract/data/probes36.jsonl), written in
batches, each committed with its expected reading before the extractor was run on it. Each
probe is read as a radiology report and as a letter: calcinosis status, morphology and body
regions must all be as written. ``cause`` names the leftover a probe tests (issue 13 brief):
a) an addendum correcting the site; b) a form's "Calcinosis present? Yes" with its sites on
later lines; c) ", and the left thumb has none"; d) the text after a second dash; e) sites
from another table cell; f) a pattern word of the next sentence (emollient "in a thin
layer"); g) "No calcinosis at the hands, but present at the elbows"; h) probes35's per-site
yes/no answers and pipe tables whose header names the calcinosis column. Look-alike
negatives sit beside each. The batches:

1. written before the fixes (committed before the extractor read them);
2. near variants, written after the fixes and run untouched (3 missed);
3. the causes of batch 2's misses (a "no" cell with cells after it, a site answered "no" in a
   label's list, "and she has none elsewhere"), written before their fixes;
4. near variants of batch 3, written after its fixes and run untouched (0 missed).
"""

from __future__ import annotations

import pytest

from .readings import assert_batches_whole, assert_reads_as_written, load_probes, probe_params

_PROBES = load_probes("probes36.jsonl")
# Still read wrong (docs/notes.md, probes36): none. Batch 2 missed b2-e1, b2-h2 and b2-c3 at
# its first run (each also read so on main); batch 3 probed their causes, fixed after it.
_OPEN: set[str] = set()


def test_probe_batches_are_whole():
    assert {p["cause"] for p in _PROBES} == set("abcdefgh")
    assert_batches_whole(_PROBES)
    assert len({p["id"] for p in _PROBES}) == len(_PROBES)


@pytest.mark.parametrize("report", [True, False])
@pytest.mark.parametrize("probe", probe_params(_PROBES, _OPEN), ids=[p["id"] for p in _PROBES])
def test_probe_reads_as_written(summary, probe, report):
    assert_reads_as_written(summary(probe["text"], report=report), probe)


# Look-alikes of each fix (SYNTHETIC, written after the fixes): the same shapes about another
# finding or a topical product give no calcinosis; a product's thin layer gives no sheet-like,
# a deposit's own sheet-like word still does.
_LOOK_ALIKES = [
    ("Addendum: the deposit is at the left elbow, not the right knee.", "not_mentioned", ()),
    ("| Site | Ulcers |\n|---|---|\n| Elbow | Y |\n| Knee | N |", "not_mentioned", ()),
    ("Digital ulcers | Y | Hand swelling | N", "not_mentioned", ()),
    ("Spread the calcium gluconate gel in a thin layer over the fingertips.", "not_mentioned", ()),
    ("Ulcers: R hand no, L hand no.", "not_mentioned", ()),
    ("No ulcers at the hands, but present at the elbows.", "not_mentioned", ()),
    ("Ulcer of the right thumb, and the left thumb has none.", "not_mentioned", ()),
    ("Ulcers of the right knee - none at the feet - and of the left elbow.", "not_mentioned", ()),
    ("Ulcers | N | Raynaud's | Y", "not_mentioned", ()),
    ("Ulcers: fingers yes, toes no.", "not_mentioned", ()),
    ("Sites (free text): left index finger pulp, both elbows", "not_mentioned", ()),
    (
        "Calcinosis of the thighs. Apply the cream in a thin layer; the deposits are sheet-like.",
        "affirmed",
        ("sheet_like",),
    ),
]


@pytest.mark.parametrize(("text", "status", "morphology"), _LOOK_ALIKES)
def test_look_alikes(summary, text, status, morphology):
    for report in (True, False):
        read = summary(text, report=report)
        assert (read.calcinosis, read.morphology) == (status, morphology)
