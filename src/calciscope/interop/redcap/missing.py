"""REDCap missing-data codes: a cell that says why it has no value imports as unknown.

A REDCap project may declare *missing data codes* (Project Setup, "Additional customizations";
one ``code, label`` a line, as choices are written). A field left blank for a reason then holds
the code as its literal value (``UNK``, ``NASK``, ``-999``) in exports. calciscope reads such a
cell as an *unknown* fact of the field's concept (never absent, never refused as "not a
number"), counted in the read's summary (``missing data code <code>``).

The codes used are the project's own when known: the mapping's ``missing_data_codes``, else the
project XML's ``redcap:MissingDataCodes`` when not empty; otherwise REDCap's suggested list
(:data:`STANDARD`, the HL7 v3 NullFlavor codes REDCap offers in its setup page). A code that is
one of the field's own choices (or of the mapping's ``values``) is that choice, not a missing
code; with REDCap's suggested list, a free-text field keeps its text ("NA" written as a note).
"""

from __future__ import annotations

from typing import Any

__all__ = ["STANDARD", "parse_codes"]

#: REDCap's suggested missing data codes (the HL7 v3 NullFlavor vocabulary), code → label.
STANDARD: dict[str, str] = {
    "NI": "No information",
    "INV": "Invalid",
    "UNK": "Unknown",
    "NASK": "Not asked",
    "ASKU": "Asked but unknown",
    "NAV": "Temporarily unavailable",
    "MSK": "Masked",
    "NA": "Not applicable",
    "NAVU": "Not available",
    "NP": "Not present",
    "QS": "Sufficient quantity",
    "QI": "Insufficient quantity",
    "TRC": "Trace",
    "UNC": "Unencoded",
    "DER": "Derived",
    "PINF": "Positive infinity",
    "NINF": "Negative infinity",
    "OTH": "Other",
}


def parse_codes(raw: Any) -> dict[str, str]:
    """Return the codes of a ``missing_data_codes`` setting: a mapping, or REDCap's text.

    REDCap's text is one ``code, label`` a line (or separated by ``|``); a code alone is its
    own label. Raises ValueError for a setting that is neither.
    """
    if isinstance(raw, dict):
        return {str(k).strip(): str(v).strip() for k, v in raw.items() if str(k).strip()}
    if isinstance(raw, list):
        return {str(k).strip(): str(k).strip() for k in raw if str(k).strip()}
    if not isinstance(raw, str):
        raise ValueError("missing_data_codes must be a mapping of code to label, or REDCap's text")
    codes = {}
    for line in raw.replace("|", "\n").splitlines():
        code, _, label = line.partition(",")
        if code.strip():
            codes[code.strip()] = label.strip() or code.strip()
    return codes
