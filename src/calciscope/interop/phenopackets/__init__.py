"""GA4GH Phenopacket v2: read (lowerCamelCase and snake_case JSON) and write, with HPO checks."""

from calciscope.interop.phenopackets.hpo import HpoIndex, load_hpo
from calciscope.interop.phenopackets.reader import read_phenopacket, read_phenopackets
from calciscope.interop.phenopackets.validation import Issue, IssueKind, TermUse, check_terms
from calciscope.interop.phenopackets.writer import write_phenopacket

__all__ = [
    "HpoIndex",
    "Issue",
    "IssueKind",
    "TermUse",
    "check_terms",
    "load_hpo",
    "read_phenopacket",
    "read_phenopackets",
    "write_phenopacket",
]
