"""Why each result came out as it did, computed by the same compiled expression as the result.

For every criteria set the compiler can add, beside the result columns, one state, weight and
"could flip" column per item (``ssc2013__puffy_fingers__state`` ...), the status, whether the
result is decided, which gates fired, and which unknowns could flip the result. An explanation
is one row of that expression: filtered in the registry's database (``patients show
--explain``) or run on an in-memory table (the spreadsheet calculator, the golden tests).
:func:`read_criteria_result` and :func:`read_phenotype_results` only turn such a row into
result objects; they evaluate nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from calciscope.criteria import (
    CriteriaResult,
    CriteriaSet,
    CriteriaStatus,
    IimCategory,
    IimSubgroup,
    ItemExplanation,
    ItemState,
    RegionCriteriaSet,
    SiteSumCriteriaSet,
    SkinScoreStatus,
    WeightedCriteriaSet,
    load_criteria_sets,
)
from calciscope.criteria.definition import SCALE, ItemGroup
from calciscope.criteria.results import ResultStatus
from calciscope.engine.criteria import (
    choose,
    drop_helpers,
    group_bounds,
    output_columns,
    stage_criteria_columns,
    tree_tests,
    variant_weight,
)
from calciscope.engine.predicates import (
    AGE_YOUNGEST,
    Tri,
    all_of,
    any_of,
    column,
    compile_predicate,
    int_literal,
)
from calciscope.features import DerivationKind, load_catalogue
from calciscope.model import CutaneousSubset
from calciscope.phenotype import Phenotype, PhenotypeKind, PhenotypeResult, PhenotypeSet

__all__ = [
    "CriteriaReader",
    "ExplainedItem",
    "add_explanation_columns",
    "explained_items",
    "read_criteria_result",
    "read_phenotype_results",
    "stage_explanation_columns",
]

_NOT_CLASSIFIABLE_NOTE = "not classifiable: no heliotrope rash, Gottron's papules or Gottron's sign, and no muscle biopsy"


@dataclass(frozen=True)
class ExplainedItem:
    """An item as the explanation lists it (a weighted item, a skin region or an mRSS site)."""

    id: str
    label: str
    group: str
    rule: str


def explained_items(cset: CriteriaSet) -> tuple[ExplainedItem, ...]:
    """Return the items of a set in the order the explanation lists them."""
    if isinstance(cset, RegionCriteriaSet):
        return tuple(
            ExplainedItem(r.id, r.id.replace("_", " "), group, r.evidence.describe())
            for group, regions in (("proximal", cset.proximal), ("distal", cset.distal))
            for r in regions
        )
    if isinstance(cset, SiteSumCriteriaSet):
        return tuple(ExplainedItem(s, s.replace("_", " "), cset.id, s) for s in cset.sites)
    return tuple(
        ExplainedItem(i.id, i.label, g.id, i.when.describe()) for g in cset.groups for i in g.items
    )


def _flag_features(cset: WeightedCriteriaSet) -> dict[str, frozenset[str]]:
    """Return the features read by the entry rule, the variant selector and the subgroup tree."""
    return {
        "entry": cset.classifiable_if.features() if cset.classifiable_if else frozenset(),
        "variant": cset.variants.selector.features() if cset.variants else frozenset(),
        "tree": frozenset().union(*(test.features() for test in tree_tests(cset.subgroups))),
    }


#: The flip named when an age threshold is unknown only because the date of birth is known
#: to the year alone (an ``age_at`` feature's range straddles it; edge11).
BIRTH_DATE_FLIP = "birth_date"


def _age_features(cset: WeightedCriteriaSet) -> frozenset[str]:
    """Return the ``age_at`` features the set's items, entry, variant or subgroup tree read."""
    read = frozenset().union(
        *(i.when.features() for g in cset.groups for i in g.items),
        *_flag_features(cset).values(),
    )
    features = load_catalogue().features
    return frozenset(
        f for f in read if f in features and features[f].derive.kind is DerivationKind.AGE_AT
    )


