"""What every case rests on: fact ids with dates and codes, note offsets and rules, image readings.

Facts come as a DataFrame of registry fact rows with a ``concept`` column (the catalogue concept
of the code). Note-derived facts carry a JSON provenance (note id, offsets, rule id).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

__all__ = ["EVIDENCE_CONCEPTS", "TIMELINE_CONCEPTS", "case_evidence", "parse_provenance"]

#: Concepts listed as the evidence of a case.
EVIDENCE_CONCEPTS = ("calcinosis", "radiograph", "anti_scl70", "anti_pm_scl", "ssc_subset")

#: Concepts drawn on the swimmer timeline.
TIMELINE_CONCEPTS = ("calcinosis", "radiograph", "anti_scl70", "anti_pm_scl")


def parse_provenance(text: Any) -> dict[str, Any]:
    """Return a note-derived fact's provenance (note id, start, end, rule) or ``{"source": text}``."""
    if not isinstance(text, str) or not text:
        return {}
    if text.startswith("{"):
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            return {"source": text}
        keys = ("note_id", "start", "end", "rule", "text", "image_id", "reader")
        return {k: record[k] for k in keys if k in record}
    return {"source": text}


def _row(fact: pd.Series) -> dict[str, Any]:
    date = fact["effective_date"]
    return {
        "fact_id": fact["fact_id"],
        "date": None if pd.isna(date) else str(pd.Timestamp(date).date()),
        "concept": fact["concept"],
        "code": f"{fact['system']}:{fact['code']}".replace("HP:HP:", "HP:"),
        "status": fact["status"],
        "body_site": None if pd.isna(fact["body_site"]) else fact["body_site"],
        "laterality": None if pd.isna(fact["laterality"]) else fact["laterality"],
        "morphology": None if pd.isna(fact["morphology"]) else fact["morphology"],
        "method": None if pd.isna(fact["method"]) else fact["method"],
        "source_kind": fact["source_kind"],
        "review_state": fact["review_state"],
        "provenance": parse_provenance(fact["provenance"]),
    }


def case_evidence(facts: pd.DataFrame, case_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Return, per case, its evidence facts in date order (see :data:`EVIDENCE_CONCEPTS`)."""
    wanted = facts[facts["patient_id"].isin(case_ids) & facts["concept"].isin(EVIDENCE_CONCEPTS)]
    # fact_id last: facts tied on the rest keep one order on every engine
    wanted = wanted.sort_values(["patient_id", "effective_date", "concept", "body_site", "fact_id"])
    out: dict[str, list[dict[str, Any]]] = {pid: [] for pid in case_ids}
    for _, fact in wanted.iterrows():
        out[fact["patient_id"]].append(_row(fact))
    return out
