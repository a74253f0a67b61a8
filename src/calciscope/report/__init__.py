"""The report bundle of a study.

Self-contained HTML (figures embedded), PDF, tables as CSV + JSON, figures as SVG + PNG, a
manifest, and the pseudonymised export.
"""

from calciscope.report.bundle import ReportBundle, case_names, write_report_bundle
from calciscope.report.pseudonymise import SUPPRESSED, Pseudonymiser, suppress_small_cells

__all__ = [
    "SUPPRESSED",
    "Pseudonymiser",
    "ReportBundle",
    "case_names",
    "suppress_small_cells",
    "write_report_bundle",
]