def _flip_candidates(cset: WeightedCriteriaSet) -> tuple[str, ...]:
    """Return the flips that may be named: items, then the flag features, then the birth date.

    The entry, variant and subgroup-tree features sorted; the date of birth last when the set
    reads an age (:data:`BIRTH_DATE_FLIP`).
    """
    items = tuple(i.id for i in explained_items(cset))
    birth = (BIRTH_DATE_FLIP,) if _age_features(cset) else ()
    return items + tuple(sorted(frozenset().union(*_flag_features(cset).values()))) + birth


_ITEM_STATES = {state.value: state for state in ItemState}  # faster than ItemState(value)


def _state(tri: Tri, present: ir.Value) -> ir.StringValue:
    return ibis.cases(
        (tri.t, present),
        (tri.f, ibis.literal(ItemState.ABSENT.value)),
        else_=ibis.literal(ItemState.UNKNOWN.value),
    )


class _WeightedColumns:
    """The explanation columns of a weighted set, in two steps over the staged table.

    :meth:`helpers` evaluates each item's predicate, weight and each group's certain score once;
    :meth:`columns` reads them by name, so that the SQL stays linear in the number of items.
    """

    def __init__(self, cset: WeightedCriteriaSet) -> None:
        self.cset, self.p = cset, f"_{cset.id}"
        rule = cset.variants
        self.variants = ("default", "default") if rule is None else (rule.when_true, rule.otherwise)

    def helpers(self, table: ir.Table) -> dict[str, ir.Value]:
        """Truth, weight of every item and certain score of every group, as helper columns."""
        p, flag, out = self.p, table[f"{self.p}_with"], {}
        for group in self.cset.groups:
            # the group's certain score: its heaviest item recorded present, in the variant
            # (over the range for an age known to the year only: group_bounds, edge35)
            out[f"{p}__{group.id}__low"] = group_bounds(group, self.variants, flag, table)[0]
            for item in group.items:
                tri = compile_predicate(item.when, table)
                out[f"{p}__{item.id}__t"], out[f"{p}__{item.id}__f"] = tri.t, tri.f
                out[f"{p}__{item.id}__w"] = variant_weight(item, self.variants, flag)
        gates = [compile_predicate(g, table).t for g in self.cset.not_applicable_if]
        return out | {f"{self.cset.id}__gate__{k}": t for k, t in enumerate(gates)}

    def _group(self, group: ItemGroup, table: ir.Table) -> dict[str, ir.Value]:
        """State, weight and gain of each item; only the first heaviest present item counts."""
        s, p, low, out = self.cset.id, self.p, table[f"{self.p}__{group.id}__low"], {}
        counted_before: list[ir.BooleanValue] = []
        for item in group.items:
            t, f, weight = (table[f"{p}__{item.id}__{x}"] for x in "tfw")
            counts = t & (weight != 0) & (weight == low)
            present = ibis.cases(
                (counts & ~any_of(counted_before), ibis.literal(ItemState.COUNTED.value)),
                else_=ibis.literal(ItemState.SUPERSEDED.value),
            )
            counted_before.append(counts)
            out[f"{s}__{item.id}__state"] = ibis.cases(
                (weight == 0, ibis.literal(ItemState.NOT_SCORED.value)),
                else_=_state(Tri(t, f), present),
            )
            out[f"{s}__{item.id}__weight"] = weight.cast("float64") / float(SCALE)
            # an unknown item could raise the score only if it outweighs what already counts
            out[f"{s}__{item.id}__flip"] = ~t & ~f & (weight > low)
        if group.several_note:
            present_items = [table[f"{p}__{i.id}__t"] for i in group.items]
            count = sum((ibis.cases((t, 1), else_=0) for t in present_items), int_literal(0))
            out[f"{s}__several__{group.id}"] = count > 1
        return out

    def columns(self, table: ir.Table) -> dict[str, ir.Value]:
        """Every explanation column, from the table with :meth:`helpers` added."""
        s, p, cset = self.cset.id, self.p, self.cset
        out: dict[str, ir.Value] = {}
        for group in cset.groups:
            out |= self._group(group, table)
        probability = cset.probability is not None
        status = table[f"{s}_category" if probability else f"{s}_status"]
        open_ = status == (IimCategory if probability else CriteriaStatus).UNDETERMINED.value
        false = ibis.literal(False)
        opens = {
            "entry": ~table[f"{p}_entry_t"] & ~table[f"{p}_entry_f"],
            # an unknown variant selector (muscle biopsy done?) changes the weights themselves
            "variant": table[f"{p}_open"] if cset.variants else false,
            "tree": (
                table[f"{s}_subgroup"] == IimSubgroup.UNDETERMINED.value if probability else false
            ),
        }
        decided = ~open_ & ~opens["tree"] if probability else ~open_
        out |= {f"{s}__status": status, f"{s}__decided": decided}
        items = [out[f"{s}__{i.id}__flip"] & open_ for g in cset.groups for i in g.items]
        # an item's "could flip" says it could change the result: never beside a decided one
        # (a patient classified at 9 of 9 showed "could flip: yes" on nine unknown items; fixes22)
        for i, flip in zip((i for g in cset.groups for i in g.items), items, strict=True):
            out[f"{s}__{i.id}__flip"] = flip & ~decided
        flags = _flag_features(cset)
        candidates = _flip_candidates(cset)
        extras = [
            any_of([opens[k] for k, features in flags.items() if f in features])
            & column(table, f).isnull()
            for f in candidates[len(items) :]
            if f != BIRTH_DATE_FLIP
        ]
        if candidates[-1] == BIRTH_DATE_FLIP:
            extras.append(self._birth_open(table, opens, open_))
        return out | {f"{s}__could_flip__{k}": v & ~decided for k, v in enumerate(items + extras)}

    def _birth_open(
        self, table: ir.Table, opens: dict[str, ir.BooleanValue], open_: ir.BooleanValue
    ) -> ir.BooleanValue:
        """Return whether an age test is unknown although the age is known to the year.

        Only the range of a birth year alone leaves such a test unknown: a full date of
        birth could then change the result (clinical-reference §11.2; edge11).
        """
        cset, p = self.cset, self.p
        ages = {f for f in _age_features(cset) if f"{f}{AGE_YOUNGEST}" in table.columns}
        straddles = [
            ~table[f"{p}__{i.id}__t"] & ~table[f"{p}__{i.id}__f"] & column(table, f).notnull()
            for g in cset.groups
            for i in g.items
            for f in sorted(i.when.features() & ages)
        ]
        items = open_ & any_of(straddles)
        flags = _flag_features(cset)
        for kind, tests in (
            ("entry", [cset.classifiable_if] if cset.classifiable_if else []),
            ("variant", [cset.variants.selector] if cset.variants else []),
            ("tree", tree_tests(cset.subgroups)),
        ):
            unknown = []
            for test in tests:
                for f in sorted(test.features() & ages & flags[kind]):
                    tri = compile_predicate(test, table)
                    unknown.append(~tri.t & ~tri.f & column(table, f).notnull())
            items = items | (opens[kind] & any_of(unknown))
        return items


