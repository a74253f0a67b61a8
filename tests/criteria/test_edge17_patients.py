"""Edge patients, fixes17: the three questions the edge13 round left open, decided.

(a) a scleroderma-like disorder recorded present, then recorded absent: the latest record as
of the index date decides (``ssc_like_disorder`` is a ``latest`` status feature), so a
disorder ruled out no longer excludes; (b) skin thickening recorded at the fingers and the
hand (dorsum), or scored there on the mRSS, is **not** read as the sufficient item (it stays
unknown, never absent); (c) a recorded "no IIM" makes the clinician's SSc-myositis overlap
false. Each decision, with the publication, is in docs/criteria.md (*fixes17 decisions*). The
expected values were worked out by hand from design/clinical-reference.md (§1.2 van den Hoogen
2013, §5.2/§6.2 the overlap series and codes, §11.2/§11.3) before the code was run.

Patients go through the public API as edge12's and edge13's do (``read_outcomes``): imported
into a SQLite registry, ``api.explain_patient`` and ``api.load_study_data`` on the registry and
a DuckDB copy, at the index date 2024-12-31. All patients SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import pytest

from criteria.test_edge12_patients import Edge, edge_errors, run_edges
from criteria.test_edge13_patients import mrss
from criteria.test_edge_patients import fact, skin, ssc

SUFFICIENT = "skin_thickening_proximal_to_mcp"
EXCLUDED = {"ssc2013_status": "not_applicable", "ssc_like_disorder": True}
INCLUDED = {"ssc2013_status": "classified", "ssc_like_disorder": False}


def _f(code: str, status: str = "present", **kw: Any) -> dict[str, Any]:
    return fact(code, status, **kw) | {"provenance": "edge17"}


def _like(*records: tuple[str, str | None], **kw: Any) -> list[dict[str, Any]]:
    """SSc by the sufficient item, and ssc_like_disorder records (status, date or None)."""
    rows = [_f("ssc_like_disorder", status, date=date, **kw) for status, date in records]
    return [*ssc(SUFFICIENT), *rows]


# fmt: off
EDGES = [
    # ---- (a) a scleroderma-like disorder recorded, then ruled out (§1.2) --------------------
    Edge("X01", _like(("present", "2019-01-01"), ("absent", "2021-01-01")), INCLUDED,
         "§1.2 the exclusion is the clinician's judgement; ruled out in 2021, after the 2019 "
         "record: the latest record decides, SSc classified (fixes17; edge13 excluded)"),
    Edge("X02", _like(("absent", "2019-01-01"), ("present", "2021-01-01")), EXCLUDED,
         "§1.2 ruled out in 2019, recorded present in 2021: excludes"),
    Edge("X03", _like(("present", "2021-01-01"), ("absent", "2021-01-01")), EXCLUDED,
         "present and absent the same day: which is the later is not known, present stands "
         "(as for every status feature)"),
    Edge("X04", _like(("present", None), ("absent", "2021-01-01")), EXCLUDED,
         "an undated present record cannot be ordered against the 2021 absent one: stands"),
    Edge("X05", _like(("present", "2019-01-01"), ("absent", None)), EXCLUDED,
         "an undated absent record cannot be ordered after the present one: present stands"),
    Edge("X06", _like(("present", "2019-01-01"), ("absent", "2025-02-01")), EXCLUDED,
         "ruled out after the index date 2024-12-31: not read yet, still excludes"),
    Edge("X07", [*_like(("present", "2019-01-01"), ("present", "2022-01-01")),
                 _f("ssc_like_disorder", "absent", date="2020-01-01")], EXCLUDED,
         "recorded again in 2022 after the 2020 'absent': the latest record is present"),
    Edge("X08", [*_like(("present", "2019-01-01")),
                 _f("ssc_like_disorder", "absent", date="2021-01-01", review_state="suggested")],
         EXCLUDED,
         "a suggested 'absent' does not count until confirmed; with suggestions it withdraws",
         sensitivity=INCLUDED),
    # ---- (b) the sufficient item from body regions (§1.1, §11.2) ---------------------------
    Edge("Y01", [*ssc("raynaud_phenomenon", "sclerodactyly", unknown=(SUFFICIENT,)),
                 *skin("fingers", "hand")],
         {"ssc2013_status": "undetermined", SUFFICIENT: None, "ssc2013_score_min": 7},
         "§1.1 fingers and hands thickened are not 'the fingers ... extending proximal to the "
         "MCPs' (no continuity recorded): the sufficient item stays unknown, 7 to 16",
         could_flip={"ssc2013": {SUFFICIENT}}),
    Edge("Y02", [*ssc("raynaud_phenomenon", "sclerodactyly", unknown=(SUFFICIENT,)),
                 *mrss({"fingers": 2, "hand": 1})],
         {"ssc2013_status": "undetermined", SUFFICIENT: None, "ssc2013_score_min": 7},
         "§2.2 mRSS fingers 2 and hands 1 on both sides: sites graded apart, not the item",
         could_flip={"ssc2013": {SUFFICIENT}}),
    Edge("Y03", [*ssc("raynaud_phenomenon", "sclerodactyly"), *skin("fingers", "hand")],
         {"ssc2013_status": "not_classified", SUFFICIENT: False, "ssc2013_score_max": 7},
         "the item recorded absent stays absent beside fingers and hands thickened: 7"),
    # ---- (c) the clinician's overlap and a recorded "no IIM" (§5.2, §6.2, §11.3) -----------
    Edge("Z01", [_f("M34.0", system="ICD10"), _f("myositis_diagnosis", "absent")],
         {"ssc_myositis_overlap_clinician": False},
         "§11.3 SSc coded, IIM recorded absent: the overlap's myositis is an IIM, so none "
         "(edge13 O03 left it unknown)"),
    Edge("Z02", [_f("M34.0", system="ICD10"), _f("myositis_unspecified", "absent")],
         {"ssc_myositis_overlap_clinician": None},
         "§11.2 only M60.8/M60.9 recorded absent ('no other myositis'): the IIM is not known"),
    Edge("Z03", [_f("M34.0", system="ICD10"), _f("myositis_diagnosis", "absent"),
                 _f("M60.9", system="ICD10")],
         {"ssc_myositis_overlap_clinician": True},
         "a myositis coded (M60.9) beside 'no IIM': a recorded present wins, as for every "
         "evidence rule (contradicting records; correct one of them)"),
    Edge("Z04", [_f("myositis_diagnosis", "absent")],
         {"ssc_myositis_overlap_clinician": False},
         "no IIM recorded and SSc not recorded: no overlap whatever the SSc"),
    Edge("Z05", [_f("M34.82", system="ICD10CM"), _f("myositis_diagnosis", "absent")],
         {"ssc_myositis_overlap_clinician": True},
         "an overlap code (ICD-10-CM M34.82) says so itself: true beside 'no IIM'"),
]
# fmt: on


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_edges(tmp_path_factory, EDGES, "edge17")


@pytest.mark.parametrize("edge", EDGES, ids=[e.pid for e in EDGES])
def test_edge17_patient(outcomes: dict[str, Any], edge: Edge) -> None:
    wrong = edge_errors(outcomes, edge)
    assert not wrong, wrong


def test_latest_is_only_for_a_plain_status_feature() -> None:
    """The catalogue refuses ``latest`` where it has no meaning (both_sides, other kinds)."""
    import yaml

    from calciscope.errors import CatalogueError
    from calciscope.features import catalogue

    concepts = {"x": catalogue.Concept(name="x", label="x", codes=())}
    for derive in (
        {"kind": "first_date", "concepts": ["x"], "latest": True},
        {"kind": "status", "concept": "x", "both_sides": True, "latest": True},
    ):
        raw = yaml.safe_load(yaml.safe_dump({"name": "f", "type": "boolean", "derive": derive}))
        with pytest.raises(CatalogueError, match="latest is for a status feature"):
            catalogue._feature(raw, concepts)
