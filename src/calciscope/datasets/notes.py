"""Synthetic clinic letters and radiology reports, consistent with a patient's profile.

Phrases come from ``phrases.yaml``. Every calcinosis statement is chosen with a known kind
(positive, historical, negative, uncertain, hypothetical, family) and morphology, so that the
answer key records what the notes say without re-reading them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from json.encoder import encode_basestring as _escape
from random import Random
from typing import Any

import yaml

from calciscope.datasets.lesions import UNPAIRED
from calciscope.datasets.profile import YEAR, Lesion, Profile, Radiograph

__all__ = ["MORPHOLOGY_RANK", "NoteWriter", "NotesSummary"]

#: Most sheet-like first wins: sheet_like > reticular > mixed > nodular (answer key rule).
MORPHOLOGY_RANK = {"none": 0, "nodular": 1, "mixed": 2, "reticular": 3, "sheet_like": 4}
_HAND_REGIONS = frozenset({"fingers", "hand", "wrist"})
_RASH = ("heliotrope_rash", "gottron_papules", "gottron_sign")


@dataclass
class NotesSummary:
    """What a patient's notes, read as a whole, say about calcinosis."""

    kinds: set[str] = field(default_factory=set)
    morphology: str = "none"

    def positive(self, morphology: str) -> None:
        """Record a positive (or historical) statement of the patient's own calcinosis."""
        self.kinds.add("present")
        if MORPHOLOGY_RANK[morphology] > MORPHOLOGY_RANK[self.morphology]:
            self.morphology = morphology

    @property
    def calcinosis(self) -> str:
        """``present``, ``absent`` or ``not_mentioned``."""
        if "present" in self.kinds:
            return "present"
        return "absent" if "absent" in self.kinds else "not_mentioned"


