"""The note extractor: sections, sentences, targets, ConText and linking in one pass.

:class:`NoteExtractor` holds the compiled rules and runs the steps in order; each step is a
module of its own: sections and sentences (:mod:`~calciscope.extract.segment`), the report's
title (:mod:`~calciscope.extract.title`), matching (:mod:`~calciscope.extract.matcher`),
matches by sentence (:mod:`~calciscope.extract.grouping`), ConText
(:mod:`~calciscope.extract.context`), labels (:mod:`~calciscope.extract.labels`), linking
(:mod:`~calciscope.extract.linking`, :mod:`~calciscope.extract.sites`), restatements
(:mod:`~calciscope.extract.restate`), a net's elements (:mod:`~calciscope.extract.network`)
and antibody results (:mod:`~calciscope.extract.antibodies`). ``notes assess`` is
:mod:`~calciscope.extract.assessment`.

>>> from calciscope.extract import NoteExtractor
>>> [m.text for m in NoteExtractor().extract("No calcinosis. Sheet-like calcinosis of both hands.")]
['calcinosis', 'Sheet-like', 'calcinosis', 'both', 'hands']
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Mapping, Sequence
from functools import partial
from typing import Any

from calciscope.extract.anaphora import has_contrast, keep_referring
from calciscope.extract.antibodies import link_antibody_results
from calciscope.extract.assessment import Assessment, assess
from calciscope.extract.context import CATEGORY_FLAGS, modifiers_reaching
from calciscope.extract.grouping import (
    anchor_ranges,
    by_position,
    group_by_sentence,
    merge_attributes,
)
from calciscope.extract.labels import mark_labels
from calciscope.extract.linking import link_calcinosis_attributes
from calciscope.extract.matcher import (
    LayeredMatcher,
    Match,
    PhraseMatcher,
    lower_same_length,
    read_entities,
    read_leaders,
)
from calciscope.extract.mention import Category, Mention
from calciscope.extract.network import drop_network_elements
from calciscope.extract.restate import link_restated
from calciscope.extract.restate.addendum import relocate_superseded, withdraw_superseded
from calciscope.extract.rule_words import rule_words
from calciscope.extract.rules import (
    ConTextRule,
    Direction,
    RuleSet,
    SectionRule,
    TargetRule,
    load_rules,
    none_elsewhere_clause,
)
from calciscope.extract.segment import (
    Section,
    boundary_pattern,
    find_headers,
    join_line_hyphens,
    paragraph_breaks,
    section_end,
    sentence_spans,
)
from calciscope.extract.sites import link_clause_sites, link_title_regions
from calciscope.extract.title import title_spans

__all__ = [
    "ATTRIBUTE_CATEGORIES",
    "ENGINE_VERSION",
    "FINDING_LAYER",
    "LAYERS",
    "NoteExtractor",
    "engine_version",
]

#: Target categories that only describe a finding; a sentence with nothing but these gives no
#: mentions (a body region in "skin thickening of the hands" is not reported).
ATTRIBUTE_CATEGORIES = frozenset(
    {"BODY_REGION", "LATERALITY", "EXTENT", "TISSUE", "MODALITY", "AB_RESULT"}
)

#: The matching layer of each target category; categories not listed are findings. Layers are
#: matched separately (a longer phrase of one layer never swallows a word of another) and
#: linked afterwards. A rule's ``metadata.layer`` overrides its category's layer.
LAYERS: dict[str, str] = {
    "TISSUE": "tissue",
    "BODY_REGION": "site",
    "LATERALITY": "site",
    "MORPHOLOGY": "morphology",
    "EXTENT": "morphology",
    "MODALITY": "modality",
}
FINDING_LAYER = "finding"

#: Version of the extraction engine, recorded in the provenance of every suggested fact.
ENGINE_VERSION = "calciscope-notes/2"

_new_tuple = tuple.__new__
_ANCHOR, _ANTIBODY = 1, 2  # kinds of target rule (see NoteExtractor._by_sentence)
_NON_SPACE = re.compile(r"\S")
#: What the clause before a semicolon is read for when it lends its sites (sites.py).
_CLAUSE = ("site", "tissue", FINDING_LAYER)
#: A finding's name heading an inline numbered list of its sites: "Calcinosis cutis: 1) ..."
#: (the list's first item starts where this ends; see ``segment.split_sentences``).
_LIST_HEAD = re.compile(r"[ \t]*:[ \t]*(?=1\)[ \t])")
#: The site layer, and what of it is a place of a "none" clause (:meth:`NoteExtractor._own_place`).
_SITE = ("site",)
_BODY_REGION = Category.BODY_REGION
_PLACES = frozenset({Category.BODY_REGION, Category.LATERALITY})


#: "none elsewhere" right after a comma (fix34, review 34 M3).
_NONE_ELSEWHERE = re.compile(r"[ \t]*(?i:" + none_elsewhere_clause() + ")")
#: Where a "none" clause after a comma ends.
_CLAUSE_END = re.compile(r"[.;:!?,\n]")


def engine_version(rules: RuleSet) -> str:
    """Return the engine and rule versions an extractor with these rules records."""
    return f"{ENGINE_VERSION}; rules {rules.version}"


def _target_layers(targets: Sequence[TargetRule]) -> list[str]:
    """Return each target rule's matching layer (its ``metadata.layer``, else its category's)."""
    return [
        str(rule.metadata.get("layer") or LAYERS.get(rule.category, FINDING_LAYER))
        for rule in targets
    ]


def _context_layers(context: Sequence[ConTextRule]) -> list[str]:
    """Return each context rule's matching layer: terminators apart from the triggers."""
    return [
        # a pseudo phrase may hide a terminator ("unlike the patient": ``layer``)
        str(rule.metadata.get("layer") or "")
        or ("terminate" if rule.direction is Direction.TERMINATE else "trigger")
        for rule in context
    ]


