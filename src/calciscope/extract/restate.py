"""Links between a finding and a sentence that restates it elsewhere in the document.

Linking (:mod:`calciscope.extract.linking`) reads a finding's attributes in its own sentence,
the next one and, when it refers back, the one after. Letters and reports also restate a
finding further away, in another section, and this module reads those restatements:

- *What the next sentence says it is.* A bare calcification followed by a sentence whose
  findings are all ``not_calcinosis`` things, said to be what was seen ("Peripheral
  mineralisation in a thigh mass. Appearances are those of myositis ossificans."), counts
  toward nothing; followed by one that names calcinosis only as a possibility beside such a
  thing ("The differential is calcinosis versus calcific bursitis."), it is uncertain.
- *A sites line.* A calcinosis that names no site takes the sites of a template line "Sites:",
  "Current sites:", "Location:", "Distribution:", a table head "Site | Size", among the next
  three sentences, when no other finding comes between ("Case: painful calcinosis. ... Sites:
  both forearms."); the list runs on over the next lines or clauses that name only sites.
- *Deposits described in another sentence.* An affirmed calcinosis takes the sites (and a
  missing pattern) of the sentence before when its own refers back ("... hard nodules on both
  index fingers. These represent calcinosis."), of a next sentence naming the deposits again
  ("The deposits involve both elbows.") or its chalky matter ("... from which chalky white liquid
  can be expressed", notesacc15), and, when it names no site, of a next sentence naming
  a deposit or a later one describing chalky or gritty deposits ("Exam: gritty nodules over
  both olecranons"), or one of the six sentences before it that describes deposits with no
  word pointing back ("Hard white lumps sit over both knees. ... Impression: calcinosis",
  notesacc16). That sentence must be in the same section, or in a findings, examination or
  history section before an impression, diagnoses or plan; plaques, plates, papules and sheets
  need a word of calcium; a lump of another kind (in it or any sentence up to the calcinosis),
  a relative's or another patient's, a family history, negated or removed deposits, an organ,
  a vessel or lymph node, another skin disease, a mass or an implant lends nothing, and a site
  deep in the neck, armpit or belly needs a word of the skin (notesacc18). An imaging title's
  region gives way to the sites lent, and so does the imaging field a lending sentence names
  ("Plain films of the wrists and shins reveal ...") beside other sites.
- *Morphology restated in another section.* An affirmed calcinosis that names sites but no
  pattern takes the pattern of a sentence later in the document (or earlier in its own
  section) that has no finding and no other skin finding of its own, names a deposit and only
  sites of that calcinosis ("Diagnoses: calcinosis, left thumb. ... The deposit at the left
  thumb tip is now a firm nodular lump."), or of the first sentence of the next section, within
  two sentences, when it refers back by its first words ("No collection. Comment: The focus is
  rounded: a discrete nodule."). Negated or uncertain pattern words lend nothing.
- *Sites said again.* A bare calcification "at each of these sites" takes the sites (and
  pattern) of the clause before a semicolon when that clause has no finding, no other skin
  finding and no negation; a next sentence that says "the same process" adds its sites.

- *The base of an ulcer.* A calcinosis that names no site, in a sentence that starts with the
  base, bed or floor of a wound ("Base contains gritty material consistent with calcinosis"),
  takes the sites of the sentence before it in the same section, which names the wound
  ("Ulcer: R lateral malleolus, 2 cm."), when that sentence has no finding and no negation.

- *A deposit that is gone* (notesacc13). A negated calcinosis beside a sentence naming a
  deposit as excised, resorbed or "has not recurred" ("No current calcinosis. The olecranon
  deposit excised in 2020 has not recurred."), or going on "since the excision of ..." or
  (notesacc14) "..., removed 2021, none since", is a history of calcinosis at the deposit's sites.
- *A further deposit* ("...; a small deposit remains at the left knee") adds its sites, and a
  list item of the finding's own name ("2. Calcinosis cutis") takes the sites of the indented
  lines under it.

``hand_of_fingers`` (used by linking): in "the fingers of the L hand" the hand says whose
fingers, so it is a site only when nothing else is named.

The document-wide search runs only for documents with such a calcinosis (a few in a hundred
demo notes); other notes pay a few cheap checks (about 1-2 % of extraction, docs/notes.md).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Category, Mention

__all__ = ["THESE_SITES", "hand_of_fingers", "link_restated", "names_field"]

_ANCHORS = frozenset({Category.CALCINOSIS, Category.CALCIFICATION})
_LAYERS = ("site", "morphology", "tissue", "finding")
_WITH_MODALITY = (*_LAYERS, "modality")
_EXPLAINS = re.compile(
    r"^\W*(?:[a-z ]{1,20}:\s*)?(?:(?:the\s+)?(?:appearances?|features|findings?|this|these|it|"
    r"they)\s+(?:are|is)\s+(?:those\s+of|(?:most\s+)?(?:in\s+keeping|consistent|compatible)\s+"
    r"with|typical\s+of|due\s+to)|(?:in\s+keeping|consistent|compatible)\s+with)\s+"
    r"(?:(?:an?|the)\s+)?$"
)
# "Sites:", "Current sites:", a table head "Site | Size".
_LABEL_WORDS = (
    r"(?:(?:current|present|active|affected)\s+)?(?:sites?|locations?|distribution)"
    r"(?:\s+(?:affected|involved))?\s*[:|]"
)
_SITE_LABEL = re.compile(r"\W*" + _LABEL_WORDS, re.I)
# a line or sentence start; the run of marks before the label is bounded, since a search from
# every line start over a long run of blank lines would otherwise take quadratic time
_ANY_SITE_LABEL = re.compile(r"(?:^|[.;])\W{0,40}" + _LABEL_WORDS, re.I | re.M)
# A line or clause that starts with a label of its own ("Treatment:") ends a list of sites.
_OTHER_LABEL = re.compile(r"\W*[A-Za-z][A-Za-z /]{0,24}:")
# "These represent calcinosis cutis": the calcinosis is what the sentence before describes.
_THESE_ARE = re.compile(
    r"\W*(?:these|this|they|the\s+(?:lesions?|nodules?|deposits?|lumps?))\s+(?:represent|are|is|"
    r"were|was|reflect|correspond\s+to)(?![a-z])",
    re.I,
)
# "The deposits involve both elbows", "The deposits at the right elbow ... are no longer
# palpable": a next sentence that names the deposits again, with the definite article.
_THE_DEPOSITS = re.compile(
    r"\W*(?:the|these|those|both|all(?![a-z])(?:\s+the)?)\s*(?:[a-z-]+\s+){0,2}?(?:deposits?|"
    r"nodules?|lumps?|concretions?)(?![a-z])",
    re.I,
)
# Far from its calcinosis (another section: "Assessment: calcinosis. Exam: firm, gritty
# nodules over both olecranons"), a deposit is taken as the same one only when it is described
# as calcium-like; a bare "nodule" there may be anything (rheumatoid, thyroid).
_CHALKY = re.compile(
    r"(?<![a-z])(?:chalky|gritty|stony|calcific|calcified|calcium|(?:rock|stone)?[- ]?hard)(?![a-z])",
    re.I,
)
# "A sinus over the right elbow still discharges chalky white material": a next sentence that
# names the chalky matter of a deposit (notesacc15), without naming the deposit itself.
_CHALKY_MATTER = re.compile(
    r"(?<![a-z])(?:chalky|gritty|paste-like|toothpaste-like)(?:\s+(?:white|whitish|yellow|"
    r"cream|creamy))?\s+(?:material|liquid|fluid|paste|discharge|debris|exudate)(?![a-z])",
    re.I,
)
_CHALKY_STEMS = ("chalky", "gritty", "paste")
# Chalky matter that is no calcinosis's, or not the patient's (notesfix11): a tophus or gout,
# a joint's aspirate or pseudogout, pus; or a relative's or another person's ("Her mother had
# chalky white material expressed from the knee").
_NOT_CHALKY_DEPOSIT = re.compile(
    r"(?<![a-z])(?:pseudo-?gout|aspirat[a-z]*|pus|purulent|pyogenic|abscess|effusion|synovial|"
    r"cppd|chondrocalcinosis|mother|father|sister|brother|siblings?|aunt|uncle|cousin|"
    r"grand(?:mother|father|parents?)|parents?|sons?|daughters?|niece|nephew|mom|dad|"
    r"husband|wife|partner|relatives?|family|friend|neighbou?r|roommate)(?![a-z])",
    re.I,
)
# "A small deposit remains at the left knee", "Another deposit sits over the shin": a next
# clause or sentence that names a further deposit, without the definite article.
_FURTHER_DEPOSIT = re.compile(
    r"\W*(?:(?:another|a\s+(?:further|second|third|new|separate)|further|other|one\s+more)\s+"
    r"(?:[a-z-]+\s+){0,2}?(?:deposits?|nodules?|lumps?|concretions?)|(?:an?|one|two|three|"
    r"several|some)\s+(?:[a-z-]+\s+){0,2}?(?:deposits?|concretions?))(?![a-z])",
    re.I,
)
# Deposits of something other than calcium ("a urate deposit", "gouty tophi").
_NOT_CALCIUM = re.compile(
    r"(?<![a-z])(?:urate|uric|tophus|tophi|tophaceous|gout|gouty|cholesterol|amyloid|"
    r"ha?emosiderin|iron|fat|lipid)(?![a-z])",
    re.I,
)
# A deposit that is gone ("The olecranon deposit excised in 2020 has not recurred", "the
# deposit was curetted out", "the lump has resorbed"): a history of calcinosis.
_REMOVED = re.compile(
    r"(?<![a-z])(?:excised|excision|removed|removal|resected|resection|debrided|debridement|"
    r"curetted|curettage|extruded|extracted|shelled\s+out|drained|resorbed|resolved|regressed|"
    r"disappeared|(?:not|never)\s+(?:recurred|returned|come\s+back|reformed|re-formed)|"
    r"without\s+recurrence|no\s+recurrence)(?![a-z])",
    re.I,
)
# "No calcinosis since the excision of a thumb deposit in 2018": in the finding's own sentence.
_SINCE_REMOVED = re.compile(
    r"\W*(?:[a-z]+\s+){0,3}?(?:since|after|following)\s+(?:the\s+|its\s+|their\s+|her\s+|his\s+)?"
    r"(?:surgical\s+)?(?:excision|removal|resection|debridement|curettage)(?![a-z])",
    re.I,
)
# "Ca deposits R elbow, excised 2019, none since": the finding's own sentence goes on to say
# it was removed and has not come back.
_REMOVED_NONE_SINCE = re.compile(
    r"[^.;\n]{0,40}?(?<![a-z])(?:excised|removed|resected|debrided|curetted|extracted)(?![a-z])"
    r"[^.;\n]{0,24}?(?<![a-z])(?:none|nil|nothing|no\s+(?:more|new|further|recurrence))"
    r"\s+since(?![a-z])",
    re.I,
)
_REMOVED_STEMS = (
    "excis",
    "remov",
    "resect",
    "debrid",
    "curett",
    "extru",
    "extract",
    "shelled",
    "drain",
    "resorb",
    "resolv",
    "regress",
    "disappear",
    "recur",
    "return",
    "come back",
    "form",
)
# A deposit noun says what was removed; bare "calcium" ("calcium is now normal") does not.
_PAST_DEPOSIT = re.compile(
    r"(?<![a-z])(?:deposits?|concretions?|calcifications?\s+(?:of|in)\s+(?:the\s+)?"
    r"(?:skin|subcutis|subcutaneous))(?![a-z])",
    re.I,
)
_PAST_LUMP = re.compile(r"(?<![a-z])(?:nodules?|lumps?)(?![a-z])", re.I)
# A lump that was calcium-like; "hard" is not enough ("a hard lump removed from the breast").
_PAST_CHALKY = re.compile(
    r"(?<![a-z])(?:chalky|gritty|stony|calcific|calcified|calcium\s+(?:nodules?|lumps?))(?![a-z])",
    re.I,
)
# "2. Calcinosis cutis" over indented lines "   - R elbow" / "   - L hip": a list item that
# is only the finding's name heads a list of its sites.
_HEAD_BEFORE = re.compile(r"[\s*\u2022\u2013-]*(?:\d{1,2}[.)]\s*)?")
# matched against the rest of the line with its white space taken out, so no run of spaces can
# be split between optional parts (a pattern with adjacent ``\s*`` is cubic in a long run)
_HEAD_AFTER = re.compile(r"(?:\(?(?:sites?|locations?)\)?)?[:\u2013-]?")
_WHITE = re.compile(r"\s+")
_BULLETS = "-*\u2022\u2013"
# "the same process behind both knees", "similar changes at the elbows": the previous finding
# is also at these sites.
_SAME_PROCESS = re.compile(
    r"(?<![a-z])(?:the\s+same|similar|identical)\s+(?:process|processes|changes?|appearances?|"
    r"findings?|abnormality|abnormalities)(?![a-z])",
    re.I,
)
# "calcific deposits at each of these sites", "both areas", "the same sites": a phrase that
# refers back to sites named before (in the clause before a semicolon, or the sentence before).
THESE_SITES = re.compile(
    r"(?<![a-z])(?:each\s+of\s+(?:these|those|the)|all\s+(?:of\s+)?(?:these|those|the)|these|"
    r"those|the\s+same|both)\s+(?:sites?|areas?|locations?|regions?)(?![a-z])",
    re.I,
)
# Between a finding's sentence and the next one: at most a section label ("Comment:").
_GAP = re.compile(r"\s*(?:[A-Za-z][A-Za-z /]{0,24}:)?\s*")
_REFERS_BACK = re.compile(
    r"\W*(?:[a-z ]{1,20}:\s*)?(?:it|this|these|they|those|the\s+(?:lesions?|deposits?|nodules?|"
    r"focus|foci|densit(?:y|ies)|swellings?|lumps?|masses|mass))\b",
    re.I,
)
# "Base contains ...", "The ulcer bed shows ...": the wound described in the sentence before.
_WOUND_BASE = re.compile(
    r"\W*(?:(?:the|its|ulcer|wound|ulcer's|wound's)\s+){0,2}(?:base|bed|floor)s?(?![a-z])", re.I
)
# A sentence that restates a deposit names it ("the deposit", "a hard nodule", "plates of
# calcium"); pattern words alone may describe another skin lesion ("a band-like plaque of
# morphoea along the thigh", "psoriatic plaques on both elbows").
_DEPOSIT = re.compile(
    r"(?<![a-z])(?:deposits?|nodules?|lumps?|concretions?|stones?|calcium|chalky|gritty|"
    r"sheets?|plates?)(?![a-z])",
    re.I,
)
# A sentence before a calcinosis that names no site may describe its deposits with no word
# pointing back ("Hard white lumps sit over both knees. ... Impression: calcinosis";
# notesacc16): it names a deposit, a mass, a radiological opacity, or a hard or calcium-like
# swelling, area or lesion.
_DESCRIBED = re.compile(
    r"(?<![a-z])(?:deposits?|nodules?|lumps?|concretions?|stones?|calcium|chalky|gritty|"
    r"masses|mass|opacit(?:y|ies)|"
    r"(?:hard|firm|stony|rock-hard|stone-hard)(?:,?[ \t]+[a-z-]+){0,2}?[ \t]+(?:swellings?|"
    r"areas?|lesions?|spots?|bumps?))(?![a-z])",
    re.I,
)
# Plaques, plates, papules and sheets are as often another skin disease or an implant
# ("lichenified plaques", "plates in the femur"; notesacc18): they describe deposits, and lend
# a site or a pattern, only beside a word of calcium in the same sentence.
_FLAT = re.compile(r"(?<![a-z])(?:plaques?|plates?|papules?|sheets?|shell)(?![a-z])", re.I)
# "hard, board-like plates have formed under the skin": hardness under the skin will do too.
_HARD_UNDER_SKIN = re.compile(
    r"(?<![a-z])(?:hard|stony|rock-hard|stone-hard)(?![a-z])[^.;\n]{0,80}?(?<![a-z])(?:under|"
    r"beneath)[ \t]+the[ \t]+skin|(?<![a-z])(?:hard|stony|rock-hard|stone-hard)(?![a-z])"
    r"[^.;\n]{0,80}?(?<![a-z])subcutane",
    re.I,
)
# A radiological density is a deposit only in the soft tissue ("a density in the soft tissue
# of the thumb pulp"; not "a bone density scan").
_DENSITY = re.compile(r"(?<![a-z])densit(?:y|ies)(?![a-z])", re.I)
_SOFT_TISSUE = re.compile(r"(?<![a-z])(?:soft[ \t-]tissues?|subcutane[a-z]*|skin)(?![a-z])", re.I)
_CALCIUM_WORD = re.compile(
    r"(?<![a-z])(?:calcium|calcified|calcific|calcareous|chalky|gritty|minerals?|minerali[sz]ed|"
    r"minerali[sz]ation|calcinosis)(?![a-z])",
    re.I,
)
# A lump or lesion of another kind named in such a sentence (or in any sentence between it
# and the calcinosis): gout, a tumour, a cyst, a node, a rheumatoid or osteoarthritic nodule,
# an injection lump, another skin disease, an implant. It lends nothing ("subcutaneous fat",
# a tissue, is no such lump, unlike in ``_NOT_CALCIUM``; notesacc16, notesacc18).
_OTHER_LUMP = re.compile(
    r"(?<![a-z])(?:urate|uric|tophus|tophi|tophaceous|gout|gouty|cholesterol|amyloid|expansile|"
    r"destructive|lytic|malignan(?:t|cy)|[a-z]{0,12}sarcomas?|metasta(?:sis|ses|tic)|lymphomas?|"
    r"myelomas?|carcinomas?|neoplasms?|neoplastic|tumou?rs?|rheumatoid|ra|oa|osteoarthritis|"
    r"osteoarthritic|heberden'?s?|bouchard'?s?|osteophytes?|exostos[ie]s|bony[ \t]+(?:nodules?|lumps?|swellings?|enlargements?)|dupuytren'?s?|"
    r"insulin|injections?|lymph|lymphadenopathy|nodes?|ganglion|ganglia|cysts?|cystic|"
    r"lipomas?|abscess(?:es)?|fibromas?|neurofibromas?|xanthomas?|granulomas?|hernias?|"
    r"thyroid|goitre|goiter|keloids?|nodosum|panniculitis|sclerotic[ \t]+(?:plaques?|patch(?:es)?|lesions?|bone|margins?|foc(?:us|i))|"
    r"scleroderma[ \t]+(?:plaques?|patch(?:es)?)|morph(?:o)?ea|"
    r"morph(?:o)?eic|(?:hyper|hypo|de)?pigment(?:ed|ation)|lichenified|lichenification|"
    r"atrophic|necrobiosis|psoria(?:sis|tic)|eczema(?:tous)?|implants?|prosthes[ie]s|"
    r"prosthetic|screws?|fixation|orif|k-wires?)(?![a-z-])",
    re.I,
)
# A lump of another kind said to be absent ("No lymphadenopathy.", "nodules, not rheumatoid")
# names no other lesion: the words just before it.
_DENIED = re.compile(
    r"(?<![a-z])(?:no|not|without|nil|negative[ \t]+for|free[ \t]+of|rather[ \t]+than)"
    r"(?:[ \t,]+[a-z-]+){0,2}?[ \t,]*\Z",
    re.I,
)
# A site deep in the body (the neck, an armpit, the belly) names a skin deposit only beside a
# word of the skin or of calcium, in that sentence or the calcinosis's own ("nodules palpable
# in the neck" may be lymph nodes; "... XR: calcified subcutaneous nodules" are in the skin).
_DEEP_SITE = re.compile(
    r"(?:neck|axill(?:a|ae|ary)|abdomen|abdominal|iliac|groin|inguinal|pelvis|pelvic|"
    r"breasts?)\Z",
    re.I,
)
_SKIN_WORD = re.compile(
    r"(?<![a-z])(?:skin|subcutaneous|subcutis|cutaneous|cutis|dermal|intradermal|superficial|"
    r"calcium|calcified|calcific|chalky|gritty|minerali[sz]ed)(?![a-z])",
    re.I,
)
# A deposit said to be absent or gone ("Elbows: no nodules", "nodules ... were excised").
_NO_DEPOSIT = re.compile(
    r"(?<![a-z])(?:no|nil|without|absent|denies|not|never|none)(?:[ \t]+[a-z-]+){0,3}?[ \t]+"
    r"(?:deposits?|nodules?|lumps?|concretions?|masses|mass|swellings?|lesions?|opacit(?:y|ies))"
    r"(?![a-z])",
    re.I,
)
# Another person: a relative, or a label of another patient or case ("Patient B:").
_RELATIVE = re.compile(
    r"(?<![a-z])(?:mother|father|sister|brother|siblings?|aunt|uncle|cousin|twin|"
    r"grand(?:mother|father|parents?)|parents?|sons?|daughters?|niece|nephew|mum|mom|dad|"
    r"husband|wife|partner|relatives?|family)(?![a-z])",
    re.I,
)
_PERSON_LABEL = re.compile(
    r"(?<![A-Za-z])(?i:patient|case|subject|pt)[ \t]*(?:[A-Z]|#?\d{1,3})(?![A-Za-z0-9])"
)
# A calcinosis in an impression may take the deposits described in the findings, examination
# or history before it; otherwise only in its own section, never from a family history.
_DESCRIBING = frozenset(
    {
        None,
        "indication",
        "findings",
        "examination",
        "history",
        "history_of_present_illness",
        "clinical_history",
        "chief_complaint",
    }
)
_CONCLUDING = frozenset({"impression", "diagnoses", "plan"})
# A sentence naming a vessel or a lymph node describes no deposit of the skin ("beaded
# opacities following the ulnar artery", "an axillary mass, likely a node").
_NOT_SKIN = frozenset({"vascular", "lymph_node"})
# How far back a sentence describing the deposits is looked for (sentences, headers included).
_DESCRIBED_REACH = 6
# How many later sentences describing chalky deposits a calcinosis with no site takes.
_CHALKY_REACH = 8
# "the tips of the fingers of the L hand", "fingertips of both hands", "the PIP joints of the
# right hand": the hand says whose fingers (or finger joints), it is no site of its own.
_FINGERS_OF = re.compile(
    r"(?:fingers?|fingertips?|finger-tips?|digits?|thumbs?|tips|pulps?|tufts?|nails?|"
    r"phalanx|phalanges|(?:pip|dip|ip)j?s?|(?:pip|dip|ip|interphalangeal)\s+joints?)\s+of\s+"
    r"(?:(?:the|both|his|her|each)\s+)?(?:(?:left|right|l|r|lt|rt)\s+)?$"
)


# A body region this close after an imaging word ("X-rays of the arms", "films of both
# thighs"), or just before one ("hand X-ray"), names the imaging field.
_FIELD_BEFORE = 2
_FIELD_AFTER = 14


# Between two regions of one list ("the wrists, ankles and shins", "arms and legs").
_LIST_GAP = re.compile(
    r"[ \t]*(?:,[ \t]*)?(?:(?:and|or|&)[ \t]+)?(?:(?:the|both|left|right)[ \t]+)?"
)


def names_field(regions: Sequence[Mention], modalities: Sequence[Mention], text: str) -> list[bool]:
    """Return, for each body region (by position), whether it names an imaging field.

    A region just after an imaging word ("films of the hands") or just before one ("hand
    X-ray") names the field, and so does each region listed after one that follows an imaging
    method ("Films of the wrists, ankles and shins"; not "palpable over the elbows and
    shins", an examination).
    """
    fields: list[bool] = []
    imaging = False  # the previous region names the field of an imaging method
    for n, region in enumerate(regions):
        near = [
            m
            for m in modalities
            if 0 <= m.start - region.end <= _FIELD_BEFORE
            or 0 <= region.start - m.end <= _FIELD_AFTER
        ]
        listed = (
            imaging
            and bool(text)
            and _LIST_GAP.fullmatch(text, regions[n - 1].end, region.start) is not None
        )
        fields.append(bool(near) or listed)
        imaging = listed or any(_imaging(m) for m in near)
    return fields


def _imaging(modality: Mention) -> bool:
    return modality.metadata.get("method") not in (None, "clinical_examination")


def hand_of_fingers(text: str, region: Mention) -> bool:
    """Return whether a hand region only says whose fingers were named before it."""
    return region.metadata.get("region") == "hand" and bool(
        _FINGERS_OF.search(text[max(0, region.start - 40) : region.start].lower())
    )


def _affirmed(anchor: Mention) -> bool:
    return not (
        anchor.is_negated
        or anchor.is_uncertain
        or anchor.is_hypothetical
        or anchor.is_family
        or anchor.links.get("label")
    )


def _calcinosis(anchor: Mention) -> bool:
    return anchor.category in _ANCHORS and anchor.links.get("counts_as") == "calcinosis"


def link_restated(
    sentences: Sequence[Sequence[Mention]],
    text: str,
    spans: Callable[[], list[tuple[int, int, int]]],
    find: Callable[..., list[Mention]],
    kinds: Sequence[str | None] = (),
) -> None:
    """Link findings to the sentences that restate them (in place; see the module doc).

    Parameters
    ----------
    sentences
        The mentions of each sentence, linked (:func:`~calciscope.extract.linking.link_calcinosis_attributes`).
    text
        The document.
    spans
        Returns ``(start, end, section)`` of every sentence of the document.
    find
        ``find(a, b, layers, context)``: the mentions of ``layers`` in ``text[a:b]``.
    kinds
        The category of each section ("impression", "family_history"), by section index.
    """
    anchors = [m for sentence in sentences for m in sentence if m.category in _ANCHORS]
    if any(a.metadata.get("not_calcinosis") for a in anchors):
        _explain_back(sentences, text)
    bare = [a for a in anchors if _bare(a, text)]
    found = [a for a in anchors if _calcinosis(a) and _affirmed(a)]
    same = any(_same_words(text[a.sentence[1] : a.sentence[1] + 200]) for a in found)
    no_sites = [a for a in found if _no_sites(a)]
    no_pattern = [a for a in found if a.links.get("regions") and not a.links.get("morphology")]
    labelled = bool(no_sites) and _has_site_label(text)
    based = [a for a in no_sites if _WOUND_BASE.match(text, a.sentence[0], a.sentence[1])]
    hits = _pattern_words(anchors, text, find) if no_pattern else []
    described = any(_no_sites(a) for a in found) and any(
        r.search(text) is not None for r in (_DESCRIBED, _FLAT, _DENSITY)
    )
    deposits = [a for a in found if _deposit_cue(a, text, described)]
    headed = [a for a in no_sites if _heads_list(a, text)]
    past = [a for a in anchors if _negated_calcinosis(a) and _removed_near(a, text)]
    if not (hits or labelled or bare or same or based or deposits or headed or past):
        return
    every = spans()
    _past_deposits(past, every, text, find)  # each does nothing for an empty list
    _heading_sites(headed, every, text, find)
    if based:
        _base_sites(based, every, text, find)
    if bare:
        _clause_sites(bare, every, text, find)
    if same:
        _same_process(found, every, text, find)
    if labelled:
        _label_sites(no_sites, every, text, find)
    if deposits:
        _deposit_sites(deposits, every, text, find, kinds)
    if hits:
        _restated_pattern(no_pattern, hits, every, text, find)


def _has_site_label(text: str) -> bool:
    """Return whether a line starts with "Sites:", "Location:" ... (substrings first)."""
    return any(w in text for w in ("ite", "ITE", "ocation", "OCATION", "istribution")) and bool(
        _ANY_SITE_LABEL.search(text)
    )


def _pattern_words(
    anchors: Sequence[Mention], text: str, find: Callable[..., list[Mention]]
) -> list[Mention]:
    """Return the pattern words of the document outside the sentences with a finding."""
    return [
        m
        for m in find(0, len(text), ("morphology",), False)
        if m.metadata.get("morphology") and not any(m.start in range(*a.sentence) for a in anchors)
    ]


def _same_words(following: str) -> bool:
    """Return whether the text after a finding says "the same process" (substrings first)."""
    low = following.lower()
    return ("same" in low or "similar" in low or "identical" in low) and bool(
        _SAME_PROCESS.search(low)
    )


def _bare(anchor: Mention, text: str) -> bool:
    """Return whether a calcification with no site or tissue refers to sites named before it."""
    return (
        anchor.category == Category.CALCIFICATION
        and not anchor.links.get("counts_as")
        and not (anchor.links.get("regions") or anchor.links.get("tissue"))
        and not anchor.metadata.get("not_calcinosis")
        and _affirmed(anchor)
        and THESE_SITES.search(text, *anchor.sentence) is not None
    )


def _clause_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a bare calcification the sites (and tissue, pattern) of the clause before ";".

    "Subcutaneous nodules over both elbows and knees; films confirm calcific deposits at each
    of these sites": the calcification is where the nodules are, and counts as calcinosis
    there. A clause with a finding of its own, another skin finding or a negation lends nothing.
    """
    for anchor in anchors:
        i = next((k for k, s in enumerate(every) if s[0] <= anchor.start < s[1]), 0)
        a, b, section = every[i - 1] if i > 0 else (0, 0, -1)
        if section != every[i][2] or text[b - 1 : b] != ";":
            continue
        clause = find(a, b, _LAYERS, True)
        if any(
            m.category in _ANCHORS or m.metadata.get("other_finding") or m.is_negated
            for m in clause
        ):
            continue
        regions = [m for m in clause if m.category == Category.BODY_REGION]
        if not regions:
            continue
        _lend(anchor, "regions", regions, text, clause)
        _lend(
            anchor, "morphology", [m for m in clause if m.metadata.get("morphology")], text, clause
        )
        counted = anchor.metadata.get("site_counts_as")
        anchor.links["counts_as"] = str(counted) if counted else None


def _same_process(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Add the sites of a next sentence that says "the same process" is there too."""
    for anchor in anchors:
        i = next((k for k, s in enumerate(every) if s[:2] == anchor.sentence), None)
        if i is None or i + 1 >= len(every) or every[i + 1][2] != every[i][2]:
            continue
        a, b, _section = every[i + 1]
        if not _SAME_PROCESS.search(text, a, b):
            continue
        mentions = find(a, b, _LAYERS, True)
        if any(m.category in _ANCHORS or m.metadata.get("other_finding") for m in mentions):
            continue
        regions = [
            m
            for m in mentions
            if m.category == Category.BODY_REGION and not (m.is_negated or m.is_uncertain)
        ]
        _lend(anchor, "regions", regions, text, mentions)


def _explain_back(sentences: Sequence[Sequence[Mention]], text: str) -> None:
    """Let a sentence of ``not_calcinosis`` findings say what the previous calcification is."""
    previous: list[Mention] = []
    for sentence in sentences:
        anchors = [m for m in sentence if m.category in _ANCHORS and not m.links.get("label")]
        if not anchors:
            continue
        others = [a for a in anchors if a.metadata.get("not_calcinosis")]
        bare = [a for a in previous if a.category == Category.CALCIFICATION and _calcinosis(a)]
        if others and bare:
            maybe = [a for a in anchors if a not in others]
            if maybe and all(a.is_uncertain and _calcinosis(a) for a in maybe):
                for anchor in bare:  # "The differential is calcinosis versus bursitis."
                    anchor.is_uncertain = True
            elif not maybe and _EXPLAINS.search(
                text[sentence[0].sentence[0] : others[0].start].lower()
            ):
                for anchor in bare:  # "Appearances are those of myositis ossificans."
                    anchor.links.update(explained=True, counts_as=None)
                    anchor.links.pop("also_counts_as", None)
        previous = anchors


def _label_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a site-less calcinosis the sites of a "Sites:" line among the next sentences."""
    for anchor in anchors:
        i = _index(every, anchor)
        if i is None:
            continue
        for k in range(i + 1, min(i + 4, len(every))):
            a, b, _section = every[k]
            mentions = find(a, b, _LAYERS, True)
            if any(m.category in _ANCHORS for m in mentions):
                break  # another finding comes first
            if _SITE_LABEL.match(text, a, b):
                _site_list(anchor, every, k, text, find, mentions)
                break


def _site_list(
    anchor: Mention,
    every: Sequence[tuple[int, int, int]],
    k: int,
    text: str,
    find: Callable[..., list[Mention]],
    mentions: Sequence[Mention],
) -> None:
    """Lend the sites of a "Sites:" line and of the list lines or clauses that go on with it.

    "Current sites:" over a bulleted list, "Sites: R) index pulp; L) elbow; sacrum" and the rows
    of a "Site | Size" table are split into sentences; the list runs on while each part names
    sites and nothing else (no finding, other skin finding, negation or label of its own).
    """
    _untitled(anchor)
    _lend(anchor, "regions", _sites(mentions, text), text, mentions)
    for a, b, _section in every[k + 1 : k + 12]:
        if _OTHER_LABEL.match(text, a, b):
            break
        part = find(a, b, _LAYERS, True)
        sites = _sites(part, text)
        if not sites or any(
            m.category in _ANCHORS or m.metadata.get("other_finding") or m.is_negated for m in part
        ):
            break
        _lend(anchor, "regions", sites, text, part)


def _deposit_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
    kinds: Sequence[str | None] = (),
) -> None:
    """Give a calcinosis the sites (and pattern) of a sentence that describes its deposits.

    "She has hard nodules on both index fingers. These represent calcinosis cutis." (the
    sentence before); "Radiographs confirmed calcinosis. The deposits involve both elbows." (a
    next sentence naming the deposits again); for a calcinosis with no site, a next sentence
    naming a deposit ("Exam: R 3rd DIP - 2 mm deposit"), a later one describing chalky or
    gritty deposits ("Exam: firm, gritty nodules over both olecranons") or one of the sentences
    before it (:func:`_described_before`). A sentence with a finding or another skin finding of
    its own lends nothing.
    """
    starts = [s[0] for s in every]
    chalky = _chalky_sentences(every, text) if any(_no_sites(a) for a in anchors) else []
    for anchor in anchors:
        i = _index(every, anchor, starts)
        if i is None:
            continue
        for c, d, back in _deposit_sentences(anchor, i, every, text, kinds, chalky):
            mentions = find(c, d, _WITH_MODALITY, True)
            if any(
                m.category in _ANCHORS
                or m.metadata.get("other_finding")
                or m.metadata.get("organ")
                or m.metadata.get("not_calcinosis")
                or m.metadata.get("not_morphology")  # "plate fixation", "information sheet"
                or m.metadata.get("tissue") in _NOT_SKIN  # "an axillary mass, likely a node"
                or (back and m.category == Category.MORPHOLOGY and m.is_negated)
                for m in mentions
            ):
                continue
            sites = _sites(mentions, text)
            modalities = [m for m in mentions if m.category == Category.MODALITY and _imaging(m)]
            fields = names_field(sites, modalities, text) if modalities else []
            if fields and not all(fields):  # the imaging field is a site only when alone
                sites = [m for m, field in zip(sites, fields, strict=True) if not field]
            calcium = back and _flat_calcium(text, c, d)
            if back and not (
                calcium
                or _SKIN_WORD.search(text, c, d)
                or _SKIN_WORD.search(text, *anchor.sentence)
            ):
                sites = [m for m in sites if not _DEEP_SITE.search(text, m.start, m.end)]
            if not sites:
                continue
            _untitled(anchor)
            _lend(anchor, "regions", sites, text, mentions)
            if not anchor.links.get("morphology"):
                pattern = [
                    m
                    for m in mentions
                    if m.metadata.get("morphology")
                    and not (m.is_negated or m.is_uncertain)
                    and not (back and not calcium and _FLAT.search(text, m.start, m.end))
                ]
                _lend(anchor, "morphology", pattern, text, mentions)


def _chalky_sentences(every: Sequence[tuple[int, int, int]], text: str) -> list[int]:
    """Return the indices of the sentences that describe chalky or gritty deposits of one's own."""
    return [
        k
        for k, (c, d, _section) in enumerate(every)
        if _CHALKY.search(text, c, d) and _DEPOSIT.search(text, c, d) and _chalky_own(text, c, d)
    ]


def _deposit_sentences(
    anchor: Mention,
    i: int,
    every: Sequence[tuple[int, int, int]],
    text: str,
    kinds: Sequence[str | None] = (),
    chalky: Sequence[int] = (),
) -> list[tuple[int, int, bool]]:
    """Return ``(start, end, before)`` of the sentences that may describe a calcinosis's deposits.

    ``before``: a sentence before the calcinosis that describes deposits, for a calcinosis with
    no site (:func:`_described_before`). ``chalky``: the indices of the sentences describing
    chalky deposits (:func:`_chalky_sentences`); the first :data:`_CHALKY_REACH` after the
    calcinosis are taken.
    """
    a, b, section = every[i]
    picked: list[tuple[int, int, bool]] = []
    before = i > 0 and every[i - 1][2] == section and _THESE_ARE.match(text, a, b)
    if before and _DEPOSIT.search(text, *every[i - 1][:2]):
        picked.append((*every[i - 1][:2], False))
    bare = _no_sites(anchor)
    if bare:
        picked += _described_before(i, every, text, kinds, 1 if picked else 0)
    near = _next_sentences(every, anchor, text, i)[1]
    seen = set()
    for k in range(i + 1, min(len(every), i + 5)):
        c, d, _section = every[k]
        if c in near:
            seen.add(k)
            further = _FURTHER_DEPOSIT.match(text, c, d) and not _NOT_CALCIUM.search(text, c, d)
            if (
                further
                or _THE_DEPOSITS.match(text, c, d)
                or (bare and _DEPOSIT.search(text, c, d))
                or (_CHALKY_MATTER.search(text, c, d) and _chalky_own(text, c, d))
            ):
                picked.append((c, d, False))
    if bare:
        first = bisect.bisect_right(chalky, i)
        for k in chalky[first : first + _CHALKY_REACH]:
            if k not in seen:
                picked.append((*every[k][:2], False))
    return picked


def _described_before(
    i: int, every: Sequence[tuple[int, int, int]], text: str, kinds: Sequence[str | None], skip: int
) -> list[tuple[int, int, bool]]:
    """Return the sentences before sentence ``i`` that describe its calcinosis's deposits.

    Up to :data:`_DESCRIBED_REACH` sentences back ("Hard white lumps sit over both knees. ...
    Impression: calcinosis"), in the calcinosis's own section or, for a calcinosis in an
    impression, diagnoses or plan, in a findings, examination or history section; never in a family
    history, nor after a relative or under another patient's label, nor when the deposits are
    negated or removed, or a sentence up to the calcinosis names a lump of another kind
    ("A hard mass at the left knee. Ultrasound: a ganglion. Calcinosis."). A sentence that ends
    in a semicolon takes in the clause before ("An ulcer on the left heel; its floor holds white
    grit").
    """
    section = every[i][2]
    own = kinds[section] if section < len(kinds) else None
    picked = []
    for k in range(max(0, i - _DESCRIBED_REACH), i - skip):
        c, d, part = every[k]
        if not _described(text, c, d):
            continue
        if part != section:
            kind = kinds[part] if part < len(kinds) else None
            if own not in _CONCLUDING or kind not in _DESCRIBING:
                continue
        elif part < len(kinds) and kinds[part] == "family_history":
            continue
        if (
            _NO_DEPOSIT.search(text, c, d)
            or _other_lump(text, c, every[i][0])
            or _REMOVED.search(text, c, every[i][0])
            or _PERSON_LABEL.search(text, c, every[i][1])
            or _RELATIVE.search(text, every[k - 1][0] if k > 0 else c, every[i][0])
        ):
            continue
        if k > 0 and every[k - 1][2] == part and text[every[k - 1][1] - 1 : every[k - 1][1]] == ";":
            c = every[k - 1][0]
        picked.append((c, d, True))
    return picked


def _described(text: str, c: int, d: int) -> bool:
    """Return whether a sentence may describe the deposits of a calcinosis named later.

    It names a deposit (``_DESCRIBED``), plaques or plates of calcium (:func:`_flat_calcium`)
    or a density in the soft tissue, and no lump of another kind, relative, aspirate or pus.
    """
    return bool(
        (
            _DESCRIBED.search(text, c, d)
            or (_FLAT.search(text, c, d) and _flat_calcium(text, c, d))
            or (_DENSITY.search(text, c, d) and _SOFT_TISSUE.search(text, c, d))
        )
        and not _other_lump(text, c, d)
        and not _NOT_CHALKY_DEPOSIT.search(text, c, d)
    )


def _other_lump(text: str, c: int, d: int) -> bool:
    """Return whether ``text[c:d]`` names a lump of another kind that is not denied."""
    return any(
        not _DENIED.search(text[max(c, m.start() - 40) : m.start()])
        for m in _OTHER_LUMP.finditer(text, c, d)
    )


def _flat_calcium(text: str, c: int, d: int) -> bool:
    """Return whether plaques, plates or sheets in ``text[c:d]`` may be of calcium.

    A word of calcium, or hardness under the skin, in the sentence (or the clause after it,
    when it ends in a semicolon: "thin sheets cover both shins; all of them are calcified").
    """
    if text[d - 1 : d] == ";" or text[d : d + 1] == ";":
        stop = min(len(text), d + 200)
        ends = [k for k in (text.find(".", d, stop), text.find("\n", d + 1, stop)) if k >= 0]
        d = min(ends) if ends else stop
    return bool(_CALCIUM_WORD.search(text, c, d) or _HARD_UNDER_SKIN.search(text, c, d))


def _chalky_own(text: str, c: int, d: int) -> bool:
    """Return whether a sentence's chalky matter may be the patient's calcinosis's.

    Not a tophus or gout, an aspirate or pus, nor a relative's or another person's.
    """
    return not (_NOT_CALCIUM.search(text, c, d) or _NOT_CHALKY_DEPOSIT.search(text, c, d))


def _deposit_cue(anchor: Mention, text: str, described: bool) -> bool:
    """Return whether a calcinosis may have its deposits described in another sentence.

    ``described``: the document names a deposit somewhere (searched once per document).
    """
    a, b = anchor.sentence
    return bool(
        _THESE_ARE.match(text, a, b)
        or _THE_DEPOSITS.match(text, b, b + 80)
        or _FURTHER_DEPOSIT.match(text, b, b + 80)
        or (_no_sites(anchor) and described)
        or _chalky_after(text, b)
    )


def _chalky_after(text: str, b: int) -> bool:
    """Return whether the text after a sentence soon names chalky matter (substrings first)."""
    after = text[b : b + 300].lower()
    return any(w in after for w in _CHALKY_STEMS) and _CHALKY_MATTER.search(after) is not None


def _negated_calcinosis(anchor: Mention) -> bool:
    return (
        _calcinosis(anchor)
        and anchor.is_negated
        and not (anchor.is_uncertain or anchor.is_hypothetical or anchor.is_family)
    )


def _removed_near(anchor: Mention, text: str) -> bool:
    """Return whether a word of removal is near a finding (its sentence and about two more)."""
    return _removed_in(text, *anchor.sentence)


@functools.lru_cache(maxsize=8)
def _removed_in(text: str, a: int, b: int) -> bool:
    """:func:`_removed_near` of a sentence (once per sentence, not per finding in it)."""
    near = text[max(0, a - 300) : b + 400].lower()
    # substrings first: the expression, which starts with a look-behind, is tried at every
    # character, and a negated calcinosis is common ("No calcinosis.")
    return any(w in near for w in _REMOVED_STEMS) and _REMOVED.search(near) is not None


def _past_deposits(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Read a negated calcinosis beside a deposit that is gone as a history of calcinosis.

    "No current calcinosis. The olecranon deposit excised in 2020 has not recurred." (or, in its
    own sentence, "calcium deposits at the heel, removed 2021, none since"): the
    patient had calcinosis, so the finding is historical (present, as "resolved" calcinosis is;
    docs/notes.md), at the sites of the deposit. Only the sentence before and the next two of
    the same section are read; one with a finding or another lump of its own, a deposit of
    something other than calcium ("urate"), or a bare nodule or lump not described as
    calcium-like, lends nothing.
    """
    for anchor in anchors:
        i = _index(every, anchor)
        if i is None:
            continue
        if _SINCE_REMOVED.match(text, anchor.end, anchor.sentence[1]) or (
            _REMOVED_NONE_SINCE.match(text, anchor.end, anchor.sentence[1])
        ):
            _was_present(anchor)
            continue
        near = _next_sentences(every, anchor, text)[1]
        ks = [k for k in range(max(0, i - 1), min(i + 5, len(every))) if k != i]
        for k in ks:
            c, d, section = every[k]
            if (k < i and section != every[i][2]) or (k > i and c not in near):
                continue
            if not _REMOVED.search(text, c, d) or _NOT_CALCIUM.search(text, c, d):
                continue
            if not (
                _PAST_DEPOSIT.search(text, c, d)
                or (_PAST_LUMP.search(text, c, d) and _PAST_CHALKY.search(text, c, d))
            ):
                continue
            mentions = find(c, d, _LAYERS, True)
            if any(
                m.category in _ANCHORS
                or m.metadata.get("other_finding")
                or m.metadata.get("organ")
                or m.metadata.get("not_calcinosis")
                for m in mentions
            ):
                continue  # another finding, an organ ("the thyroid"), a look-alike
            _was_present(anchor)
            _lend(anchor, "regions", _sites(mentions, text), text, mentions)
            break


def _was_present(anchor: Mention) -> None:
    """Read a negated calcinosis as a history of calcinosis (a deposit that is gone)."""
    anchor.is_negated = False
    anchor.is_historical = True
    anchor.links["status_from"] = "restated"


def _heads_list(anchor: Mention, text: str) -> bool:
    """Return whether a calcinosis is a list item of its own name ("2. Calcinosis cutis")."""
    a, b = anchor.sentence
    return bool(
        _HEAD_BEFORE.fullmatch(text, a, anchor.start)
        and _HEAD_AFTER.fullmatch(_WHITE.sub("", text[anchor.end : b]))
        and text.startswith("\n", b + len(text[b : b + 80]) - len(text[b : b + 80].lstrip(" \t")))
    )


def _indent(text: str, pos: int) -> tuple[int, str]:
    start = text.rfind("\n", 0, pos) + 1
    line = text[start : start + 80]
    rest = line.lstrip(" \t")
    return len(line) - len(rest), rest[:1]


def _heading_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a calcinosis list item the sites of the sub-items under it.

    "2. Calcinosis cutis" / "   - R elbow (olecranon)" / "   - L hip" / "3. Reflux": each line
    after the item that is indented further (or bulleted under a numbered item), starts its
    line and names sites and nothing else (no finding, other skin finding or negation) is a
    site of the calcinosis; the first line that is not ends the list.
    """
    for anchor in anchors:
        i = _index(every, anchor)
        if i is None:
            continue
        depth, mark = _indent(text, anchor.sentence[0])
        for a, b, _section in every[i + 1 : i + 12]:
            line = text.rfind("\n", 0, a) + 1
            if text[line:a].strip(" \t" + _BULLETS):
                break  # not at a line start
            sub, bullet = _indent(text, a)
            if not (sub > depth or (bullet in _BULLETS and mark not in _BULLETS)):
                break
            part = find(a, b, _LAYERS, True)
            sites = _sites(part, text)
            if not sites or any(
                m.category in _ANCHORS or m.metadata.get("other_finding") or m.is_negated
                for m in part
            ):
                break
            _untitled(anchor)
            _lend(anchor, "regions", sites, text, part)


def _no_sites(anchor: Mention) -> bool:
    """Return whether a finding names no site (an imaging title's region is no site of its own)."""
    return not anchor.links.get("regions") or anchor.links.get("regions_from") == "title"


def _untitled(anchor: Mention) -> None:
    """Drop the imaging title's region before real sites are lent ("XR BOTH HANDS")."""
    if anchor.links.get("regions_from") == "title":
        anchor.links["regions"] = []
        anchor.links.pop("regions_from")


def _sites(mentions: Sequence[Mention], text: str) -> list[Mention]:
    return [
        m
        for m in mentions
        if m.category == Category.BODY_REGION
        and not (m.is_negated or m.is_uncertain)
        and not hand_of_fingers(text, m)
    ]


def _index(
    every: Sequence[tuple[int, int, int]], anchor: Mention, starts: Sequence[int] | None = None
) -> int | None:
    """Return the index of the sentence holding a mention (by bisection with ``starts``)."""
    if starts is None:
        return next((k for k, s in enumerate(every) if s[0] <= anchor.start < s[1]), None)
    k = bisect.bisect_right(starts, anchor.start) - 1
    return k if k >= 0 and anchor.start < every[k][1] else None


def _base_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a calcinosis in the base of a wound the sites of the sentence naming the wound."""
    for anchor in anchors:
        i = next((k for k, s in enumerate(every) if s[0] <= anchor.start < s[1]), 0)
        if i == 0 or every[i - 1][2] != every[i][2]:
            continue
        mentions = find(every[i - 1][0], every[i - 1][1], _LAYERS, True)
        if any(m.category in _ANCHORS or m.is_negated for m in mentions):
            continue
        regions = [m for m in mentions if m.category == Category.BODY_REGION]
        _lend(anchor, "regions", regions, text, mentions)


def _restated_pattern(
    anchors: Sequence[Mention],
    hits: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a calcinosis the pattern of a sentence elsewhere that restates its sites."""
    home = {a.start: _next_sentences(every, a, text) for a in anchors}
    near = set().union(*(h[1] for h in home.values()))
    for a, b, section in every:
        if not any(a <= m.start < b for m in hits):
            continue
        if not find(a, b, ("site",), False) and not (a in near and _REFERS_BACK.match(text, a, b)):
            continue  # names no site and does not refer back: the context pass is not needed
        mentions = find(a, b, _LAYERS, True)
        if any(m.category in _ANCHORS or m.metadata.get("other_finding") for m in mentions):
            continue
        pattern = [
            m
            for m in mentions
            if m.metadata.get("morphology") and not (m.is_negated or m.is_uncertain)
        ]
        sites = {
            m.metadata.get("region")
            for m in mentions
            if m.category == Category.BODY_REGION and not hand_of_fingers(text, m)
        }
        for anchor in anchors:
            named = {r.get("region") for r in anchor.links.get("regions", [])}
            own, near = home[anchor.start]
            later = a >= anchor.sentence[1] or section == own
            restates = sites and sites <= named and later and _DEPOSIT.search(text, a, b)
            if restates or (not sites and a in near and _REFERS_BACK.match(text, a, b)):
                _lend(anchor, "morphology", pattern, text, mentions)


def _next_sentences(
    every: Sequence[tuple[int, int, int]], anchor: Mention, text: str, at: int | None = None
) -> tuple[int, set[int]]:
    """Return the section of a finding's sentence and the starts of the next two sentences.

    Section headers ("Comment:") are skipped; they may lie in the next section. ``at``: the
    index of the finding's sentence, when known.
    """
    i = (
        next((k for k, s in enumerate(every) if s[0] <= anchor.start < s[1]), len(every))
        if at is None
        else at
    )
    if i == len(every):
        return -1, set()
    near = []
    for k in range(i + 1, min(i + 5, len(every))):
        a, b, section = every[k]
        if _GAP.fullmatch(text, a, b):
            continue  # a header
        # in another section only its first sentence ("Comment: The focus is a nodule.")
        first = every[k - 1][2] != section or _GAP.fullmatch(text, *every[k - 1][:2])
        if section == every[i][2] or first:
            near.append(a)
        if len(near) == 2 or section != every[i][2]:
            break
    return every[i][2], set(near)


def _lend(
    anchor: Mention, key: str, items: Sequence[Mention], text: str, sentence: Sequence[Mention]
) -> None:
    for item in items:
        if key == "regions":
            side = next(
                (
                    m.metadata.get("laterality")
                    for m in sentence
                    if m.category == Category.LATERALITY and 0 <= item.start - m.end <= 25
                ),
                item.metadata.get("laterality"),
            )
            value: object = {"region": item.metadata.get("region"), "laterality": side}
        else:
            value = item.metadata.get("morphology")
        values = anchor.links.setdefault(key, [])
        if value not in values:
            values.append(value)
        anchor.links.setdefault("spans", []).append([item.start, item.end, item.category])
    if items:
        anchor.links[key + "_from"] = "restated"
