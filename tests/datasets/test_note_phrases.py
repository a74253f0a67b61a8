"""The note extractor reads the demo's calcinosis wording (the packaged rules, untuned).

Every positive calcinosis phrase of ``phrases.yaml``, in a clinic letter (after each lead) and as
a radiology report impression, must give a suggested calcinosis fact with the phrase's
morphology at the phrase's body region: the anchor cases whose morphology is only in their notes
are found this way.
"""

from __future__ import annotations

import datetime as dt
import itertools
from importlib import resources
from typing import Any

import pytest
import yaml

from calciscope.extract.pipeline import note_facts
from calciscope.model import Fact, Note, NoteType

PHRASES: dict[str, Any] = yaml.safe_load(
    resources.files("calciscope.datasets").joinpath("phrases.yaml").read_text(encoding="utf-8")
)
#: region -> the words the generator writes for it (``NoteWriter.site``)
SITES = {
    "forearm": "both forearms",
    "thigh": "the left thigh",
    "buttock_hip": "the right buttock",
    "abdomen": "the abdominal wall",
    "face": "the chin",
    "neck": "the neck",
    "lower_leg": "the left calf",
    "upper_arm": "the left upper arm",
    "chest": "the anterior chest wall",
}
# Morphologies that decide the target phenotype: read with their site in one fact. Nodular
# wording that names the finding twice ("calcified nodules ..., in keeping with calcinosis") may
# give the morphology and the site as two facts; both are still read (see the test below).
LINKED = ("sheet_like", "reticular", "mixed")


def _read(text: str, kind: NoteType) -> list[Fact]:
    note = Note(
        note_id="N1", patient_id="P1", note_type=kind, note_date=dt.date(2022, 3, 1), text=text
    )
    return note_facts(note)


def _letter(sentence: str) -> str:
    return (
        "SYNTHETIC DEMO RECORD - not a real patient\nExamination:\n- Skin thickening of the hands\n"
        f"- {sentence}\n\nPlan:\n- Review in clinic in 6 months\n"
    )


def _report(impression: str) -> str:
    return (
        "SYNTHETIC DEMO RECORD - not a real patient\nXR FEMUR LEFT\nDate: 01/03/2022\n"
        "Clinical details: Systemic sclerosis. ?calcinosis\nFindings: Bones are normal.\n"
        f"Impression: {impression}"
    )


def _found(facts: list[Fact]) -> set[tuple[str | None, str | None]]:
    return {
        (
            f.morphology.value if f.morphology else None,
            f.body_site.value if f.body_site else None,
        )
        for f in facts
        if f.status.value == "present"
    }


def _cases() -> list[tuple[str, str, str, str]]:
    calcinosis, radiology = PHRASES["calcinosis"], PHRASES["radiology"]
    out = []
    for morph, phrases in calcinosis["positive"].items():
        for phrase, lead in itertools.product(phrases, calcinosis["letter_lead"]):
            for region, site in SITES.items():
                out.append((morph, region, _letter(lead + phrase.format(site=site)), "letter"))
        for impression in radiology["impression_positive"][morph]:
            for region, site in SITES.items():
                text = _report(impression.format(site=site.removeprefix("the ")))
                out.append((morph, region, text, "report"))
    return out


@pytest.mark.parametrize("morph", ["nodular", *LINKED])
def test_every_calcinosis_phrase_is_read_with_its_morphology_and_site(morph: str) -> None:
    missed = []
    for wanted, region, text, kind in _cases():
        if wanted != morph:
            continue
        note_type = NoteType.CLINIC_LETTER if kind == "letter" else NoteType.RADIOLOGY_REPORT
        found = _found(_read(text, note_type))
        if morph in LINKED:
            ok = (morph, region) in found
        else:
            ok = any(m == morph for m, _ in found) and any(r == region for _, r in found)
        if not ok:
            missed.append((text.splitlines()[-1 if kind == "report" else 3], found))
    assert not missed, missed[:5]
