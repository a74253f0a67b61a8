"""Edge patients, fixes19: an IIM subtype recorded absent is no "no IIM".

fixes17 (decision c) made the clinician's SSc-myositis overlap false on a recorded "no IIM";
the IIM concept counted as absent on *any* of its codes recorded absent, so "no
dermatomyositis" (ICD-10 M33.1 absent) ruled the overlap out although polymyositis, IBM or
IMNM (other subgroups of the 2017 EULAR/ACR IIM criteria, Lundberg IE et al. Ann Rheum Dis
2017;76:1955-64; clinical-reference §3.3, §6.2, §6.3) were not recorded either way. Now only
a code for the whole class (concepts.yaml ``whole_codes``: MONDO:0020122, the implicit
``calciscope:myositis_diagnosis``) rules the IIM out; a subtype recorded absent leaves it,
and the overlap, unknown (§11.2), and the explanation says what could decide it. Present, any
code counts, and present wins over absent whatever their order (myositis_diagnosis is a plain
status feature, not a ``latest`` one: docs/criteria.md, *fixes19 decision*).

Expected values worked out by hand before the code was run. Patients go through the public
API as edge12's do (``read_outcomes``). All patients SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from calciscope import api
from calciscope.errors import CatalogueError
from calciscope.features import catalogue
from criteria.test_edge12_patients import Edge, edge_errors, run_edges
from criteria.test_edge_patients import fact

OVERLAP = "ssc_myositis_overlap_clinician"
SSC = ("M34.0", "ICD10")
WHOLE = ("MONDO:0020122", "MONDO")  # acquired idiopathic inflammatory myopathy (§6.2)
DM_ADULT = ("M33.1", "ICD10")  # other (adult) dermatomyositis (§6.3)
PM = ("M33.2", "ICD10")  # polymyositis


def _f(coded: tuple[str, str], status: str = "present", **kw: Any) -> dict[str, Any]:
    code, system = coded
    return fact(code, status, system=system, **kw) | {"provenance": "edge19"}


# fmt: off
EDGES = [
    Edge("V01", [_f(SSC), _f(DM_ADULT, "absent")],
         {OVERLAP: None, "myositis_diagnosis": None},
         "§3.3/§6.3 SSc coded, only 'no dermatomyositis' (M33.1 absent): PM, IBM, IMNM are not "
         "recorded either way, so the IIM and the overlap are unknown (fixes17 said false)"),
    Edge("V02", [_f(SSC), _f(WHOLE, "absent")],
         {OVERLAP: False, "myositis_diagnosis": False},
         "§6.2 the whole class (MONDO:0020122) recorded absent: no IIM, no overlap (fixes17 c)"),
    Edge("V03", [_f(SSC), _f(DM_ADULT, "absent"), _f(PM)],
         {OVERLAP: True, "myositis_diagnosis": True},
         "no dermatomyositis, polymyositis coded: an IIM and SSc coded, the overlap recorded"),
    Edge("V04", [_f(SSC), _f(WHOLE, "absent", date="2019-01-01"), _f(PM, date="2021-01-01")],
         {OVERLAP: True, "myositis_diagnosis": True},
         "'no IIM' in 2019 contradicted by polymyositis in 2021: present wins (a plain status "
         "feature, as edge17 Z03)"),
    Edge("V05", [_f(SSC), _f(PM, date="2019-01-01"),
                 fact("myositis_diagnosis", "absent", date="2021-01-01")],
         {OVERLAP: True, "myositis_diagnosis": True},
         "polymyositis in 2019, 'no IIM' (calciscope:myositis_diagnosis) in 2021: present wins "
         "whatever the order (no `latest` rule for the IIM: the contradiction is for a person "
         "to correct)"),
    Edge("V06", [_f(SSC), _f(("396230008", "SNOMEDCT"), "absent"),
                 _f(("31384009", "SNOMEDCT"), "absent")],
         {OVERLAP: None, "myositis_diagnosis": None},
         "§6.4 dermatomyositis and polymyositis both recorded absent: IBM, IMNM, antisynthetase "
         "syndrome stay open, unknown"),
    Edge("V07", [_f(SSC), _f(DM_ADULT, "absent"), _f(("M60.9", "ICD10"), "absent")],
         {OVERLAP: None, "myositis_unspecified": False, "myositis_diagnosis": None},
         "no dermatomyositis and no unspecified myositis: neither is a 'no IIM', unknown"),
    Edge("V08", [_f(DM_ADULT, "absent")],
         {OVERLAP: None},
         "no SSc recorded, 'no dermatomyositis': unknown (edge17 Z04's whole 'no IIM' is false)"),
    Edge("V09", [_f(SSC), _f(DM_ADULT, "absent"),
                 fact("myositis_diagnosis", "absent", review_state="suggested")],
         {OVERLAP: None, "myositis_diagnosis": None},
         "a suggested whole 'no IIM' counts only when confirmed; with suggestions it decides",
         sensitivity={OVERLAP: False, "myositis_diagnosis": False}),
    Edge("V10", [_f(("M34.82", "ICD10CM")), _f(DM_ADULT, "absent")],
         {OVERLAP: True},
         "the overlap code (ICD-10-CM M34.82) says so itself beside 'no dermatomyositis'"),
]
# fmt: on


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_edges(tmp_path_factory, EDGES, "edge19")


@pytest.mark.parametrize("edge", EDGES, ids=[e.pid for e in EDGES])
def test_edge19_patient(outcomes: dict[str, Any], edge: Edge) -> None:
    wrong = edge_errors(outcomes, edge)
    assert not wrong, wrong


@pytest.mark.parametrize(("pid", "unknown"), [("V01", True), ("V02", False), ("V03", False)])
def test_the_unknown_overlap_says_what_could_decide_it(
    outcomes: dict[str, Any], pid: str, unknown: bool
) -> None:
    """§11.2: shown as unknown, with the data that could decide it (a whole-IIM record)."""
    result = next(p for p in outcomes["explained"][pid].phenotypes if p.id == OVERLAP)
    assert (result.value is None) is unknown
    assert ("does not rule an IIM out" in result.note) is unknown
    assert ("MONDO:0020122" in result.note) is unknown


def test_the_whole_codes_are_the_iim_group_and_its_own_code() -> None:
    """concepts.yaml: the IIM group and calciscope:myositis_diagnosis rule the IIM out, no subtype."""
    concept = catalogue.load_catalogue().concepts["myositis_diagnosis"]
    assert concept.rules_out("MONDO", "MONDO:0020122")
    assert concept.rules_out("calciscope", "myositis_diagnosis")
    parts = [pair for pair in concept.codes if not concept.rules_out(*pair)]
    assert len(parts) == len(concept.codes) - 2
    assert not concept.rules_out("ICD10", "M33.1")
    assert not concept.rules_out("MONDO", "MONDO:0016099")  # overlap myositis, a subgroup
    # a concept without parts: every code rules it out
    ssc = catalogue.load_catalogue().concepts["ssc_diagnosis"]
    assert all(ssc.rules_out(system, code) for system, code in ssc.codes)


def test_whole_codes_must_be_codes_of_the_concept() -> None:
    raw = {"name": "x", "codes": {"ICD10": ["M33"]}, "whole_codes": {"ICD10": ["M60.9"]}}
    with pytest.raises(CatalogueError, match="whole_codes must be among its listed codes"):
        catalogue._concept(raw)
    assert catalogue._concept(raw | {"whole_codes": {"ICD10": ["M33"]}}).whole_codes == (
        ("ICD10", "M33"),
    )


def test_redcap_iim_field_does_not_hold_a_subtype_absent(tmp_path: Path) -> None:
    """'No dermatomyositis' is not exported as iim_dx 0, so the round trip keeps the IIM
    unknown; a whole 'no IIM' is exported and comes back false (SYNTHETIC)."""
    (tmp_path / "patients.csv").write_text(
        "patient_id,sex,birth_date,birth_year,centre,synthetic\n"
        "P1,female,1970-01-01,1970,e19,true\nP2,female,1970-01-01,1970,e19,true\n"
    )
    (tmp_path / "facts.csv").write_text(
        "patient_id,system,code,status,effective_date\n"
        "P1,ICD10,M33.1,absent,2020-01-01\n"
        "P2,MONDO,MONDO:0020122,absent,2020-01-01\n"
    )
    features = []
    with api.open_registry(f"sqlite:///{tmp_path / 'a.db'}") as source:
        api.import_directory(source, tmp_path)
        features.append(api.patient_features(source, ["P1", "P2"]).to_pylist())
        api.export_redcap(source, tmp_path / "redcap")
    folder = tmp_path / "redcap"
    with api.open_registry(f"sqlite:///{tmp_path / 'b.db'}") as target:
        api.import_redcap(
            target, folder / "data.csv", folder / "dictionary.csv", folder / "mapping.yaml"
        )
        features.append(api.patient_features(target, ["P1", "P2"]).to_pylist())
    for rows in features:
        by_id = {row["patient_id"]: row["myositis_diagnosis"] for row in rows}
        assert by_id == {"P1": None, "P2": False}