def _target_roles(
    targets: Sequence[TargetRule],
) -> tuple[frozenset[int], list[bool], list[bool], list[int]]:
    """Return the rules that refer back, and each rule's anchor, key and kind.

    A word that may stand for a calcinosis before it ("... but the elbows have large deposits")
    is no anchor and no key target until extract/anaphora.py keeps it (``refers_back``).
    """
    refers_back = frozenset(i for i, rule in enumerate(targets) if rule.metadata.get("refers_back"))
    anchor = [
        rule.category in (Category.CALCINOSIS, Category.CALCIFICATION) and i not in refers_back
        for i, rule in enumerate(targets)
    ]
    key = [
        rule.category not in ATTRIBUTE_CATEGORIES and i not in refers_back
        for i, rule in enumerate(targets)
    ]
    kind = [
        _ANCHOR if anchored else _ANTIBODY if rule.category == Category.ANTIBODY else 0
        for rule, anchored in zip(targets, anchor, strict=True)
    ]
    return refers_back, anchor, key, kind


def _target_info(
    targets: Sequence[TargetRule],
) -> list[tuple[str, str, Mapping[str, Any], tuple[tuple[str, bool], ...]]]:
    """Return each target rule's category, id, metadata and the mention flags it sets."""
    flags = frozenset(CATEGORY_FLAGS.values())
    return [
        (
            rule.category,
            rule.rule_id,
            rule.metadata,
            tuple((k, bool(v)) for k, v in rule.attributes.items() if k in flags),
        )
        for rule in targets
    ]


def _section_flags(sections: Sequence[SectionRule]) -> list[tuple[str | None, str] | None]:
    """Return the flag and rule id of each section rule with a ``metadata.modifier``."""
    return [
        (CATEGORY_FLAGS.get(str(rule.metadata["modifier"]).upper()), rule.rule_id)
        if rule.metadata.get("modifier")
        else None
        for rule in sections
    ]


