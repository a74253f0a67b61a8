"""Curation checks for the HPO terms of a phenopacket (phenopacket-tools #105, #191, #194).

A term is checked against the HPO release: it must exist and not be obsolete; no term may
appear twice; and no term may appear with its ancestor. Two observed terms where one is an
ancestor of the other are *redundant* (keep the specific one); two excluded terms likewise
(keep the general one, whose exclusion implies the other's); an observed term under an
excluded ancestor is a *contradiction*. An observed ancestor with an excluded descendant is
normal ("seizures, but not focal seizures") and is not reported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from calciscope.interop.phenopackets.hpo import HpoIndex

__all__ = ["Issue", "IssueKind", "TermUse", "check_terms"]


class IssueKind(StrEnum):
    """Kinds of curation problem."""

    UNKNOWN = "unknown_id"
    OBSOLETE = "obsolete_id"
    DUPLICATE = "duplicate"
    REDUNDANT = "redundant_ancestor"
    CONTRADICTION = "contradiction"


@dataclass(frozen=True)
class TermUse:
    """One use of an HPO term: its id, whether it is excluded, and where it sits."""

    hpo_id: str
    excluded: bool
    location: str


@dataclass(frozen=True)
class Issue:
    """One curation problem: its kind, the term use concerned and a message."""

    kind: IssueKind
    use: TermUse
    message: str


def _id_issues(uses: list[TermUse], hpo: HpoIndex) -> list[Issue]:
    issues = []
    for use in uses:
        term = hpo.resolve(use.hpo_id)
        if term is None:
            issues.append(
                Issue(IssueKind.UNKNOWN, use, f"{use.hpo_id} is not in HPO {hpo.version}")
            )
        elif term.obsolete or term.id != use.hpo_id:
            better = term.replaced_by or (term.id if term.id != use.hpo_id else "no replacement")
            issues.append(
                Issue(
                    IssueKind.OBSOLETE,
                    use,
                    f"{use.hpo_id} is obsolete or an alternative id; use {better}",
                )
            )
    counts = Counter(use.hpo_id for use in uses)
    seen: set[str] = set()
    for use in uses:
        if counts[use.hpo_id] > 1 and use.hpo_id in seen:
            issues.append(
                Issue(IssueKind.DUPLICATE, use, f"{use.hpo_id} appears {counts[use.hpo_id]} times")
            )
        seen.add(use.hpo_id)
    return issues


def _pair_issue(child: TermUse, ancestor: TermUse) -> Issue | None:
    if not child.excluded and not ancestor.excluded:
        return Issue(
            IssueKind.REDUNDANT,
            ancestor,
            f"{ancestor.hpo_id} is an ancestor of {child.hpo_id}, both observed",
        )
    if child.excluded and ancestor.excluded:
        return Issue(
            IssueKind.REDUNDANT,
            child,
            f"{child.hpo_id} is a descendant of {ancestor.hpo_id}, both excluded",
        )
    if not child.excluded and ancestor.excluded:
        return Issue(
            IssueKind.CONTRADICTION,
            child,
            f"{child.hpo_id} observed but its ancestor {ancestor.hpo_id} excluded",
        )
    return None


def check_terms(uses: list[TermUse], hpo: HpoIndex) -> list[Issue]:
    """Return every curation issue among the HPO term uses of one phenopacket.

    Parameters
    ----------
    uses
        The HPO terms of one phenopacket with their excluded flags and JSON locations.
    hpo
        The HPO release to check against; an unchecked index (no ``hpo`` extra) finds nothing.
    """
    if not hpo.checked:
        return []
    issues = _id_issues(uses, hpo)
    by_id = {use.hpo_id: use for use in uses}
    for use in uses:
        for ancestor_id in hpo.ancestors(use.hpo_id) & by_id.keys():
            issue = _pair_issue(use, by_id[ancestor_id])
            if issue is not None:
                issues.append(issue)
    return issues
