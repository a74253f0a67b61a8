"""The note extractor: sections, sentences, targets, ConText and linking in one pass.

>>> from calciscope.extract import NoteExtractor
>>> [m.text for m in NoteExtractor().extract("No calcinosis. Sheet-like calcinosis of both hands.")]
['calcinosis', 'Sheet-like', 'calcinosis', 'both', 'hands']
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from calciscope.extract.context import CATEGORY_FLAGS, modifiers_reaching
from calciscope.extract.linking import (
    link_antibody_results,
    link_calcinosis_attributes,
    mark_labels,
)
from calciscope.extract.matcher import Match, PhraseMatcher, lower_same_length
from calciscope.extract.mention import Mention
from calciscope.extract.rules import RuleSet, load_rules
from calciscope.extract.segment import Section, find_headers, split_sentences

__all__ = ["ATTRIBUTE_CATEGORIES", "ENGINE_VERSION", "Assessment", "NoteExtractor"]

#: Target categories that only describe a finding; a sentence with nothing but these gives no
#: mentions (a body region in "skin thickening of the hands" is not reported).
ATTRIBUTE_CATEGORIES = frozenset(
    {"BODY_REGION", "LATERALITY", "EXTENT", "TISSUE", "MODALITY", "AB_RESULT"}
)

#: Version of the extraction engine, recorded in the provenance of every suggested fact.
ENGINE_VERSION = "calciscope-notes/1"


@dataclass(frozen=True)
class Assessment:
    """NegEx-style judgement of one condition in one sentence."""

    negation: str
    temporality: str
    experiencer: str
    modifiers: tuple[str, ...] = ()


class NoteExtractor:
    """Find targets in notes and decide their context.

    Parameters
    ----------
    rules
        The rules to use; the packaged rules by default (:func:`load_rules`).
    """

    def __init__(self, rules: RuleSet | None = None) -> None:
        self.rules = rules or load_rules()
        self._targets = PhraseMatcher(self.rules.targets)
        self._context = PhraseMatcher(self.rules.context)
        self._sections = PhraseMatcher(self.rules.sections)
        self._key = [rule.category not in ATTRIBUTE_CATEGORIES for rule in self.rules.targets]

    @property
    def version(self) -> str:
        """Engine and rule versions, as recorded in provenance."""
        return f"{ENGINE_VERSION}; rules {self.rules.version}"

    def sections(self, text: str, low: str | None = None) -> list[Section]:
        """Split a document into sections at known headers (the first may have no header)."""
        low = lower_same_length(text) if low is None else low
        found = [(m.start, m.end, m.rule) for m in self._sections.find(low)]
        headers = find_headers(text, found)
        sections = []
        starts = [h[0] for h in headers] + [len(text)]
        if not headers or headers[0][0] > 0:
            sections.append(Section(0, starts[0]))
        for (start, header_end, rule), end in zip(headers, starts[1:], strict=True):
            category = self.rules.sections[rule].category
            sections.append(Section(start, end, category, rule, header_end))
        return sections

    def sentences(
        self, text: str, sections: Sequence[Section], only: set[int] | None = None
    ) -> list[tuple[int, int, int]]:
        """Return ``(start, end, section index)`` of every sentence; a header is its own.

        Parameters
        ----------
        text
            The document.
        sections
            Its sections (:meth:`sections`).
        only
            Indices of the sections to split (all by default).
        """
        spans = []
        for index, section in enumerate(sections):
            if only is not None and index not in only:
                continue
            body = section.start
            if section.header_end is not None:
                spans.append((section.start, section.header_end, index))
                body = section.header_end
            spans += [(a, b, index) for a, b in split_sentences(text, body, section.end)]
        return spans

    def imaging_method(self, text: str) -> str | None:
        """Return the first imaging method a document names ("XR HANDS" -> radiograph), if any."""
        for match in self._targets.find(lower_same_length(text)):
            method = self.rules.targets[match.rule].metadata.get("method")
            if method and method != "clinical_examination":
                return str(method)
        return None

    def extract(self, text: str) -> list[Mention]:
        """Return every target mention in ``text`` with its context flags and links.

        Parameters
        ----------
        text
            A clinic letter, a radiology report or any clinical text.
        """
        low = lower_same_length(text)
        targets = self._targets.find(low)
        key = self._key
        if not any(key[t.rule] for t in targets):
            return []
        sections = self.sections(text, low)
        starts = [s.start for s in sections]
        wanted = {bisect.bisect_right(starts, t.start) - 1 for t in targets if key[t.rule]}
        spans = self.sentences(text, sections, wanted)
        grouped = self._by_sentence(text, low, spans, sections, targets)
        for sentence in grouped:
            mark_labels(text, sentence)
        link_calcinosis_attributes(grouped)
        for sentence in grouped:
            link_antibody_results(sentence, text)
        return [m for sentence in grouped for m in sentence]

    def _by_sentence(
        self,
        text: str,
        low: str,
        spans: Sequence[tuple[int, int, int]],
        sections: Sequence[Section],
        targets: Sequence[Match],
    ) -> list[list[Mention]]:
        starts = [s[0] for s in spans]
        per_sentence: dict[int, list[Match]] = {}
        for match in targets:
            index = bisect.bisect_right(starts, match.start) - 1
            if index >= 0 and match.start < spans[index][1]:
                per_sentence.setdefault(index, []).append(match)
        grouped = []
        key = self._key
        for index in sorted(per_sentence):
            if not any(key[t.rule] for t in per_sentence[index]):
                continue
            start, end, section_index = spans[index]
            end = max(end, per_sentence[index][-1].end)
            modifiers = self._context.find(low, start, end)
            section = sections[section_index]
            grouped.append(
                self._mentions(text, low, (start, end), section, per_sentence[index], modifiers)
            )
        return grouped

    def _mentions(
        self,
        text: str,
        low: str,
        sentence: tuple[int, int],
        section: Section,
        targets: Sequence[Match],
        modifiers: Sequence[Match],
    ) -> list[Mention]:
        rules = self.rules
        pairs = [(t, rules.targets[t.rule].category) for t in targets]
        reached = modifiers_reaching(low, pairs, modifiers, rules.context, sentence)
        section_rule = rules.sections[section.rule] if section.rule is not None else None
        mentions = []
        for (match, category), mods in zip(pairs, reached, strict=True):
            rule = rules.targets[match.rule]
            mention = Mention(
                start=match.start, end=match.end, text=text[match.start : match.end],
                category=category, rule_id=rule.rule_id, metadata=dict(rule.metadata),
                value=match.value, section=section.category, sentence=sentence,
            )  # fmt: skip
            for i in mods:
                self._flag(
                    mention,
                    rules.context[modifiers[i].rule].category,
                    rules.context[modifiers[i].rule].rule_id,
                )
            if section_rule is not None and section_rule.metadata.get("modifier"):
                self._flag(
                    mention, str(section_rule.metadata["modifier"]).upper(), section_rule.rule_id
                )
            for key, value in rule.attributes.items():
                if key in CATEGORY_FLAGS.values():
                    setattr(mention, key, bool(value))
            mentions.append(mention)
        return mentions

    @staticmethod
    def _flag(mention: Mention, category: str, rule_id: str) -> None:
        flag = CATEGORY_FLAGS.get(category)
        if flag is not None:
            setattr(mention, flag, True)
        if rule_id not in mention.modifiers:
            mention.modifiers.append(rule_id)

    def assess(self, condition: str, sentence: str) -> Assessment:
        """Judge a known condition in a sentence, as NegEx/ConText do.

        Parameters
        ----------
        condition
            The condition text, found in the sentence ignoring case and spacing. When it occurs
            more than once, the occurrence written in capitals is taken (the NegEx test-kit
            convention marks the annotated phrase so), else the first outside a header. When it
            cannot be found, the whole sentence is the condition's scope.
        sentence
            The sentence (it may carry a section header, which then applies).

        Returns
        -------
        Assessment
            ``negation`` Affirmed / Negated / Possible, ``temporality`` Recent / Historical /
            Hypothetical, ``experiencer`` Patient / Other.
        """
        low = lower_same_length(sentence)
        sections = self.sections(sentence, low)
        spans = self.sentences(sentence, sections)
        span = _locate(sentence, low, condition, spans)
        if span is None:
            span, bounds, section = (0, len(sentence)), (0, len(sentence)), sections[-1]
        else:
            index = max(0, bisect.bisect_right([s[0] for s in spans], span[0]) - 1)
            start, end, sec = spans[index]
            bounds, section = (start, max(end, span[1])), sections[sec]
        masked = low[: span[0]] + "\x01" * (span[1] - span[0]) + low[span[1] :]
        mods = [m for m in self._context.find(masked) if bounds[0] <= m.start < bounds[1]]
        target = Match(span[0], span[1], -1)
        reached = modifiers_reaching(
            masked, [(target, "CONDITION")], mods, self.rules.context, bounds
        )
        mention = Mention(span[0], span[1], sentence[span[0] : span[1]], "CONDITION", "assess")
        for i in reached[0]:
            rule = self.rules.context[mods[i].rule]
            self._flag(mention, rule.category, rule.rule_id)
        if section.rule is not None and self.rules.sections[section.rule].metadata.get("modifier"):
            header = self.rules.sections[section.rule]
            self._flag(mention, str(header.metadata["modifier"]).upper(), header.rule_id)
        return _judge(mention)


def _locate(
    text: str, low: str, condition: str, spans: Sequence[tuple[int, int, int]]
) -> tuple[int, int] | None:
    words = condition.lower().split()
    if not words:
        return None
    found = [m.span() for m in re.finditer(r"\s+".join(re.escape(w) for w in words), low)]
    if len(found) > 1:
        headers = {a for a, b, _ in spans if text[a:b].rstrip().endswith(":")}
        found = [f for f in found if f[0] not in headers] or found
        capitals = [f for f in found if text[f[0] : f[1]].isupper()]
        if capitals and not text.isupper():
            return capitals[0]
    return found[0] if found else None


def _judge(mention: Mention) -> Assessment:
    if mention.is_negated:
        negation = "Negated"
    elif mention.is_uncertain:
        negation = "Possible"
    else:
        negation = "Affirmed"
    if mention.is_hypothetical:
        temporality = "Hypothetical"
    elif mention.is_historical:
        temporality = "Historical"
    else:
        temporality = "Recent"
    experiencer = "Other" if mention.is_family else "Patient"
    return Assessment(negation, temporality, experiencer, tuple(mention.modifiers))