class NoteExtractor:
    """Find targets in notes and decide their context.

    Parameters
    ----------
    rules
        The rules to use; the packaged rules by default (:func:`load_rules`).
    """

    def __init__(self, rules: RuleSet | None = None) -> None:
        self.rules = rules = rules or load_rules()
        targets = rules.targets
        self._targets = LayeredMatcher(targets, _target_layers(targets))
        self._attribute_layers = tuple(x for x in self._targets.layers if x != FINDING_LAYER)
        self._category = [rule.category for rule in targets]
        self._place = self._own_place  # bound once: sentence_spans's ``place``
        self._findings = self._targets.layer(FINDING_LAYER)
        self._refers_back, self._anchor, self._key, self._kind = _target_roles(targets)
        self._context = LayeredMatcher(rules.context, _context_layers(rules.context))
        self._triggers = self._context.layer("trigger")
        self._terminators = self._context.layer("terminate")
        self._sections = PhraseMatcher(rules.sections)
        #: What a hyphen at a line end may join (``segment.join_line_hyphens``).
        self._words = rule_words(rules)
        #: Where sentences end, with the rules' field attribute labels (sections.yaml).
        self._boundary = boundary_pattern(rules.field_attribute_labels)
        self._section_categories = [rule.category for rule in rules.sections]
        #: The section rules whose header may carry a time stamp ("Addendum 14:20 -"; fix43).
        self._stamped = frozenset(
            i for i, rule in enumerate(rules.sections) if rule.metadata.get("supersedes")
        )
        #: Sections that revise what the document said before them ("Addendum:"; notesacc23).
        self._superseding = frozenset(
            rule.category for rule in rules.sections if rule.metadata.get("supersedes")
        )
        self._target_info = _target_info(targets)
        self._flagged_rules = any(info[3] for info in self._target_info)  # flags of their own
        #: The target rules' categories, ids and metadata, each indexed by rule.
        self._target_columns = (
            [info[0] for info in self._target_info],
            [info[1] for info in self._target_info],
            [dict(info[2]) for info in self._target_info],  # plain dicts: each mention copies
        )
        self._context_flags = [
            (CATEGORY_FLAGS.get(rule.category), rule.rule_id) for rule in rules.context
        ]
        self._section_flags = _section_flags(rules.sections)

    @property
    def version(self) -> str:
        """Engine and rule versions, as recorded in provenance."""
        return engine_version(self.rules)

    def sections(self, text: str, low: str | None = None) -> list[Section]:
        """Split a document into sections at known headers (the first may have no header)."""
        low = lower_same_length(text) if low is None else low
        found = [m[:3] for m in self._sections.find(low)]  # (start, end, rule)
        headers = find_headers(text, found, self._stamped)
        sections = []
        starts = [h[0] for h in headers] + [len(text)]
        new = _new_tuple  # Section(...) without the keyword-argument handling
        if not headers or headers[0][0] > 0:
            sections.append(new(Section, (0, starts[0], None, None, None)))
        categories = self._section_categories
        modifier = self._section_flags
        breaks = paragraph_breaks(text) if headers else []
        for (start, header_end, rule), end in zip(headers, starts[1:], strict=True):
            cut = section_end(
                text, header_end, end, inline=modifier[rule] is not None, breaks=breaks
            )
            if cut < end and _NON_SPACE.search(text, cut, end) is None:
                cut = end  # only white space follows the paragraph
            sections.append(new(Section, (start, cut, categories[rule], rule, header_end)))
            if cut < end:  # the text after the header's paragraph belongs to no section
                sections.append(new(Section, (cut, end, None, None, None)))
        return sections

    def sentences(
        self,
        text: str,
        sections: Sequence[Section],
        only: set[int] | None = None,
        *,
        lists: Collection[int] = (),
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
        lists
            Where inline numbered lists of a finding's sites start (:meth:`_site_lists`):
            their items are not split.
        """
        spans = []
        place = self._place
        for index, section in enumerate(sections):
            if only is not None and index not in only:
                continue
            body = section.start
            if section.header_end is not None:
                spans.append((section.start, section.header_end, index))
                body = section.header_end
            spans += sentence_spans(
                text, body, section.end, index, lists=lists, boundary=self._boundary, place=place
            )
        return spans

    def _own_place(self, text: str, start: int, comma: int) -> bool:
        """Whether a comma before a "none" clause ends the sentence (fix34, review 34 H2).

        Only when the sentence so far names a calcinosis or calcification and a body region of
        the site layer ("Calcinosis of the left knee, none at the right"), and the clause after
        the comma names a body region or a side ("none at the elbows", "none at the right"):
        not "Calcinosis checked in clinic today, none at the fingers" (no place of the
        finding's own: the "none" denies it), nor "..., none on the X-ray" (no place after).
        Asked only at such commas (rare), so the text is lowercased here.
        """
        lowered = lower_same_length(text)
        category = self._category
        if not any(
            category[m.rule] == _BODY_REGION
            for m in self._targets.find(lowered, start, comma, layers=_SITE)
        ):
            return False
        if not any(self._anchor[t.rule] for t in self._findings.find(lowered, start, comma)):
            return False
        if _NONE_ELSEWHERE.match(text, comma + 1):
            return True  # "none elsewhere": every other place (review 34 M3)
        stop = _CLAUSE_END.search(text, comma + 1)
        end = len(text) if stop is None else stop.start()
        return any(
            category[m.rule] in _PLACES
            for m in self._targets.find(lowered, comma + 1, end, layers=_SITE)
        )

    def sentence_spans(self, text: str) -> list[tuple[int, int]]:
        """Return ``(start, end)`` of every sentence of ``text`` as :meth:`extract` reads it.

        Its sections (a header is a sentence of its own), an inline numbered list of a
        finding's sites kept in the finding's sentence, and the sentence boundary of this
        extractor's rules (their ``field_attribute_labels``): the sentence a page citing a
        mention shows is the one its flags were read in (the review queue's evidence).
        """
        text = join_line_hyphens(read_entities(text), self._words)
        low = lower_same_length(text)
        lists = self._site_lists(text, self._findings.find(low)) if "1)" in text else ()
        spans = self.sentences(text, self.sections(text, low), lists=lists)
        return [(a, b) for a, b, _ in spans]

    def _site_lists(self, text: str, findings: Sequence[Match]) -> frozenset[int]:
        """Return where each inline numbered list headed by a calcinosis or calcification starts.

        "Calcinosis cutis: 1) right index finger 2) left elbow 3) both knees": the items are
        the finding's sites, so they stay in its sentence (notesfix15); in "Plan: 1) continue
        MMF 2) diltiazem for calcinosis 3) US knee" the items are split.
        """
        anchor = self._anchor
        return frozenset(
            m.end()
            for t in findings
            if anchor[t.rule] and (m := _LIST_HEAD.match(text, t.end)) is not None
        )

    def title_regions(
        self,
        text: str,
        low: str | None = None,
        sections: Sequence[Section] | None = None,
        findings: Sequence[Match] | None = None,
    ) -> list[Mention]:
        """Return the body region and laterality mentions of a report's examination title.

        The title is the document's opening line up to its first colon or sentence end ("XR
        BOTH HANDS", "RADIOGRAPH LEFT FOREARM, comparison 2021:") when it names no calcinosis
        or calcification itself and is at most ``title.TITLE_LENGTH`` characters, and the first
        line of each section whose header rule has ``metadata.title`` ("Examination: Pelvis
        AP", "EXAM: XR FOREARM 2 VIEWS, LEFT.").
        """
        low = lower_same_length(text) if low is None else low
        sections = self.sections(text, low) if sections is None else sections
        if findings is None:
            findings = self._findings.find(low)
        anchors = [f.start for f in findings if self._anchor[f.rule]]
        spans = title_spans(text, sections, self.rules.sections, anchors, self._boundary)
        found: list[Mention] = []
        for a, b in spans:
            found += self._plain_mentions(text, low, a, b, ("site",))
        return found

    def _plain_mentions(
        self, text: str, low: str, a: int, b: int, layers: tuple[str, ...], context: bool = False
    ) -> list[Mention]:
        """Return the mentions of ``layers`` in ``text[a:b]`` (ConText flags if ``context``)."""
        info = self._target_info
        found = self._targets.find(low, a, b, layers=layers)
        if self._refers_back:  # a word standing for a finding is none here (anaphora.py)
            found = [m for m in found if m.rule not in self._refers_back]
        mentions = [
            Mention(m.start, m.end, text[m.start : m.end], *info[m.rule][:2], dict(info[m.rule][2]))
            for m in found
        ]
        if context and found and (mods := self._modifiers(low, [(a, b)])):
            pairs = [(t, info[t.rule][0]) for t in found]
            reached = modifiers_reaching(
                low, pairs, mods, self.rules.context, (a, b), first_per_rule=True
            )
            for mention, i in ((m, i) for m, r in zip(mentions, reached, strict=True) for i in r):
                self._set_flag(mention, *self._context_flags[mods[i].rule])
        return mentions

    def imaging_method(self, text: str) -> str | None:
        """Return the first imaging method a document names ("XR HANDS" -> radiograph), if any."""
        for match in self._targets.find(lower_same_length(text), layers=("modality",)):
            method = self.rules.targets[match.rule].metadata.get("method")
            if method and method != "clinical_examination":
                return str(method)
        return None

    def extract(self, text: str, *, report: bool = False) -> list[Mention]:
        r"""Return every target mention in ``text`` with its context flags and links.

        Parameters
        ----------
        text
            A clinic letter, a radiology report or any clinical text.
        report
            The text is a radiology report: a calcinosis finding that names no site takes the
            body regions of the report's examination title ("XR BOTH HANDS"; see
            :meth:`title_regions`). Never for letters.

        A word hyphenated across a line break ("calci-\nnosis") is read joined, its mention's
        text the joined word at the offsets of the word's first characters
        (:func:`~calciscope.extract.segment.join_line_hyphens`); a template's dotted leader
        ("Myositis ....... no") is read as a colon
        (:func:`~calciscope.extract.matcher.read_leaders`); an HTML character reference ("&gt;",
        "&nbsp;") is read as its character (:func:`~calciscope.extract.matcher.read_entities`).
        """
        text = read_leaders(join_line_hyphens(read_entities(text), self._words))
        low = lower_same_length(text)
        findings = self._findings.find(low)
        key = self._key
        if not any(key[t.rule] for t in findings):
            return []
        sections = self.sections(text, low)
        starts = [s.start for s in sections]
        wanted = {bisect.bisect_right(starts, t.start) - 1 for t in findings if key[t.rule]}
        lists = self._site_lists(text, findings) if "1)" in text else ()
        spans = self.sentences(text, sections, wanted, lists=lists)
        ranges = anchor_ranges(text, findings, spans, self._anchor)
        attributes = [
            m
            for a, b in ranges
            for m in self._targets.find(low, a, b, layers=self._attribute_layers)
        ]
        referring = False
        if self._refers_back and attributes:
            attributes, referring = self._referring(low, attributes)
        targets = merge_attributes(findings, attributes, self._anchor)
        grouped, labelled, antibodies = self._by_sentence(text, low, spans, sections, targets)
        if referring:
            keep_referring(grouped, text)
        for sentence in labelled:  # sentences with a calcinosis or calcification mention
            mark_labels(text, sentence)
        if ranges:  # else no sentence has a calcinosis or calcification mention
            link_calcinosis_attributes(grouped, text)
            find = partial(self._plain_mentions, text, low)
            link_clause_sites(grouped, spans, text, partial(find, layers=_CLAUSE, context=True))
            link_restated(
                grouped,
                text,
                partial(self.sentences, text, sections, lists=lists),
                find,
                [s.category for s in sections],
            )
            if report:
                link_title_regions(grouped, self.title_regions(text, low, sections, findings))
            if self._superseding.intersection(s.category for s in sections):
                withdraw_superseded(grouped, self._superseding, text, sections)
                relocate_superseded(grouped, self._superseding, text, sections, find)
            drop_network_elements(grouped, text)
        for sentence in antibodies:  # else nothing to link
            link_antibody_results(sentence, text)
        return [m for sentence in grouped for m in sentence]

    def _referring(self, low: str, attributes: list[Match]) -> tuple[list[Match], bool]:
        """Drop the words standing for a calcinosis in a note with no contrast word at all.

        Returns the attributes left and whether a referring word is among them; the exact test
        is :func:`~calciscope.extract.anaphora.keep_referring`'s (most notes have no such word,
        or no contrast word, and skip it and the words' context).
        """
        refers = self._refers_back
        if not any(m.rule in refers for m in attributes):
            return attributes, False
        if has_contrast(low):
            return attributes, True
        return [m for m in attributes if m.rule not in refers], False

    def _by_sentence(
        self,
        text: str,
        low: str,
        spans: Sequence[tuple[int, int, int]],
        sections: Sequence[Section],
        targets: Sequence[Match],
    ) -> tuple[list[list[Mention]], list[list[Mention]], list[list[Mention]]]:
        """Return the mentions of each sentence, and two selections of those sentences.

        The sentences with a calcinosis or calcification mention (one may be a field label,
        and their site labels and tissues are marked), and those that name an antibody (to
        link results to).
        """
        key = self._key
        grouped: list[list[Mention]] = []
        labelled: list[list[Mention]] = []
        antibodies: list[list[Mention]] = []
        kept, bounds = group_by_sentence(targets, spans, key)
        if not kept:
            return grouped, labelled, antibodies
        every = self._modifiers(low, bounds)
        kinds = self._kind
        mod_starts = [m.start for m in every]
        for (index, found), bound in zip(kept, bounds, strict=True):
            if every:
                start, end = bound
                first = bisect.bisect_left(mod_starts, start)
                last = bisect.bisect_left(mod_starts, end)
                modifiers = [m for m in every[first:last] if m.end <= end]
            else:
                modifiers = every
            section = sections[spans[index][2]]
            mentions = self._mentions(text, low, bound, section, found, modifiers)
            grouped.append(mentions)
            found_kinds = [kinds[t.rule] for t in found]
            if _ANCHOR in found_kinds:
                labelled.append(mentions)
            if _ANTIBODY in found_kinds:
                antibodies.append(mentions)
        return grouped, labelled, antibodies

    def _modifiers(self, low: str, windows: Sequence[tuple[int, int]]) -> list[Match]:
        """Return the ConText matches in the sentence windows (neighbours scanned together).

        Terminators are matched apart from the triggers (a terminator never hides a trigger),
        and only in windows where a trigger was found.
        """
        merged: list[tuple[int, int]] = []
        for a, b in windows:
            if merged and a <= merged[-1][1] + 2:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        found: list[Match] = []
        for a, b in merged:
            triggers = self._triggers.find(low, a, b)
            if triggers:
                terminators = self._terminators.find(low, a, b)
                if terminators:  # windows are apart: sorting each is sorting all
                    triggers += terminators
                    triggers.sort(key=by_position)
                found += triggers
        return found

    def _mentions(
        self,
        text: str,
        low: str,
        sentence: tuple[int, int],
        section: Section,
        targets: Sequence[Match],
        modifiers: Sequence[Match],
    ) -> list[Mention]:
        info = self._target_info
        header = self._section_flags[section.rule] if section.rule is not None else None
        of = section.category
        if modifiers:
            pairs = [(t, info[t.rule][0]) for t in targets]
            reached = modifiers_reaching(
                low, pairs, modifiers, self.rules.context, sentence, first_per_rule=True
            )
        else:  # the common case: no modifier in the sentence
            reached = None
        categories, rule_ids, metadata = self._target_columns
        mentions = [  # one comprehension: most sentences have no flag to set
            Mention(
                start,
                end,
                text[start:end],
                categories[rule],
                rule_ids[rule],
                metadata[rule].copy(),
                value,
                of,
                sentence,
            )
            for start, end, rule, value in targets
        ]
        if reached is None and header is None and not self._flagged_rules:
            return mentions
        context_flags, set_flag = self._context_flags, self._set_flag
        for number, (mention, match) in enumerate(zip(mentions, targets, strict=True)):
            if reached is not None:
                for i in reached[number]:
                    set_flag(mention, *context_flags[modifiers[i].rule])
            if header is not None:
                set_flag(mention, *header)
            for flag, on in info[match.rule][3]:
                setattr(mention, flag, on)
        return mentions

    @staticmethod
    def _set_flag(mention: Mention, flag: str | None, rule_id: str) -> None:
        if flag is not None:
            setattr(mention, flag, True)
        if rule_id not in mention.modifiers:
            mention.modifiers.append(rule_id)

    def assess(self, condition: str, sentence: str) -> Assessment:
        """Judge a known condition in a sentence, as NegEx/ConText do.

        See :func:`calciscope.extract.assessment.assess` (``condition`` is found in
        ``sentence`` ignoring case and spacing; the answer is in the NegEx/ConText test kit's
        vocabulary).
        """
        return assess(self, condition, sentence)