def _region_columns(cset: RegionCriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    s = cset.id
    status = table[f"{s}_subset"]
    open_ = status == CutaneousSubset.UNDETERMINED.value
    prox = [compile_predicate(r.evidence, table) for r in cset.proximal]
    dist = [compile_predicate(r.evidence, table) for r in cset.distal]
    # a distal region can flip the subset only once every proximal region is known absent
    distal_open = open_ & all_of([t.f for t in prox])
    out: dict[str, ir.Value] = {f"{s}__status": status, f"{s}__decided": ~open_}
    for regions, tris, can in ((cset.proximal, prox, open_), (cset.distal, dist, distal_open)):
        for region, tri in zip(regions, tris, strict=True):
            out[f"{s}__{region.id}__state"] = _state(tri, ibis.literal(ItemState.COUNTED.value))
            out[f"{s}__{region.id}__flip"] = can & ~tri.t & ~tri.f
    return out


def _site_columns(cset: SiteSumCriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    s = cset.id
    complete = table[f"{s}_total"].notnull()
    words = (ibis.literal(w.value) for w in (SkinScoreStatus.COMPLETE, SkinScoreStatus.INCOMPLETE))
    out: dict[str, ir.Value] = {f"{s}__status": choose(complete, *words), f"{s}__decided": complete}
    for site in cset.sites:
        value = column(table, site, "float64").cast("float64")
        known = Tri(value.notnull(), ibis.literal(False))  # a site is counted once recorded
        out[f"{s}__{site}__state"] = _state(known, ibis.literal(ItemState.COUNTED.value))
        out[f"{s}__{site}__weight"], out[f"{s}__{site}__flip"] = value, value.isnull()
    return out


def _columns(cset: CriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    if isinstance(cset, RegionCriteriaSet):
        return _region_columns(cset, table)
    if isinstance(cset, SiteSumCriteriaSet):
        return _site_columns(cset, table)
    return _WeightedColumns(cset).columns(table)


def stage_explanation_columns(
    table: ir.Table,
    sets: Sequence[CriteriaSet] | None = None,
    *,
    min_probability: float | None = None,
) -> ir.Table:
    """Return ``table`` with the result and explanation columns of ``sets`` and the helpers.

    The same compiled results as :func:`~calciscope.engine.criteria.stage_criteria_columns`
    (two more ``mutate`` steps read the staged helpers); meant for few rows, such as one
    patient. :func:`add_explanation_columns` drops the ``_``-prefixed helpers.
    """
    chosen = load_criteria_sets() if sets is None else tuple(sets)
    staged = stage_criteria_columns(table, chosen, min_probability=min_probability)
    weighted = [_WeightedColumns(c) for c in chosen if isinstance(c, WeightedCriteriaSet)]
    staged = staged.mutate(**{k: v for w in weighted for k, v in w.helpers(staged).items()})
    return staged.mutate(**{k: v for c in chosen for k, v in _columns(c, staged).items()})


def add_explanation_columns(
    table: ir.Table,
    sets: Sequence[CriteriaSet] | None = None,
    *,
    min_probability: float | None = None,
) -> ir.Table:
    """Return ``table`` with the result columns of ``sets`` and their explanation columns."""
    staged = stage_explanation_columns(table, sets, min_probability=min_probability)
    return drop_helpers(staged, table.columns)


def _notes(cset: CriteriaSet, row: Mapping[str, Any]) -> tuple[str, ...]:
    if not isinstance(cset, WeightedCriteriaSet):
        return ()
    s, notes = cset.id, []
    fired = [p for k, p in enumerate(cset.not_applicable_if) if row[f"{s}__gate__{k}"]]
    if fired:
        # a one-feature gate is named; a gate read from several features is shown as its rule
        names = "; ".join(
            f"{p.describe()} recorded" if len(p.features()) == 1 else p.describe() for p in fired
        )
        notes.append(f"not applicable: {names} (the criteria exclude these patients)")
    if cset.probability is not None and row[f"{s}_category"] == IimCategory.NOT_CLASSIFIABLE:
        notes.append(_NOT_CLASSIFIABLE_NOTE)
    notes += [
        g.several_note for g in cset.groups if g.several_note and row[f"{s}__several__{g.id}"]
    ]
    return tuple(notes)


class CriteriaReader:
    """Builds result objects of one set from rows carrying its result and explanation columns.

    What does not depend on the patient (items, their rules, the flip candidates) is worked out
    once, so that reading many rows (a spreadsheet, the benchmark) stays cheap.
    """

    def __init__(self, cset: CriteriaSet) -> None:
        self.cset, s = cset, cset.id
        self.items = [
            (i, f"{s}__{i.id}__state", f"{s}__{i.id}__weight", f"{s}__{i.id}__flip")
            for i in explained_items(cset)
        ]
        candidates = _flip_candidates(cset) if isinstance(cset, WeightedCriteriaSet) else ()
        self.flips = [(c, f"{s}__could_flip__{k}") for k, c in enumerate(candidates)]
        self.outputs = list(output_columns(cset))
        self.status: type[ResultStatus]
        if isinstance(cset, RegionCriteriaSet):
            self.status, self.bounds = CutaneousSubset, None
        elif isinstance(cset, SiteSumCriteriaSet):
            self.status, self.bounds = SkinScoreStatus, (f"{s}_total_min", f"{s}_total_max")
        else:
            self.status = CriteriaStatus if cset.probability is None else IimCategory
            self.bounds = (f"{s}_score_min", f"{s}_score_max")
            # the bounds first among the outputs, as every result reads them
            self.outputs = [*self.bounds, *(n for n in self.outputs if n not in self.bounds)]

    def __call__(self, row: Mapping[str, Any]) -> CriteriaResult:
        """Build the result object from one row."""
        cset, s = self.cset, self.cset.id
        items = tuple(
            ItemExplanation(
                i.id,
                i.label,
                i.group,
                _ITEM_STATES[row[state]],
                row.get(weight),  # regions have no weight
                bool(row[flip]),
                i.rule,
            )
            for i, state, weight, flip in self.items
        )
        # a weighted set names its flips (items, entry and subgroup features) when undecided
        flips = (
            [c for c, name in self.flips if row[name]]
            if isinstance(cset, WeightedCriteriaSet)
            else [i.id for i in items if i.could_flip]
        )
        low, high = (None, None) if self.bounds is None else (row[n] for n in self.bounds)
        return CriteriaResult(
            criteria_set=s,
            name=cset.name,
            version=cset.version,
            citation=cset.citation,
            status=self.status(row[f"{s}__status"]),
            decided=bool(row[f"{s}__decided"]),
            score_min=low,
            score_max=high,
            items=items,
            outputs={n: row[n] for n in self.outputs},
            could_flip=tuple(dict.fromkeys(flips)),
            notes=_notes(cset, row),
        )


def read_criteria_result(cset: CriteriaSet, row: Mapping[str, Any]) -> CriteriaResult:
    """Build the result object from one row carrying the set's result and explanation columns."""
    return CriteriaReader(cset)(row)


def _word(value: Any) -> str:
    return {True: "positive", False: "negative", None: "unknown"}.get(value, str(value))


def _note(p: Phenotype, row: Mapping[str, Any]) -> str:
    if p.kind is not PhenotypeKind.PROMPT:
        if p.unknown_note and row[p.id] is None:  # unknown is not absent: what could decide it
            return p.unknown_note
        return p.anchor or ""
    beside = "; ".join(f"{b}: {_word(row[f'{p.id}_{b}'])}" for b in p.beside)
    # unknown is not absent (§11.2): an undecided prompt is not "no prompt" (edge13)
    said = {True: p.text, False: "no prompt"}.get(
        row[p.id], "prompt unknown: the data it needs are not all recorded"
    )
    return f"{said} [shown beside, not scored: {beside}]"


def read_phenotype_results(
    phenotypes: PhenotypeSet, row: Mapping[str, Any]
) -> tuple[PhenotypeResult, ...]:
    """Build one result per phenotype from one row carrying the phenotype columns."""
    return tuple(
        PhenotypeResult(
            p.id, p.label, row[p.id], _note(p, row), p.rule.describe() if p.rule else ""
        )
        for p in phenotypes.phenotypes
    )