def _load() -> dict[str, Any]:
    text = resources.files("calciscope.datasets").joinpath("phrases.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _uk(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


class NoteWriter:
    """Write the notes of one patient as JSON lines."""

    def __init__(self, iso: Callable[[int], str]) -> None:
        self.p = _load()
        self.iso = iso
        self._rnd: Callable[[], float] = Random(0).random
        self._sexed = {sex: self._sex_words(sex) for sex in ("female", "male")}
        # Sentences that depend only on the patient's sex are formatted once, not per letter.
        self._intros = {
            sex: [t.format(age="{age}", **w) for t in self.p["intros"]]
            for sex, w in self._sexed.items()
        }
        self._symptoms = {
            sex: [t.format(**w) for t in self.p["symptoms"]] for sex, w in self._sexed.items()
        }

    def _c(self, options: Sequence[Any]) -> Any:
        """Pick one option (faster than ``Random.choice``; same generator)."""
        return options[int(self._rnd() * len(options))]

    def _sex_words(self, sex: str) -> dict[str, str]:
        p = self.p
        words = {k: p[k][sex] for k in ("person", "pronoun", "object", "possessive")}
        words |= {k.capitalize(): v.capitalize() for k, v in words.items()}
        return words

    def site(self, rng: Random, lesions: list[Lesion]) -> str:
        """Words for where a group of lesions sits ('both forearms', 'the left thumb pulp')."""
        first = lesions[0]
        singular, plural = self.p["sites"][first.region]
        sides = {les.side for les in lesions if les.region == first.region}
        if first.region in UNPAIRED or not first.side:
            return f"the {self._c(singular)}"
        if len(sides) > 1:
            return f"both {plural}"
        return f"the {first.side} {self._c(singular)}"

    def write(self, rng: Random, profile: Profile, pid: str) -> tuple[list[str], NotesSummary]:
        """Return the patient's notes (JSON lines) and what they say about calcinosis."""
        self._rnd = rng.random
        summary = NotesSummary()
        words = self._sexed[profile.sex]
        count = min(len(profile.visits), rng.randint(1, 4))
        dates = [*sorted(rng.sample(profile.visits[:-1], count - 1)), profile.last_visit]
        lines = []
        context = (words, self._blocks(rng, profile, words))
        for number, day in enumerate(dates, start=1):
            text = self._letter(rng, profile, day, context, summary)
            lines.append(self._json(f"{pid}-L{number}", pid, "clinic_letter", day, text))
        for number, film in enumerate(profile.radiographs, start=1):
            unreported = _film_only(profile) and any(
                les.date <= film.date and _on_film(les, film) for les in profile.lesions
            )
            # a film-only patient's films of her calcinosis have no report: the morphology is
            # read from the film itself (the report is drawn all the same, so that every other
            # patient's notes stay the same draws)
            text = self._report(rng, profile, film, NotesSummary() if unreported else summary)
            if not unreported:
                lines.append(
                    self._json(f"{pid}-R{number}", pid, "radiology_report", film.date, text)
                )
        return lines, summary

    def _json(self, note_id: str, pid: str, kind: str, day: int, text: str) -> str:
        # Hand-built JSON (ids and dates need no escaping; the text goes through the C escaper):
        # the same bytes as json.dumps(..., ensure_ascii=False), several times faster.
        return (
            f'{{"note_id": "{note_id}", "patient_id": "{pid}", "note_type": "{kind}", '
            f'"note_date": "{self.iso(day)}", "text": {_escape(text)}, "synthetic": true}}\n'
        )

    def _blocks(self, rng: Random, profile: Profile, words: dict[str, str]) -> tuple[str, ...]:
        # Diagnosis, problem, medication, examination and results blocks are written once per
        # patient and copied forward into every letter, as clinic letters often are.
        p = self.p
        top = ["Diagnosis:", *(f"- {d}" for d in self._diagnoses(rng, profile))]
        top += ["Problems:", *(f"- {x}" for x in self._problems(rng, profile))]
        if self._rnd() < 0.04:
            line = self._c(p["calcinosis"]["family"])
            top.append("- " + line.format(relative=self._c(p["relatives"]), **words))
        top += ["Current medication:", *(f"- {m}" for m in self._medication(rng, profile))]
        exam = ["Examination:", *(f"- {e}" for e in self._examination(rng, profile))]
        results = ["Results:", *(f"- {r}" for r in self._results(rng, profile))]
        return "\n".join(top), "\n".join(exam), "\n".join(results)

    def _letter(
        self,
        rng: Random,
        profile: Profile,
        day: int,
        context: tuple[dict[str, str], tuple[str, ...]],
        summary: NotesSummary,
    ) -> str:
        p, c = self.p, self._c
        words, (top, exam, results) = context
        age = int((day - profile.birth) / YEAR)
        if _film_only(profile) and any(les.date <= day for les in profile.lesions):
            # the letters of a film-only patient say nothing of her calcinosis (same draws)
            self._calcinosis_line(rng, profile, day, NotesSummary())
            calc = ""
        else:
            calc = self._calcinosis_line(rng, profile, day, summary)
        plan = "\n".join(f"- {x}" for x in self._plan(rng, profile, words))
        return (
            f"{p['header']}\n{c(p['hospitals'])}\nClinic date: {_uk(self.iso(day))}\n\n"
            f"{c(p['openings']).format(gp=c(p['gps']))}\n\n{top}\n\n"
            f"{c(self._intros[profile.sex]).format(age=age)}\n{c(self._symptoms[profile.sex])}\n\n"
            f"{exam}{'' if not calc else chr(10) + '- ' + calc}\n\n{results}\n\n"
            f"Plan:\n{plan}\n\n{c(p['closings'])}\n\nDr {c(p['consultants'])}\n"
            "Consultant Rheumatologist"
        )

    def _diagnoses(self, rng: Random, profile: Profile) -> list[str]:
        d = self.p["diagnosis"]
        year = self.iso(profile.diagnosis or profile.visits[0])[:4]
        if profile.ssc:
            out = [self._c(d[profile.subset]).format(year=year)]
            if profile.overlap and profile.overlap_recorded == "two_diagnoses":
                rash = any(profile.myositis_items.get(k) == "present" for k in _RASH)
                myositis = d["myositis_rash" if rash else "myositis"]
                since = self.iso(profile.myositis_diagnosis or profile.visits[0])[:4]
                out.append(self._c(myositis).format(year=since))
            elif profile.overlap:
                out.append(self._c(d["overlap"]))
            return out
        if profile.myositis:
            rash = any(profile.myositis_items.get(k) == "present" for k in _RASH)
            return [self._c(d["myositis_rash" if rash else "myositis"]).format(year=year)]
        if profile.like_disorder:
            return [self._c(d[profile.like_disorder])]
        return [self._c(d["primary_raynaud"])]

    def _problems(self, rng: Random, profile: Profile) -> list[str]:
        bank = self.p["problems"]
        present = {**profile.items, **profile.myositis_items}
        found = [self._c(bank[k]) for k, v in present.items() if v == "present" and k in bank]
        return found or [self._c(self.p["no_problems"])]

    def _medication(self, rng: Random, profile: Profile) -> list[str]:
        m = self.p["medication"]
        pool = (m["ssc"] if profile.ssc else []) + (m["myositis"] if profile.myositis else [])
        return rng.sample(pool + m["general"], rng.randint(1, 3))

    def _examination(self, rng: Random, profile: Profile) -> list[str]:
        e = self.p["examination"]
        thick = [r for r, score in profile.skin.items() if score]
        out = []
        if thick:
            words = [self.p["region_words"][r][0] for r in thick]
            out.append(e["skin"].format(regions=", ".join(words)))
        elif profile.ssc:
            out.append(self._c(e["no_skin"]))
        if profile.mrss:
            total = sum(profile.skin.get(r, 0) * (1 if r in UNPAIRED else 2) for r in profile.skin)
            out.append(e["mrss"].format(total=min(51, total)))
        items = profile.myositis_items
        if items.get("weakness_proximal_upper") == "present":
            out.append(self._c(e["weakness"]))
        for name in ("heliotrope_rash", "gottron_papules", "gottron_sign"):
            if items.get(name) == "present":
                out.append(self._c(e[name]))
        return out

    def _results(self, rng: Random, profile: Profile) -> list[str]:
        names, status = self.p["antibodies"], self.p["antibody_status"]
        out = []
        for antibody in (
            "ana",
            "anti_centromere",
            "anti_scl70",
            "anti_rna_polymerase_iii",
            "anti_pm_scl",
        ):
            state = profile.antibodies.get(antibody, "untested")
            if state == "present" or rng.random() < 0.7:
                name = self._c(names[antibody])
                out.append(self._c(status[state]).format(name=name))
        if profile.ck is not None:
            out.append(self._c(self.p["ck"]).format(ck=f"{profile.ck:,}"))
        return out

    def _plan(self, rng: Random, profile: Profile, words: dict[str, str]) -> list[str]:
        out = [self._c(self.p["plans"]).format(months=self._c((3, 4, 6, 12)))]
        if profile.ssc and rng.random() < 0.15:
            out.append(self._c(self.p["calcinosis"]["hypothetical"]).format(**words))
        return out

    def _calcinosis_line(
        self, rng: Random, profile: Profile, day: int, summary: NotesSummary
    ) -> str:
        c = self.p["calcinosis"]
        found = [les for les in profile.lesions if les.date <= day]
        draw = rng.random()
        if found:
            if draw < 0.7:
                return self._positive(rng, found, summary)
            oldest = min(found, key=lambda les: les.date)
            if draw < 0.9 and day - oldest.date > 3 * YEAR:
                summary.positive(oldest.morphology)
                morph = c["morph_word"][oldest.morphology]
                year = self.iso(oldest.date)[:4]
                return self._c(c["historical"]).format(
                    morph=morph, site=self.site(rng, [oldest]), year=year
                )
            return ""
        return self._not_found(rng, profile, draw, summary)

    def _not_found(self, rng: Random, profile: Profile, draw: float, summary: NotesSummary) -> str:
        c = self.p["calcinosis"]
        if not profile.lesions and draw < 0.1:
            region = self._c(("fingers", "hand", "elbow"))
            fake = Lesion(region, self._c(("left", "right")), "nodular", "", 0)
            return self._c(c["uncertain"]).format(site=self.site(rng, [fake]))
        if draw < (0.6 if profile.assessments else 0.3):
            summary.kinds.add("absent")
            return self._c(c["negative"])
        return ""

    def _positive(self, rng: Random, found: list[Lesion], summary: NotesSummary) -> str:
        c = self.p["calcinosis"]
        parts = []
        for morph in sorted(
            {les.morphology for les in found}, key=MORPHOLOGY_RANK.__getitem__, reverse=True
        ):
            group = [les for les in found if les.morphology == morph]
            summary.positive(morph)
            parts.append(self._c(c["positive"][morph]).format(site=self.site(rng, group)))
        return self._c(c["letter_lead"]) + "; ".join(parts)

    def _report(
        self, rng: Random, profile: Profile, film: Radiograph, summary: NotesSummary
    ) -> str:
        r = self.p["radiology"]
        side = film.side.upper() if film.side in ("left", "right") else "BOTH"
        title = r["titles"][film.region].format(SIDE=side)
        out = [self.p["header"], title, f"Date: {_uk(self.iso(film.date))}"]
        details = r["clinical"] if profile.ssc else r["clinical_other"]
        out.append(f"Clinical details: {self._c(details)}")
        shown = [les for les in profile.lesions if les.date <= film.date and _on_film(les, film)]
        findings = [self._c(r["bones"])]
        if shown:
            impression = self._positive_report(rng, shown, findings, summary)
        else:
            summary.kinds.add("absent")
            findings.append(self._c(r["negative"]))
            impression = self._c(r["impression_negative"])
        if rng.random() < 0.15:
            findings.append(self._c(r["unrelated"]))
        out += [f"Findings: {' '.join(findings)}", self._c(r["impression_leads"]) + impression]
        out.append(f"Reported by: Dr {self._c(self.p['radiologists'])}, Consultant Radiologist")
        return "\n".join(out)

    def _positive_report(
        self, rng: Random, shown: list[Lesion], findings: list[str], summary: NotesSummary
    ) -> str:
        r, c = self.p["radiology"], self.p["calcinosis"]
        impressions = []
        for morph in sorted(
            {les.morphology for les in shown}, key=MORPHOLOGY_RANK.__getitem__, reverse=True
        ):
            group = [les for les in shown if les.morphology == morph]
            summary.positive(morph)
            site = self.site(rng, group)
            sentence = self._c(c["positive"][morph]).format(site=site)
            findings.append(sentence[0].upper() + sentence[1:] + ".")
            bare = site.removeprefix("the ")
            impressions.append(self._c(r["impression_positive"][morph]).format(site=bare))
        return " ".join(impressions)


def _film_only(profile: Profile) -> bool:
    """Whether the patient's calcinosis morphology is only on the films (plan.yaml ``film``)."""
    return profile.calcinosis_recorded == "film"


def _on_film(lesion: Lesion, film: Radiograph) -> bool:
    if film.region == "hand":
        return lesion.region in _HAND_REGIONS
    same_side = film.side in ("", "bilateral") or lesion.side in ("", film.side)
    return lesion.region == film.region and same_side
